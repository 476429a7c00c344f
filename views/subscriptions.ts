/**
 * Block Kit for scheduled deliveries and alerts of saved queries: the modal
 * that creates or edits one, the footer and Manage button on each delivery,
 * the alert's fired and resolved messages, the list with its controls, and
 * the owner's DMs when a run fails or pauses. Pure functions of data.
 */
import type { ActionsBlock, Button, InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import type { SavedQuery } from '../src/catalog/catalog.js';
import { describeParam, enumOptionOf } from '../src/catalog/params.js';
import { SCHEDULE_KINDS, WEEKDAYS, describeSchedule, MAX_MONTH_DAY, runDecision, type ScheduleKind } from '../src/domain/schedule.js';
import { ALERT_OPS, THRESHOLD_DECIMALS, describeCondition, type AlertCondition, type Evaluation } from '../src/domain/alert-condition.js';
import { numericColumnsOf, subscriptionKey, subscriptionOrder, subscriptionRef, type RunRecord, type SubscriptionKey, type Subscription, type SubscriptionFormat, type SubscriptionKind } from '../src/services/subscriptions.js';
import { SLACK_LIMITS, escapeAndTruncate, escapeMrkdwn, isChannelId, noteMessage, pageByOrder, pagerBlocks, slackDate, truncate, truncateMrkdwn, userText, type MessageBody, type PagePlace } from './common.js';
import { localeNumber } from '../src/format.js';
import { humanizeColumn } from '../src/charts/spec.js';

const plain = (text: string) => ({ type: 'plain_text' as const, text: truncate(text, 75) });
const option = (value: string, text: string): PlainTextOption => ({ text: plain(text), value });
const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, 3000) } });

const SCHEDULE_LABEL: Record<ScheduleKind, string> = { daily: 'Every day', weekdays: 'Weekdays (Monday to Friday)', weekly: 'Weekly, on a day', monthly: 'Monthly, on a date', cron: 'Cron expression (advanced)' };
const FORMAT_LABEL: Record<SubscriptionFormat, string> = { chart: 'Chart', table: 'Table', csv: 'CSV file', chart_csv: 'Chart and CSV' };

/** What the subscription modal keeps in private_metadata. */
export interface SubscriptionModalMetadata {
  k: SubscriptionKind;
  q: string;
  /** The subscriber's time zone; empty when Slack could not say (the schedule is then in UTC). */
  tz: string;
  /** With `tz` empty: the zone Slack named that this runtime does not know (the form says why it is UTC). */
  uz?: string;
  /** Editing this one. */
  id?: string;
  /** The parameter values it opened with (a redraw keeps them when Slack sends no state for them). */
  p?: Record<string, string>;
  /**
   * Edit clicked in a message: its response_url, and the page of `/query subscriptions` it showed (none: Manage's
   * item), drawn again once saved: 0 the first, else the subscription that page starts at.
   */
  w?: { u: string; pg?: 0 | SubscriptionKey };
}

/** What the modal shows: a new one (from a command or a chart's button) or one being edited. */
export interface SubscriptionModalData {
  kind: SubscriptionKind;
  query: SavedQuery;
  tz: string;
  /** With `tz` empty: the zone Slack named for the person that this runtime does not know. */
  unknownZone?: string;
  /** Where it was asked from: the channel preselected. */
  channel: string | null;
  dm: boolean;
  params: Record<string, string>;
  scheduleKind: ScheduleKind;
  time: string;
  day?: string;
  date?: string;
  cron?: string;
  format?: SubscriptionFormat;
  condition?: { column?: string; op?: string; value?: string };
  editing?: Subscription;
  /** Who has the form open: editing someone else's (BizOps), its DMs are its owner's, not theirs. */
  viewer?: string;
  /** What the command gave that the form has no field for (`foo=bar`, a stray word): said at its top. */
  unused?: string[];
  /** Edit clicked in a message (`/query subscriptions`, Manage's item): where it was, to draw it again once saved. */
  clickedIn?: { responseUrl: string; page: ListPlace | null };
}

/** The modal's data for editing a stored subscription. */
export function modalDataOf(s: Subscription, query: SavedQuery): SubscriptionModalData {
  const sch = s.schedule;
  return {
    kind: s.kind, query, tz: sch.tz, channel: s.target.kind === 'channel' ? s.target.channel : null, dm: s.target.kind === 'dm', params: s.params,
    scheduleKind: sch.kind, time: 'time' in sch ? sch.time : '09:00',
    ...(sch.kind === 'weekly' ? { day: sch.day } : {}), ...(sch.kind === 'monthly' ? { date: String(sch.date) } : {}), ...(sch.kind === 'cron' ? { cron: sch.cron } : {}),
    format: s.format,
    ...(s.condition ? { condition: { column: s.condition.column, op: s.condition.op, value: String(s.condition.value) } } : {}),
    editing: s,
  };
}

function input(blockId: string, label: string, element: InputBlock['element'], opts: { hint?: string; optional?: boolean; dispatch?: boolean } = {}): InputBlock {
  return {
    type: 'input', block_id: blockId, label: plain(label), element,
    ...(opts.hint ? { hint: { type: 'plain_text', text: truncate(opts.hint, 2000) } } : {}),
    ...(opts.optional ? { optional: true } : {}),
    ...(opts.dispatch ? { dispatch_action: true } : {}),
  };
}

