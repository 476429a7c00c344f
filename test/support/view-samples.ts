/**
 * Every message, modal and Home tab the views can produce, built from sample
 * data in every state, with hostile text where people (or config files) can
 * put text: a `<!channel>`, a `<b>`, an `&`. The message tests scan all of it.
 *
 * `covered` lists the view functions called, so a test can check that a new
 * exported view is added here.
 */
import path from 'node:path';
import type { LookerAccessRequest } from '../../src/services/looker-access.js';
import type { PipelineRequest } from '../../src/services/pipeline-request.js';
import type { Source } from '../../src/sources/catalog.js';
import type { SourceFreshness } from '../../src/services/freshness.js';
import type { AlertDoc } from '../../src/services/freshness-alerts.js';
import type { CustomerTelemetry, InstanceTelemetry } from '../../src/services/telemetry.js';
import type { HomeData, HomeRequestItem } from '../../src/services/home.js';
import type { QueryOutput } from '../../src/services/query.js';
import type { AuditEntry } from '../../src/ports/store.js';
import { loadCatalog, type SavedQuery } from '../../src/catalog/catalog.js';
import * as audit from '../../views/audit.js';
import * as common from '../../views/common.js';
import * as freshness from '../../views/freshness.js';
import * as home from '../../views/home.js';
import * as looker from '../../views/looker-access.js';
import * as pipeline from '../../views/pipeline-request.js';
import * as query from '../../views/query.js';
import * as rerun from '../../views/rerun.js';
import * as telemetry from '../../views/telemetry.js';
import * as subscriptions from '../../views/subscriptions.js';
import type { Subscription } from '../../src/services/subscriptions.js';
import { rerunAnswerMessage } from '../../commands/pipeline-rerun.js';

export const VIEW_MODULES = { audit, common, freshness, home, looker, pipeline, query, rerun, subscriptions, telemetry } as const;

/** Exports that produce no text a person reads in Slack (helpers, IDs, a CSV file), or only within views the scan reads (the pager), so the scan does not need them. */
export const NOT_TEXT = new Set([
  'escapeMrkdwn', 'isChannelId', 'truncate', 'escapeAndTruncate', 'userText', 'quoteUserText', 'truncateMrkdwn', 'joinWithin', 'slackDate', 'ago', 'duration', 'ownerMention', 'formatBytes', 'queryRefValue', 'parseQueryRef', 'tableSections',
  'lookerEmailBlockId', 'lookerModalHasInputsFor', 'auditCsv', 'SLACK_LIMITS', 'modalDataOf', 'listedPageOf', 'listPlaceOf', 'pageOf', 'pageByOrder', 'pagerBlocks', 'nearSources',
]);

/** Exports whose text Slack shows as plain text (a header, an inline error): never parsed, so never escaped. */
export const PLAIN_TEXT = new Set(['telemetryVerdict', 'queryFieldError', 'queryParamErrors', 'LOOKER_DENY_REASON_MISSING', 'lookerSubmissionRefusedOnForm', 'pipelineRequestSameText']);

/** User-typed (or config-file) text that must never turn into a mention, a link or markup. */
export const HOSTILE = '<!channel> <b>bold</b> & <https://evil.example|click> <@U0ADMIN> x>y';

const HOUR = 3_600_000;
export const NOW = new Date('2026-11-28T20:08:00Z');
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

export const lookerBase: LookerAccessRequest = {
  id: 'la_mh2k9x7q3abcde12',
  requesterId: 'U0REGULAR',
  subjectId: 'U0REGULAR',
  email: 'riley@example.com',
  team: 'engineering',
  level: 'develop',
  reason: HOSTILE,
  durationDays: 14,
  status: 'pending',
  route: 'needs_approval',
  viewId: 'V1',
  createdAt: iso(-HOUR),
  channel: 'C0ANALYTIC',
  ts: '1.000100',
  decidedBy: null,
  decidedAt: null,
  denyReason: null,
  grant: null,
  grantError: null,
  expiresAt: null,
  reminderSentAt: null,
  expiredAt: null,
  revokedRoleIds: null,
  revokeError: null,
};

const manualGrant = { mode: 'manual' as const, at: iso(0), lookerUserId: null, createdUser: false, addedGroupIds: [], addedRoleIds: [] };
const lookerGrant = { mode: 'looker' as const, at: iso(0), lookerUserId: '42', createdUser: true, addedGroupIds: ['10'], addedRoleIds: ['2', '6'] };

/** A Looker request in each state it can be shown in. */
export function lookerStates(): LookerAccessRequest[] {
  const decided = { decidedBy: 'U0ADMIN', decidedAt: iso(0) };
  return [
    lookerBase,
    { ...lookerBase, subjectId: 'U0BIZOPS', email: `b${HOSTILE}@example.com` },
    // The same access approved before and still in force as far as the bot knows: the card names it.
    { ...lookerBase, subjectSlackEmail: lookerBase.email, earlierApproval: { requestId: 'la_mh2k9x7q3earlr1', decidedBy: 'U0ADMIN', decidedAt: iso(-30 * 24 * HOUR), expiresAt: iso(3 * 24 * HOUR) } },
    { ...lookerBase, ...decided, status: 'approved', expiresAt: iso(14 * 24 * HOUR), grant: lookerGrant },
    { ...lookerBase, ...decided, status: 'approved', expiresAt: iso(14 * 24 * HOUR), grant: manualGrant },
    { ...lookerBase, ...decided, status: 'approved', grantError: HOSTILE },
    { ...lookerBase, ...decided, status: 'approved' },
    { ...lookerBase, ...decided, status: 'denied', denyReason: `${HOSTILE}\nsecond line` },
    { ...lookerBase, ...decided, status: 'denied' },
    { ...lookerBase, ...decided, status: 'expired', expiredAt: iso(14 * 24 * HOUR), grant: lookerGrant, revokedRoleIds: ['6'] },
    { ...lookerBase, ...decided, status: 'expired', expiredAt: iso(14 * 24 * HOUR), grant: lookerGrant, revokeError: HOSTILE },
    // Ended before its grant ever ran (the bot was down that long).
    { ...lookerBase, ...decided, status: 'expired', expiredAt: iso(14 * 24 * HOUR), grantSkippedAt: iso(14 * 24 * HOUR) },
    // Ended, the roles being taken back (Looker down); and Looker saying its user is not there.
    { ...lookerBase, ...decided, status: 'expired', expiredAt: iso(14 * 24 * HOUR), grant: lookerGrant },
    { ...lookerBase, ...decided, status: 'expired', expiredAt: iso(14 * 24 * HOUR), grant: lookerGrant, revokedRoleIds: [], lookerUserMissing: true },
    { ...lookerBase, level: 'view', durationDays: null, reason: null, decidedBy: 'bot', decidedAt: iso(0), status: 'approved', route: 'grant_now', grant: lookerGrant },
  ];
}

