/**
 * Block Kit for `/query`: the catalog list, the parameter modal, the result
 * message (summary, footer, buttons) that goes with the chart upload, the
 * table view, and the answers for unknown names, bad input and failures.
 * Pure functions of data.
 */
import type { ActionsBlock, Button, InputBlock, KnownBlock, ModalView, PlainTextOption, SectionBlock } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import { isValidIsoDate, resolveDateSpec, type ParamDef, type SavedQuery } from '../src/catalog/catalog.js';
import { describeParam } from '../src/catalog/params.js';
import { cellText, dateRange } from '../src/charts/spec.js';
import type { QueryOutput } from '../src/services/query.js';
import { ago, escapeMrkdwn, noteMessage, pageOf, pagerBlocks, slackDate, truncate, SLACK_LIMITS, quoteUserText, truncateMrkdwn, userText, type MessageBody } from './common.js';
import { localeNumber } from '../src/format.js';
import { mrkdwnAsPlainText, withoutControls } from '../src/blockkit/mrkdwn.js';

const C = Commands.query;
/** Sections of monospaced table text in one message (each under 3,000 characters). */
export const MAX_TABLE_SECTIONS = 8;
/** A column wider than this is cut with an ellipsis in the table view. */
const MAX_COLUMN_WIDTH = 32;
/** Columns shown in the table view; the CSV has them all. */
export const MAX_TABLE_COLUMNS = 12;

/** What a result's buttons carry: the query and its canonical parameter values. */
export interface QueryRef {
  q: string;
  p: Record<string, string>;
}

/** The button value for a result (JSON; at most 2,000 characters, which canonical values always fit). */
export function queryRefValue(ref: QueryRef): string {
  return JSON.stringify(ref).slice(0, 2000);
}

/**
 * A button's value read back, only as {@link queryRefValue} writes it: `{ q, p }`, a query name and its
 * values, each a string. Anything else (not JSON, a value that is not a string) is null: a forged or
 * mangled button is refused whole, never run with its odd values quietly dropped.
 */
export function parseQueryRef(raw: unknown): QueryRef | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw ?? '').slice(0, 2000));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const { q, p } = parsed as { q?: unknown; p?: unknown };
  if (typeof q !== 'string' || !p || typeof p !== 'object' || Array.isArray(p)) return null;
  const values = Object.entries(p);
  if (!values.every(([, v]) => typeof v === 'string')) return null;
  return { q, p: Object.fromEntries(values) as Record<string, string> };
}

/** What the modal keeps in private_metadata. */
export interface QueryModalMetadata {
  q: string;
  /** Channel (and thread) the result goes to. */
  c: string;
  t?: string;
}

/** "1.2 GB": bytes in SI units, as BigQuery's console shows them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : localeNumber(v, 1)} ${units[i]}`;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, SLACK_LIMITS.sectionText) } };
}

function paramLine(p: ParamDef): string {
  return `\`${p.name}\`${p.required ? ' (required)' : ''}: ${escapeMrkdwn(describeParam(p))}`;
}

/** Queries per page of `/query list`: two blocks each, so a page stays well inside Slack's 50 blocks. */
export const QUERY_LIST_PAGE_SIZE = 20;

/** What a list page's Previous / Next buttons carry: the search and the page (0-based). */
export interface QueryListPageRef {
  s: string;
  n: number;
}

/** A button that carries a saved query and its values (Run, Refresh, Subscribe…, …). */
function queryButton(action_id: string, text: string, ref: QueryRef): Button {
  return { type: 'button', action_id, text: { type: 'plain_text', text: truncate(text, 75) }, value: queryRefValue(ref) };
}

/** The Run button of a saved query (from the list, or "Did you mean …?" with the values typed): runs it, or opens its modal when it needs values. */
function runButton(q: SavedQuery, text = 'Run', values: Record<string, string> = {}): Button {
  return queryButton(ActionIds.queryRun, text, suggested(q, values));
}

/**
 * A suggestion's button with the values typed after the mistyped name (checked again on the click, as typed):
 * all of them while they fit its value whole, else none (a value cut would be another value).
 */
