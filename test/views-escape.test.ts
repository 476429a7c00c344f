/**
 * Text people type (a reason, objects, a decline) is escaped for mrkdwn and
 * then cut to fit: cut first, and `&`, `<`, `>` (five characters once escaped)
 * push a section past Slack's 3,000 characters, and Slack refuses the card.
 */
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { escapeAndTruncate, truncateMrkdwn } from '../views/common.js';
import { lookerRequestCard, lookerDecisionConfirmation } from '../views/looker-access.js';
import { pipelineRequestCard, pipelineRequestConfirmModal, pipelineRequestDecisionDm } from '../views/pipeline-request.js';
import { MAX_REASON_LENGTH } from '../src/domain/looker-policy.js';
import { PIPELINE_REQUEST_LIMITS, type PipelineRequest, type PipelineRequestDraft } from '../src/services/pipeline-request.js';
import type { LookerAccessRequest } from '../src/services/looker-access.js';
import { blockKitViolations } from './support/block-limits.js';
import { SLACK_LIMITS } from '../src/blockkit/limits.js';
import type { SavedQuery } from '../src/catalog/catalog.js';
import type { Subscription } from '../src/services/subscriptions.js';
import { homeSubscriptionBlocks, subscriptionFailedDm, subscriptionManageMessage, subscriptionModal, subscriptionsListMessage } from '../views/subscriptions.js';
import type { MessageBody } from '../views/common.js';
import { parseMrkdwn, mrkdwnPlainText, type MrkdwnNode } from '../src/blockkit/mrkdwn.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { telemetryLookingUpMessage, telemetryNoMatchMessage, telemetryPickerMessage } from '../views/telemetry.js';
import { queryEmptyMessage, queryListMessage, queryUnknownMessage } from '../views/query.js';
import { unknownSourceMessage } from '../views/freshness.js';
import { analyticsUsageMessage } from '../views/audit.js';
import { parseAuditCount } from '../src/services/audit.js';
import type { Source } from '../src/sources/catalog.js';
import type { QueryOutput } from '../src/services/query.js';

