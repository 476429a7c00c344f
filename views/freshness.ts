/**
 * Block Kit for freshness: the alert (stale, then recovered), its thread
 * replies, `/pipeline status`, and what non-BizOps get instead of a rerun.
 * Pure functions of data.
 */
import type { ActionsBlock, Button, KnownBlock, Overflow, PlainTextOption } from '@slack/types';
import { ActionIds, BlockIds, Commands, isUserId } from '../src/ids.js';
import type { Source } from '../src/sources/catalog.js';
import type { DisplayState, SourceFreshness } from '../src/services/freshness.js';
import type { AlertDoc } from '../src/services/freshness-alerts.js';
import { editDistance } from '../src/domain/customer-match.js';
import { escapeMrkdwn, joinWithin, noteMessage, slackDate, truncate, quoteUserText, truncateMrkdwn, SLACK_LIMITS, type MessageBody } from './common.js';
import { localeNumber } from '../src/format.js';

/** The alert document and the time it is rendered at. */
export interface AlertView {
  doc: AlertDoc;
  now: Date;
}

const STATE_LABEL: Record<DisplayState, string> = {
  stale: ':red_circle: stale',
  unknown: ':white_circle: unknown',
  running: ':arrows_counterclockwise: running',
  fresh: ':large_green_circle: fresh',
};

/** A Slack user (U…/W…) or user group (S…) ID as a mention; anything else as text. */
export function ownerMention(owner: string): string {
  if (isUserId(owner)) return `<@${owner}>`;
  if (/^S[A-Z0-9]{2,}$/.test(owner)) return `<!subteam^${owner}>`;
  return escapeMrkdwn(owner);
}

