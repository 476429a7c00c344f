/**
 * Block Kit for `/analytics`: the audit log, each entry a sentence a person
 * reads ("Alex approved Riley's Develop access to Looker for 14 days"), with
 * the raw fields kept for export (a CSV file); the refusal for people without
 * the right, and usage. Pure functions of data.
 */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry, StoreDoc } from '../src/ports/store.js';
import { ActionIds, BlockIds, Commands, isUserId } from '../src/ids.js';
import { AUDIT_DEFAULT_COUNT, AUDIT_EXPORT_DEFAULT_COUNT, AUDIT_EXPORT_MAX_COUNT, AUDIT_MAX_COUNT, auditListMark } from '../src/services/audit.js';
import { lookerRequestRef } from '../src/services/looker-access.js';
import { requestRef } from '../src/services/pipeline-request.js';
import { subscriptionRef } from '../src/services/subscriptions.js';
import { describeSchedule, SCHEDULE_KINDS, type Schedule } from '../src/domain/schedule.js';
import { describeCondition, type AlertCondition } from '../src/domain/alert-condition.js';
import { SOURCE_SYSTEM_LABEL, type SourceSystem } from '../src/services/pipeline-request-sources.js';
import { isLookerLevel, levelLabel } from '../src/domain/looker-policy.js';
import { toCsv } from '../src/charts/spec.js';
import { escapeMrkdwn, isChannelId, SLACK_LIMITS, slackDate, escapeAndTruncate, quoteUserText, truncateMrkdwn, type MessageBody } from './common.js';
import { localeNumber } from '../src/format.js';
import { duration } from './freshness.js';

type Entry = Required<AuditEntry>;

/** What the audit view knows beyond the entries: source names by ID (from sources.yml). */
export interface AuditContext {
  sourceNames?: ReadonlyMap<string, string>;
}

/** Who did it, at the start of a sentence. */
function who(actor: string): string {
  return isUserId(actor) ? `<@${actor}>` : actor === 'bot' ? 'The bot' : escapeAndTruncate(actor, 40);
}