function suggested(q: SavedQuery, values: Record<string, string>): QueryRef {
  const ref = { q: q.name, p: values };
  return JSON.stringify(ref).length <= 2000 ? ref : { q: q.name, p: {} };
}

/** The catalog, or the queries matching a search, a page at a time (page 0 first), each with its Run button. */
export function queryListMessage(queries: readonly SavedQuery[], search: string, total: number, page = 0): MessageBody {
  const p = pageOf(queries, QUERY_LIST_PAGE_SIZE, page);
  const heading = search
    ? `${queries.length} of ${total} saved queries match ${quoteUserText(search, 60)}.`
    : `${total} saved queries. Press *Run*, or type \`${C} &lt;name&gt; [param=value …]\`; search with \`${C} list &lt;words&gt;\`. Get one on a schedule with \`${C} subscribe &lt;name&gt;\`, be told when a number crosses a threshold with \`${C} alert &lt;name&gt;\`, and see yours with \`${C} subscriptions\`.`;
  const blocks: KnownBlock[] = [section(`:bar_chart: ${heading}`)];
  for (const q of p.shown) {
    const params = q.params.length ? q.params.map(paramLine).join('\n') : '_no parameters_';
    const entry: SectionBlock = {
      type: 'section',
      text: { type: 'mrkdwn', text: truncateMrkdwn(`*${escapeMrkdwn(q.title)}*  \`${C} ${q.name}\`\n${escapeMrkdwn(q.description)}\n${params}`, SLACK_LIMITS.sectionText) },
      accessory: runButton(q),
    };
    blocks.push(entry, { type: 'context', elements: [{ type: 'mrkdwn', text: `${displayName(q)} · owner ${escapeMrkdwn(q.owner)} · cached ${formatTtl(q.ttlMs)}` }] });
  }
  if (queries.length === 0) blocks.push(section(`Nothing matches. \`${C} list\` shows them all.`));
  blocks.push(...pagerBlocks(p, {
    summary: `queries ${p.from + 1} to ${p.from + p.shown.length} of ${queries.length}.`,
    blockId: BlockIds.queryListPages,
    previous: ActionIds.queryListPrevious,
    next: ActionIds.queryListNext,
    valueOf: (n) => JSON.stringify({ s: search.slice(0, 100), n } satisfies QueryListPageRef),
  }));
  return { text: search ? `Saved queries matching ${quoteUserText(search, 60)}` : 'Saved queries', blocks };
}

function displayName(q: SavedQuery): string {
  return { line: 'line chart', bar: 'bar chart', 'stacked-bar': 'stacked bar chart', pie: 'pie chart', table: 'table' }[q.display.type];
}

function formatTtl(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/** The same `/query` sent again while the first is on its way (a double Enter): nothing more runs. */
export function queryAlreadyAskedMessage(): MessageBody {
  return noteMessage(':hourglass_flowing_sand: You just asked for that query here: it is already running, and its result is on its way.');
}

/** Show as table clicked again within 20 s of a first click (a double click): its table is shown or on its way. */
export function queryTableAlreadyMessage(): MessageBody {
  return noteMessage(':hourglass_flowing_sand: You asked for the table of this result a moment ago: it is shown above, or on its way (only you can see it). Clicks within 20 seconds of that one show nothing more: click Show as table again after that to have it shown again.');
}

/**
 * "There is no saved query …; did you mean …?", each near name with the button
 * for what was asked: Run (`/query <name>`), Subscribe… (`/query subscribe`) or
 * Alert… (`/query alert`: only the queries with a value to watch are offered).
 */
export function queryUnknownMessage(name: string, closest: readonly SavedQuery[], asked: 'run' | 'subscribe' | 'alert' = 'run', subcommand?: string, values: Record<string, string> = {}): MessageBody {
  // An alert watches a value: a query without one is no answer to `/query alert`.
  const near = asked === 'alert' ? closest.filter((q) => q.display.y.length) : closest;
  const hint = subcommand
    ? `Did you mean \`${C} ${subcommand}\`?`
    : near.length
      ? `Did you mean ${near.map((q) => `\`${q.name}\``).join(', ')}?`
      : `\`${C} list\` shows every saved query.`;
  const text = `:thinking_face: There is no saved query ${quoteUserText(name, 60)}. ${hint}`;
  const blocks: KnownBlock[] = [section(text)];
  const buttonFor = (q: SavedQuery): Button => {
    if (asked === 'run') return runButton(q, 'Run', values);
    const [actionId, label] = asked === 'alert' ? [ActionIds.queryAlert, 'Alert…'] : [ActionIds.querySubscribe, 'Subscribe…'];
    return queryButton(actionId, label, suggested(q, values));
  };
  for (const q of near.slice(0, 5)) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(`\`${q.name}\`: ${escapeMrkdwn(q.title)}`, 3000) }, accessory: buttonFor(q) });
  }
  return { text, blocks };
}