export const pipelineBase: PipelineRequest = {
  id: 'pr_V0123ABCDEF',
  requester: 'U0REGULAR',
  status: 'open',
  createdAt: iso(-HOUR),
  updatedAt: iso(-HOUR),
  alreadySyncing: ['hubspot'],
  source: 'hubspot',
  objects: HOSTILE,
  destination: 'hubspot_deals',
  frequency: 'daily',
  owner: 'U0BIZOPS',
  why: HOSTILE,
};

export function pipelineStates(): PipelineRequest[] {
  return [
    pipelineBase,
    { ...pipelineBase, status: 'accepted', acceptedBy: 'U0BIZOPS', acceptedAt: iso(0) },
    { ...pipelineBase, status: 'declined', declinedBy: 'U0BIZOPS', declinedAt: iso(0), declineReason: HOSTILE },
    { ...pipelineBase, status: 'live', acceptedBy: 'U0BIZOPS', acceptedAt: iso(0), liveBy: 'U0BIZOPS', liveAt: iso(HOUR) },
  ];
}

export function source(over: Partial<Source> = {}): Source {
  return {
    id: 'hubspot', name: `HubSpot ${HOSTILE}`, kind: 'fivetran', system: 'hubspot', dataset: 'hubspot', schedule: `daily ${HOSTILE}`,
    tables: [{ name: `contact${HOSTILE}`, bigquery: undefined }], freshness: { measure: 'table_modified' }, slaHours: 26, owner: `team ${HOSTILE}`,
    rerun: { kind: 'fivetran', connectionId: `conn${HOSTILE}` },
    ...over,
  } as Source;
}

export function freshnessResult(s: Source, state: SourceFreshness['dataState'], over: Partial<SourceFreshness> = {}): SourceFreshness {
  return {
    source: s, lastUpdated: state === 'unknown' ? null : new Date(NOW.getTime() - 30 * HOUR), dataState: state, state,
    dueAt: null, lateByMs: state === 'stale' ? 4 * HOUR : 0, checkedAt: NOW, ...(state === 'unknown' ? { problem: HOSTILE } : {}), ...over,
  };
}

export function alertDoc(over: Partial<AlertDoc> = {}): AlertDoc {
  return {
    sourceId: 'hubspot', state: 'open', episode: 1, channel: 'C0ANALYTIC', ts: '1.1', openedAt: NOW.getTime() - 2 * HOUR,
    lastUpdatedIso: iso(-30 * HOUR), lateByMs: 4 * HOUR, lastReminderAt: null, snoozedUntil: NOW.getTime() + HOUR, snoozedBy: 'U0BIZOPS',
    acknowledgedBy: 'U0BIZOPS', acknowledgedAt: NOW.getTime(), rerunLink: 'https://x.slack.com/archives/C1/p1', rerunBy: 'U0BIZOPS',
    recoveredAt: null, recoveredLastUpdateIso: null, ...over,
  };
}

function instance(n: number, level: InstanceTelemetry['level']): InstanceTelemetry {
  return {
    siteId: `site-${n}${HOSTILE}`, hosting: n % 2 ? 'managed' : 'self-hosted', version: `5.3${HOSTILE}`,
    lastPingAt: level === 'none' ? null : new Date(NOW.getTime() - HOUR), level,
    activity: { criticalPings: 10, fullPings: level.startsWith('full') ? 40 : 0, userLevelEvents: level === 'full_user_level' ? 900 : 0 },
  };
}

export function customerTelemetry(levels: InstanceTelemetry['level'][]): CustomerTelemetry {
  return {
    customer: { customerId: 'acme', name: `Acme ${HOSTILE}`, aliases: [HOSTILE], domain: 'acme.com' },
    instances: levels.map((l, i) => instance(i, l)), windowDays: 30, dataUpdatedAt: NOW, generatedAt: NOW,
  };
}

export const catalog = loadCatalog(path.resolve('queries'));

/** A saved query with hostile text where a reviewed file could still put it. */
export function hostileQuery(q: SavedQuery): SavedQuery {
  return {
    ...q, title: `${q.title} ${HOSTILE}`, description: HOSTILE, owner: HOSTILE,
    params: q.params.map((p) => ({ ...p, label: `${p.label} ${HOSTILE}`, ...(p.description ? { description: HOSTILE } : {}) })) as SavedQuery['params'],
  };
}

export function queryOutput(q: SavedQuery): QueryOutput {
  return {
    query: q, columns: ['week', 'hosting', 'instances'], rows: [{ week: '2026-11-16', hosting: HOSTILE, instances: 3 }, { week: '2026-11-23', hosting: 'cloud', instances: 4 }],
    totalRows: 2, computedAt: NOW, bytesProcessed: 61_234_567, cacheHit: false,
    params: { canonical: { weeks: '8' }, given: { weeks: '8' }, shown: [{ label: 'Weeks', value: HOSTILE }], bound: {} },
    freshness: [{ table: 'pings', lastModified: new Date(NOW.getTime() - 3 * HOUR), rowCount: 1 }],
  };
}

function homeItems(): HomeRequestItem[] {
  const states: HomeRequestItem['state'][] = ['pipeline_open', 'pipeline_accepted', 'looker_pending', 'looker_granting', 'looker_granted', 'looker_by_hand', 'looker_grant_failed'];
  return states.map((state, i) => ({
    kind: state.startsWith('pipeline') ? 'pipeline' : 'looker', id: `x${i}`, ref: `PR-00000${i}`, title: `Title ${HOSTILE}`, state,
    ...(state.startsWith('pipeline') ? { dataset: `_staging_ ${HOSTILE}` } : {}),
    ...(state.startsWith('looker_g') || state === 'looker_by_hand' ? { until: iso(14 * 24 * HOUR) } : {}),
    requester: 'U0REGULAR', forUser: 'U0BIZOPS', createdAt: iso(-HOUR),
  }));
}