/** The most characters a parameter's input takes. */
export const SUBSCRIPTION_PARAM_MAX_LENGTH = 200;

/** The most characters of a time zone's name the form carries (IANA names are under 40). */
export const UNKNOWN_ZONE_MAX = 64;

/** The modal that schedules a delivery (or an alert) of a saved query. */
export function subscriptionModal(d: SubscriptionModalData): ModalView {
  const q = d.query;
  const alert = d.kind === 'alert';
  // Someone else's (BizOps editing it): "DM" is its owner's DMs, as the saved message says.
  const othersOwn = Boolean(d.editing && d.viewer && d.viewer !== d.editing.owner);
  const dmOf = othersOwn ? "its owner's DMs" : 'your DMs';
  const dmLabel = othersOwn ? "Send it to its owner's DMs instead" : 'Send it to me as a DM instead';
  // Its times are in the time zone it was set up in, its owner's then: not the editor's own, nor (after a move, or
  // a zone Slack could not give then) the owner's Slack time zone now. An edit says which it is, not whose.
  const tzOf = d.editing ? (othersOwn ? "its owner's time zone when it was set up" : 'the time zone it was set up in') : 'your Slack time zone';
  const blocks: KnownBlock[] = [
    section(`*${escapeMrkdwn(q.title)}*  \`${q.name}\`\n${escapeAndTruncate(q.description, 500)}`),
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: alert ? 'I run the query on the schedule and post when the condition becomes true, and once more when it no longer holds.' : 'I run the query on the schedule and post the result, with a Manage button to pause, edit or delete it.' }],
    },
    ...(d.unused?.length
      ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: truncateMrkdwn(`:information_source: Not used from your command (${q.params.length ? `it takes ${q.params.map((p) => p.name).join(', ')}` : 'it takes no parameters'}): ${userText(d.unused.slice(0, 5).join(' '), 300)}`, 3000) }] }]
      : []),
    input(BlockIds.subscriptionChannel, 'Post in', {
      type: 'conversations_select', action_id: ActionIds.subscriptionChannel, filter: { include: ['public', 'private'], exclude_bot_users: true },
      ...(d.channel ? { initial_conversation: d.channel } : {}), placeholder: plain('A channel I am in'),
    }, { optional: true, hint: `A channel I am in (invite me with /invite @analytics-bot). Or send it to ${dmOf} below.` }),
    input(BlockIds.subscriptionDm, 'Or', {
      type: 'checkboxes', action_id: ActionIds.subscriptionDm, options: [option('dm', dmLabel)],
      ...(d.dm ? { initial_options: [option('dm', dmLabel)] } : {}),
    }, { optional: true }),
    input(BlockIds.subscriptionScheduleKind, 'How often', {
      type: 'static_select', action_id: ActionIds.subscriptionScheduleKind, options: SCHEDULE_KINDS.map((k) => option(k, SCHEDULE_LABEL[k])),
      initial_option: option(d.scheduleKind, SCHEDULE_LABEL[d.scheduleKind]),
    }, { dispatch: true }),
  ];
  if (d.scheduleKind === 'weekly') {
    const days = WEEKDAYS.map((w) => option(w.id, w.label));
    blocks.push(input(BlockIds.subscriptionDay, 'On', { type: 'static_select', action_id: ActionIds.subscriptionDay, options: days, initial_option: days.find((o) => o.value === d.day) ?? days[0]! }));
  }
  if (d.scheduleKind === 'monthly') {
    blocks.push(input(BlockIds.subscriptionDate, 'On day', {
      type: 'number_input', action_id: ActionIds.subscriptionDate, is_decimal_allowed: false, min_value: '1', max_value: String(MAX_MONTH_DAY), initial_value: d.date ?? '1',
    }, { hint: `1 to ${MAX_MONTH_DAY}: every month has it.` }));
  }
  if (d.scheduleKind === 'cron') {
    blocks.push(input(BlockIds.subscriptionCron, 'Cron expression', {
      type: 'plain_text_input', action_id: ActionIds.subscriptionCron, max_length: 100, ...(d.cron ? { initial_value: d.cron } : {}), placeholder: plain('0 9 * * 1'),
    }, { hint: 'Five fields: minute hour day-of-month month day-of-week. At least 15 minutes apart.' }));
  } else {
    blocks.push(input(BlockIds.subscriptionTime, 'At', { type: 'timepicker', action_id: ActionIds.subscriptionTime, initial_time: d.time }));
  }
  const zone = d.tz
    ? d.editing
      ? `Times are in *${escapeMrkdwn(d.tz)}*, ${tzOf} (daylight saving included).`
      : `Times are in ${tzOf}: *${escapeMrkdwn(d.tz)}* (daylight saving included).`
    : d.unknownZone
      ? `Times are in *UTC*: Slack gives your time zone as *${escapeMrkdwn(d.unknownZone)}*, which I do not know yet.`
      : 'Times are in *UTC*: I could not read your Slack time zone just now. For yours, close this and run the command again.';
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: zone }] });
  if (alert) {
    const columns = numericColumnsOf(q).map((c) => option(c, humanizeColumn(c)));
    const ops = ALERT_OPS.map((o) => option(o.id, o.label));
    if (columns.length) {
      blocks.push(input(BlockIds.alertColumn, 'Watch', { type: 'static_select', action_id: ActionIds.alertColumn, options: columns, initial_option: columns.find((o) => o.value === d.condition?.column) ?? columns[0]! }, {
        hint: q.display.type === 'pie' ? `Its total over every ${q.display.x ?? 'row'}.` : `Its total at the latest ${q.display.x ?? 'period'} (over every row when the rows are not periods of time).`,
      }));
    }
    blocks.push(input(BlockIds.alertOp, 'When it', { type: 'static_select', action_id: ActionIds.alertOp, options: ops, initial_option: ops.find((o) => o.value === d.condition?.op) ?? ops[0]! }));
    blocks.push(input(BlockIds.alertValue, 'Threshold', { type: 'plain_text_input', action_id: ActionIds.alertValue, max_length: 30, ...(d.condition?.value ? { initial_value: d.condition.value } : {}), placeholder: plain('1000') }, {
      hint: 'A number; for a change, a percentage (20 means 20%).',
    }));
  } else {
    const formats = (q.display.type === 'table' ? (['table', 'csv'] as const) : (['chart', 'table', 'csv', 'chart_csv'] as const)).map((f) => option(f, FORMAT_LABEL[f]));
    blocks.push(input(BlockIds.subscriptionFormat, 'Send', { type: 'radio_buttons', action_id: ActionIds.subscriptionFormat, options: formats, initial_option: formats.find((o) => o.value === d.format) ?? formats[0]! }));
  }
  for (const p of q.params) {
    // Given empty (`hosting=`) is not given: its default is shown, as it is what would run.
    const value = d.params[p.name] || (p.default !== undefined ? String(p.default) : '');
    const blockId = `${BlockIds.subscriptionParamPrefix}${p.name}`;
    const actionId = `${ActionIds.subscriptionParamPrefix}${p.name}`;
    if (p.kind === 'enum') {
      // Its choices to pick from, as the /query form offers them: the one given (in any case, or by its label) picked.
      const choices = p.options.map((o) => option(o.value, o.label));
      const given = enumOptionOf(p, value);
      // A value given that is none of them: said where the choice is made, and a pick is needed (the default
      // in its place would run a broader query than was asked for).
      const unmatched = Boolean(value) && !given;
      const placeholder = unmatched ? `“${truncate(value, 30)}” is not one of these: pick one` : 'Choose';
      blocks.push(input(blockId, p.label, {
        type: 'static_select', action_id: actionId, options: choices, placeholder: plain(placeholder), ...(given ? { initial_option: option(given.value, given.label) } : {}),
      }, { optional: p.default !== undefined && !unmatched, ...(p.description ? { hint: p.description } : {}) }));
      continue;
    }
    blocks.push(input(blockId, p.label, {
      type: 'plain_text_input', action_id: actionId, max_length: SUBSCRIPTION_PARAM_MAX_LENGTH, ...(value ? { initial_value: value } : {}),
    }, {
      optional: p.default !== undefined,
      // Its examples are describeParam's, only those its bounds take: `today` is none for a date that must be before it.
      hint: p.kind === 'date' ? `${describeParam(p)}. A relative date stays relative: each run looks back from its own day.` : describeParam(p),
    }));
  }
  const metadata: SubscriptionModalMetadata = { k: d.kind, q: q.name, tz: d.tz, ...(!d.tz && d.unknownZone ? { uz: d.unknownZone } : {}), ...(d.editing ? { id: d.editing.id } : {}), ...(Object.keys(d.params).length ? { p: d.params } : {}) };
  const where: SubscriptionModalMetadata['w'] = d.editing && d.clickedIn ? { u: d.clickedIn.responseUrl, ...(d.clickedIn.page !== null ? { pg: d.clickedIn.page.at ?? 0 } : {}) } : undefined;
  // Where it was clicked only while it fits: Slack refuses private_metadata past 3,000 characters, and the form matters more.
  const withWhere = where && JSON.stringify({ ...metadata, w: where }).length <= SLACK_LIMITS.privateMetadata ? { ...metadata, w: where } : metadata;
  return {
    type: 'modal',
    callback_id: CallbackIds.subscription,
    title: plain(d.editing ? (alert ? 'Edit alert' : 'Edit delivery') : alert ? 'New alert' : 'Schedule a delivery'),
    submit: plain(d.editing ? 'Save' : alert ? 'Create alert' : 'Schedule'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify(withWhere),
    blocks,
  };
}

