/**
 * Looker access rules (src/domain/looker-policy.ts) at their boundaries: what
 * the modal accepts on each side of every limit, the exact message a person
 * reads under each field, and the role arithmetic of grants and expiry.
 * test/looker-policy.test.ts states the handbook's rules; this file pins the edges.
 */
import { describe, expect, it } from 'vitest';
import {
  LOOKER_LEVELS,
  LOOKER_TEAMS,
  MAX_DURATION_DAYS,
  MAX_EMAIL_LENGTH,
  MAX_REASON_LENGTH,
  MIN_DURATION_DAYS,
  accessFor,
  approvalReasons,
  commonRoles,
  elevatedRolesOf,
  isListedTeam,
  isLookerLevel,
  isLookerTeam,
  levelLabel,
  mergedRoles,
  reminderDue,
  rolesWithout,
  routeOf,
  sameEmail,
  teamLabel,
  validateLookerAccess,
  type LookerAccessInput,
  type LookerLevel,
  type LookerTeam,
} from '../../src/domain/looker-policy.js';

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
const elevated = (over: Partial<LookerAccessInput> = {}) => input({ level: 'develop', reason: 'LookML for the sales board', duration: '30', ...over });

/** The field errors of a refused input (fails the test if it was accepted). */
function errorsOf(i: LookerAccessInput, context?: { requesterEmail?: string | null }) {
  const r = validateLookerAccess(i, context);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.request)}`);
  return r.errors;
}
function accepted(i: LookerAccessInput, context?: { requesterEmail?: string | null }) {
  const r = validateLookerAccess(i, context);
  if (!r.ok) throw new Error(`expected it accepted, got ${JSON.stringify(r.errors)}`);
  return r.request;
}

const HIDDEN_IN_EMAIL = 'That email holds characters that do not show (a direction mark, a control character): type it in rather than paste it.';

describe('the limits', () => {
  it('are 1 to 90 days, 1000 characters of reason, 254 of email', () => {
    expect([MIN_DURATION_DAYS, MAX_DURATION_DAYS, MAX_REASON_LENGTH, MAX_EMAIL_LENGTH]).toEqual([1, 90, 1000, 254]);
  });
});

describe('who the access is for', () => {
  it.each([
    ['U0OTHER', 'U0OTHER'],
    ['W012', 'W012'],
    ['U12', 'U12'],
    ['  U0OTHER  ', 'U0OTHER'],
    [null, 'U0REGULAR'],
    ['', 'U0REGULAR'],
    ['   ', 'U0REGULAR'],
  ])('subject %j → %s', (subjectId, subject) => {
    expect(accepted(input({ subjectId })).subjectId).toBe(subject);
  });

  it.each(['U1', 'u0other', 'B0BOT', 'XU0OTHER', 'U0OTHER!', 'U0 OTHER', '<@U0OTHER>'])('subject %j is refused', (subjectId) => {
    expect(errorsOf(input({ subjectId }))).toEqual({ subject: 'Pick a person from your workspace.' });
  });
});

describe('the email', () => {
  const at = '@example.com';

  it.each([
    'riley@example.com',
    'riley.o+looker@mail.example.co',
    `${'x'.repeat(MAX_EMAIL_LENGTH - at.length)}${at}`,
    '  riley@example.com  ',
  ])('%j is accepted (trimmed)', (email) => {
    expect(accepted(input({ email })).email).toBe(email.trim());
  });

  it.each([
    [null, 'Enter the Looker email address.'],
    ['   ', 'Enter the Looker email address.'],
    [`${'x'.repeat(MAX_EMAIL_LENGTH - at.length + 1)}${at}`, 'This is not a valid email address (e.g. name@example.com).'],
    ['a@b.c', 'This is not a valid email address (e.g. name@example.com).'],
    ['a@b.c0m', 'This is not a valid email address (e.g. name@example.com).'],
    ['a@@b.com', 'This is not a valid email address (e.g. name@example.com).'],
    ['@b.com', 'This is not a valid email address (e.g. name@example.com).'],
    ['riley@example.com, alex@example.com', 'This is not a valid email address (e.g. name@example.com).'],
    ['riley@example.com>', 'This is not a valid email address (e.g. name@example.com).'],
    ['"riley"@example.com', 'This is not a valid email address (e.g. name@example.com).'],
    // Shown as riley@example.com (a right-to-left override), or with what does not show: the admins would read another address.
    ['riley@\u202Emoc.elpmaxe', HIDDEN_IN_EMAIL],
    ['ri\u0007ley@ex\u001Bample.com', HIDDEN_IN_EMAIL],
    ['riley\u0000@example.com', HIDDEN_IN_EMAIL],
    ['riley\u200B@example.com', HIDDEN_IN_EMAIL],
    ['riley@example.com\u2066', HIDDEN_IN_EMAIL],
  ])('%j: %s', (email, message) => {
    expect(errorsOf(input({ email }))).toEqual({ email: message });
  });

  it("refuses the requester's own email, in any case, only when asking for someone else", () => {
    const forOther = input({ subjectId: 'U0OTHER', email: 'RILEY@example.com' });
    expect(errorsOf(forOther, { requesterEmail: 'riley@EXAMPLE.com' })).toEqual({ email: 'That is your email; enter the email of the person who needs access.' });
    expect(accepted(forOther, { requesterEmail: 'someone@example.com' }).email).toBe('RILEY@example.com');
    expect(accepted(forOther, { requesterEmail: null }).email).toBe('RILEY@example.com');
    expect(accepted(forOther).email).toBe('RILEY@example.com');
    expect(accepted(input({ subjectId: null, email: 'riley@example.com' }), { requesterEmail: 'riley@example.com' }).email).toBe('riley@example.com');
  });
});

describe('team and level', () => {
  it.each(LOOKER_TEAMS.map((t) => t.id))('team %s is accepted', (team) => {
    expect(accepted(input({ team })).team).toBe(team);
  });

  it.each([null, '', 'finance', 'Engineering'])('team %j is refused', (team) => {
    expect(errorsOf(input({ team }))).toEqual({ team: 'Pick a team (Other if yours is not listed).' });
  });

  it.each([
    [null, 'view'],
    ['', 'view'],
    ['view', 'view'],
  ])('level %j → %s', (level, result) => {
    expect(accepted(input({ level })).level).toBe(result);
  });

  it.each(['admin', 'View', 'DEVELOP'])('level %j is refused', (level) => {
    expect(errorsOf(input({ level }))).toEqual({ level: 'Pick View, Create content or Develop.' });
  });

  it('knows the ids, and labels them as the modal does', () => {
    expect(LOOKER_TEAMS.map((t) => [t.id, teamLabel(t.id)])).toEqual([
      ['engineering', 'Engineering'], ['marketing', 'Marketing'], ['customer_support', 'Customer Support'], ['people_ops', 'People Ops'], ['talent', 'Talent'],
      ['cto', 'CTO'], ['ce', 'CE'], ['sales', 'Sales'], ['product', 'Product'], ['other', 'Other'],
    ]);
    expect(LOOKER_LEVELS.map((l) => [l.id, levelLabel(l.id)])).toEqual([['view', 'View'], ['create_content', 'Create content'], ['develop', 'Develop']]);
    for (const l of LOOKER_LEVELS) expect(l.description.length).toBeGreaterThan(10);
    expect(isLookerTeam('cto')).toBe(true);
    expect(isLookerTeam('ceo')).toBe(false);
    expect(isLookerTeam(undefined)).toBe(false);
    expect(isLookerLevel('create_content')).toBe(true);
    expect(isLookerLevel('create')).toBe(false);
  });

  it('shows an id it does not know as it is, and never treats it as listed', () => {
    expect(teamLabel('finance' as LookerTeam)).toBe('finance');
    expect(levelLabel('admin' as LookerLevel)).toBe('admin');
    expect(isListedTeam('finance' as LookerTeam)).toBe(false);
    expect(routeOf({ team: 'finance' as LookerTeam, level: 'view', requesterId: 'U1', subjectId: 'U1', email: 'a@example.com' }, { lookerConfigured: true, requesterSlackEmail: 'a@example.com' })).toBe('needs_approval');
  });
});

describe('why a request waits for an admin', () => {
  const own = { team: 'engineering' as LookerTeam, level: 'view' as LookerLevel, requesterId: 'U1', subjectId: 'U1', email: 'A@example.com' };
  const connected = { lookerConfigured: true, requesterSlackEmail: 'a@example.com' };
  it.each([
    ['View for oneself, own Slack email (any case), listed team, Looker connected', own, connected, []],
    ['elevated', { ...own, level: 'develop' as LookerLevel }, connected, ['elevated']],
    ['an unlisted team', { ...own, team: 'other' as LookerTeam }, connected, ['unlisted_team']],
    ['Looker not connected', own, { ...connected, lookerConfigured: false }, ['looker_not_connected']],
    ['another address', { ...own, email: 'a.personal@gmail.com' }, connected, ['unvouched_email']],
    ['no Slack email to compare', own, { ...connected, requesterSlackEmail: null }, ['unvouched_email']],
    ['on someone else\'s behalf (their email is not compared with the requester\'s)', { ...own, subjectId: 'U2', email: 'b@example.com' }, connected, ['on_behalf']],
    ['all of them, in order', { ...own, level: 'admin' as LookerLevel, team: 'other' as LookerTeam, subjectId: 'U2' }, { ...connected, lookerConfigured: false }, ['elevated', 'unlisted_team', 'looker_not_connected', 'on_behalf']],
  ] as const)('%s: %j', (_what, request, options, reasons) => {
    expect(approvalReasons(request, options)).toEqual(reasons);
    expect(routeOf(request, options)).toBe(reasons.length ? 'needs_approval' : 'grant_now');
  });
});

describe('reason and duration of elevated access', () => {
  it.each([
    ['1', 1],
    ['90', 90],
    [' 45 ', 45],
    ['0090', 90],
  ])('duration %j → %i days', (duration, days) => {
    expect(accepted(elevated({ duration })).durationDays).toBe(days);
  });

  it.each([
    [null, 'How many days (1 to 90)?'],
    ['  ', 'How many days (1 to 90)?'],
    ['0', 'Elevated access lasts 1 to 90 days; 0 is out of range.'],
    ['91', 'Elevated access lasts 1 to 90 days; 91 is out of range.'],
    ['9999', 'Elevated access lasts 1 to 90 days; 9999 is out of range.'],
    ['00030', 'Enter a whole number of days from 1 to 90.'],
    ['30 days', 'Enter a whole number of days from 1 to 90.'],
    ['x30', 'Enter a whole number of days from 1 to 90.'],
    ['-3', 'Elevated access lasts 1 to 90 days; -3 is out of range.'],
    ['-5', 'Elevated access lasts 1 to 90 days; -5 is out of range.'],
    ['-9999', 'Elevated access lasts 1 to 90 days; -9999 is out of range.'],
    ['--5', 'Enter a whole number of days from 1 to 90.'],
    ['-', 'Enter a whole number of days from 1 to 90.'],
    ['5-', 'Enter a whole number of days from 1 to 90.'],
    ['-5.5', 'Enter a whole number of days from 1 to 90.'],
  ])('duration %j: %s', (duration, message) => {
    expect(errorsOf(elevated({ duration }))).toEqual({ duration: message });
  });

  it.each([
    ['create_content', null, 'A reason is required for Create content access.'],
    ['develop', '   ', 'A reason is required for Develop access.'],
    ['develop', 'x'.repeat(MAX_REASON_LENGTH + 1), 'Keep the reason to 1,000 characters (an emoji counts as two or more); it has 1,001.'],
  ])('%s with reason %j: %s', (level, reason, message) => {
    expect(errorsOf(elevated({ level, reason }))).toEqual({ reason: message });
  });

  it('takes a reason of exactly 1000 characters, trimmed', () => {
    expect(accepted(elevated({ reason: ` ${'x'.repeat(MAX_REASON_LENGTH)} ` })).reason).toBe('x'.repeat(MAX_REASON_LENGTH));
  });

  it('keeps both the reason and the duration of an elevated request', () => {
    expect(accepted(elevated({ level: 'create_content', reason: ' dashboards ', duration: '14' }))).toEqual({
      requesterId: 'U0REGULAR', subjectId: 'U0REGULAR', email: 'riley@example.com', team: 'engineering', level: 'create_content', reason: 'dashboards', durationDays: 14,
    });
  });

  it('for View: no duration, an optional reason, still at most 1000 characters', () => {
    expect(accepted(input({ reason: 'x'.repeat(MAX_REASON_LENGTH), duration: 'whenever' }))).toMatchObject({ reason: 'x'.repeat(MAX_REASON_LENGTH), durationDays: null });
    expect(accepted(input({ reason: '   ' })).reason).toBeNull();
    expect(errorsOf(input({ reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }))).toEqual({ reason: 'Keep the reason to 1,000 characters (an emoji counts as two or more); it has 1,001.' });
  });

  it('checks reason and duration only for a level it knows', () => {
    expect(errorsOf(input({ level: 'admin', reason: null, duration: null }))).toEqual({ level: 'Pick View, Create content or Develop.' });
  });
});

describe('roles', () => {
  const ids = { viewGroupId: '10', viewRoleId: '2', elevatedRoleIds: { create_content: ['5', '5'], develop: ['2', '6', '7', '6'] } };

  it('grants each role once, View first', () => {
    expect(accessFor('create_content', ids)).toEqual({ groupIds: ['10'], roleIds: ['2', '5'] });
    expect(accessFor('develop', ids)).toEqual({ groupIds: ['10'], roleIds: ['2', '6', '7'] });
    expect(elevatedRolesOf('create_content', ids)).toEqual(['5']);
    expect(elevatedRolesOf('develop', ids)).toEqual(['6', '7']);
  });

  it('merges and removes without duplicates, keeping the current order', () => {
    expect(mergedRoles(['3', '3', '2'], ['5', '3', '5'])).toEqual({ roleIds: ['3', '2', '5'], added: ['5'] });
    expect(rolesWithout(['3', '5', '3', '5', '2'], ['5'])).toEqual({ roleIds: ['3', '2'], removed: ['5'] });
  });
});

describe('the expiry reminder', () => {
  const expires = new Date('2026-11-08T10:00:00Z');

  it.each([
    ['2026-11-07T09:59:59.999Z', false],
    ['2026-11-07T10:00:00.000Z', true],
    ['2026-11-08T09:59:59.999Z', true],
    ['2026-11-08T10:00:00.000Z', false],
  ])('at %s is due: %s', (now, due) => {
    expect(reminderDue(new Date(now), expires)).toBe(due);
  });
});

describe('shared roles and email comparison', () => {
  it('keeps only the roles in every list; no lists, no roles', () => {
    expect(commonRoles([])).toEqual([]);
    expect(commonRoles([['2', '6', '7'], ['2', '6'], ['6', '7']])).toEqual(['6']);
    expect(commonRoles([['2', '6'], ['7']])).toEqual([]);
  });

  it('compares emails without case or surrounding blanks, on both sides', () => {
    expect(sameEmail(' Alex@Example.com ', 'alex@example.com')).toBe(true);
    expect(sameEmail('alex@example.com', ' ALEX@example.com')).toBe(true);
    expect(sameEmail('alex@example.com', 'alex@example.org')).toBe(false);
  });
});