export function homeData(): HomeData {
  const items = homeItems();
  return {
    userId: 'U0BIZOPS', roles: { bizops: 'member', lookerAdmin: 'unknown' },
    mine: items, waiting: items.map((i) => ({ ...i, todo: i.state === 'pipeline_open' ? 'triage_pipeline' as const : i.state === 'pipeline_accepted' ? 'mark_pipeline_live' as const : 'decide_looker' as const })),
    unavailable: [`feed ${HOSTILE}`], canRequestPipeline: true, generatedAt: NOW,
    subscriptions: subscriptionSamples().map((sub) => ({ subscription: sub, title: `Weekly active ${HOSTILE}` })),
  };
}

export const subscriptionBase: Subscription = {
  id: 'sub_mh2k9x7q3abcde12', kind: 'delivery', owner: 'U0REGULAR', query: 'weekly-active-instances', params: { weeks: '8' },
  target: { kind: 'channel', channel: 'C0ANALYTIC' }, schedule: { kind: 'weekdays', time: '09:00', tz: 'America/New_York' },
  format: 'chart_csv', condition: null, alertState: 'ok', firedAt: null, firedMessage: null, status: 'active', pausedReason: null,
  nextRunAt: NOW.getTime() + 13 * HOUR, lastRun: null, consecutiveFailures: 0, createdAt: NOW.getTime() - 48 * HOUR, updatedAt: NOW.getTime() - 48 * HOUR,
};

/** A delivery and an alert in every state: never run, each outcome of a last run, paused by hand and by failures, to a channel or to DMs. */
export function subscriptionSamples(): Subscription[] {
  const alert: Subscription = { ...subscriptionBase, id: 'sub_alert0000000a', kind: 'alert', condition: { column: 'instances', op: 'above', value: 1000 }, schedule: { kind: 'cron', cron: '0 9 * * 1', tz: 'UTC' } };
  const run = (outcome: NonNullable<Subscription['lastRun']>['outcome'], manual = false) => ({ dueAt: NOW.getTime() - HOUR, at: NOW.getTime() - HOUR + 5000, outcome, message: outcome === 'failed' ? `the query broke ${HOSTILE}` : outcome === 'fired' ? 'now 1234' : null, manual });
  const list: Subscription[] = [
    subscriptionBase,
    { ...subscriptionBase, target: { kind: 'dm' }, format: 'csv', schedule: { kind: 'monthly', date: 1, time: '08:30', tz: 'Europe/Berlin' } },
    { ...subscriptionBase, lastRun: run('delivered') },
    { ...subscriptionBase, lastRun: run('missed'), schedule: { kind: 'weekly', day: 'mon', time: '09:00', tz: 'UTC' } },
    { ...subscriptionBase, lastRun: run('failed'), consecutiveFailures: 1 },
    { ...subscriptionBase, lastRun: run('failed', true) },
    { ...subscriptionBase, status: 'paused', nextRunAt: null, lastRun: run('delivered') },
    { ...subscriptionBase, status: 'paused', nextRunAt: null, pausedReason: `It failed 3 times in a row; the last time: ${HOSTILE}`, lastRun: run('failed'), consecutiveFailures: 3 },
    alert,
    { ...alert, lastRun: run('fired'), alertState: 'firing' },
    { ...alert, lastRun: run('resolved') },
    { ...alert, lastRun: run('quiet'), condition: { column: 'instances', op: 'change_pct', value: 20 } },
  ];
  return list.map((sub, i) => (i === 0 ? sub : { ...sub, id: `${sub.id.slice(0, -2)}${String(i).padStart(2, '0')}` }));
}

/** One audit entry of every action the code writes, with hostile text where people typed it. */
export function auditEntries(): Required<AuditEntry>[] {
  const at = iso(0);
  const doc = { ...lookerBase, denyReason: HOSTILE } as unknown as Record<string, unknown>;
  const pr = { ...pipelineBase, declineReason: HOSTILE } as unknown as Record<string, unknown>;
  const e = (actor: string, action: string, subject: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null) => ({ actor, action, subject, before, after, at });
  return [
    e('U0REGULAR', 'looker_access.requested', lookerBase.id, null, doc),
    e('U0REGULAR', 'looker_access.requested', lookerBase.id, null, { ...doc, subjectId: 'U0BIZOPS' }),
    e('bot', 'looker_access.approved', lookerBase.id, doc, { ...doc, level: 'view', durationDays: null }),
    e('U0ADMIN', 'looker_access.approved', lookerBase.id, doc, doc),
    e('U0ADMIN', 'looker_access.denied', lookerBase.id, doc, doc),
    e('U0ADMIN', 'looker_access.granted', lookerBase.id, { grant: null }, { grant: lookerGrant }),
    e('bot', 'looker_access.manual_grant_needed', lookerBase.id, null, { grant: manualGrant }),
    e('bot', 'looker_access.grant_failed', lookerBase.id, null, { grantError: HOSTILE }),
    e('bot', 'looker_access.reminded', lookerBase.id, null, { reminderSentAt: at }),
    e('bot', 'looker_access.expired', lookerBase.id, doc, { ...doc, status: 'expired' }),
    e('bot', 'looker_access.revoked', lookerBase.id, { roleIds: ['6'] }, { revokedRoleIds: ['6'] }),
    e('bot', 'looker_access.revoked', lookerBase.id, { roleIds: [] }, { revokedRoleIds: [] }),
    e('bot', 'looker_access.revoke_failed', lookerBase.id, null, { revokeError: HOSTILE }),
    e('bot', 'looker_access.revoked', lookerBase.id, { roleIds: ['6'] }, { revokedRoleIds: [], keptRoleIds: [], keptFor: null, lookerUserMissing: true }),
    e('U0REGULAR', 'pipeline_request.created', pipelineBase.id, null, pr),
    e('U0BIZOPS', 'pipeline_request.accepted', pipelineBase.id, pr, { ...pr, status: 'accepted' }),
    e('U0BIZOPS', 'pipeline_request.declined', pipelineBase.id, pr, { ...pr, status: 'declined' }),
    e('U0BIZOPS', 'pipeline_request.live', pipelineBase.id, pr, { ...pr, status: 'live' }),
    e('bot', 'freshness.alert_opened', 'hubspot', null, { lastUpdated: iso(-30 * HOUR), lateByMs: 1_799_978 }),
    e('bot', 'freshness.alert_recovered', 'hubspot', null, { lastUpdated: at }),
    e('U0BIZOPS', 'freshness.alert_snoozed', 'hubspot', null, { snoozedUntil: NOW.getTime() + 4 * HOUR, snoozedBy: 'U0BIZOPS' }),
    e('U0BIZOPS', 'freshness.alert_acknowledged', 'hubspot', null, { acknowledgedBy: 'U0BIZOPS' }),
    e('U0BIZOPS', 'freshness.alert_rerun_linked', 'hubspot', null, null),
    e('bot', 'freshness.alert_closed_source_removed', 'hubspot', null, null),
    e('U0BIZOPS', 'pipeline.rerun_requested', 'hubspot', null, { force: true, runKey: 'k' }),
    e('U0REGULAR', 'pipeline.rerun_asked', 'hubspot', null, null),
    e('bot', 'pipeline.rerun_finished', 'hubspot', null, { outcome: 'failed', error: HOSTILE }),
    e('bot', 'pipeline.rerun_finished', 'github', null, { outcome: 'timed_out' }),
    e('bot', 'job.failed', `notice:looker.card:${lookerBase.id}`, null, { kind: 'notice', attempts: 8, error: HOSTILE }),
    e('bot', 'job.failed', 'some.new.job:x', null, { kind: 'some.new.job', attempts: 3, error: 'boom' }),
    ...subscriptionAuditEntries(at),
    e(`robot ${HOSTILE}`, `custom.${HOSTILE}`, HOSTILE, null, null),
  ];
}