/** The short ID people see everywhere (`SUB-7QK2ZD`), set as code like LA- and PR- IDs. */
function ref(s: Pick<Subscription, 'id'>): string {
  return `\`${subscriptionRef(s.id)}\``;
}

/** Where a subscription posts, in words; "your DMs" to its owner. */
function targetText(s: Subscription, viewer?: string): string {
  if (s.target.kind === 'channel') return `<#${s.target.channel}>`;
  return viewer === s.owner ? 'your DMs' : `<@${s.owner}>'s DMs`;
}

/** A column as a sentence says it, as the chart's legend does but mid-sentence: `active_users` is "active users". */
const columnWords = (column: string) => column.replace(/_/g, ' ');

/** What a delivery sends, or what an alert watches, in words. */
function whatText(s: Subscription): string {
  return s.kind === 'alert' && s.condition
    ? `Alert when ${escapeMrkdwn(describeCondition(s.condition, columnWords(s.condition.column)))}`
    : FORMAT_LABEL[s.format] ?? escapeMrkdwn(String(s.format));
}

function manageButton(s: Subscription): Button {
  return { type: 'button', action_id: ActionIds.subscriptionManage, text: plain('Manage'), value: s.id };
}

/** The footer on each delivery: which subscription, whose, and Manage. */
export function subscriptionFooter(s: Subscription): KnownBlock[] {
  return [
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(`:calendar: Scheduled delivery ${ref(s)} · ${escapeMrkdwn(describeScheduleOf(s))} · set up by <@${s.owner}>`, 3000) }] },
    { type: 'actions', block_id: BlockIds.subscriptionActions, elements: [manageButton(s)] },
  ];
}

