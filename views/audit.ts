/**
 * Block Kit for `/analytics`: the audit log (who, what, when, before → after),
 * the refusal for people without the right, and usage. Pure functions of data.
 */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../src/ports/store.js';
import { Commands } from '../src/ids.js';
import { AUDIT_DEFAULT_COUNT, AUDIT_MAX_COUNT, changedFields } from '../src/services/audit.js';
import { escapeMrkdwn, SLACK_LIMITS, slackDate, escapeAndTruncate, truncateMrkdwn, type MessageBody } from './common.js';

/** Fields listed per entry; the rest are counted. */
const MAX_FIELDS_SHOWN = 6;
/** One entry never takes more than this much of a section. */
const MAX_ENTRY_CHARS = 900;
/** Fields that change with every write and say nothing on their own. */
const NOISE = new Set(['updatedAt', '_version', 'expiresAt']);

function value(v: unknown): string {
  if (v === undefined || v === null || v === '') return '–';
  if (typeof v === 'string') return /^[UW][A-Z0-9]{2,30}$/.test(v) ? `<@${v}>` : `“${escapeAndTruncate(v.replace(/\s+/g, ' '), 60)}”`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `\`${escapeAndTruncate(JSON.stringify(v), 60)}\``;
}

function actor(a: string): string {
  return /^[UW][A-Z0-9]{2,30}$/.test(a) ? `<@${a}>` : escapeMrkdwn(a === 'bot' ? 'the bot' : a);
}

/** One entry as mrkdwn: when, who, what, on what, and what changed. */
export function auditEntryText(e: Required<AuditEntry>): string {
  const when = Number.isNaN(Date.parse(e.at)) ? escapeMrkdwn(e.at) : slackDate(new Date(e.at));
  const head = `${when} ${actor(e.actor)} *${escapeMrkdwn(e.action)}* \`${escapeAndTruncate(e.subject, 80)}\``;
  const changes = changedFields(e.before, e.after).filter((c) => !NOISE.has(c.field));
  let detail: string;
  if (!e.before && e.after) {
    detail = `created: ${changes.slice(0, MAX_FIELDS_SHOWN).map((c) => `${escapeMrkdwn(c.field)} ${value(c.after)}`).join(', ')}`;
  } else if (e.before && !e.after) {
    detail = 'removed';
  } else {
    detail = changes.slice(0, MAX_FIELDS_SHOWN).map((c) => `${escapeMrkdwn(c.field)}: ${value(c.before)} → ${value(c.after)}`).join('; ');
  }
  const more = changes.length > MAX_FIELDS_SHOWN ? ` (+${changes.length - MAX_FIELDS_SHOWN} more)` : '';
  return truncateMrkdwn(detail ? `${head}\n      ${detail}${more}` : head, MAX_ENTRY_CHARS);
}

/** The last entries, newest first, packed into as few sections as Slack allows. */
export function auditLogMessage(entries: Required<AuditEntry>[], asked: number): MessageBody {
  const title = entries.length === 0
    ? 'The audit log is empty: no request, decision, grant, revoke or expiry yet.'
    : `*Audit log*: the last ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${entries.length < asked ? ` (all there are; you asked for ${asked})` : ''}, newest first.`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: title } }];
  let chunk = '';
  const flush = () => {
    if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
    chunk = '';
  };
  for (const e of entries) {
    const line = auditEntryText(e);
    if (chunk.length + line.length + 1 > SLACK_LIMITS.sectionText) flush();
    chunk = chunk ? `${chunk}\n${line}` : line;
  }
  flush();
  return { text: entries.length ? `Audit log: last ${entries.length} entries` : 'The audit log is empty.', blocks: blocks.slice(0, SLACK_LIMITS.messageBlocks) };
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
  ].filter(Boolean).join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