export function queryTooLongMessage(max: number): MessageBody {
  const text = `:scissors: That is too long for \`${C}\` (${localeNumber(max)} characters at most). Try \`${C} list\`.`;
  return { text, blocks: [section(text)] };
}

/** "Since: must be on or after …" for a parameter's problem: named by the label people see, or the sentence about an unknown name. */
function problemLine(query: SavedQuery, key: string, problem: string, withName: boolean): string {
  const p = query.params.find((x) => x.name === key);
  if (!p) return escapeMrkdwn(problem);
  return `*${escapeMrkdwn(p.label)}*${withName ? ` (\`${p.name}\`)` : ''}: ${escapeMrkdwn(problem)}`;
}

/** "Must be from 1 to 50, got 500": a parameter's problem under its input, where its label is already shown. Plain text: what was typed is quoted as typed. */
export function queryFieldError(problem: string): string {
  const plain = mrkdwnAsPlainText(problem);
  return truncate(plain.charAt(0).toUpperCase() + plain.slice(1), 150);
}

/** The modal's inline errors: one per parameter input, by block ID. */
export function queryParamErrors(query: SavedQuery, problems: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of query.params) {
    const problem = problems[p.name];
    if (problem) errors[`${BlockIds.queryParamPrefix}${p.name}`] = queryFieldError(problem);
  }
  return errors;
}

/** Problems with the parameters, when no modal could be opened (or for the record). */
export function queryProblemsMessage(query: SavedQuery, problems: Record<string, string>): MessageBody {
  const lines = Object.entries(problems).slice(0, 10).map(([key, problem]) => `• ${problemLine(query, key, problem, true)}`);
  const usage = query.params.length ? query.params.map(paramLine).join('\n') : '_no parameters_';
  const text = `:warning: \`${query.name}\` needs fixing before it runs:\n${lines.join('\n')}\n\n*Parameters*\n${usage}`;
  const [firstKey, first] = Object.entries(problems)[0] ?? [];
  const firstLabel = query.params.find((x) => x.name === firstKey)?.label;
  return { text: escapeMrkdwn(`${query.name}: ${first ? `${firstLabel ? `${firstLabel}: ` : ''}${first}` : 'invalid parameters'}`), blocks: [section(text)] };
}

/** The hint under a parameter's input: what it takes, in the modal's terms (a date picker takes a day, not "-30d"). */
function modalHint(p: ParamDef, today: string): string {
  if (p.kind === 'customer') return p.description ?? 'A customer name, alias or domain, as in /telemetry.';
  if (p.kind === 'date') {
    const at = new Date(`${today}T00:00:00Z`);
    const yesterday = resolveDateSpec('-1d', at);
    const day = (spec: string) => {
      const d = resolveDateSpec(spec, at);
      return d === today ? 'today' : d === yesterday ? 'yesterday' : d;
    };
    const range = p.min && p.max ? `a day from ${day(p.min)} to ${day(p.max)}` : p.min ? `a day from ${day(p.min)} on` : p.max ? `a day up to ${day(p.max)}` : 'a day';
    return p.description ? `${p.description} (${range})` : range.charAt(0).toUpperCase() + range.slice(1);
  }
  // A select shows its choices itself: its hint is only the description, if any.
  if (p.kind === 'enum') return p.description ?? '';
  const about = describeParam(p);
  // A pattern hint already says what the text is (its description, an example of the same, would say it twice).
  if (p.description && !(p.kind === 'string' && p.patternHint)) return `${p.description} (${about})`;
  return about.charAt(0).toUpperCase() + about.slice(1);
}