function describeScheduleOf(s: Subscription): string {
  return describeSchedule(s.schedule);
}

/**
 * The schedule inside a sentence: "checked every day at 09:00 (UTC)", "on weekdays at 09:00 (UTC)",
 * "on the cron schedule `0 9 * * 1` (UTC)" (a weekday keeps its capital).
 */
function scheduleInSentence(s: Subscription): string {
  if (s.schedule.kind === 'cron') return `on the cron schedule \`${s.schedule.cron}\` (${s.schedule.tz})`;
  const d = describeScheduleOf(s);
  return (s.schedule.kind === 'weekdays' ? 'on ' : '') + d.charAt(0).toLowerCase() + d.slice(1);
}

function number(n: number | null): string {
  return n === null ? 'no value' : localeNumber(n, 2);
}

/** The alert fired: what, the value now and before; the chart follows in its thread. */
export function alertFiredMessage(s: Subscription, q: SavedQuery, ev: Evaluation): MessageBody {
  const what = describeCondition(s.condition!, columnWords(s.condition!.column));
  const change = ev.changePct !== null ? ` (${ev.changePct >= 0 ? '+' : ''}${ev.changePct.toFixed(1)}% from ${number(ev.previous)})` : ev.previous !== null ? ` (before: ${number(ev.previous)})` : '';
  // With the values it runs with: two alerts of one query (one customer each) are told apart, in the notification too.
  const values = paramsList(s);
  const text = `${escapeMrkdwn(q.title)}${values ? ` (${values})` : ''}: ${escapeMrkdwn(`${what}. Now ${number(ev.latest)}.`)}`;
  return {
    text,
    blocks: [
      section(`:rotating_light: *Alert: ${escapeMrkdwn(q.title)}*${paramsText(s)}\n${escapeMrkdwn(what)}: now *${number(ev.latest)}*${change}.`),
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(`Alert ${ref(s)} · checked ${escapeMrkdwn(scheduleInSentence(s))} · set up by <@${s.owner}> · I post again when it no longer holds`, 3000) }] },
      { type: 'actions', block_id: BlockIds.subscriptionActions, elements: [manageButton(s)] },
    ],
  };
}

/** The alert no longer holds: said once, in the fired message's thread. */
export function alertResolvedMessage(s: Subscription, q: SavedQuery, ev: Evaluation): MessageBody {
  const what = describeCondition(s.condition!, columnWords(s.condition!.column));
  const values = paramsList(s);
  const text = `Resolved: ${escapeMrkdwn(q.title)}${values ? ` (${values})` : ''}: ${escapeMrkdwn(`no longer true that ${what} (now ${number(ev.latest)}).`)}`;
  return { text, blocks: [section(`:white_check_mark: *Resolved: ${escapeMrkdwn(q.title)}*${paramsText(s)}\nIt is no longer true that ${escapeMrkdwn(what)}: now *${number(ev.latest)}*.`)] };
}

/** In the thread of an alert that had gone off, once an edit made it watch something else (`now`: as it is, if it still exists). */
export function alertClosedMessage(now: Subscription | null, by: string, options: { resolving?: boolean } = {}): MessageBody {
  const values = now ? paramsList(now) : '';
  // A run of the old check was posting its Resolved as the edit was saved: that Resolved may come, so none is promised away.
  const after = options.resolving ? 'this one is closed.' : 'this one is closed, and no Resolved will follow here.';
  const watches = now?.condition ? ` It now alerts when ${escapeMrkdwn(describeCondition(now.condition, columnWords(now.condition.column)))}${values ? ` (with ${values})` : ''}${now.status === 'paused' ? ', checked once it is resumed' : ', checked from its next run'}.` : '';
  const text = `:pencil2: <@${by}> edited this alert (${now ? ref(now) : 'since deleted'}): ${after}${watches}`;
  return { text, blocks: [section(text)] };
}