/** "<@U1>'s", or "someone's" when the field is missing. */
function whose(user: unknown): string {
  return isUserId(user) ? `<@${user}>'s` : "someone's";
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Text someone typed (a reason, a service's error), quoted, escaped and short. */
// Reasons people typed and errors vendors wrote, quoted as typed: their marks (* _ ~ `) format nothing.
const quoted = (v: unknown, max = 160): string => quoteUserText(String(v).replace(/\s+/g, ' ').trim(), max);
const code = (v: string): string => `\`${escapeAndTruncate(v, 80)}\``;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The request a Looker entry is about: the whole record on requests and decisions, else only its ID. */
function lookerDoc(e: Entry): StoreDoc {
  return { ...(e.before ?? {}), ...(e.after ?? {}) };
}

/** "Develop access to Looker for 14 days", from a stored request. */
function lookerPhrase(d: StoreDoc): string {
  const level = isLookerLevel(d['level']) ? levelLabel(d['level']) : 'Looker';
  const days = num(d['durationDays']);
  return `${level} access to Looker${days ? ` for ${plural(days, 'day')}` : ''}`;
}

function lookerRef(e: Entry): string {
  return /^la_/.test(e.subject) ? `\`${lookerRequestRef(e.subject)}\`` : code(e.subject);
}

function pipelineRef(e: Entry): string {
  const d = lookerDoc(e);
  const source = str(d['source']);
  const destination = str(d['destination']);
  const ref = /^pr_/.test(e.subject) ? `\`${requestRef(e.subject)}\`` : code(e.subject);
  const label = source && Object.hasOwn(SOURCE_SYSTEM_LABEL, source) ? SOURCE_SYSTEM_LABEL[source as SourceSystem] : null;
  return label && destination ? `${ref} (${label} → \`${escapeAndTruncate(destination, 60)}\`)` : ref;
}

function sourceName(e: Entry, ctx: AuditContext): string {
  const name = ctx.sourceNames?.get(e.subject);
  return name ? `*${escapeMrkdwn(name)}*` : code(e.subject);
}

function when(iso: unknown, format?: string): string | null {
  const s = str(iso);
  return s && !Number.isNaN(Date.parse(s)) ? slackDate(new Date(s), format) : null;
}

/** What a job that gave up was doing, by its kind. */
const JOB_WORDS: Record<string, string> = {
  notice: 'sending a message to Slack',
  'notice.2': 'sending a message to Slack',
  'query.deliver': 'posting a /query result',
  'looker.grant': 'granting Looker access',
  'looker.revoke': 'taking Looker roles back',
  'looker.remind': 'reminding someone that their Looker access ends',
  'looker.expire': 'ending Looker access',
  'looker.sweep': 'checking Looker access for expiry',
  'rerun.start': 'starting a rerun',
  'rerun.poll': 'following a rerun',
  'rerun.after': 'checking freshness after a rerun',
  'freshness.check': 'checking the sources for freshness',
  'subscription.run': 'running a scheduled delivery or alert',
};

/** The short ID of any stored ID an entry names: LA-, PR- or SUB-. */
function shortRef(id: string): string {
  return id.startsWith('la_') ? lookerRequestRef(id) : id.startsWith('sub_') ? subscriptionRef(id) : requestRef(id);
}

/** "the alert `SUB-7QK2ZD` on `weekly-active-instances`", from what the entry holds. */
function subscriptionPhrase(e: Entry): string {
  const d = lookerDoc(e);
  const alert = d['kind'] === 'alert' || e.action.startsWith('subscription.alert_');
  const kind = alert ? 'alert' : d['kind'] === 'delivery' ? 'scheduled delivery' : 'scheduled delivery or alert';
  const ref = /^sub_/.test(e.subject) ? `\`${subscriptionRef(e.subject)}\`` : code(e.subject);
  const query = str(d['query']);
  return `the ${kind} ${ref}${query ? ` ${alert ? 'on' : 'of'} ${code(query)}` : ''}`;
}

/** When and where it runs, and (an alert) on what: ": Weekdays at 09:00 (UTC), to #analytics", or nothing when the entry lacks it. */
function subscriptionDetails(d: StoreDoc): string {
  const parts: string[] = [];
  const c = d['condition'] as AlertCondition | null | undefined;
  if (c && typeof c === 'object' && typeof c.column === 'string' && typeof c.value === 'number') parts.push(`when ${escapeMrkdwn(describeCondition(c))}`);
  const sch = d['schedule'] as Schedule | undefined;
  if (sch && typeof sch === 'object' && (SCHEDULE_KINDS as readonly string[]).includes(sch.kind)) {
    try {
      parts.push(escapeMrkdwn(describeSchedule(sch)));
    } catch {
      // A record from an older shape: the sentence does without it.
    }
  }
  const t = d['target'] as { kind?: string; channel?: string } | undefined;
  if (t?.kind === 'channel' && isChannelId(t.channel)) parts.push(`to <#${t.channel}>`);
  else if (t?.kind === 'dm') parts.push(`to ${whose(d['owner'])} DMs`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}

const RERUN_OUTCOME: Record<string, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'was not followed to its end (it took too long)',
  rescheduled: 'was rescheduled by the service',
};

/** One entry as a sentence: who did what to what, in words, with the short request IDs people see elsewhere. */
export function auditSentence(e: Entry, ctx: AuditContext = {}): string {
  const a = who(e.actor);
  const d = lookerDoc(e);
  const after = e.after ?? {};
  switch (e.action) {
    // ---- Looker access ----
    case 'looker_access.requested': {
      const forOther = str(d['subjectId']) && d['subjectId'] !== d['requesterId'] ? ` on behalf of <@${String(d['subjectId'])}>` : '';
      return `${a} asked for ${lookerPhrase(d)}${forOther} (${lookerRef(e)}).`;
    }
    case 'looker_access.approved':
      return e.actor === 'bot'
        ? `The bot approved ${whose(d['subjectId'])} ${lookerPhrase(d)} at once (${lookerRef(e)}): View for a listed team, with their own Slack email.`
        : `${a} approved ${whose(d['subjectId'])} ${lookerPhrase(d)} (${lookerRef(e)}).`;
    case 'looker_access.denied':
      return `${a} denied ${whose(d['subjectId'])} ${lookerPhrase(d)} (${lookerRef(e)})${str(d['denyReason']) ? `: ${quoted(d['denyReason'])}` : ''}.`;
    case 'looker_access.granted': {
      const grant = (after['grant'] ?? {}) as StoreDoc;
      const groups = Array.isArray(grant['addedGroupIds']) ? grant['addedGroupIds'].length : 0;
      const roles = Array.isArray(grant['addedRoleIds']) ? grant['addedRoleIds'].length : 0;
      const added = groups + roles ? `${[groups ? plural(groups, 'group') : '', roles ? plural(roles, 'role') : ''].filter(Boolean).join(' and ')} added` : 'they had it all already';
      return `${lookerRef(e)} was granted in Looker${grant['createdUser'] === true ? ', as a new Looker user' : ''}: ${added}.`;
    }
    case 'looker_access.manual_grant_needed':
      return `${lookerRef(e)} is approved; Looker is not connected to the bot, so a Looker admin grants it by hand.`;
    case 'looker_access.grant_failed':
      return `The bot gave up granting ${lookerRef(e)} in Looker${str(after['grantError']) ? `: ${quoted(after['grantError'])}` : ''}. The Looker admins were asked to grant it by hand.`;
    case 'looker_access.grant_retried': {
      const failed = str((e.before ?? {})['grantError']);
      return `${a} retried the grant of ${lookerRef(e)} in Looker${failed ? `, which had failed: ${quoted(failed)}` : ''}.`;
    }
    case 'looker_access.reminded':
      return `The bot reminded the requester of ${lookerRef(e)} that it ends in a day.`;
    case 'looker_access.expired':
      return `${whose(d['subjectId']).replace(/^s/, 'S')} ${lookerPhrase(d)} ended (${lookerRef(e)}).`;
    case 'looker_access.revoked': {
      const removed = Array.isArray(after['revokedRoleIds']) ? after['revokedRoleIds'].length : 0;
      if (after['lookerUserMissing'] === true) return `At the end of ${lookerRef(e)} Looker answered that the user does not exist, so the bot removed nothing; the Looker admins were asked to check.`;
      return removed
        ? `The bot took ${plural(removed, 'role')} back in Looker at the end of ${lookerRef(e)}.`
        : `At the end of ${lookerRef(e)} the bot found no role left to take back in Looker.`;
    }
    case 'looker_access.revoke_failed':
      return `The bot could not take the roles of ${lookerRef(e)} back in Looker${str(after['revokeError']) ? `: ${quoted(after['revokeError'])}` : ''}. The Looker admins were asked to remove them by hand.`;

    // ---- pipeline requests ----
    case 'pipeline_request.created':
      return `${a} asked BizOps for a pipeline: ${pipelineRef(e)}.`;
    case 'pipeline_request.accepted':
      return `${a} accepted ${pipelineRef(e)}.`;
    case 'pipeline_request.declined':
      return `${a} declined ${pipelineRef(e)}${str(d['declineReason']) ? `: ${quoted(d['declineReason'])}` : ''}.`;
    case 'pipeline_request.live':
      return `${a} marked ${pipelineRef(e)} live.`;

    // ---- freshness alerts and reruns ----
    case 'freshness.alert_opened': {
      const late = num(after['lateByMs']);
      const last = when(after['lastUpdated']);
      return `${sourceName(e, ctx)} went stale${late !== null ? `, ${duration(late)} late` : ''}${last ? ` (last update ${last})` : ''}: the bot posted an alert.`;
    }
    case 'freshness.alert_recovered': {
      const last = when(after['lastUpdated']);
      return `${sourceName(e, ctx)} is fresh again${last ? ` (last update ${last})` : ''}: the bot marked its alert recovered.`;
    }
    case 'freshness.alert_snoozed': {
      const until = num(after['snoozedUntil']);
      return `${a} snoozed the reminders of ${sourceName(e, ctx)}'s alert${until ? ` until ${slackDate(new Date(until), '{time}')}` : ''}.`;
    }
    case 'freshness.alert_acknowledged':
      return `${a} acknowledged ${sourceName(e, ctx)}'s alert: no more reminders.`;
    case 'freshness.alert_closed_source_removed':
      return `${sourceName(e, ctx)} was taken out of the sources file while stale: the bot closed its alert.`;
    case 'freshness.alert_rerun_linked':
      return `${sourceName(e, ctx)}'s alert now links to the rerun ${e.actor === 'bot' ? 'the bot' : a} started.`;
    case 'pipeline.rerun_requested':
      return `${a} reran ${sourceName(e, ctx)}${after['force'] === true ? ' (forced: restarting any sync already running)' : ''}.`;
    case 'pipeline.rerun_asked':
      return `${a} asked BizOps to rerun ${sourceName(e, ctx)}.`;
    case 'pipeline.rerun_finished': {
      const outcome = str(after['outcome']);
      const error = str(after['error']);
      return `The rerun of ${sourceName(e, ctx)} ${outcome ? (RERUN_OUTCOME[outcome] ?? `ended (${escapeMrkdwn(outcome)})`) : 'ended'}${error ? `: ${quoted(error)}` : ''}.`;
    }

    // ---- scheduled deliveries and alerts ----
    case 'subscription.created': {
      const p = subscriptionPhrase(e);
      return `${a} set up ${p.replace(/^the (alert|scheduled)/, (_, w: string) => (w === 'alert' ? 'an alert' : 'a scheduled'))}${subscriptionDetails(after)}.`;
    }
    case 'subscription.updated':
      return `${a} edited ${subscriptionPhrase(e)}${subscriptionDetails(after)}.`;
    case 'subscription.deleted':
      return `${a} deleted ${subscriptionPhrase(e)}.`;
    case 'subscription.run_now':
      return `${a} ran ${subscriptionPhrase(e)} now, outside its schedule.`;
    case 'subscription.paused':
      return `${a} paused ${subscriptionPhrase(e)}.`;
    case 'subscription.resumed':
      return `${a} resumed ${subscriptionPhrase(e)}.`;
    case 'subscription.alert_fired':
      return `${subscriptionPhrase(e).replace(/^t/, 'T')} went off${str(after['message']) ? ` (${escapeAndTruncate(String(after['message']), 80)})` : ''}: the bot posted it.`;
    case 'subscription.alert_resolved':
      return `${subscriptionPhrase(e).replace(/^t/, 'T')} no longer holds${str(after['message']) ? ` (${escapeAndTruncate(String(after['message']), 80)})` : ''}: the bot said so in its thread.`;
    case 'subscription.run_failed':
      return `A run of ${subscriptionPhrase(e)} failed${str(after['message']) ? `: ${quoted(after['message'])}` : ''}. Its owner was told.`;
    case 'subscription.paused_after_failures': {
      const failures = num(after['failures']);
      return `${subscriptionPhrase(e).replace(/^t/, 'T')} paused itself after ${failures ? plural(failures, 'failed run') : 'failed runs'} in a row${str(after['message']) ? `; the last: ${quoted(after['message'])}` : ''}. Its owner was told.`;
    }

    // ---- the job runner ----
    case 'job.failed': {
      const kind = str(after['kind']) ?? '';
      const attempts = num(after['attempts']);
      const about = /(?:la|pr|sub)_[A-Za-z0-9]+/.exec(e.subject)?.[0];
      const ref = about ? ` for ${shortRef(about)}` : '';
      const what = JOB_WORDS[kind] ?? `a background job (${code(kind || e.subject)})`;
      return `The bot gave up ${what}${ref}${attempts ? ` after ${plural(attempts, 'attempt')}` : ''}${str(after['error']) ? `: ${quoted(after['error'])}` : ''}.`;
    }
    default:
      return `${a}: ${code(e.action)} on ${code(e.subject)}.`;
  }
}

/** One entry as mrkdwn: when, then the sentence. */
export function auditEntryText(e: Entry, ctx: AuditContext = {}): string {
  const at = Number.isNaN(Date.parse(e.at)) ? escapeAndTruncate(e.at, 40) : slackDate(new Date(e.at));
  return truncateMrkdwn(`${at} · ${auditSentence(e, ctx)}`, 900);
}

/** The last entries, newest first, packed into as few sections as Slack allows, with a button for the raw fields. */
export function auditLogMessage(entries: Entry[], asked: number, ctx: AuditContext = {}, requested = asked): MessageBody {
  // Asked for more than the most shown at once: say so, and how to get more (not "all there are; you asked for 100").
  const note = requested > asked
    ? entries.length < asked
      ? ' (all there are)'
      : ` (at most ${localeNumber(asked)} are shown here; \`${Commands.analytics} audit export ${Math.min(requested, AUDIT_EXPORT_MAX_COUNT)}\` sends up to ${localeNumber(AUDIT_EXPORT_MAX_COUNT)} as a CSV file)`
    : entries.length < asked ? ` (all there are; you asked for ${localeNumber(asked)})` : '';
  const title = entries.length === 0
    ? 'The audit log is empty: no request, decision, grant, revoke or expiry yet.'
    : `*Audit log*: the last ${localeNumber(entries.length)} entr${entries.length === 1 ? 'y' : 'ies'}${note}, newest first.`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: title } }];
  // Room for the footer and the button.
  const maxSections = SLACK_LIMITS.messageBlocks - 3;
  let chunk = '';
  const flush = () => {
    if (chunk && blocks.length < maxSections) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
    chunk = '';
  };
  for (const e of entries) {
    const line = auditEntryText(e, ctx);
    if (chunk.length + line.length + 1 > SLACK_LIMITS.sectionText) flush();
    chunk = chunk ? `${chunk}\n${line}` : line;
  }
  flush();
  if (entries.length) {
    blocks.push(
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Every field before and after each change is in the CSV: the button below, or \`${Commands.analytics} audit export [n]\`.` }] },
      {
        type: 'actions',
        block_id: BlockIds.auditActions,
        elements: [{ type: 'button', action_id: ActionIds.auditExport, text: { type: 'plain_text', text: 'Download as CSV' }, value: auditListMark(entries) }],
      },
    );
  }
  return { text: entries.length ? `Audit log: last ${plural(entries.length, 'entry', 'entries')}` : 'The audit log is empty.', blocks };
}