/** "12 s", "3 h 20 min", "2 days 4 h": a duration for lateness, SLAs and runs. */
export function duration(ms: number): string {
  // A run of a few seconds is not "0 min".
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.max(1, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} days ${h % 24} h` : `${d} days`;
}

const slaText = (s: Source) => `updated within ${duration(s.slaHours * 3_600_000)} (${escapeMrkdwn(s.schedule)})`;
/** How long ago to the minute, as lateness and SLAs are said: "3 h 37 min ago" beside "SLA 3 h · 37 min late" adds up. */
const sinceText = (at: Date, now: Date) => (now.getTime() - at.getTime() < 90_000 ? 'just now' : `${duration(now.getTime() - at.getTime())} ago`);
const lastUpdateText = (at: Date | null, now: Date) => (at ? `${slackDate(at)} (${sinceText(at, now)})` : 'unknown');

/** A rerun linked to an alert, on its card: while it runs, and as it ended. */
const RERUN_SAID: Record<NonNullable<AlertDoc['rerunOutcome']> | 'running', [string, string]> = {
  running: [':arrows_counterclockwise:', 'rerun requested'],
  succeeded: [':white_check_mark:', 'rerun finished'],
  failed: [':x:', 'rerun failed'],
  timed_out: [':warning:', 'rerun not finished'],
  rescheduled: [':calendar:', 'rerun rescheduled'],
};

/** The alert in the channel: stale with buttons, or recovered without. */
export function freshnessAlertMessage(source: Source, { doc, now }: AlertView): MessageBody {
  const name = escapeMrkdwn(source.name);
  const lastUpdate = doc.lastUpdatedIso ? new Date(doc.lastUpdatedIso) : null;
  const opened = doc.openedAt ? new Date(doc.openedAt) : now;
  // Stale since it passed its SLA, not since the alert was posted: it was already late by then.
  const staleSince = new Date(opened.getTime() - Math.max(0, doc.lateByMs));
  // Closed because its source was taken out of the sources file: never drawn as stale, with buttons.
  if (doc.state === 'closed' && doc.removedAt) return freshnessAlertRemovedMessage(doc.sourceName ?? source.name, doc);
  if (doc.state === 'closed' && doc.recoveredAt) return freshnessAlertRecoveredMessage(source.name, doc, source);
  // As late as the card's Late by field says, as of this drawing: a card redrawn a day later (acknowledged, snoozed,
  // a rerun linked) must not leave its notification and screen-reader text at the first check's lateness.
  const lateNow = Math.max(doc.lateByMs, now.getTime() - staleSince.getTime());
  const handled = doc.acknowledgedBy ? `, acknowledged by <@${doc.acknowledgedBy}>` : '';
  const rerun = doc.rerunLink ? `, ${RERUN_SAID[doc.rerunOutcome ?? 'running'][1]}` : '';
  const text = `:red_circle: ${name} is stale: ${duration(lateNow)} late${handled}${rerun}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${source.name} is stale`, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Last update*\n${lastUpdateText(lastUpdate, now)}` },
        // As of this drawing, as the last update's age beside it is (a card redrawn days later adds up), and since when, with its day.
        { type: 'mrkdwn', text: `*Late by*\n${duration(lateNow)} (since ${slackDate(staleSince)})` },
        { type: 'mrkdwn', text: `*Expected*\n${slaText(source)}` },
        { type: 'mrkdwn', text: `*Owner*\n${ownerMention(source.owner)}` },
      ],
    },
  ];
  const status: string[] = [`Tables: ${source.tables.map((t) => `\`${escapeMrkdwn(t.name)}\``).join(', ')}`];
  if (doc.acknowledgedBy) status.push(`:eyes: acknowledged by <@${doc.acknowledgedBy}>`);
  // Acknowledged: reminders stopped for good, so a snooze from before says nothing any more.
  if (!doc.acknowledgedBy && doc.snoozedUntil && doc.snoozedUntil > now.getTime()) status.push(`:zzz: reminders snoozed until ${slackDate(new Date(doc.snoozedUntil))} by <@${doc.snoozedBy}>`);
  if (doc.rerunLink) {
    // While it runs, "requested"; once it ended, how: the card never says a rerun is under way after it ended.
    const [icon, said] = RERUN_SAID[doc.rerunOutcome ?? 'running'];
    status.push(`${icon} <${doc.rerunLink}|${said}>${doc.rerunBy ? ` by <@${doc.rerunBy}>` : ''}`);
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(status.join(' · '), 3000) }] });
  const snooze: Overflow = {
    type: 'overflow',
    action_id: ActionIds.freshnessSnooze,
    options: [1, 4, 24].map((h): PlainTextOption => ({ text: { type: 'plain_text', text: `Snooze reminders ${h} h` }, value: `${source.id}:${h}` })),
  };
  const elements: ActionsBlock['elements'] = [
    ...(source.rerun ? [{ type: 'button' as const, action_id: ActionIds.freshnessRerun, style: 'primary' as const, text: { type: 'plain_text' as const, text: 'Rerun' }, value: source.id }] : []),
    ...(doc.acknowledgedBy ? [] : [{ type: 'button' as const, action_id: ActionIds.freshnessAcknowledge, text: { type: 'plain_text' as const, text: 'Acknowledge' }, value: source.id }, snooze]),
  ];
  // Slack refuses an actions block with nothing in it (acknowledged, and no pipeline to rerun).
  if (elements.length) blocks.push({ type: 'actions', block_id: BlockIds.freshnessAlertActions, elements });
  return { text, blocks };
}

/**
 * The card of an alert that recovered. `source`: as the sources file lists it; absent once it was taken out (a replica
 * of the next revision draws the recovery all the same, without the owner and SLA it no longer knows).
 */
export function freshnessAlertRecoveredMessage(sourceName: string, doc: AlertDoc, source?: Source): MessageBody {
  const name = escapeMrkdwn(sourceName);
  const opened = doc.openedAt ? new Date(doc.openedAt) : new Date(doc.recoveredAt ?? 0);
  const staleSince = new Date(opened.getTime() - Math.max(0, doc.lateByMs));
  const recovered = new Date(doc.recoveredAt ?? 0);
  const newUpdate = doc.recoveredLastUpdateIso ? new Date(doc.recoveredLastUpdateIso) : null;
  const text = `:white_check_mark: ${name} recovered ${recovered.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  // Slack's date tokens read "Today at 8:08 PM": never after "at" or "on".
  const lines = [
    `:white_check_mark: *${name} recovered* ${slackDate(recovered)}, after ${duration(recovered.getTime() - staleSince.getTime())} stale (since ${slackDate(staleSince)}).`,
    newUpdate ? `Its last update is now ${slackDate(newUpdate)}.` : '',
  ].filter(Boolean);
  const context = source ? [`Owner ${ownerMention(source.owner)}`, `SLA: ${slaText(source)}`] : [];
  // A mention cannot sit inside a link's label: Slack would show it raw.
  if (doc.rerunLink) context.push(`<${doc.rerunLink}|${doc.rerunOutcome && doc.rerunOutcome !== 'succeeded' ? RERUN_SAID[doc.rerunOutcome][1] : 'rerun'}>${doc.rerunBy ? ` by <@${doc.rerunBy}>` : ''}`);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      ...(context.length ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: context.join(' · ') }] }] : []),
    ],
  };
}