/** How its last run went, in words (the outcome as stored is a key). */
const LAST_RUN: Record<RunRecord['outcome'], string> = {
  delivered: 'delivered',
  fired: 'the alert went off',
  resolved: 'the alert stopped',
  quiet: 'checked, nothing to report',
  missed: 'skipped: the bot was not running at its time',
  failed: 'failed',
};

function statusLine(s: Subscription): string {
  // A self-paused one says why in its last run; "paused: failed 3 times" would say it twice.
  const next = s.status === 'active' && s.nextRunAt
    ? `Next run ${slackDate(new Date(s.nextRunAt))}`
    : `:double_vertical_bar: Paused${s.pausedReason && s.lastRun?.outcome !== 'failed' ? `: ${escapeAndTruncate(s.pausedReason, 200)}` : s.consecutiveFailures > 1 ? ` after ${s.consecutiveFailures} failed runs in a row` : ''}`;
  const r = s.lastRun;
  const last = r
    ? `last run ${slackDate(new Date(r.at))}${r.manual ? ' (run now)' : ''}: ${r.outcome === 'failed' ? `:warning: failed: ${escapeAndTruncate(r.message ?? 'no reason given', 150)}` : r.outcome === 'quiet' && s.alertState === 'firing' ? 'checked: still true, the alert stands' : LAST_RUN[r.outcome] ?? escapeMrkdwn(String(r.outcome))}`
    : 'not run yet';
  return `${next} · ${last}`;
}

/** A page of `/query subscriptions`, by the subscriptions it goes on after, ends before, or starts at: {} the first. */
export type ListPlace = PagePlace<SubscriptionKey>;

/** A subscription's key as buttons carry it: `<createdAt>.<id>`. */
const KEY = String.raw`(\d{1,15})\.(sub_[a-z0-9]{6,40})`;
const keyText = (k: SubscriptionKey) => `${k[0]}.${k[1]}`;

/**
 * The suffix of a list item's actions block_id (`.listed`, and `.<createdAt>.<id>` of the page's first past the
 * first page): a click there redraws the list at that page, not one item in its place. A page number (`.listed.2`,
 * of lists drawn before pages went by keys) is the first page.
 */
const LISTED = new RegExp(String.raw`\.listed(?:\.${KEY}|\.\d{1,4})?$`);

/** The list page a control was clicked on ({} the first), or null for one not clicked in a list. */
export function listedPageOf(blockId: unknown): ListPlace | null {
  const m = typeof blockId === 'string' ? LISTED.exec(blockId) : null;
  return m ? (m[1] ? { at: [Number(m[1]), m[2]!] } : {}) : null;
}

const PAGE_VALUE = new RegExp(`^([ab])\\.${KEY}$`);

/** The page a Previous or Next value names (`b.<key>` or `a.<key>`), as clicked, so possibly forged: the first for one that does not parse. */
export function listPlaceOf(value: string): ListPlace {
  const m = PAGE_VALUE.exec(value);
  return m ? { [m[1]!]: [Number(m[2]), m[3]!] as const } : {};
}

/** Where controls are drawn: alone (Manage, its modal), or in a list, at the page starting at `at` (the first without). */
type Listed = { at?: SubscriptionKey } | null;

function controls(s: Subscription, listed: Listed): ActionsBlock {
  const b = (action_id: string, text: string, style?: 'primary' | 'danger'): Button => ({ type: 'button', action_id, text: plain(text), value: s.id, ...(style ? { style } : {}) });
  const remove: Button = {
    ...b(ActionIds.subscriptionDelete, 'Delete', 'danger'),
    confirm: { title: plain('Delete it?'), text: { type: 'mrkdwn', text: `${ref(s)} stops for good.` }, confirm: plain('Delete'), deny: plain('Cancel'), style: 'danger' },
  };
  return {
    type: 'actions',
    block_id: `${BlockIds.subscriptionActions}.${s.id}${listed ? `.listed${listed.at ? `.${keyText(listed.at)}` : ''}` : ''}`,
    elements: [
      b(ActionIds.subscriptionRunNow, 'Run now'),
      s.status === 'active' ? b(ActionIds.subscriptionPause, 'Pause') : b(ActionIds.subscriptionResume, 'Resume', 'primary'),
      b(ActionIds.subscriptionEdit, 'Edit'),
      remove,
    ],
  };
}

/** The values it runs with, as typed (`weeks=5, hosting=managed`): two of one query differ by them. Empty without any. */
function paramsText(s: Subscription): string {
  const values = paramsList(s);
  return values ? ` · ${values}` : '';
}

/** {@link paramsText}'s values alone (`weeks=5, hosting=managed`), or empty. */
function paramsList(s: Subscription): string {
  const given = Object.entries(s.params);
  // As typed, so as any echo: marks shown as lookalikes (`*acme*` bolds nothing), mentions and links escaped.
  return given.length ? userText(given.map(([k, v]) => `${k}=${v}`).join(', '), 200) : '';
}