/** The audit entries the subscription use case and its run job write, as they write them. */
export function subscriptionAuditEntries(at: string): Required<AuditEntry>[] {
  const sub = subscriptionBase as unknown as Record<string, unknown>;
  const alert = { ...sub, id: 'sub_alert0000000a', kind: 'alert', condition: { column: 'instances', op: 'below', value: 1000 }, target: { kind: 'dm' } };
  const e = (actor: string, action: string, subject: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null) => ({ actor, action, subject, before, after, at });
  return [
    e('U0REGULAR', 'subscription.created', subscriptionBase.id, null, sub),
    e('U0REGULAR', 'subscription.created', 'sub_alert0000000a', null, alert),
    e('U0BIZOPS', 'subscription.updated', subscriptionBase.id, sub, { ...sub, schedule: { kind: 'daily', time: '07:00', tz: 'UTC' } }),
    e('U0BIZOPS', 'subscription.deleted', subscriptionBase.id, sub, null),
    e('U0REGULAR', 'subscription.run_now', subscriptionBase.id, null, null),
    e('U0REGULAR', 'subscription.paused', subscriptionBase.id, { status: 'active' }, { status: 'paused' }),
    e('U0REGULAR', 'subscription.resumed', subscriptionBase.id, { status: 'paused' }, { status: 'active' }),
    e('bot', 'subscription.alert_fired', 'sub_alert0000000a', null, { message: 'now 1234' }),
    e('bot', 'subscription.alert_resolved', 'sub_alert0000000a', null, { message: 'now 900' }),
    e('bot', 'subscription.run_failed', subscriptionBase.id, null, { message: HOSTILE, failures: 1 }),
    e('bot', 'subscription.paused_after_failures', subscriptionBase.id, null, { message: HOSTILE, failures: 3 }),
    e('bot', 'job.failed', `subscription.run:${subscriptionBase.id}:1764000000000`, null, { kind: 'subscription.run', attempts: 3, error: HOSTILE }),
  ];
}