/** Every `&` starts a whole entity, and every `<` a whole token. */
function noHalfEntity(json: string): void {
  const texts = [...json.matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  for (const t of texts) {
    expect(t.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    expect(t.replace(/<[^<>]*>/g, '')).not.toContain('<');
  }
}

describe('escapeAndTruncate and truncateMrkdwn', () => {
  it('escape first, then cut to the limit', () => {
    const out = escapeAndTruncate('&'.repeat(1000), 2500);
    expect(out.length).toBeLessThanOrEqual(2500);
    expect(out).toMatch(/^(&amp;)+…$/);
    expect(escapeAndTruncate('a < b', 100)).toBe('a &lt; b');
  });

  it('never cut an entity, a <…> token or a surrogate pair in half', () => {
    expect(escapeAndTruncate('&&', 8)).toBe('&amp;…');
    expect(truncateMrkdwn('see <@U0REGULAR> now', 10)).toBe('see …');
    expect(truncateMrkdwn(`ok ${'😀'.repeat(5)}`, 6)).toBe('ok 😀…');
  });
});

const worst = (n: number) => '&<>'.repeat(Math.ceil(n / 3)).slice(0, n);

describe('cards with the longest text people can type, all of it & < >', () => {
  const looker: LookerAccessRequest = {
    id: 'la_abc123def456', requesterId: 'U0REGULAR', subjectId: 'U0REGULAR', email: 'riley@example.com', team: 'engineering', level: 'develop',
    reason: worst(MAX_REASON_LENGTH), durationDays: 14, status: 'pending', route: 'needs_approval', viewId: 'V1', createdAt: '2026-11-28T10:00:00.000Z',
    channel: 'C0ANALYTIC', ts: '1.000100', decidedBy: null, decidedAt: null, grant: null, grantError: worst(2000), expiresAt: null, reminderSentAt: null,
  } as LookerAccessRequest;

  it('the Looker access card and the decision stay within Slack limits', () => {
    for (const status of ['pending', 'approved', 'denied'] as const) {
      const card = lookerRequestCard({ ...looker, status }, { adminsUsergroup: 'S0LOOKERADM', lookerConnected: true, lookerUrl: 'https://looker.example.com' });
      expect(blockKitViolations(card.blocks)).toEqual([]);
      // Cards are edited in place: chat.update refuses a text over 4,000 characters.
      expect(card.text.length).toBeLessThanOrEqual(SLACK_LIMITS.updateText);
      noHalfEntity(JSON.stringify(card.blocks));
    }
    const decided = lookerDecisionConfirmation({ ...looker, status: 'approved', decidedBy: 'U0ADMIN' });
    expect(blockKitViolations(decided.blocks)).toEqual([]);
  });

  const draft: PipelineRequestDraft = {
    source: 'hubspot', objects: worst(PIPELINE_REQUEST_LIMITS.objects), destination: 'hubspot_deals', frequency: 'daily', owner: 'U0BIZOPS', why: worst(PIPELINE_REQUEST_LIMITS.why),
  };
  const request = (status: PipelineRequest['status']): PipelineRequest => ({
    ...draft, id: 'pr_V0123ABC', requester: 'U0REGULAR', status, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', alreadySyncing: [],
    ...(status !== 'open' ? { acceptedBy: 'U0BIZOPS', acceptedAt: '2026-01-02T00:00:00.000Z' } : {}),
    ...(status === 'declined' ? { declinedBy: 'U0BIZOPS', declinedAt: '2026-01-03T00:00:00.000Z', declineReason: worst(PIPELINE_REQUEST_LIMITS.declineReason) } : {}),
  });

  it.each(['open', 'accepted', 'declined'] as const)('the %s pipeline request card and its DM stay within Slack limits', (status) => {
    const card = pipelineRequestCard(request(status));
    expect(blockKitViolations(card.blocks)).toEqual([]);
    expect(card.text.length).toBeLessThanOrEqual(SLACK_LIMITS.updateText);
    noHalfEntity(JSON.stringify(card.blocks));
    const dm = pipelineRequestDecisionDm(request(status));
    expect(blockKitViolations(dm.blocks)).toEqual([]);
    noHalfEntity(JSON.stringify(dm.blocks));
  });

  it('the confirm step of the pipeline request modal stays within Slack limits', () => {
    const confirm = pipelineRequestConfirmModal(draft, [], JSON.stringify({ ok: 1 }));
    expect(blockKitViolations(confirm.blocks as KnownBlock[], 'modal')).toEqual([]);
    noHalfEntity(JSON.stringify(confirm.blocks));
  });
});

describe('scheduled deliveries and alerts with the longest text they can carry, all of it & < >', () => {
  // The catalog allows a 100-character title and a 500-character description; reasons and run messages are ours, of any length.
  const query: SavedQuery = {
    name: 'weekly-active-instances', title: worst(100), description: worst(500), owner: 'data', params: [],
    display: { type: 'line', x: 'week', y: ['instances'], series: undefined, xLabel: undefined, yLabel: undefined },
    ttlMs: 60_000, sql: 'SELECT 1', duckdbSql: undefined, tables: [], version: 'v1', file: 'weekly-active-instances.sql',
  };
  const at = Date.parse('2026-12-01T14:00:00Z');
  const sub = (kind: Subscription['kind'], status: Subscription['status']): Subscription => ({
    id: 'sub_abc123', kind, owner: 'U0REGULAR', query: query.name, params: {}, target: { kind: 'channel', channel: 'C0ANALYTIC' },
    schedule: { kind: 'cron', cron: '0 9 * * 1', tz: 'America/New_York' }, format: 'chart',
    condition: kind === 'alert' ? { column: 'instances', op: 'above', value: 1000 } : null, alertState: 'ok', firedAt: null, firedMessage: null,
    status, pausedReason: status === 'paused' ? worst(2000) : null, nextRunAt: status === 'active' ? at + 86_400_000 : null,
    lastRun: { dueAt: at, at, outcome: 'failed', message: worst(2000), manual: false }, consecutiveFailures: 3, createdAt: at, updatedAt: at,
  });

  it('the modal, the list, Manage, the failure DM and App Home stay within Slack limits and cut no entity in half', () => {
    const modal = subscriptionModal({ kind: 'delivery', query, tz: 'America/New_York', channel: 'C0ANALYTIC', dm: false, params: {}, scheduleKind: 'daily', time: '09:00' });
    expect(blockKitViolations(modal.blocks as KnownBlock[], 'modal')).toEqual([]);
    noHalfEntity(JSON.stringify(modal.blocks));
    for (const kind of ['delivery', 'alert'] as const) {
      for (const status of ['active', 'paused'] as const) {
        const s = sub(kind, status);
        for (const message of [subscriptionsListMessage([s, { ...s, id: 'sub_def456' }], () => query.title, { everyone: true }), subscriptionManageMessage(s, query.title), subscriptionFailedDm(s, query.title, status === 'paused')]) {
          expect(blockKitViolations(message.blocks)).toEqual([]);
          noHalfEntity(JSON.stringify(message.blocks));
        }
        const home = homeSubscriptionBlocks([{ subscription: s, title: query.title }]);
        expect(blockKitViolations(home, 'home')).toEqual([]);
        noHalfEntity(JSON.stringify(home));
      }
    }
  });

  it('a reason or a run message is cut after escaping: its & < > count five characters each', () => {
    // Paused by hand after a run that went through: the paused reason is shown.
    const byHand = { ...sub('delivery', 'paused'), lastRun: { dueAt: at, at, outcome: 'delivered' as const, message: null, manual: false }, consecutiveFailures: 0 };
    const reason = /Paused: ((?:&amp;|&lt;|&gt;)+)…/.exec(JSON.stringify(subscriptionManageMessage(byHand, 'Weekly active instances').blocks))?.[1] ?? '';
    // Paused after failures: the last run's message says why.
    const failed = /failed: ((?:&amp;|&lt;|&gt;)+)…/.exec(JSON.stringify(subscriptionManageMessage(sub('delivery', 'paused'), 'Weekly active instances').blocks))?.[1] ?? '';
    // As escaped text: at most 200 and 150 characters (before, 200 and 150 characters were cut first, and escaped to five times as many).
    expect(reason.length).toBeGreaterThan(0);
    expect(reason.length).toBeLessThan(200);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(150);
  });
});

/**
 * Text someone typed, quoted back ("No customer matches “…”"), renders as they
 * typed it: Slack has no escape for `*`, `_`, `~` and backticks, so each shows
 * as a lookalike (∗ ˍ ∼ ˋ) that neither formats nor closes the bot's own formatting.
 * An underscore inside a word (acme_corp), which formats nothing, is kept as typed.
 */
describe('text people typed, quoted back, renders as typed', () => {
  const hostile = 'x *zq1* _zq2_ ~zq3~ `zq4` *_` q_5_ zq6';
  const shown = 'x ∗zq1∗ ˍzq2ˍ ∼zq3∼ ˋzq4ˋ ∗ˍˋ q_5ˍ zq6';
  /** The text of every bold, italic, strike and code node in the message's mrkdwn. */
  const formatted = (m: MessageBody): string[] => {
    const out: string[] = [];
    const walk = (nodes: MrkdwnNode[]): void => {
      for (const n of nodes) {
        if (n.type === 'code') out.push(n.text);
        if (n.type === 'bold' || n.type === 'italic' || n.type === 'strike') out.push(mrkdwnPlainText(n.children));
        if ('children' in n) walk(n.children);
      }
    };
    for (const t of [...JSON.stringify(m.blocks).matchAll(/"type":"mrkdwn","text":"((?:[^"\\]|\\.)*)"/g)].map((x) => JSON.parse(`"${x[1]}"`) as string)) walk(parseMrkdwn(t));
    return out;
  };
  const plain = (m: MessageBody) => blocksToText({ blocks: m.blocks });
  const source = { id: 'hubspot', name: 'HubSpot' } as Source;
  const query = { name: 'weekly-active-instances', title: 'Weekly active instances', description: 'd', params: [], display: { y: ['n'] } } as unknown as SavedQuery;
  const output = (value: string): QueryOutput => ({
    query, columns: ['n'], rows: [], totalRows: 0, computedAt: new Date(0), bytesProcessed: 0, cacheHit: false,
    params: { canonical: {}, given: {}, shown: [{ label: 'Customer', value }], bound: {} }, freshness: [],
  });

  it.each([
    ['/telemetry, no match', () => telemetryNoMatchMessage(hostile, [])],
    ['/telemetry, several match', () => telemetryPickerMessage(hostile, [{ customerId: 'c1', name: 'Acme', aliases: [], domain: null }, { customerId: 'c2', name: 'Acme Labs', aliases: [], domain: null }])],
    ['/telemetry, looking up', () => telemetryLookingUpMessage(hostile)],
    ['/query, no such query', () => queryUnknownMessage(hostile, [])],
    ['/query list, a search', () => queryListMessage([], hostile, 3)],
    ['/pipeline rerun, no such source', () => unknownSourceMessage(hostile, [source])],
    ['/analytics audit, not a number', () => analyticsUsageMessage((parseAuditCount(hostile) as { reason: string }).reason)],
  ])('%s', (_name, message) => {
    const m = message();
    expect(plain(m)).toContain(`“${shown}”`);
    expect(formatted(m).filter((s) => /zq/.test(s))).toEqual([]);
  });

  it('without the direction controls that would turn the rest of the line around', () => {
    expect(plain(telemetryNoMatchMessage('\u202Eemca\u2066x', []))).toContain('No customer matches “emcax”');
    expect(JSON.stringify(queryUnknownMessage('a\u202Db', []))).not.toMatch(/\u202D/);
  });

  it('without control characters typed or pasted into the command', () => {
    expect(plain(telemetryNoMatchMessage('\u0000\u0001\u0007\u001b[31mred', []))).toContain('No customer matches “[31mred”');
    expect(JSON.stringify(queryUnknownMessage('a\u0007\u001bb', []))).not.toMatch(/\\u00(07|1b)/);
  });

  it("the objects asked for on the pipeline request's confirm step: a typed backtick does not pair with the bot's own", () => {
    const m = pipelineRequestConfirmModal({ source: 'hubspot', objects: 'deals` and companies', destination: 'hubspot_deals', frequency: 'daily', owner: 'U0BIZOPS', why: 'q4' }, [], '{}');
    expect(formatted({ text: '', blocks: m.blocks as KnownBlock[] })).toEqual(['HubSpot', 'hubspot_deals', 'Continue']);
    expect(plain({ text: '', blocks: m.blocks as KnownBlock[] })).toContain('dealsˋ and companies, into');
  });

  it("a value inside the bot's own bold stays in it, whole", () => {
    const m = queryEmptyMessage(output('a* b *c'), new Date(0));
    expect(formatted(m)).toContain('a∗ b ∗c');
  });

  it('the bot’s own formatting around it is kept', () => {
    expect(formatted(unknownSourceMessage('hubspt', [source]))).toEqual(['hubspot', 'hubspot', '/pipeline rerun hubspot']);
    expect(plain(telemetryNoMatchMessage('acme_corp', []))).toContain('No customer matches “acme_corp”');
    expect(formatted(queryEmptyMessage(output('cust_12'), new Date(0)))).toContain('cust_12');
  });
});