/**
 * The card of an alert whose source was taken out of the sources file while it was stale: closed, without the
 * buttons (a rerun, a snooze or an acknowledge of a source no longer checked could only be refused).
 */
export function freshnessAlertRemovedMessage(sourceName: string, doc: Pick<AlertDoc, 'removedAt'>): MessageBody {
  const name = escapeMrkdwn(sourceName);
  const when = doc.removedAt ? ` ${slackDate(new Date(doc.removedAt))}` : '';
  return {
    text: `:heavy_minus_sign: ${name} is no longer checked`,
    blocks: [{
      type: 'section',
      text: { type: 'mrkdwn', text: truncateMrkdwn(`:heavy_minus_sign: *${name} is no longer checked*: it was taken out of the sources file${when} while stale, so this alert is closed. If it is put back and is stale, a new alert is posted.`, 3000) },
    }],
  };
}

/** The reminder in the alert's thread while the source stays stale. */
export function freshnessReminderReply(r: SourceFreshness): MessageBody {
  const last = lastUpdateText(r.lastUpdated, r.checkedAt);
  const text = `:alarm_clock: ${escapeMrkdwn(r.source.name)} is still stale: ${duration(r.lateByMs)} late. Last update ${last}. Owner ${ownerMention(r.source.owner)}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** The thread reply when the source is fresh again. */
export function freshnessRecoveredReply(sourceName: string, r: Pick<SourceFreshness, 'checkedAt' | 'lastUpdated'>, doc: AlertDoc, now: Date = r.checkedAt): MessageBody {
  const since = doc.openedAt ? ` after ${duration(r.checkedAt.getTime() - (doc.openedAt - Math.max(0, doc.lateByMs)))} stale` : '';
  // Posted long after the recovery (Slack refused the app's token until it was reinstalled): said as of then, not now.
  const when = now.getTime() - r.checkedAt.getTime() > LATE_REPLY_MS ? `was fresh again ${slackDate(r.checkedAt)}` : 'is fresh again';
  const text = `:white_check_mark: ${escapeMrkdwn(sourceName)} ${when}${since}: last update ${r.lastUpdated ? slackDate(r.lastUpdated) : 'unknown'}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A recovery's reply posted later than this after the recovery says when it was. */
const LATE_REPLY_MS = 15 * 60_000;

/**
 * The next step on a stale row of `/pipeline status`: Rerun for BizOps (or
 * when Slack could not say: the click is checked again), "Ask BizOps" for
 * anyone else; nothing when the source cannot rerun or a rerun is under way.
 */
function staleRowButton(r: SourceFreshness, viewerInBizops: boolean | null): Button | undefined {
  if (r.dataState !== 'stale' || !r.source.rerun || r.rerun) return undefined;
  return viewerInBizops === false
    ? { type: 'button', action_id: ActionIds.rerunRequest, text: { type: 'plain_text', text: 'Ask BizOps to rerun' }, value: r.source.id }
    : { type: 'button', action_id: ActionIds.freshnessRerun, style: 'primary', text: { type: 'plain_text', text: 'Rerun' }, value: r.source.id };
}

/** Sources `/pipeline status` lists (a block each, within Slack's 50). */
const STATUS_MAX_ROWS = 40;

/** `/pipeline status`: every source, worst first; stale ones with a Rerun button (BizOps) or a way to ask BizOps. */
export function pipelineStatusMessage(
  results: SourceFreshness[],
  opts: { now: Date; warehouse: string; alertsChannel: string | undefined; viewerInBizops?: boolean | null },
): MessageBody {
  const counts = (['stale', 'unknown', 'running', 'fresh'] as const).map((s) => [s, results.filter((r) => r.state === s).length] as const).filter(([, n]) => n > 0);
  const summary = counts.map(([s, n]) => `${n} ${s}`).join(', ') || 'no sources';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Pipeline freshness' } },
    { type: 'section', text: { type: 'mrkdwn', text: results.length === 1 ? `1 source: ${summary}.` : `${results.length} sources: ${summary}. Worst first.` } },
    { type: 'divider' },
  ];
  for (const r of results.slice(0, STATUS_MAX_ROWS)) {
    const s = r.source;
    const lines = [`${STATE_LABEL[r.state]} *${escapeMrkdwn(s.name)}* (\`${escapeMrkdwn(s.id)}\`)`];
    const detail = [`last update ${lastUpdateText(r.lastUpdated, opts.now)}`, `SLA ${duration(s.slaHours * 3_600_000)}`];
    if (r.dataState === 'stale') detail.push(`*${duration(r.lateByMs)} late*`);
    if (r.problem) detail.push(escapeMrkdwn(r.problem));
    lines.push(detail.join(' · '));
    if (r.rerun) lines.push(`rerun requested by <@${r.rerun.requestedBy}>${r.rerun.link ? `: <${r.rerun.link}|follow it>` : ''}`);
    const button = staleRowButton(r, opts.viewerInBizops ?? null);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(lines.join('\n'), 3000) }, ...(button ? { accessory: button } : {}) });
  }
  // Worst first, so what is left out is the least bad: said, with its states (stale ones too, when more than the rows are), not dropped without a word.
  if (results.length > STATUS_MAX_ROWS) {
    const left = results.slice(STATUS_MAX_ROWS);
    const states = (Object.keys(STATE_LABEL) as DisplayState[]).map((s) => [s, left.filter((r) => r.state === s).length] as const).filter(([, n]) => n > 0);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${left.length} more not shown: ${states.map(([s, n]) => `${n} ${s}`).join(', ')}.` }] });
  }
  const footer = [`Checked ${slackDate(opts.now, '{time}')} on the ${opts.warehouse} warehouse`];
  footer.push(opts.alertsChannel ? `alerts go to <#${opts.alertsChannel}>` : 'alerts are off (ANALYTICS_CHANNEL is not set)');
  footer.push(`BizOps can \`${Commands.pipeline} rerun &lt;source&gt;\``);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: footer.join(' · ') }] });
  return { text: `Pipeline freshness: ${summary}`, blocks };
}