/** Every view output, labelled by the function that made it; `covered` names the functions called. */
export function allViewOutputs(): { outputs: Array<{ name: string; value: unknown }>; covered: Set<string> } {
  const outputs: Array<{ name: string; value: unknown }> = [];
  const covered = new Set<string>();
  const add = (name: string, value: unknown) => {
    covered.add(name);
    outputs.push({ name, value });
  };
  const options = { adminsUsergroup: 'S0LOOKERADM', lookerConnected: true, lookerUrl: 'https://looker.example.com' };

  // ---- Looker access ----
  for (const lookerConnected of [true, false]) {
    for (const level of ['view', 'develop'] as const) {
      add('lookerAccessModal', looker.lookerAccessModal({ requesterId: 'U0REGULAR', requesterEmail: 'r@example.com', subjectId: 'U0REGULAR', email: `r${HOSTILE}`, level, team: 'other', lookerConnected }));
      add('lookerAccessModal', looker.lookerAccessModal({ requesterId: 'U0REGULAR', requesterEmail: null, subjectId: 'U0BIZOPS', email: null, level, lookerConnected }));
    }
  }
  for (const r of lookerStates()) {
    add('lookerRequestCard', looker.lookerRequestCard(r, options));
    add('lookerRequestCard', looker.lookerRequestCard(r, { adminsUsergroup: null, lookerConnected: false, lookerUrl: null }));
    // The email is not the subject's Slack email (one typed as hostile text), or Slack shows none: the card warns.
    for (const subjectSlackEmail of [`s${HOSTILE}@example.com`, null]) add('lookerRequestCard', looker.lookerRequestCard({ ...r, subjectSlackEmail }, options));
    for (const posted of [true, false]) add('lookerRequestSentDm', looker.lookerRequestSentDm(r, { channel: 'C0ANALYTIC', posted, forSubject: !posted }));
    add('lookerRequestSentDm', looker.lookerRequestSentDm(r, { channel: null, posted: false }));
    add('lookerGrantedNowDm', looker.lookerGrantedNowDm(r, { lookerUrl: 'https://looker.example.com/?a=1&b=2' }));
    add('lookerDecidedDm', looker.lookerDecidedDm(r, { lookerUrl: 'https://looker.example.com' }));
    add('lookerReminderDm', looker.lookerReminderDm(r));
    add('lookerExpiredDm', looker.lookerExpiredDm(r));
    for (const manual of [true, false]) add('lookerExpiredThreadMessage', looker.lookerExpiredThreadMessage(r, { manual, adminsUsergroup: manual ? null : 'S0LOOKERADM' }));
    add('lookerAlreadyDecidedMessage', looker.lookerAlreadyDecidedMessage(r));
    add('lookerDecisionConfirmation', looker.lookerDecisionConfirmation(r));
    for (const state of [r, { ...r, status: 'approved' as const, grant: null, grantError: `Looker said ${HOSTILE}` }]) {
      add('lookerRetryConfirmation', looker.lookerRetryConfirmation(state));
      add('lookerNothingToRetryMessage', looker.lookerNothingToRetryMessage(state));
      add('lookerNothingToRetryMessage', looker.lookerNothingToRetryMessage(state, { ended: true }));
    }
    add('lookerGrantFailedThreadMessage', looker.lookerGrantFailedThreadMessage(r, { adminsUsergroup: 'S0LOOKERADM' }));
    add('lookerDenyModal', looker.lookerDenyModal(r));
    add('lookerAccessPhrase', looker.lookerAccessPhrase(r));
    add('lookerRef', looker.lookerRef(r));
  }
  for (const reason of ['unknown_subject', 'bot_subject', 'requester_email'] as const) add('lookerSubmissionRefusedDm', looker.lookerSubmissionRefusedDm(reason));
  add('lookerSubmissionRefusedDm', looker.lookerSubmissionRefusedDm('already_pending', ['LA-7QK2ZD']));
  add('lookerSubmissionRefusedDm', looker.lookerSubmissionRefusedDm('too_many_pending', ['LA-7QK2ZD', 'LA-8RT3AB', 'LA-9XY4CD', 'LA-2MN5EF', 'LA-3PQ6GH']));
  for (const reason of ['unknown_subject', 'bot_subject', 'requester_email'] as const) add('lookerSubmissionRefusedOnForm', looker.lookerSubmissionRefusedOnForm(reason));
  add('lookerSubmissionRefusedOnForm', looker.lookerSubmissionRefusedOnForm('already_pending', ['LA-7QK2ZD']));
  add('lookerSubmissionRefusedOnForm', looker.lookerSubmissionRefusedOnForm('too_many_pending', ['LA-7QK2ZD', 'LA-8RT3AB', 'LA-9XY4CD', 'LA-2MN5EF', 'LA-3PQ6GH']));
  for (const reason of ['not_admin', 'own_request', 'own_email'] as const) add('lookerRefusalMessage', looker.lookerRefusalMessage(reason, 'S0LOOKERADM'));
  add('lookerRefusalMessage', looker.lookerRefusalMessage('not_admin', null));
  add('lookerRequestNotFoundMessage', looker.lookerRequestNotFoundMessage());
  add('lookerAdminCheckFailedMessage', looker.lookerAdminCheckFailedMessage());
  add('lookerAdminCheckFailedMessage', looker.lookerAdminCheckFailedMessage('profile'));
  add('LOOKER_DENY_REASON_MISSING', looker.LOOKER_DENY_REASON_MISSING);

  // ---- pipeline requests ----
  add('pipelineRequestModal', pipeline.pipelineRequestModal({ requester: 'U0REGULAR', initial: { objects: HOSTILE, why: HOSTILE, destination: 'x' } }));
  const synced = { id: 'hubspot', name: `HubSpot ${HOSTILE}`, system: 'hubspot' as const, dataset: `hub${HOSTILE}`, tables: Array.from({ length: 10 }, (_, i) => `t${i}${HOSTILE}`), schedule: `daily, ${HOSTILE}` };
  add('existingSyncText', pipeline.existingSyncText(synced));
  add('pipelineRequestConfirmModal', pipeline.pipelineRequestConfirmModal(pipelineBase, [synced], '{}'));
  for (const r of pipelineStates()) {
    add('pipelineRequestTitle', pipeline.pipelineRequestTitle(r));
    add('pipelineRequestCard', pipeline.pipelineRequestCard(r));
    add('pipelineRequestDeclineModal', pipeline.pipelineRequestDeclineModal(r));
    add('pipelineRequestReceivedDm', pipeline.pipelineRequestReceivedDm(r, { channel: 'C0ANALYTIC', permalink: 'https://x.slack.com/archives/C0ANALYTIC/p1' }));
    add('pipelineRequestReceivedDm', pipeline.pipelineRequestReceivedDm(r, null));
    add('pipelineRequestDecisionDm', pipeline.pipelineRequestDecisionDm(r));
    add('pipelineRequestAlreadyDecidedMessage', pipeline.pipelineRequestAlreadyDecidedMessage(r));
  }
  for (const configured of [true, false]) add('pipelineRequestNotAllowedMessage', pipeline.pipelineRequestNotAllowedMessage(configured));
  add('pipelineRequestRoleUnknownMessage', pipeline.pipelineRequestRoleUnknownMessage());
  add('pipelineRequestInvalidDecisionMessage', pipeline.pipelineRequestInvalidDecisionMessage(HOSTILE));
  add('pipelineRequestNotFoundMessage', pipeline.pipelineRequestNotFoundMessage());
  add('pipelineRequestNotConfiguredMessage', pipeline.pipelineRequestNotConfiguredMessage());
  add('pipelineRequestFailedDm', pipeline.pipelineRequestFailedDm('I could not save your pipeline request.'));
  for (const same of [pipelineBase, { ...pipelineBase, status: 'accepted' as const }]) {
    add('pipelineRequestSameText', pipeline.pipelineRequestSameText(same));
    add('pipelineRequestSameModal', pipeline.pipelineRequestSameModal(same));
    add('pipelineRequestSameDm', pipeline.pipelineRequestSameDm(same));
  }
  add('PIPELINE_STATUS_WORDS', Object.values(pipeline.PIPELINE_STATUS_WORDS).join(' '));

  // ---- freshness and reruns ----
  const s = source();
  for (const over of [{}, { state: 'closed' as const, recoveredAt: NOW.getTime(), recoveredLastUpdateIso: iso(0) }, { acknowledgedBy: null, rerunLink: null }]) {
    add('freshnessAlertMessage', freshness.freshnessAlertMessage(s, { doc: alertDoc(over), now: NOW }));
  }
  add('freshnessAlertMessage', freshness.freshnessAlertMessage(source({ owner: 'S0BIZOPS', rerun: null }), { doc: alertDoc(), now: NOW }));
  add('freshnessReminderReply', freshness.freshnessReminderReply(freshnessResult(s, 'stale')));
  add('freshnessAlertRemovedMessage', freshness.freshnessAlertRemovedMessage(`HubSpot ${HOSTILE}`, { removedAt: NOW.getTime() }));
  add('freshnessAlertRemovedMessage', freshness.freshnessAlertRemovedMessage('HubSpot', { removedAt: null }));
  add('freshnessRecoveredReply', freshness.freshnessRecoveredReply(s.name, freshnessResult(s, 'fresh'), alertDoc()));
  // Recovered, its source since taken out of the sources file: by the name it kept, without owner or SLA.
  add('freshnessAlertRecoveredMessage', freshness.freshnessAlertRecoveredMessage(`HubSpot ${HOSTILE}`, alertDoc({ state: 'closed', recoveredAt: NOW.getTime(), recoveredLastUpdateIso: iso(0), rerunLink: 'https://x.slack.com/archives/C1/p2', rerunBy: 'U0BIZOPS' })));
  const results = [
    freshnessResult(s, 'stale'),
    freshnessResult(source({ id: 'github', rerun: null }), 'stale'),
    freshnessResult(source({ id: 'salesforce' }), 'stale', { rerun: { requestedBy: 'U0BIZOPS', startedAt: iso(0), link: 'https://x.slack.com/archives/C1/p2' } }),
    freshnessResult(source({ id: 'sheets' }), 'unknown'),
    freshnessResult(source({ id: 'postgres' }), 'fresh'),
  ];
  for (const viewerInBizops of [true, false, null]) {
    add('pipelineStatusMessage', freshness.pipelineStatusMessage(results, { now: NOW, warehouse: 'embedded', alertsChannel: viewerInBizops ? 'C0ANALYTIC' : undefined, viewerInBizops }));
  }
  add('rerunNotAllowedMessage', freshness.rerunNotAllowedMessage(s, 'S0BIZOPS'));
  add('rerunNotAllowedMessage', freshness.rerunNotAllowedMessage(s, undefined));
  add('rerunRequestPost', freshness.rerunRequestPost(s, 'U0REGULAR', 'S0BIZOPS', freshnessResult(s, 'stale')));
  add('rerunAskFailedDm', freshness.rerunAskFailedDm(s.name, 'C0ANALYTIC'));
  add('rerunAskFailedDm', freshness.rerunAskFailedDm(HOSTILE, null));
  add('pipelineUsageMessage', freshness.pipelineUsageMessage());
  add('unknownSourceMessage', freshness.unknownSourceMessage(HOSTILE, [s]));
  add('unknownSourceMessage', freshness.unknownSourceMessage('', [s]));
  add('noteMessage', freshness.noteMessage('A note.'));
  add('rerunForceOfferMessage', rerun.rerunForceOfferMessage(s));
  for (const phase of ['starting', 'running', 'rescheduled', 'succeeded', 'failed', 'timed_out'] as const) {
    for (const dataState of ['fresh', 'stale', 'unknown'] as const) {
      add('rerunMessage', rerun.rerunMessage({
        source: dataState === 'stale' ? source({ rerun: { kind: 'data_transfer', config: 'projects/p/transferConfigs/x' } as unknown as Source['rerun'] }) : s,
        requestedBy: 'U0BIZOPS', force: phase === 'failed', phase, startedAt: NOW, finishedAt: new Date(NOW.getTime() + 3_000),
        error: HOSTILE, rescheduledFor: iso(HOUR), offerForce: true, after: { dataState, lastUpdated: NOW, problem: HOSTILE }, runner: `Fivetran ${HOSTILE}`,
      }));
    }
  }
  const deps = { bizopsUsergroup: 'S0BIZOPS', freshness: { catalog: { sources: [s] } } } as unknown as Parameters<typeof rerunAnswerMessage>[1];
  for (const answer of [
    { kind: 'unknown_source', text: HOSTILE }, { kind: 'not_rerunnable', source: s }, { kind: 'not_allowed', source: s }, { kind: 'membership_unknown' },
    { kind: 'not_configured' }, { kind: 'already_running', source: s, rerun: { requestedBy: 'U0BIZOPS', startedAt: iso(0), link: 'https://x.slack.com/archives/C1/p3' } },
    { kind: 'started', source: s, link: 'https://x.slack.com/archives/C1/p4' },
  ] as const) {
    add('rerunAnswerMessage', rerunAnswerMessage(answer as Parameters<typeof rerunAnswerMessage>[0], deps));
  }

  // ---- telemetry ----
  for (const levels of [[], ['none'], ['none', 'critical'], ['full_user_level', 'full', 'critical', 'none'], Array.from({ length: 20 }, () => 'full' as const)] as InstanceTelemetry['level'][][]) {
    const t = customerTelemetry(levels);
    add('telemetryVerdict', telemetry.telemetryVerdict(t));
    add('telemetryCardMessage', telemetry.telemetryCardMessage(t, { shareable: true, lookerUrl: 'https://looker.example.com' }));
    add('telemetryCardMessage', telemetry.telemetryCardMessage(t, { shareable: false, sharedBy: 'U0REGULAR' }));
  }
  {
    const others = Array.from({ length: 7 }, (_, i) => ({ customerId: `o${i}`, name: `${HOSTILE} ${i}`, aliases: [], domain: null }));
    add('telemetryCardMessage', telemetry.telemetryCardMessage(customerTelemetry(['full']), { shareable: true, alsoMatching: { query: HOSTILE, customers: others, more: 40 } }));
    const odd = customerTelemetry(['full', 'critical', 'none']);
    odd.instances = odd.instances.map((i, n) => ({ ...i, hosting: { other: n === 2 ? '' : HOSTILE.repeat(n + 1) } }));
    add('telemetryCardMessage', telemetry.telemetryCardMessage(odd, { shareable: true }));
  }
  const names = [{ customerId: 'a', name: `Stark ${HOSTILE}`, aliases: [], domain: 'stark.com' }, { customerId: 'b', name: 'Stark Industries', aliases: [], domain: null }];
  add('telemetryPickerMessage', telemetry.telemetryPickerMessage(HOSTILE, names));
  add('telemetryPickerMessage', telemetry.telemetryPickerMessage(HOSTILE, Array.from({ length: 8 }, (_, i) => ({ ...names[0]!, customerId: `c${i}` }))));
  add('telemetryNoMatchMessage', telemetry.telemetryNoMatchMessage(HOSTILE, names));
  add('telemetryNoMatchMessage', telemetry.telemetryNoMatchMessage(HOSTILE, []));
  add('telemetryUsageMessage', telemetry.telemetryUsageMessage());
  add('telemetryTooLongMessage', telemetry.telemetryTooLongMessage(200));
  add('telemetryLookingUpMessage', telemetry.telemetryLookingUpMessage(HOSTILE));
  add('telemetryLookingUpMessage', telemetry.telemetryLookingUpMessage(HOSTILE.repeat(50)));

  // ---- /query ----
  const queries = catalog.queries.map(hostileQuery);
  add('queryListMessage', query.queryListMessage(queries, '', queries.length));
  add('queryListMessage', query.queryListMessage(Array.from({ length: 45 }, (_, i) => ({ ...queries[i % queries.length]!, name: `q${i}` })), HOSTILE, 45, 1));
  add('queryListMessage', query.queryListMessage([], HOSTILE, queries.length));
  add('queryUnknownMessage', query.queryUnknownMessage(HOSTILE, queries.slice(0, 3)));
  add('queryUnknownMessage', query.queryUnknownMessage(HOSTILE, []));
  add('queryUnknownMessage', query.queryUnknownMessage(HOSTILE, [], 'run', 'subscriptions'));
  add('queryAlreadyAskedMessage', query.queryAlreadyAskedMessage());
  add('queryTableAlreadyMessage', query.queryTableAlreadyMessage());
  add('queryTooLongMessage', query.queryTooLongMessage(1000));
  add('queryCheckingModal', query.queryCheckingModal(queries[0]!));
  add('queryNoteModal', query.queryNoteModal(queries[0]!, query.queryUnknownMessage(HOSTILE, []).text ?? ''));
  add('queryOnItsWayText', query.queryOnItsWayText('C0ANALYTICS'));
  for (const q of queries) {
    const problems: Record<string, string> = { [`stray${HOSTILE}`]: `“${HOSTILE}” is not name=value` };
    for (const p of q.params) problems[p.name] = `must be ${HOSTILE}`;
    add('queryProblemsMessage', query.queryProblemsMessage(q, problems));
    add('queryParamErrors', query.queryParamErrors(q, problems));
    add('queryFieldError', query.queryFieldError(`must be ${HOSTILE}`));
    add('queryParamsModal', query.queryParamsModal(q, { values: Object.fromEntries(q.params.map((p) => [p.name, HOSTILE])), problems, metadata: { q: q.name, c: 'C0ANALYTIC' }, today: '2026-11-28' }));
    add('queryParamsModal', query.queryParamsModal(q, { values: {}, problems: {}, metadata: { q: q.name, c: 'C0ANALYTIC' }, today: '2026-11-28' }));
    const o = queryOutput(q);
    add('queryChartMessage', query.queryChartMessage(o, NOW, 'U0REGULAR'));
    add('queryTableMessage', query.queryTableMessage(o, NOW, { requestedBy: 'U0REGULAR', buttons: true }));
    add('queryEmptyMessage', query.queryEmptyMessage(o, NOW, 'U0REGULAR'));
    add('queryOverCapMessage', query.queryOverCapMessage(q, 20e9, 10e9));
    add('queryCsvComment', query.queryCsvComment(o, 'U0REGULAR'));
    for (const inThread of [true, false]) add('queryCsvOnItsWayMessage', query.queryCsvOnItsWayMessage(q, inThread));
  }
  for (const inThread of [true, false]) add('queryCsvAlreadyMessage', query.queryCsvAlreadyMessage(inThread));
  add('queryInviteMessage', query.queryInviteMessage('C0OTHER'));
  for (const code of ['is_archived', 'restricted_action_read_only_channel', 'msg_too_long']) add('querySlackRefusedMessage', query.querySlackRefusedMessage('weekly-active-instances', 'C0OTHER', code));
  add('querySlackRefusedMessage', query.querySlackRefusedMessage(HOSTILE, 'C0OTHER', HOSTILE, 'CSV'));
  add('queryStaleButtonMessage', query.queryStaleButtonMessage(HOSTILE));

  // ---- App Home ----
  add('homeView', home.homeView(homeData()));
  add('homeView', home.homeView({ ...homeData(), mine: [], waiting: [], unavailable: [], roles: { bizops: 'not_member', lookerAdmin: 'not_member' }, canRequestPipeline: false }));
  for (const item of homeData().mine) add('homeStateText', home.homeStateText(item));
  const many = { ...homeData(), mine: Array.from({ length: 45 }, (_, i) => homeItems()[i % 7]!), waiting: Array.from({ length: 45 }, (_, i) => homeData().waiting[i % 7]!) };
  for (const list of ['mine', 'waiting'] as const) {
    // The first page, and the last (the page after a request that would come after all of them).
    for (const at of [{}, { a: [list === 'mine' ? '0' : '9', ''] as const }]) add('homeListModal', home.homeListModal(many, list, at));
    add('homeListModal', home.homeListModal({ ...homeData(), mine: [], waiting: [] }, list));
    for (const state of ['loading', 'failed'] as const) add('homeListPendingModal', home.homeListPendingModal(list, state));
  }
  for (const lookerAdmin of ['not_member', 'unknown'] as const) add('homeListModal', home.homeListModal({ ...many, roles: { bizops: 'not_member', lookerAdmin } }, 'waiting'));

  // ---- the audit log ----
  const entries = auditEntries();
  const ctx = { sourceNames: new Map([['hubspot', `HubSpot ${HOSTILE}`]]) };
  for (const e of entries) {
    add('auditSentence', audit.auditSentence(e, ctx));
    add('auditSentence', audit.auditSentence(e));
    add('auditEntryText', audit.auditEntryText(e, ctx));
  }
  add('auditLogMessage', audit.auditLogMessage(entries, 100, ctx));
  add('auditLogMessage', audit.auditLogMessage([], 20));
  add('auditCsvComment', audit.auditCsvComment(entries.length));
  for (const n of [0, 1, 30]) add('auditExportSentMessage', audit.auditExportSentMessage(n));
  add('auditExportAlreadyMessage', audit.auditExportAlreadyMessage());
  add('auditExportInvalidMessage', audit.auditExportInvalidMessage());
  add('auditNotAllowedMessage', audit.auditNotAllowedMessage());
  add('auditRoleUnknownMessage', audit.auditRoleUnknownMessage());
  add('analyticsUsageMessage', audit.analyticsUsageMessage(HOSTILE));

  // ---- scheduled deliveries and alerts ----
  const title = `Weekly active ${HOSTILE}`;
  const subs = subscriptionSamples();
  for (const q of queries) {
    for (const kind of ['delivery', 'alert'] as const) {
      for (const scheduleKind of ['daily', 'weekdays', 'weekly', 'monthly', 'cron'] as const) {
        add('subscriptionModal', subscriptions.subscriptionModal({ kind, query: q, tz: `America/New_York ${HOSTILE}`, channel: 'C0ANALYTIC', dm: false, params: Object.fromEntries(q.params.map((p) => [p.name, HOSTILE])), scheduleKind, time: '09:00', cron: HOSTILE, condition: { column: 'instances', op: 'above', value: HOSTILE } }));
      }
    }
    add('subscriptionModal', subscriptions.subscriptionModal(subscriptions.modalDataOf(subs[8]!, q)));
    add('subscriptionModal', subscriptions.subscriptionModal({ kind: 'delivery', query: q, tz: '', unknownZone: `Mars/${HOSTILE}`.slice(0, subscriptions.UNKNOWN_ZONE_MAX), channel: null, dm: true, params: {}, scheduleKind: 'daily', time: '09:00' }));
  }
  const wai = queries.find((q) => q.name === 'weekly-active-instances')!;
  for (const s of subs) {
    add('subscriptionFooter', { blocks: subscriptions.subscriptionFooter(s) });
    add('subscriptionManageMessage', subscriptions.subscriptionManageMessage(s, title));
    for (const edited of [true, false]) add('subscriptionSavedMessage', subscriptions.subscriptionSavedMessage(s, title, edited));
    for (const paused of [true, false]) add('subscriptionFailedDm', subscriptions.subscriptionFailedDm(s, title, paused));
    add('subscriptionFailedDm', subscriptions.subscriptionFailedDm(s, title, true, { dueAt: NOW.getTime(), manual: false, message: `the saved query “${HOSTILE}” is no longer in the catalog`, failures: 1, needsEdit: true }));
    // Told once its next run was due: that run is running now.
    if (s.nextRunAt) add('subscriptionFailedDm', subscriptions.subscriptionFailedDm(s, title, false, undefined, { now: new Date(s.nextRunAt), graceMs: 3_600_000 }));
    for (const change of ['paused', 'resumed', 'edited', 'deleted'] as const) {
      for (const exists of [true, false]) add('subscriptionChangedDm', subscriptions.subscriptionChangedDm(change, 'U0BLAKE', s, title, { exists }));
    }
    add('subscriptionCsvBlocks', { blocks: subscriptions.subscriptionCsvBlocks(title, 1234, s) });
    if (s.kind === 'alert') {
      add('alertClosedMessage', subscriptions.alertClosedMessage(s, 'U0BLAKE'));
      add('alertClosedMessage', subscriptions.alertClosedMessage(null, 'U0BLAKE'));
      add('alertClosedMessage', subscriptions.alertClosedMessage(s, 'U0BLAKE', { resolving: true }));
      for (const reason of ['not_found', 'not_allowed'] as const) add('subscriptionEditRefusedModal', subscriptions.subscriptionEditRefusedModal(reason, s));
      add('alertClosedMessage', subscriptions.alertClosedMessage({ ...s, status: 'paused', nextRunAt: null }, 'U0BLAKE'));
      for (const ev of [{ holds: true, latest: 1234, previous: 1000, changePct: 23.4, byPeriod: true }, { holds: true, latest: 1234, previous: null, changePct: null, byPeriod: true }, { holds: false, latest: null, previous: 0, changePct: null, byPeriod: true }]) {
        add('alertFiredMessage', subscriptions.alertFiredMessage(s, wai, ev));
        add('alertResolvedMessage', subscriptions.alertResolvedMessage(s, wai, ev));
      }
    }
  }
  for (const everyone of [true, false]) {
    add('subscriptionsListMessage', subscriptions.subscriptionsListMessage(subs, () => title, { everyone }));
    add('subscriptionsListMessage', subscriptions.subscriptionsListMessage([], () => title, { everyone }));
    // Redrawn after a click on the list: what the click did heads it (the last one deleted leaves none).
    const done = `:wastebasket: Deleted ${subscriptions.subscriptionRefMrkdwn(subs[0]!)}. It will not run again.`;
    add('subscriptionsListMessage', subscriptions.subscriptionsListMessage(subs, () => title, { everyone, done }));
    add('subscriptionsListMessage', subscriptions.subscriptionsListMessage([], () => title, { everyone, done }));
    add('subscriptionRefMrkdwn', subscriptions.subscriptionRefMrkdwn(subs[0]!));
    // Newest first, as listed: the first page, the one after its 20th, and one after a key past the end (the last).
    const many = Array.from({ length: 30 }, (_, i) => ({ ...subs[i % subs.length]!, id: `sub_many${String(i).padStart(6, '0')}`, createdAt: 1_700_000_000_000 - i * 1_000 }));
    for (const at of [{}, { a: [many[19]!.createdAt, many[19]!.id] as const }, { a: [0, 'sub_zzzzzz'] as const }, { b: [many[25]!.createdAt, many[25]!.id] as const }]) {
      add('subscriptionsListMessage', subscriptions.subscriptionsListMessage(many, () => title, { everyone, done: ':arrow_forward: Resumed `SUB-MANY01`.', at }));
    }
  }
  for (const reason of ['not_found', 'not_allowed', 'already'] as const) add('subscriptionRefusedMessage', subscriptions.subscriptionRefusedMessage(reason));
  // The Manage modal App Home opens: as opened, after a click, and after Delete (no controls left).
  for (const s of subs) {
    add('subscriptionManageModal', subscriptions.subscriptionManageModal(s, title));
    add('subscriptionManageModal', subscriptions.subscriptionManageModal(s, title, { done: `:double_vertical_bar: Paused ${subscriptions.subscriptionRefMrkdwn(s)}.` }));
    add('subscriptionManageModal', subscriptions.subscriptionManageModal(s, title, { done: `:wastebasket: Deleted ${subscriptions.subscriptionRefMrkdwn(s)}. It will not run again.`, gone: true }));
  }
  add('subscriptionMissingModal', subscriptions.subscriptionMissingModal());
  add('alertNothingToWatchMessage', subscriptions.alertNothingToWatchMessage({ ...catalog.get('instances-on-version')!, title }));
  add('homeSubscriptionBlocks', { blocks: subscriptions.homeSubscriptionBlocks(Array.from({ length: 20 }, (_, i) => ({ subscription: subs[i % subs.length]!, title }))) });

  // ---- common ----
  add('failureMessage', common.failureMessage(`It broke ${HOSTILE}`.replace(/[<>&]/g, ''), 'Try again.'));
  add('noteMessage', common.noteMessage('A note.'));
  add('formGoneModal', common.formGoneModal());
  add('formGoneModal', common.formGoneModal('A note.'));
  add('queryGoneModal', common.queryGoneModal(HOSTILE, 'run'));
  add('queryGoneModal', common.queryGoneModal(HOSTILE, 'saved'));
  return { outputs, covered };
}