/**
 * One parameter's input. A value from the command that did not check out is
 * not filled in: what was wrong with it is the input's placeholder, which goes
 * away as soon as the person types or picks (a note at the top would stay
 * after the value is fixed).
 */
function inputFor(p: ParamDef, typed: string | undefined, today: string, problem: string | undefined): InputBlock {
  // Given empty (`weeks=`) is not given, as a run takes it: its default is shown, not a blank required input.
  const value = typed === '' ? undefined : typed;
  const blockId = `${BlockIds.queryParamPrefix}${p.name}`;
  const label = { type: 'plain_text' as const, text: truncate(p.label, 2000) };
  const hintText = modalHint(p, today);
  const base = { type: 'input' as const, block_id: blockId, label, ...(hintText ? { hint: { type: 'plain_text' as const, text: truncate(hintText, 2000) } } : {}), optional: false };
  const warning = problem ? { type: 'plain_text' as const, text: truncate(`⚠ ${queryFieldError(problem)}`, 150) } : undefined;
  switch (p.kind) {
    case 'int': {
      const initial = problem ? undefined : value ?? (p.default !== undefined ? String(p.default) : undefined);
      return {
        ...base,
        element: {
          type: 'number_input', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, is_decimal_allowed: false,
          min_value: String(p.min), max_value: String(p.max), ...(initial !== undefined ? { initial_value: initial } : {}),
          ...(warning ? { placeholder: warning } : {}),
        },
      };
    }
    case 'date': {
      const given = value?.toLowerCase();
      const initial = problem ? undefined : given && (isValidIsoDate(given) || /^(today|[-+]\d{1,4}[dw])$/.test(given))
        ? resolveDateSpec(given, new Date(`${today}T00:00:00Z`))
        : p.default ? resolveDateSpec(p.default, new Date(`${today}T00:00:00Z`)) : undefined;
      return {
        ...base,
        element: { type: 'datepicker', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, ...(initial ? { initial_date: initial } : {}), ...(warning ? { placeholder: warning } : {}) },
      };
    }
    case 'enum': {
      const options: PlainTextOption[] = p.options.map((o) => ({ text: { type: 'plain_text', text: truncate(o.label, 75) }, value: o.value }));
      const initial = problem ? undefined : options.find((o) => o.value === (value ?? p.default));
      return {
        ...base,
        element: {
          type: 'static_select', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, options,
          placeholder: warning ?? { type: 'plain_text', text: 'Choose' }, ...(initial ? { initial_option: initial } : {}),
        },
      };
    }
    case 'string':
    case 'customer': {
      const max = p.kind === 'string' ? p.maxLength : 80;
      const initial = problem ? undefined : value ?? (p.kind === 'string' ? p.default : undefined);
      return {
        ...base,
        element: {
          type: 'plain_text_input', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, max_length: max,
          placeholder: warning ?? { type: 'plain_text', text: p.kind === 'customer' ? 'acme, Acme Corp or acme.com' : truncate(describeParam(p), 150) },
          ...(initial ? { initial_value: truncate(initial, max) } : {}),
        },
      };
    }
  }
}

/**
 * The modal asking for a query's parameters. `values` prefill the inputs
 * (valid ones; dates resolved). A parameter whose value from the command did
 * not check out says why in its empty input; what is not about one input
 * (a word that is not a parameter) is said at the top.
 */