/** For someone outside BizOps who asked for a rerun: why not, and a button to ask BizOps. */
export function rerunNotAllowedMessage(source: Source, bizopsUsergroup: string | undefined): MessageBody {
  const who = bizopsUsergroup ? `<!subteam^${bizopsUsergroup}>` : 'BizOps';
  const text = `:lock: Only ${who} can rerun pipelines. You can ask them to rerun ${escapeMrkdwn(source.name)}.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: BlockIds.rerunActions,
        elements: [{ type: 'button', action_id: ActionIds.rerunRequest, text: { type: 'plain_text', text: 'Ask BizOps to rerun' }, value: source.id }],
      },
    ],
  };
}

/** The request posted in the channel (or the alert's thread) for BizOps. */
export function rerunRequestPost(source: Source, userId: string, bizopsUsergroup: string | undefined, r: SourceFreshness | undefined): MessageBody {
  const who = bizopsUsergroup ? `<!subteam^${bizopsUsergroup}>` : 'BizOps';
  const state = r?.lastUpdated ? ` (last update ${slackDate(r.lastUpdated)}, ${r.dataState})` : '';
  const text = `:raising_hand: <@${userId}> asks ${who} to rerun *${escapeMrkdwn(source.name)}*${state}. BizOps: \`${Commands.pipeline} rerun ${source.id}\`.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** An ask to BizOps that could not be posted in the channel: said to the person who asked, who was told it was. */
export function rerunAskFailedDm(sourceName: string, channel: string | null): MessageBody {
  const where = channel ? ` in <#${channel}>` : '';
  const text = `:warning: I could not post your request for BizOps to rerun *${escapeMrkdwn(sourceName)}*${where}, so BizOps were not asked. Please ask them directly, or try the button again later.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** `/pipeline` help, for the subcommands of this module. */
export function pipelineUsageMessage(): MessageBody {
  const text = [
    `\`${Commands.pipeline} status [source]\`: every source (or the one named), when it last updated, its SLA and state, worst first.`,
    `\`${Commands.pipeline} rerun &lt;source&gt;\`: rerun a source's pipeline (BizOps). Add \`force\` to restart a sync already running.`,
    `\`${Commands.pipeline} request\`: ask for a new pipeline.`,
  ].join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * Sources a name that is none of them may have meant: one or two letters from a source's ID or name (`hubspt`),
 * the start of either or one of their words (`hub`, `postgres` for prod_postgres), or any of those for one of
 * several words (`force hubspot`, `hubspot salesforce`). Closest first: fewest letters off, then those only
 * started; in the file's order among equals (a typo of the 149th of 150 look-alike IDs names it first).
 */