/** One subscription with its controls; `owner`: whose it is (BizOps' list of everyone's), where its target does not say. */
function itemBlocks(s: Subscription, title: string, listed: Listed = null, owner = false, viewer?: string): KnownBlock[] {
  const icon = s.kind === 'alert' ? ':rotating_light:' : ':calendar:';
  const whose = owner && s.target.kind === 'channel' ? ` · owner <@${s.owner}>` : '';
  return [
    section(truncateMrkdwn(`*${escapeMrkdwn(title)}* · ${ref(s)}${paramsText(s)}\n${icon} ${whatText(s)} · ${escapeMrkdwn(describeScheduleOf(s))} · to ${targetText(s, viewer)}${whose}\n${statusLine(s)}`, 3000)),
    controls(s, listed),
  ];
}

/** Most items one list page shows (two blocks each, within Slack's 50). */
export const MAX_LISTED_SUBSCRIPTIONS = 20;

/**
 * `/query subscriptions`: mine (or, for BizOps, everyone's; newest first, as the service lists them), with their
 * controls, a page at a time (the first, or the one `at` names). `done` (mrkdwn) heads a list redrawn after one of
 * its buttons, saying what that click did.
 */
export function subscriptionsListMessage(list: readonly Subscription[], titles: (q: string) => string, options: { everyone: boolean; done?: string; at?: ListPlace; viewer?: string }): MessageBody {
  const done: KnownBlock[] = options.done ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: options.done }] }] : [];
  if (!list.length) {
    const none = noteMessage(`No scheduled deliveries or alerts ${options.everyone ? 'in this workspace' : 'of yours'}${options.done ? '' : ' yet'}. Start one with \`${Commands.query} subscribe &lt;name&gt;\`, \`${Commands.query} alert &lt;name&gt;\`, or the Subscribe and Alert buttons on a chart.`);
    return options.done ? { text: `${options.done}\n${none.text}`, blocks: [...done, ...none.blocks] } : none;
  }
  const p = pageByOrder(list, MAX_LISTED_SUBSCRIPTIONS, subscriptionOrder, options.at ?? {});
  const blocks: KnownBlock[] = [...done, section(`*${options.everyone ? 'Every scheduled delivery and alert' : 'Your scheduled deliveries and alerts'}* (${list.length})`)];
  // The viewer's own: "your DMs", as the saved message says; anyone else's (BizOps' list of everyone's): whose DMs,
  // which also says whose it is.
  // A click in the list draws it again from its first item (the first page from the list's start).
  const listed: Listed = p.from > 0 ? { at: subscriptionKey(p.shown[0]!) } : {};
  for (const s of p.shown) blocks.push(...itemBlocks(s, titles(s.query), listed, options.everyone, options.viewer ?? (options.everyone ? undefined : s.owner)));
  blocks.push(...pagerBlocks(p, {
    summary: `${p.from + 1} to ${p.from + p.shown.length} of ${list.length}, newest first.`,
    blockId: BlockIds.subscriptionsPages,
    previous: ActionIds.subscriptionsPrevious,
    next: ActionIds.subscriptionsNext,
    valueOf: (_n, to) => (to === 'next' ? `a.${keyText(subscriptionKey(p.shown.at(-1)!))}` : `b.${keyText(subscriptionKey(p.shown[0]!))}`),
  }));
  const count = `${localeNumber(list.length)} ${list.length === 1 ? 'scheduled delivery or alert' : 'scheduled deliveries and alerts'}`;
  return { text: options.done ? `${options.done}\n${count}` : count, blocks };
}

/** A subscription's reference in code marks (`SUB-ABC123`), for a line about it. */
export function subscriptionRefMrkdwn(s: Pick<Subscription, 'id'>): string {
  return ref(s);
}

/** What Manage shows: `done` (mrkdwn) heading it, then the subscription and its controls, unless `gone`. */
interface ManageOptions {
  /** What the last click did. */
  done?: string;
  /** Deleted, or not the viewer's to change: only `done` is shown. */
  gone?: boolean;
  /** Who sees it: their own DMs are "your DMs". */
  viewer?: string;
}

function manageBlocks(s: Subscription, title: string, options: ManageOptions): KnownBlock[] {
  const head: KnownBlock[] = options.done ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: options.done }] }] : [];
  return [...head, ...(options.gone ? [] : itemBlocks(s, title, null, false, options.viewer))];
}

/** One subscription with its controls (the Manage button); redrawn in place by them, as the Manage modal is. */
export function subscriptionManageMessage(s: Subscription, title: string, options: ManageOptions = {}): MessageBody {
  const text = escapeMrkdwn(`${title}: ${subscriptionRef(s.id)}`);
  return { text: options.done ? `${options.done}\n${text}` : text, blocks: manageBlocks(s, title, options) };
}

/** Manage, clicked on App Home (which has no place for a reply): a modal with the subscription and its controls, redrawn by each of them. */
export function subscriptionManageModal(s: Subscription, title: string, options: ManageOptions = {}): ModalView {
  return { type: 'modal', title: plain(s.kind === 'alert' ? 'Alert' : 'Scheduled delivery'), close: plain('Done'), blocks: manageBlocks(s, title, options) };
}

/** The Manage modal for one that no longer exists: only that. */
export function subscriptionMissingModal(): ModalView {
  return { type: 'modal', title: plain('Scheduled delivery'), close: plain('Done'), blocks: subscriptionRefusedMessage('not_found').blocks };
}

