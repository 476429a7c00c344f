/**
 * Looker access views (pure) and configuration.
 */
import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { loadConfig, secretsOf } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import type { LookerAccessRequest } from '../src/services/looker-access.js';
import {
  lookerAccessModal,
  lookerAlreadyDecidedMessage,
  lookerDecisionConfirmation,
  lookerExpiredThreadMessage,
  lookerRefusalMessage,
  lookerRequestCard,
} from '../views/looker-access.js';
import { blockKitViolations } from './support/block-limits.js';

const base: LookerAccessRequest = {
  id: 'la_abc123def456',
  requesterId: 'U0REGULAR',
  subjectId: 'U0REGULAR',
  email: 'riley@example.com',
  team: 'engineering',
  level: 'develop',
  reason: 'LookML for the usage explore',
  durationDays: 14,
  status: 'pending',
  route: 'needs_approval',
  viewId: 'V1',
  createdAt: '2026-11-28T10:00:00.000Z',
  channel: 'C0ANALYTIC',
  ts: '1.000100',
  decidedBy: null,
  decidedAt: null,
  grant: null,
  grantError: null,
  expiresAt: null,
  reminderSentAt: null,
  expiredAt: null,
  revokedRoleIds: null,
  revokeError: null,
};
const options = { adminsUsergroup: 'S0LOOKERADM', lookerConnected: true, lookerUrl: 'https://looker.example.com' };
const json = (v: unknown) => JSON.stringify(v);

describe('Looker access views', () => {
  it('builds the modal with every input named by the shared IDs, within limits', () => {
    const modal = lookerAccessModal({ requesterId: 'U1', requesterEmail: 'a@example.com', subjectId: 'U1', email: 'a@example.com', level: 'develop', lookerConnected: true });
    expect(modal.callback_id).toBe(CallbackIds.lookerAccess);
    expect(JSON.parse(modal.private_metadata!)).toEqual({ requesterId: 'U1', requesterEmail: 'a@example.com' });
    const ids = (modal.blocks as Array<{ block_id?: string; element?: { action_id?: string } }>).filter((b) => b.element).map((b) => [b.block_id, b.element!.action_id]);
    expect(ids).toEqual([
      [BlockIds.lookerAccessSubject, ActionIds.lookerAccessSubject],
      [BlockIds.lookerAccessEmail, ActionIds.lookerAccessEmail],
      [BlockIds.lookerAccessTeam, ActionIds.lookerAccessTeam],
      [BlockIds.lookerAccessLevel, ActionIds.lookerAccessLevel],
      [BlockIds.lookerAccessReason, ActionIds.lookerAccessReason],
      [BlockIds.lookerAccessDuration, ActionIds.lookerAccessDuration],
    ]);
    expect(blockKitViolations(modal.blocks as KnownBlock[], 'modal')).toEqual([]);
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
    // No email known: no initial value rather than an empty one (Slack rejects "").
    expect(json(lookerAccessModal({ requesterId: 'U1', requesterEmail: null, subjectId: 'U1', email: null, lookerConnected: true }))).not.toContain('initial_value');
  });

  it('says once that Looker is not connected on a pending card, then what approving does', () => {
    const card = json(lookerRequestCard(base, { ...options, lookerConnected: false }));
    expect(card.match(/Looker is not connected/g)).toHaveLength(1);
    expect(card).toContain('Looker is not connected to the bot). Approving records it, and you grant it by hand.');
    expect(json(lookerRequestCard(base, options))).not.toContain('not connected');
  });

  it('shows Approve and Deny only while pending, carrying the request ID in the value', () => {
    const pending = lookerRequestCard(base, options);
    const buttons = (pending.blocks.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> }).elements;
    expect(buttons.map((b) => [b.action_id, b.value])).toEqual([[ActionIds.lookerAccessApprove, base.id], [ActionIds.lookerAccessDeny, base.id]]);
    expect(blockKitViolations(pending.blocks)).toEqual([]);
    for (const status of ['approved', 'denied', 'expired'] as const) {
      const card = lookerRequestCard({ ...base, status, decidedBy: 'U0ADMIN', decidedAt: '2026-11-28T11:00:00.000Z', expiredAt: '2026-12-12T11:00:00.000Z' }, options);
      expect(card.blocks.some((b) => b.type === 'actions')).toBe(false);
      expect(json(card)).toContain('<@U0ADMIN>');
      expect(json(card)).toContain(`<!date^${Date.parse('2026-11-28T11:00:00Z') / 1000}^`);
    }
  });

  it('escapes what people typed: no mentions or links from a reason or an email', () => {
    const card = lookerRequestCard({ ...base, reason: '<!channel> see <https://evil.example|here> & more', email: 'x<@U1>@example.com' }, options);
    const text = json(card);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<https://evil');
    expect(text).not.toContain('x<@U1>');
  });

  it('keeps a very long reason inside the section limit', () => {
    const card = lookerRequestCard({ ...base, reason: 'r'.repeat(5000) }, options);
    expect(blockKitViolations(card.blocks)).toEqual([]);
  });

  it('tells the admin what to grant by hand when Looker is not connected or failed', () => {
    const manual = { ...base, status: 'approved' as const, decidedBy: 'U0ADMIN', decidedAt: base.createdAt, grant: { mode: 'manual' as const, at: base.createdAt, lookerUserId: null, createdUser: false, addedGroupIds: [], addedRoleIds: [] } };
    expect(lookerDecisionConfirmation(manual).text).toContain('grant it by hand');
    expect(lookerDecisionConfirmation(manual).text).toContain('the Develop role');
    const failed = { ...manual, grant: null, grantError: 'Looker PUT /users/1/roles answered 500', expiresAt: '2026-12-08T00:00:00.000Z' };
    expect(lookerDecisionConfirmation(failed).text).toContain('answered 500');
    // The same way out as the card gives: Retry grant, or by hand.
    expect(lookerDecisionConfirmation(failed).text).toContain('Fix the cause and click *Retry grant* on the request, or grant it by hand.');
    // Nothing was granted, so nothing ends yet; once granted, the card says when it ends.
    expect(JSON.stringify(lookerRequestCard(failed, options).blocks)).not.toContain('ends');
    expect(JSON.stringify(lookerRequestCard({ ...failed, grantError: null, grant: manual.grant }, options).blocks)).toContain('Develop ends');
    expect(lookerExpiredThreadMessage({ ...manual, status: 'expired' }, { manual: true, adminsUsergroup: 'S0LOOKERADM' }).text).toContain('by hand');
  });

  it('explains refusals and earlier decisions', () => {
    expect(lookerRefusalMessage('not_admin', 'S0LOOKERADM').text).toContain('<!subteam^S0LOOKERADM>');
    expect(lookerRefusalMessage('own_request', null).text).toContain('Another Looker admin');
    expect(lookerAlreadyDecidedMessage({ ...base, status: 'denied', decidedBy: 'U0ADMIN', decidedAt: base.createdAt }).text).toContain('already denied by <@U0ADMIN>');
    expect(lookerAlreadyDecidedMessage({ ...base, status: 'denied', decidedBy: 'U0ADMIN', decidedAt: base.createdAt }, 'U0OTHER').text).toContain('already denied by <@U0ADMIN>');
    expect(lookerAlreadyDecidedMessage({ ...base, status: 'approved', decidedBy: 'U0ADMIN', decidedAt: base.createdAt }, 'U0ADMIN').text).toContain('already approved by you (');
    // A record without a decider (an older one) is never "by you" to a caller that names no viewer.
    expect(lookerAlreadyDecidedMessage({ ...base, status: 'approved', decidedBy: undefined as unknown as null, decidedAt: base.createdAt }).text).not.toContain('by you');
    expect(lookerAlreadyDecidedMessage({ ...base, status: 'expired', expiredAt: base.createdAt }).text).toContain('already expired');
  });
});