/** The raw entries as CSV, for a spreadsheet: every field, before and after as JSON, and the sentence in plain words. */
export function auditCsv(entries: Entry[]): string {
  const columns = ['at', 'actor', 'action', 'subject', 'before', 'after'];
  return toCsv(columns, entries.map((e) => ({
    at: e.at,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    before: e.before ? JSON.stringify(e.before) : '',
    after: e.after ? JSON.stringify(e.after) : '',
  })));
}

/** The comment on the CSV file. */
export function auditCsvComment(count: number): string {
  return `The last ${plural(count, 'audit log entry', 'audit log entries')}, newest first: every field, before and after each change (JSON).`;
}

/** Where the CSV went, to the person who asked for it. */
export function auditExportSentMessage(count: number): MessageBody {
  const text = count
    ? `:page_facing_up: The CSV of the last ${plural(count, 'entry', 'entries')} is in your DM with me.`
    : ':page_facing_up: The audit log is empty: there is nothing to export.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A second Download as CSV of the same message, a moment after the first. */
export function auditExportAlreadyMessage(): MessageBody {
  const text = ':page_facing_up: The CSV of these entries is already in your DM with me (or on its way): I sent it a moment ago.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A Download as CSV whose value the bot never sent (a forged or tampered click): nothing is exported. */
export function auditExportInvalidMessage(): MessageBody {
  const text = `:no_entry_sign: That Download as CSV button is not valid, so I sent nothing. Run \`${Commands.analytics} audit\` for a fresh one, or \`${Commands.analytics} audit export [n]\`.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** For someone who is neither a Looker admin nor in BizOps. */
export function auditNotAllowedMessage(): MessageBody {
  const text = ':lock: Sorry, the audit log is only for Looker admins and BizOps. If you need something from it, ask in #analytics.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Slack could not tell us the user's groups. */
export function auditRoleUnknownMessage(): MessageBody {
  const text = ':warning: I could not check your groups with Slack, so I cannot show the audit log right now. Please try again in a minute.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Usage, or what was wrong with the count. */
export function analyticsUsageMessage(problem?: string): MessageBody {
  const c = Commands.analytics;
  const text = [
    problem ? `:warning: ${escapeMrkdwn(problem)}` : null,
    `\`${c} audit [n]\` shows the last n audit log entries (default ${AUDIT_DEFAULT_COUNT}, at most ${AUDIT_MAX_COUNT}); for Looker admins and BizOps.`,
    `\`${c} audit export [n]\` sends them as a CSV file with every field (default ${AUDIT_EXPORT_DEFAULT_COUNT}, at most ${AUDIT_EXPORT_MAX_COUNT}).`,
  ].filter(Boolean).join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