/**
 * An edit that could not be saved because of what happened to the subscription since its form opened (deleted,
 * or no longer the person's to change): said in place of the form, naming it, and how to start it again.
 */
export function subscriptionEditRefusedModal(reason: 'not_found' | 'not_allowed', edited: { id: string; kind: 'delivery' | 'alert'; query: string }): ModalView {
  const what = `${edited.kind === 'alert' ? 'alert' : 'scheduled delivery'} ${ref(edited)}`;
  const said = reason === 'not_found'
    ? `:wastebasket: The ${what} was deleted after this form was opened, so your changes were not saved. To set it up again: \`${Commands.query} ${edited.kind === 'alert' ? 'alert' : 'subscribe'} ${edited.query}\`.`
    : `:lock: Only its owner or BizOps can change the ${what}, so your changes were not saved.`;
  return { type: 'modal', title: plain(edited.kind === 'alert' ? 'Alert' : 'Scheduled delivery'), close: plain('Done'), blocks: [section(said)] };
}

/** "*instances* is above *150*": the condition in words, its column and value in bold. */
function conditionMrkdwn(c: AlertCondition): string {
  const n = localeNumber(c.value, THRESHOLD_DECIMALS);
  const column = `*${escapeMrkdwn(columnWords(c.column))}*`;
  return c.op === 'change_pct' ? `${column} changes by more than *${n}%* from the period before` : `${column} ${c.op === 'below' ? 'is below' : 'is above'} *${n}*`;
}

/** After the modal: what was scheduled, told to `viewer` (who saved it). */
export function subscriptionSavedMessage(s: Subscription, title: string, edited: boolean, viewer?: string): MessageBody {
  const next = s.status === 'paused' ? ' It stays paused: Resume it to start it again.' : s.nextRunAt ? ` ${edited ? 'Next' : 'First'} run: ${slackDate(new Date(s.nextRunAt))}.` : '';
  const manage = ` Manage it with \`${Commands.query} subscriptions\`.`;
  if (s.kind === 'alert' && s.condition) {
    return noteMessage(`:white_check_mark: ${edited ? 'Saved the' : 'Set up an'} alert on *${escapeMrkdwn(title)}* (${ref(s)}): I check it ${escapeMrkdwn(scheduleInSentence(s))} and post to ${targetText(s, viewer)} when ${conditionMrkdwn(s.condition)}.${next}${manage}`);
  }
  const what = s.kind === 'alert' ? `alert on *${escapeMrkdwn(title)}*` : `delivery of *${escapeMrkdwn(title)}*`;
  return noteMessage(`:white_check_mark: ${edited ? 'Saved the' : s.kind === 'alert' ? 'Set up an' : 'Scheduled a'} ${what} (${ref(s)}): ${escapeMrkdwn(describeScheduleOf(s))}, to ${targetText(s, viewer)}.${next}${manage}`);
}

/**
 * To the owner when a run failed (once per run), or paused it. `failed` is that run as it was recorded (the
 * subscription may have run again since, or been edited); without it (a notice queued before it was sent
 * along), the last run stands for it.
 */
export function subscriptionFailedDm(
  s: Subscription,
  title: string,
  paused: boolean,
  failed?: { dueAt: number; manual: boolean; message: string; failures: number; needsEdit?: boolean },
  told?: { now: Date; graceMs: number },
): MessageBody {
  const last = failed ?? (s.lastRun ? { dueAt: s.lastRun.dueAt, manual: s.lastRun.manual, message: s.lastRun.message ?? 'no reason given', failures: s.consecutiveFailures } : undefined);
  const why = escapeAndTruncate(last?.message ?? 'no reason given', 400);
  // Where it posts, as a channel link (an ID Slack gave us: nothing to escape); the reason is the run's, escaped.
  const where = s.target.kind === 'channel' && isChannelId(s.target.channel) ? ` in <#${s.target.channel}>` : '';
  const what = `${s.kind === 'alert' ? 'alert' : 'scheduled delivery'} *${escapeMrkdwn(title)}* (${ref(s)})${where}`;
  const run = last ? (last.manual ? 'The run you asked for' : `The run due ${slackDate(new Date(last.dueAt))}`) : 'A run';
  const head = `:warning: ${run} of your ${what} failed: ${why}.`;
  const tail = paused && failed?.needsEdit
    ? ' It cannot run as it is, so I paused it rather than fail again at each run. Edit it or delete it with Manage below.'
    : paused
    ? ` It failed ${failedTimes(last?.failures ?? s.consecutiveFailures)}, so I paused it. Fix the cause, then Resume it with Manage below or from \`${Commands.query} subscriptions\`.`
    : s.status === 'active' && s.nextRunAt
      ? ` It stays on${nextRunSaid(s.nextRunAt, told)}.`
      : '';
  const text = escapeMrkdwn(`${title} (${subscriptionRef(s.id)}): ${paused ? 'paused after failed runs' : 'a run failed'}`);
  return { text, blocks: [section(head + tail), { type: 'actions', block_id: BlockIds.subscriptionActions, elements: [manageButton(s)] }] };
}

/** "once", "3 times in a row": how often a run failed before the pause. */
function failedTimes(n: number): string {
  return n === 1 ? 'once' : `${n} times in a row`;
}