export function queryParamsModal(
  query: SavedQuery,
  input: { values: Record<string, string>; problems: Record<string, string>; metadata: QueryModalMetadata; today: string },
): ModalView {
  const blocks: KnownBlock[] = [
    section(`*${escapeMrkdwn(query.title)}*\n${escapeMrkdwn(query.description)}`),
  ];
  const names = new Set(query.params.map((p) => p.name));
  const elsewhere = Object.entries(input.problems).filter(([key]) => !names.has(key)).map(([, problem]) => problem);
  if (elsewhere.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(`:information_source: Not used from your command: ${elsewhere.slice(0, 5).map(escapeMrkdwn).join('; ')}`, 3000) }] });
  }
  for (const p of query.params) {
    // Missing and required is not a mistake: the input is simply empty (Slack marks it required).
    const given = Object.hasOwn(input.values, p.name);
    blocks.push(inputFor(p, input.values[p.name], input.today, given ? input.problems[p.name] : undefined));
  }
  return {
    type: 'modal',
    callback_id: CallbackIds.queryParams,
    title: { type: 'plain_text', text: 'Run a saved query' },
    submit: { type: 'plain_text', text: 'Run' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify(input.metadata),
    blocks,
  };
}

/**
 * The form while a customer is checked on a cold instance (the customer list
 * not loaded yet): answered at once, it becomes the form again with what was
 * wrong, or says the result is on its way.
 */
export function queryCheckingModal(query: SavedQuery): ModalView {
  return queryNoteModal(query, ':hourglass_flowing_sand: Checking the customer: I am loading the customer list, which takes a few seconds after I start. This form changes as soon as it is in; if you close it, a result that checks out still goes to the channel.', 'Close');
}

/** The form turned into a note (the result on its way, or what went wrong), with nothing left to submit. */
export function queryNoteModal(query: SavedQuery, text: string, close = 'Close'): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Run a saved query' },
    close: { type: 'plain_text', text: close },
    blocks: [section(`*${escapeMrkdwn(query.title)}*\n${escapeMrkdwn(query.description)}`), section(text)],
  };
}

/** The form's note once a run it asked for is recorded. */
export function queryOnItsWayText(channel: string): string {
  return `:bar_chart: The result is on its way to <#${channel}>.`;
}

function footer(o: QueryOutput, now: Date, requestedBy: string | undefined): string {
  const fresh = o.freshness.filter((f) => f.lastModified).map((f) => `${f.table} updated ${ago(f.lastModified!, now)}`);
  // A cached result processed its bytes when it was computed: now it processes nothing.
  const run = o.cacheHit
    ? [`Cached result from ${slackDate(o.computedAt)}`, 'nothing processed now']
    : [`Computed ${slackDate(o.computedAt)}`, `${formatBytes(o.bytesProcessed)} processed`, 'fresh run'];
  return [
    ...run,
    fresh.length ? fresh.join(', ') : 'table freshness unknown',
    ...(requestedBy ? [`requested by <@${requestedBy}>`] : []),
  ].join(' · ');
}

/** "1 row", "12,345 rows". */
function rowCount(n: number): string {
  return `${localeNumber(n)} row${n === 1 ? '' : 's'}`;
}

function summary(o: QueryOutput): string {
  const range = dateRange(o.rows, o.query.display.x);
  const rows = rowCount(o.totalRows);
  const params = o.params.shown.map((s) => `${escapeMrkdwn(s.label)}: *${userText(s.value, 80)}*`).join(' · ');
  return [
    `*${escapeMrkdwn(o.query.title)}*  \`${o.query.name}\``,
    [rows, range ? (range.from === range.to ? range.from : `${range.from} to ${range.to}`) : ''].filter(Boolean).join(', '),
    params,
  ].filter(Boolean).join('\n');
}

function resultButtons(o: QueryOutput, options: { table: boolean }): ActionsBlock {
  // The values as typed (a relative date stays relative), checked again when a button is clicked.
  const ref: QueryRef = { q: o.query.name, p: o.params.given ?? o.params.canonical };
  const button = (actionId: string, text: string): Button => queryButton(actionId, text, ref);
  return {
    type: 'actions',
    block_id: BlockIds.queryResultActions,
    elements: [
      button(ActionIds.queryRefresh, 'Refresh'),
      ...(options.table ? [button(ActionIds.queryShowTable, 'Show as table')] : []),
      button(ActionIds.queryDownloadCsv, 'Download CSV'),
      button(ActionIds.querySubscribe, 'Subscribe…'),
      ...(o.query.display.y.length ? [button(ActionIds.queryAlert, 'Alert…')] : []),
    ],
  };
}

