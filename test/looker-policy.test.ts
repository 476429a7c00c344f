import { describe, expect, it } from 'vitest';
import {
  LOOKER_TEAMS,
  accessFor,
  commonRoles,
  elevatedRolesOf,
  expiryOf,
  isElevated,
  isExpired,
  isListedTeam,
  mayDecide,
  mergedRoles,
  reminderDue,
  remindsBeforeEnd,
  rolesToRevoke,
  rolesWithout,
  routeOf,
  validateLookerAccess,
  type LookerAccessInput,
} from '../src/domain/looker-policy.js';

const ids = { viewGroupId: '10', viewRoleId: '2', elevatedRoleIds: { create_content: ['5'], develop: ['6', '7'] } };

const input = (over: Partial<LookerAccessInput> = {}): LookerAccessInput => ({
  requesterId: 'U0REGULAR',
  subjectId: 'U0REGULAR',
  email: 'riley@example.com',
  team: 'engineering',
  level: 'view',
  reason: null,
  duration: null,
  ...over,
});

const own = { requesterId: 'U0RILEY', subjectId: 'U0RILEY', email: 'riley@example.com' };
const connected = { lookerConfigured: true, requesterSlackEmail: 'riley@example.com' };

describe('Looker policy: the handbook', () => {
  it('lists the handbook teams plus Other, which is not listed', () => {
    expect(LOOKER_TEAMS.map((t) => t.label)).toEqual(['Engineering', 'Marketing', 'Customer Support', 'People Ops', 'Talent', 'CTO', 'CE', 'Sales', 'Product', 'Other']);
    expect(LOOKER_TEAMS.filter((t) => !isListedTeam(t.id)).map((t) => t.id)).toEqual(['other']);
  });

  it('gives every team, listed or not, both the View group and the View role', () => {
    expect(accessFor('view', ids)).toEqual({ groupIds: ['10'], roleIds: ['2'] });
    for (const team of LOOKER_TEAMS) expect(routeOf({ ...own, team: team.id, level: 'view' }, connected)).toBe(team.listed ? 'grant_now' : 'needs_approval');
  });

  it('adds the elevated roles on top of View, never instead of it', () => {
    expect(accessFor('create_content', ids)).toEqual({ groupIds: ['10'], roleIds: ['2', '5'] });
    expect(accessFor('develop', ids)).toEqual({ groupIds: ['10'], roleIds: ['2', '6', '7'] });
    expect(elevatedRolesOf('develop', ids)).toEqual(['6', '7']);
    expect(elevatedRolesOf('view', ids)).toEqual([]);
    // A misconfiguration listing View as elevated must not make expiry take View away.
    expect(elevatedRolesOf('create_content', { ...ids, elevatedRoleIds: { create_content: ['2', '5'], develop: [] } })).toEqual(['5']);
    expect(isElevated('view')).toBe(false);
    expect(isElevated('create_content')).toBe(true);
  });

  it('grants View for a listed team at once only when Looker is connected', () => {
    expect(routeOf({ ...own, team: 'engineering', level: 'view' }, connected)).toBe('grant_now');
    expect(routeOf({ ...own, team: 'engineering', level: 'view' }, { ...connected, lookerConfigured: false })).toBe('needs_approval');
    expect(routeOf({ ...own, team: 'other', level: 'view' }, connected)).toBe('needs_approval');
    expect(routeOf({ ...own, team: 'engineering', level: 'develop' }, connected)).toBe('needs_approval');
  });

  it.each([
    ['the email of their own Slack profile', own, 'riley@example.com', 'grant_now'],
    ['their Slack email in other letter case', { ...own, email: 'Riley@Example.COM' }, 'riley@example.com', 'grant_now'],
    ['someone else\'s address', { ...own, email: 'ceo@example.com' }, 'riley@example.com', 'needs_approval'],
    ['an outside address', { ...own, email: 'riley@gmail.com' }, 'riley@example.com', 'needs_approval'],
    ['any address, when Slack has no email for them', own, null, 'needs_approval'],
    ['their own email, on behalf of a new joiner', { ...own, subjectId: 'U0NEW' }, 'riley@example.com', 'needs_approval'],
    ['the new joiner\'s email, on their behalf', { ...own, subjectId: 'U0NEW', email: 'new@example.com' }, 'riley@example.com', 'needs_approval'],
  ] as const)('View at once only with the requester\'s own Slack email: %s', (_what, request, slackEmail, route) => {
    expect(routeOf({ ...request, team: 'sales', level: 'view' }, { lookerConfigured: true, requesterSlackEmail: slackEmail })).toBe(route);
  });

  it('lets only a Looker admin decide, never the requester or the person getting access', () => {
    const base = { requesterId: 'U1', subjectId: 'U2' };
    expect(mayDecide({ ...base, deciderId: 'U3', deciderIsLookerAdmin: true })).toEqual({ ok: true });
    expect(mayDecide({ ...base, deciderId: 'U3', deciderIsLookerAdmin: false })).toEqual({ ok: false, reason: 'not_admin' });
    expect(mayDecide({ ...base, deciderId: 'U1', deciderIsLookerAdmin: true })).toEqual({ ok: false, reason: 'own_request' });
    expect(mayDecide({ ...base, deciderId: 'U2', deciderIsLookerAdmin: true })).toEqual({ ok: false, reason: 'own_request' });
    // A request "for someone else" naming the admin's own Looker email, in any case.
    expect(mayDecide({ ...base, deciderId: 'U3', deciderIsLookerAdmin: true, deciderEmail: 'alex@example.com', requestEmail: ' Alex@Example.COM' })).toEqual({ ok: false, reason: 'own_email' });
    expect(mayDecide({ ...base, deciderId: 'U3', deciderIsLookerAdmin: true, deciderEmail: 'alex@example.com', requestEmail: 'riley@example.com' })).toEqual({ ok: true });
    expect(mayDecide({ ...base, deciderId: 'U3', deciderIsLookerAdmin: true, deciderEmail: null, requestEmail: 'riley@example.com' })).toEqual({ ok: true });
  });
});