export function nearSources(text: string, sources: readonly Source[]): Source[] {
  const typed = text.trim().toLowerCase();
  if (typed.length < 3 || typed.length > 100) return [];
  const words = [typed, ...typed.split(/[\s,;/]+/).filter((w) => w.length >= 3 && w !== typed)];
  // Letters off (0 to 2); 3 for a start of the ID, the name or one of their words; undefined for neither.
  const offBy = (s: Source, w: string): number | undefined => {
    const id = s.id.toLowerCase();
    const name = s.name.toLowerCase();
    const off = Math.min(editDistance(w, id, 2), editDistance(w, name, 2));
    if (off <= 2) return off;
    const parts = [id, name, ...id.split('_'), ...name.split(/[\s()]+/)].filter(Boolean);
    return parts.some((p) => p.startsWith(w)) ? 3 : undefined;
  };
  const ranked: Array<{ s: Source; off: number }> = [];
  for (const s of sources) {
    const offs = words.map((w) => offBy(s, w)).filter((o) => o !== undefined);
    if (offs.length) ranked.push({ s, off: Math.min(...offs) });
  }
  // Array.prototype.sort is stable: equals keep the file's order.
  return ranked.sort((a, b) => a.off - b.off).map((r) => r.s);
}

/** An unknown source name: the ones it may have meant, and the known ones. */
export function unknownSourceMessage(text: string, sources: readonly Source[], subcommand: 'rerun' | 'status' = 'rerun'): MessageBody {
  const near = nearSources(text, sources);
  const guess = near.length ? ` Did you mean ${near.slice(0, 3).map((s) => `\`${s.id}\``).join(' or ')}?` : '';
  const shown = text ? `No source is called ${quoteUserText(text, 60)}.${guess}` : 'Which source?';
  const head = `${shown} Sources: `;
  const example = `. Example: \`${Commands.pipeline} ${subcommand} ${sources[0]?.id ?? 'hubspot'}\``;
  // Many sources pass Slack's 3,000 characters a section: those that fit are listed, the ones a name matched first,
  // so that typing the start of a name brings the sources meant into the list.
  const ordered = [...near, ...sources.filter((s) => !near.includes(s))];
  const known = joinWithin(
    ordered.map((s) => `\`${s.id}\``),
    ', ',
    SLACK_LIMITS.sectionText - head.length - example.length,
    (left) => ` and ${localeNumber(left)} more: type the start of a source's name or ID after \`${Commands.pipeline} ${subcommand}\` to list those that match first`,
  );
  const t = `${head}${known}${example}`;
  return { text: t, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: t } }] };
}

export { noteMessage };