/** The blocks of the message that carries the chart: summary, footer, buttons. */
export function queryChartMessage(o: QueryOutput, now: Date, requestedBy?: string): MessageBody {
  return {
    text: escapeMrkdwn(`${o.query.title}: ${rowCount(o.totalRows)}`),
    blocks: [
      section(summary(o)),
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(footer(o, now, requestedBy), 3000) }] },
      resultButtons(o, { table: true }),
    ],
  };
}

/**
 * Rows as monospaced text in sections of at most 3,000 characters, no more than
 * MAX_TABLE_SECTIONS of them; says how many rows were left out.
 */
export function tableSections(
  allColumns: string[],
  rows: QueryOutput['rows'],
  maxSections = MAX_TABLE_SECTIONS,
): { sections: string[]; shownRows: number; hiddenColumns: number } {
  // At most MAX_TABLE_COLUMNS of at most MAX_COLUMN_WIDTH characters: a line always fits a section.
  const columns = allColumns.slice(0, MAX_TABLE_COLUMNS);
  // Without control characters and direction overrides: a U+202E in a warehouse string turned the rest of its row around ("123" read "321").
  const cells = rows.map((r) => columns.map((c) => truncate(withoutControls(cellText(r[c] ?? null).replace(/[\r\n\t`]/g, ' ')), MAX_COLUMN_WIDTH)));
  const widths = columns.map((c, i) => Math.min(MAX_COLUMN_WIDTH, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || r[c] === null));
  // Escaped after padding: Slack shows &lt; as one character, so columns stay aligned.
  const line = (values: string[]) => escapeMrkdwn(values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd());
  const header = line(columns.map((c) => truncate(c, MAX_COLUMN_WIDTH)));
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const budget = SLACK_LIMITS.sectionText - 8; // the ``` fences
  const sections: string[] = [];
  let current = [header, rule];
  let length = header.length + rule.length + 1;
  let shown = 0;
  for (const r of cells) {
    const l = line(r);
    if (length + 1 + l.length > budget) {
      if (sections.length + 1 >= maxSections) break;
      sections.push(current.join('\n'));
      current = [];
      length = -1;
    }
    current.push(l);
    length += 1 + l.length;
    shown++;
  }
  sections.push(current.join('\n'));
  return { sections, shownRows: shown, hiddenColumns: allColumns.length - columns.length };
}

/** A result as a table message (the reply for table queries, and "Show as table"). */
export function queryTableMessage(o: QueryOutput, now: Date, options: { requestedBy?: string; buttons: boolean }): MessageBody {
  const { sections, shownRows, hiddenColumns } = tableSections(o.columns, o.rows);
  const blocks: KnownBlock[] = [section(summary(o))];
  for (const s of sections) blocks.push(section('```\n' + s + '\n```'));
  const more = o.totalRows - shownRows;
  const left = [
    more > 0 ? `${localeNumber(more)} more row${more === 1 ? '' : 's'}` : '',
    hiddenColumns > 0 ? `${hiddenColumns} more column${hiddenColumns === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  if (left.length) blocks.push(section(`_${left.join(' and ')} not shown: use Download CSV for all of them._`));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(footer(o, now, options.requestedBy), 3000) }] });
  if (options.buttons) blocks.push(resultButtons(o, { table: false }));
  return { text: escapeMrkdwn(`${o.query.title}: ${rowCount(o.totalRows)}`), blocks };
}

/** The query ran and returned nothing. */
export function queryEmptyMessage(o: QueryOutput, now: Date, requestedBy?: string): MessageBody {
  const text = `:open_file_folder: *${escapeMrkdwn(o.query.title)}* returned no rows for ${o.params.shown.map((s) => `${escapeMrkdwn(s.label)} *${userText(s.value, 80)}*`).join(', ') || 'these parameters'}.`;
  return {
    text: escapeMrkdwn(`${o.query.title}: no rows`),
    blocks: [section(text), { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(footer(o, now, requestedBy), 3000) }] }],
  };
}

/** Over the cost cap: nothing ran. */
export function queryOverCapMessage(query: SavedQuery, estimatedBytes: number, capBytes: number): MessageBody {
  // Only what this query's parameters can do: a query without any has nothing to narrow.
  const ways = [query.params.some((p) => p.kind === 'int' && p.name === 'weeks') ? 'fewer weeks' : '', query.params.some((p) => p.kind === 'date') ? 'a later date' : ''].filter(Boolean);
  const narrow = query.params.length ? `Narrow its parameters${ways.length ? ` (${ways.join(', ')})` : ''}, or ask` : 'It has no parameters to narrow, so ask';
  const text = `:money_with_wings: \`${query.name}\` would process about *${formatBytes(estimatedBytes)}*, over the cap of *${formatBytes(capBytes)}* per query, so it did not run. ${narrow} the data team in #analytics: they can raise the limit.`;
  return { text: `${query.name} not run: ${formatBytes(estimatedBytes)} is over the ${formatBytes(capBytes)} cap`, blocks: [section(text)] };
}

/** The bot cannot post where the command ran. */
export function queryInviteMessage(channelId: string): MessageBody {
  const text = `:wave: I can't post the result in <#${channelId}>: I'm not a member. Invite me with \`/invite @analytics-bot\` and run the command again.`;
  return { text, blocks: [section(text)] };
}

/**
 * Slack refused the result (`what`: the chart or table, or the CSV) for good (`code`: not a rate limit or an
 * outage, and not "not in the channel", which {@link queryInviteMessage} says): why, in words where it is the
 * channel's doing, else Slack's code.
 */
export function querySlackRefusedMessage(queryName: string, channelId: string, code: string, what: 'result' | 'CSV' = 'result'): MessageBody {
  const channelsDoing = code === 'is_archived' || code.startsWith('restricted_action') || code === 'posting_to_channel_denied';
  const why = code === 'is_archived' ? `<#${channelId}> is archived`
    : channelsDoing ? `Slack does not let me post in <#${channelId}> (posting there is restricted)`
    : `Slack refused it (\`${escapeMrkdwn(code.slice(0, 64))}\`)`;
  const next = channelsDoing ? 'Run it in another channel.' : 'Please tell the data team in #analytics.';
  const text = `:warning: I could not post the ${what} of \`${escapeMrkdwn(queryName.slice(0, 80))}\`: ${why}. ${next}`;
  return { text, blocks: [section(text)] };
}

/** A result button whose query or parameters no longer check out. */
export function queryStaleButtonMessage(reason: string): MessageBody {
  const text = `:warning: ${escapeMrkdwn(reason)} Run \`${C} list\` to see the saved queries.`;
  return { text, blocks: [section(text)] };
}

/** Download CSV, first click: where the file will land. */
export function queryCsvOnItsWayMessage(query: SavedQuery, inThread: boolean): MessageBody {
  return noteMessage(`:page_facing_up: The CSV of *${escapeMrkdwn(query.title)}* will be ${inThread ? 'in this thread' : "in this result's thread"} in a moment, as a file you can download.`);
}

/** Download CSV clicked again on the same result. */
export function queryCsvAlreadyMessage(inThread: boolean): MessageBody {
  return noteMessage(`:page_facing_up: The CSV of this result is already ${inThread ? 'in this thread' : "in this result's thread"} (or on its way).`);
}

/** The result of a Download CSV click. */
export function queryCsvComment(o: QueryOutput, requestedBy: string): string {
  return `CSV of ${escapeMrkdwn(o.query.title)} (${rowCount(o.totalRows)}${o.rows.length < o.totalRows ? `, first ${localeNumber(o.rows.length)} included` : ''}), for <@${requestedBy}>`;
}