describe('Looker policy: validating the modal', () => {
  it('accepts View with no reason or duration, and defaults the subject to the requester', () => {
    const r = validateLookerAccess(input({ subjectId: null, email: '  riley@example.com ' }));
    expect(r).toEqual({ ok: true, request: { requesterId: 'U0REGULAR', subjectId: 'U0REGULAR', email: 'riley@example.com', team: 'engineering', level: 'view', reason: null, durationDays: null } });
  });

  it('accepts elevated access with a reason and 1 to 90 days', () => {
    for (const d of ['1', '30', '90']) {
      const r = validateLookerAccess(input({ level: 'develop', reason: 'LookML for the sales board', duration: d }));
      expect(r.ok && r.request.durationDays).toBe(Number(d));
    }
  });

  it.each([
    [{ email: '' }, 'email', 'Enter'],
    [{ email: 'not-an-email' }, 'email', 'not a valid email'],
    [{ email: 'a@b' }, 'email', 'not a valid email'],
    [{ email: 'two words@example.com' }, 'email', 'not a valid email'],
    [{ email: `${'x'.repeat(250)}@example.com` }, 'email', 'not a valid email'],
    [{ email: '<mailto:a@b.com|a@b.com>' }, 'email', 'not a valid email'],
    [{ team: null }, 'team', 'Pick a team'],
    [{ team: 'finance' }, 'team', 'Pick a team'],
    [{ level: 'admin' }, 'level', 'Pick View'],
    [{ level: 'develop', reason: '   ', duration: '10' }, 'reason', 'reason is required'],
    [{ level: 'create_content', reason: 'x'.repeat(1001), duration: '10' }, 'reason', '1,000 characters'],
    [{ level: 'develop', reason: 'why', duration: null }, 'duration', 'How many days'],
    [{ level: 'develop', reason: 'why', duration: '0' }, 'duration', 'out of range'],
    [{ level: 'develop', reason: 'why', duration: '91' }, 'duration', 'out of range'],
    [{ level: 'develop', reason: 'why', duration: '-3' }, 'duration', 'out of range'],
    [{ level: 'develop', reason: 'why', duration: '2.5' }, 'duration', 'whole number'],
    [{ level: 'develop', reason: 'why', duration: '1e2' }, 'duration', 'whole number'],
    [{ subjectId: 'not a user' }, 'subject', 'Pick a person'],
  ] as const)('%j is refused on %s', (over, field, message) => {
    const r = validateLookerAccess(input(over as Partial<LookerAccessInput>));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[field]).toContain(message);
  });

  it('reports every problem at once', () => {
    const r = validateLookerAccess(input({ email: 'nope', team: null, level: 'develop', reason: '', duration: '500' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['duration', 'email', 'reason', 'team']);
  });

  it("refuses the requester's own email for someone else", () => {
    const r = validateLookerAccess(input({ subjectId: 'U0OTHER', email: 'Riley@Example.com' }), { requesterEmail: 'riley@example.com' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.email).toContain('That is your email');
    expect(validateLookerAccess(input({ email: 'riley@example.com' }), { requesterEmail: 'riley@example.com' }).ok).toBe(true);
  });

  it('ignores duration and reason for View', () => {
    const r = validateLookerAccess(input({ reason: 'curious', duration: '500' }));
    expect(r.ok && r.request).toMatchObject({ level: 'view', reason: 'curious', durationDays: null });
  });
});

describe('Looker policy: roles and expiry', () => {
  it('merges roles, since set-roles replaces the list', () => {
    expect(mergedRoles(['3', '2'], ['2', '5'])).toEqual({ roleIds: ['3', '2', '5'], added: ['5'] });
    expect(mergedRoles([], ['2', '2'])).toEqual({ roleIds: ['2'], added: ['2'] });
    expect(mergedRoles(['2'], ['2'])).toEqual({ roleIds: ['2'], added: [] });
  });

  it('takes back only the given roles, keeping the rest', () => {
    expect(rolesWithout(['3', '2', '5', '6'], ['5', '6', '9'])).toEqual({ roleIds: ['3', '2'], removed: ['5', '6'] });
    expect(rolesWithout(['2'], ['5'])).toEqual({ roleIds: ['2'], removed: [] });
  });

  it('expires after the duration and reminds in the last day only', () => {
    const approved = new Date('2026-11-01T10:00:00Z');
    const expires = expiryOf(approved, 7);
    expect(expires.toISOString()).toBe('2026-11-08T10:00:00.000Z');
    expect(reminderDue(new Date('2026-11-07T09:59:59Z'), expires)).toBe(false);
    expect(reminderDue(new Date('2026-11-07T10:00:00Z'), expires)).toBe(true);
    expect(reminderDue(new Date('2026-11-08T10:00:00Z'), expires)).toBe(false);
    expect(isExpired(new Date('2026-11-08T09:59:59Z'), expires)).toBe(false);
    expect(isExpired(new Date('2026-11-08T10:00:00Z'), expires)).toBe(true);
  });

  it('at expiry takes back what the first of overlapping grants added, except what a live request still grants', () => {
    // A renewal is live: nothing goes, Develop's roles are kept for it.
    expect(rolesToRevoke({ levelRoleIds: ['6', '7'], baselineRoleIds: ['3'], stillGrantedRoleIds: ['2', '6', '7'] })).toEqual({ remove: [], kept: ['6', '7'] });
    // The last one ends: everything the first one added goes, the baseline stays.
    expect(rolesToRevoke({ levelRoleIds: ['6', '7'], baselineRoleIds: ['3'], stillGrantedRoleIds: [] })).toEqual({ remove: ['6', '7'], kept: [] });
    // Create content still live: only Develop's other role goes; a role the user had before stays.
    expect(rolesToRevoke({ levelRoleIds: ['5', '6', '7'], baselineRoleIds: ['6'], stillGrantedRoleIds: ['2', '5'] })).toEqual({ remove: ['7'], kept: ['5'] });
    expect(commonRoles([['2', '3', '6', '7'], ['3', '2'], ['2', '3', '9']])).toEqual(['2', '3']);
    expect(commonRoles([])).toEqual([]);
  });

  it('reminds a day before the end only when the access lasts more than a day', () => {
    expect(remindsBeforeEnd(1)).toBe(false);
    expect(remindsBeforeEnd(2)).toBe(true);
    expect(remindsBeforeEnd(null)).toBe(false);
  });
});