describe('Looker configuration', () => {
  const looker = {
    LOOKER_BASE_URL: 'https://looker.example.com/',
    LOOKER_CLIENT_ID: 'id',
    LOOKER_CLIENT_SECRET: 'the-client-secret',
    LOOKER_VIEW_GROUP_ID: '10',
    LOOKER_VIEW_ROLE_ID: '2',
    LOOKER_CREATE_CONTENT_ROLE_IDS: '5',
    LOOKER_DEVELOP_ROLE_IDS: '6, 7',
  };

  it('is off without LOOKER_BASE_URL, and complete with it', () => {
    expect(loadConfig({}).looker).toBeUndefined();
    const config = loadConfig(looker);
    expect(config.looker).toEqual({
      baseUrl: 'https://looker.example.com',
      clientId: 'id',
      clientSecret: 'the-client-secret',
      viewGroupId: '10',
      viewRoleId: '2',
      elevatedRoleIds: { create_content: ['5'], develop: ['6', '7'] },
    });
    expect(secretsOf(config)).toContain('the-client-secret');
  });

  it.each([
    [{ LOOKER_CLIENT_ID: 'id' }, 'LOOKER_BASE_URL'],
    [{ ...looker, LOOKER_CLIENT_SECRET: '' }, 'LOOKER_CLIENT_SECRET'],
    [{ ...looker, LOOKER_VIEW_ROLE_ID: undefined }, 'LOOKER_VIEW_ROLE_ID'],
    [{ ...looker, LOOKER_VIEW_GROUP_ID: 'ten groups' }, 'LOOKER_VIEW_GROUP_ID'],
    [{ ...looker, LOOKER_DEVELOP_ROLE_IDS: ',' }, 'LOOKER_DEVELOP_ROLE_IDS'],
    [{ ...looker, LOOKER_BASE_URL: 'looker.example.com' }, 'LOOKER_BASE_URL'],
    [{ LOOKER_SWEEP_INTERVAL_MS: '10' }, 'LOOKER_SWEEP_INTERVAL_MS'],
  ])('%j stops start-up naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env as Record<string, string | undefined>);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).not.toContain('the-client-secret');
  });
});