/**
 * The next run, as of when the DM is told: still to come; already due and within the grace (the latest time missed
 * while the failed run was retried runs at once); or due past the grace (it will be skipped: no time is named).
 */
function nextRunSaid(nextRunAt: number, told: { now: Date; graceMs: number } | undefined): string {
  if (!told || nextRunAt > told.now.getTime()) return `: the next run is ${slackDate(new Date(nextRunAt))}`;
  return runDecision(nextRunAt, told.now.getTime(), told.graceMs) === 'run' ? `: the run due ${slackDate(new Date(nextRunAt))} is running now` : '';
}

const CHANGED: Record<'paused' | 'resumed' | 'edited' | 'deleted', { icon: string; verb: string }> = {
  paused: { icon: ':double_vertical_bar:', verb: 'paused' },
  resumed: { icon: ':arrow_forward:', verb: 'resumed' },
  edited: { icon: ':pencil2:', verb: 'changed' },
  deleted: { icon: ':wastebasket:', verb: 'deleted' },
};

/**
 * To the owner when someone else (BizOps) paused, resumed, changed or deleted
 * their subscription: who, what it is now, and Manage while it `exists`.
 */
export function subscriptionChangedDm(change: 'paused' | 'resumed' | 'edited' | 'deleted', by: string, s: Subscription, title: string, options: { exists: boolean }): MessageBody {
  const { icon, verb } = CHANGED[change];
  const what = `${s.kind === 'alert' ? 'alert' : 'scheduled delivery'} *${escapeMrkdwn(title)}* (${ref(s)})${paramsText(s)}`;
  // What it is now, not what the change made it: a later change may have come before this DM.
  const now = change === 'deleted'
    ? ` It will not run again. To have it back, set it up again with \`${Commands.query} ${s.kind === 'alert' ? 'alert' : 'subscribe'} ${s.query}\`.`
    : !options.exists
      ? ' It has since been deleted.'
      : s.status === 'paused'
        ? ' It is paused: it does not run until it is resumed.'
        : s.nextRunAt ? ` Now: ${escapeMrkdwn(scheduleInSentence(s))}, to ${targetText(s, s.owner)}; next run ${slackDate(new Date(s.nextRunAt))}.` : '';
  const text = escapeMrkdwn(`${title} (${subscriptionRef(s.id)}): ${verb} by BizOps`);
  const head = section(truncateMrkdwn(`${icon} <@${by}> (BizOps) ${verb} your ${what}.${now}`, 3000));
  return { text, blocks: options.exists ? [head, { type: 'actions', block_id: BlockIds.subscriptionActions, elements: [manageButton(s)] }] : [head] };
}

/** A delivery sent as a CSV file only: the message the file comes with. */
export function subscriptionCsvBlocks(title: string, rows: number, s: Subscription): KnownBlock[] {
  return [section(`*${escapeMrkdwn(title)}* as CSV: ${localeNumber(rows)} row${rows === 1 ? '' : 's'}.`), ...subscriptionFooter(s)];
}

/** `/query alert` on a query with no number to watch (a table): no form, and what to do instead. */
export function alertNothingToWatchMessage(q: SavedQuery): MessageBody {
  return noteMessage(`*${escapeMrkdwn(q.title)}* has no number to watch, so it cannot have an alert. To get it on a schedule instead, use \`${Commands.query} subscribe ${q.name}\`.`);
}

/** Why a change was refused. */
export function subscriptionRefusedMessage(reason: 'not_found' | 'not_allowed' | 'already', now?: Pick<Subscription, 'status'>): MessageBody {
  if (reason === 'not_found') return noteMessage('That scheduled delivery or alert no longer exists.');
  if (reason === 'not_allowed') return noteMessage(':lock: Only its owner or BizOps can change it. Nothing was changed.');
  // Changed meanwhile by someone else (or from another message): the audit log says who.
  if (now) return noteMessage(`It is already ${now.status === 'paused' ? 'paused' : 'on'} (changed since this was shown). Nothing was changed.`);
  return noteMessage('It is already that way. Nothing was changed.');
}

/** Most subscriptions App Home lists (one block each). */
export const HOME_MAX_SUBSCRIPTIONS = 15;

/** App Home: my deliveries and alerts, one line each, with Manage. */
export function homeSubscriptionBlocks(list: ReadonlyArray<{ subscription: Subscription; title: string }>): KnownBlock[] {
  const blocks: KnownBlock[] = list.slice(0, HOME_MAX_SUBSCRIPTIONS).map(({ subscription: s, title }) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: truncateMrkdwn(`${s.kind === 'alert' ? ':rotating_light:' : ':calendar:'} *${escapeMrkdwn(title)}* · ${ref(s)}${paramsText(s)} · ${whatText(s)} · ${escapeMrkdwn(describeScheduleOf(s))} · to ${targetText(s, s.owner)}\n${statusLine(s)}`, 3000) },
    accessory: manageButton(s),
  }));
  if (list.length > HOME_MAX_SUBSCRIPTIONS) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${list.length - HOME_MAX_SUBSCRIPTIONS} more: \`${Commands.query} subscriptions\` lists them all, a page at a time.` }] });
  return blocks;
}
