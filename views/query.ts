/**
 * Block Kit for `/query`: the catalog list, the parameter modal, the result
 * message (summary, footer, buttons) that goes with the chart upload, the
 * table view, and the answers for unknown names, bad input and failures.
 * Pure functions of data.
 */
import type { ActionsBlock, Button, InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import { isValidIsoDate, resolveDateSpec, type ParamDef, type SavedQuery } from '../src/catalog/catalog.js';
import { describeParam } from '../src/catalog/params.js';
import { cellText, dateRange } from '../src/charts/spec.js';
import type { QueryOutput } from '../src/services/query.js';
import { ago, escapeMrkdwn, slackDate, truncate, SLACK_LIMITS, escapeAndTruncate, truncateMrkdwn, type MessageBody } from './common.js';

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
  return `${i === 0 ? v : v.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${units[i]}`;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, SLACK_LIMITS.sectionText) } };
}

function paramLine(p: ParamDef): string {
  return `\`${p.name}\`${p.required ? ' (required)' : ''}: ${escapeMrkdwn(describeParam(p))}`;
}

/** The catalog, or the queries matching a search. */
export function queryListMessage(queries: readonly SavedQuery[], search: string, total: number): MessageBody {
  const heading = search
    ? `${queries.length} of ${total} saved queries match “${escapeAndTruncate(search, 60)}”`
    : `${total} saved queries. Run one with \`${C} <name> [param=value …]\`; search with \`${C} list <words>\`.`;
  const blocks: KnownBlock[] = [section(`:bar_chart: ${heading}`)];
  // Two blocks a query, between the heading and the "more" line: what fits in one message.
  const shown = Math.floor((SLACK_LIMITS.messageBlocks - 2) / 2);
  for (const q of queries.slice(0, shown)) {
    const params = q.params.length ? q.params.map(paramLine).join('\n') : '_no parameters_';
    blocks.push(section(`*${escapeMrkdwn(q.title)}*  \`${C} ${q.name}\`\n${escapeMrkdwn(q.description)}\n${params}`));
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${displayName(q)} · owner ${escapeMrkdwn(q.owner)} · cached ${formatTtl(q.ttlMs)}` }] });
  }
  if (queries.length > shown) blocks.push(section(`…and ${queries.length - shown} more: narrow the search.`));
  if (queries.length === 0) blocks.push(section(`Nothing matches. \`${C} list\` shows them all.`));
  return { text: search ? `Saved queries matching “${truncate(search, 60)}”` : 'Saved queries', blocks };
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

/** No query by that name. */
export function queryUnknownMessage(name: string, closest: readonly SavedQuery[]): MessageBody {
  const hint = closest.length
    ? `Did you mean ${closest.map((q) => `\`${q.name}\``).join(', ')}?`
    : `\`${C} list\` shows every saved query.`;
  const text = `:thinking_face: There is no saved query “${escapeAndTruncate(name, 60)}”. ${hint}`;
  return { text, blocks: [section(text)] };
}

export function queryTooLongMessage(max: number): MessageBody {
  const text = `:scissors: That is too long for \`${C}\` (${max.toLocaleString('en-US')} characters at most). Try \`${C} list\`.`;
  return { text, blocks: [section(text)] };
}

/** Problems with the parameters, when no modal could be opened (or for the record). */
export function queryProblemsMessage(query: SavedQuery, problems: Record<string, string>): MessageBody {
  const lines = Object.values(problems).slice(0, 10).map((p) => `• ${escapeMrkdwn(p)}`);
  const usage = query.params.length ? query.params.map(paramLine).join('\n') : '_no parameters_';
  const text = `:warning: \`${query.name}\` needs fixing before it runs:\n${lines.join('\n')}\n\n*Parameters*\n${usage}`;
  return { text: `${query.name}: ${Object.values(problems)[0] ?? 'invalid parameters'}`, blocks: [section(text)] };
}

function inputFor(p: ParamDef, value: string | undefined, today: string): InputBlock {
  const blockId = `${BlockIds.queryParamPrefix}${p.name}`;
  const label = { type: 'plain_text' as const, text: truncate(p.label, 2000) };
  const about = describeParam(p);
  const text = p.kind === 'customer' && p.description ? p.description : p.description ? `${p.description} (${about})` : about.charAt(0).toUpperCase() + about.slice(1);
  const hint = { type: 'plain_text' as const, text: truncate(text, 2000) };
  const base = { type: 'input' as const, block_id: blockId, label, hint, optional: false };
  switch (p.kind) {
    case 'int': {
      const initial = value ?? (p.default !== undefined ? String(p.default) : undefined);
      return {
        ...base,
        element: {
          type: 'number_input', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, is_decimal_allowed: false,
          min_value: String(p.min), max_value: String(p.max), ...(initial !== undefined ? { initial_value: initial } : {}),
        },
      };
    }
    case 'date': {
      const given = value?.toLowerCase();
      const initial = given && (isValidIsoDate(given) || /^(today|[-+]\d{1,4}[dw])$/.test(given))
        ? resolveDateSpec(given, new Date(`${today}T00:00:00Z`))
        : p.default ? resolveDateSpec(p.default, new Date(`${today}T00:00:00Z`)) : undefined;
      return { ...base, element: { type: 'datepicker', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, ...(initial ? { initial_date: initial } : {}) } };
    }
    case 'enum': {
      const options: PlainTextOption[] = p.options.map((o) => ({ text: { type: 'plain_text', text: truncate(o.label, 75) }, value: o.value }));
      const initial = options.find((o) => o.value === (value ?? p.default));
      return {
        ...base,
        element: {
          type: 'static_select', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, options,
          placeholder: { type: 'plain_text', text: 'Choose' }, ...(initial ? { initial_option: initial } : {}),
        },
      };
    }
    case 'string':
    case 'customer': {
      const max = p.kind === 'string' ? p.maxLength : 80;
      const initial = value ?? (p.kind === 'string' ? p.default : undefined);
      return {
        ...base,
        element: {
          type: 'plain_text_input', action_id: `${ActionIds.queryParamInputPrefix}${p.name}`, max_length: max,
          placeholder: { type: 'plain_text', text: p.kind === 'customer' ? 'acme, Acme Corp or acme.com' : truncate(describeParam(p), 150) },
          ...(initial ? { initial_value: truncate(initial, max) } : {}),
        },
      };
    }
  }
}

/**
 * The modal asking for a query's parameters. `values` prefill the inputs
 * (valid ones; dates resolved); `problems` are listed at the top.
 */
export function queryParamsModal(
  query: SavedQuery,
  input: { values: Record<string, string>; problems: Record<string, string>; metadata: QueryModalMetadata; today: string },
): ModalView {
  const blocks: KnownBlock[] = [
    section(`*${escapeMrkdwn(query.title)}*\n${escapeMrkdwn(query.description)}`),
  ];
  const problems = Object.values(input.problems);
  if (problems.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(`:warning: ${problems.slice(0, 8).map(escapeMrkdwn).join('\n:warning: ')}`, 3000) }] });
  }
  for (const p of query.params) {
    const v = input.problems[p.name] && p.kind !== 'customer' && p.kind !== 'string' ? undefined : input.values[p.name];
    blocks.push(inputFor(p, v, input.today));
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

function footer(o: QueryOutput, now: Date, requestedBy: string | undefined): string {
  const fresh = o.freshness.filter((f) => f.lastModified).map((f) => `${f.table} updated ${ago(f.lastModified!, now)}`);
  return [
    `Computed ${slackDate(o.computedAt)}`,
    `${formatBytes(o.bytesProcessed)} processed`,
    o.cacheHit ? 'cache hit' : 'fresh run',
    fresh.length ? fresh.join(', ') : 'table freshness unknown',
    ...(requestedBy ? [`requested by <@${requestedBy}>`] : []),
  ].join(' · ');
}

function summary(o: QueryOutput): string {
  const range = dateRange(o.rows, o.query.display.x);
  const rows = `${o.totalRows.toLocaleString('en-US')} row${o.totalRows === 1 ? '' : 's'}`;
  const params = o.params.shown.map((s) => `${escapeMrkdwn(s.label)}: *${escapeAndTruncate(s.value, 80)}*`).join(' · ');
  return [
    `*${escapeMrkdwn(o.query.title)}*  \`${o.query.name}\``,
    [rows, range ? (range.from === range.to ? range.from : `${range.from} to ${range.to}`) : ''].filter(Boolean).join(', '),
    params,
  ].filter(Boolean).join('\n');
}

function resultButtons(o: QueryOutput, options: { table: boolean }): ActionsBlock {
  // The values as typed (a relative date stays relative), checked again when a button is clicked.
  const value = queryRefValue({ q: o.query.name, p: o.params.given ?? o.params.canonical });
  const button = (action_id: string, text: string): Button => ({ type: 'button', action_id, text: { type: 'plain_text', text }, value });
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
    text: `${o.query.title}: ${o.totalRows} rows`,
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
  const cells = rows.map((r) => columns.map((c) => truncate(cellText(r[c] ?? null).replace(/[\r\n\t`]/g, ' '), MAX_COLUMN_WIDTH)));
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
    more > 0 ? `${more.toLocaleString('en-US')} more row${more === 1 ? '' : 's'}` : '',
    hiddenColumns > 0 ? `${hiddenColumns} more column${hiddenColumns === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  if (left.length) blocks.push(section(`_${left.join(' and ')} not shown: use Download CSV for all of them._`));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(footer(o, now, options.requestedBy), 3000) }] });
  if (options.buttons) blocks.push(resultButtons(o, { table: false }));
  return { text: `${o.query.title}: ${o.totalRows} rows`, blocks };
}

/** The query ran and returned nothing. */
export function queryEmptyMessage(o: QueryOutput, now: Date, requestedBy?: string): MessageBody {
  const text = `:open_file_folder: *${escapeMrkdwn(o.query.title)}* returned no rows for ${o.params.shown.map((s) => `${escapeMrkdwn(s.label)} *${escapeAndTruncate(s.value, 80)}*`).join(', ') || 'these parameters'}.`;
  return {
    text: `${o.query.title}: no rows`,
    blocks: [section(text), { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(footer(o, now, requestedBy), 3000) }] }],
  };
}

/** Over the cost cap: nothing ran. */
export function queryOverCapMessage(query: SavedQuery, estimatedBytes: number, capBytes: number): MessageBody {
  const text = `:money_with_wings: \`${query.name}\` would process about *${formatBytes(estimatedBytes)}*, over the cap of *${formatBytes(capBytes)}* per query, so it did not run. Narrow its parameters (fewer weeks, a later date), or ask #analytics to raise QUERY_MAX_BYTES.`;
  return { text: `${query.name} not run: ${formatBytes(estimatedBytes)} is over the ${formatBytes(capBytes)} cap`, blocks: [section(text)] };
}

/** The bot cannot post where the command ran. */
export function queryInviteMessage(channelId: string): MessageBody {
  const text = `:wave: I can't post the result in <#${channelId}>: I'm not a member. Invite me with \`/invite @analytics-bot\` and run the command again.`;
  return { text, blocks: [section(text)] };
}

/** A result button whose query or parameters no longer check out. */
export function queryStaleButtonMessage(reason: string): MessageBody {
  const text = `:warning: ${escapeMrkdwn(reason)} Run \`${C} list\` to see the saved queries.`;
  return { text, blocks: [section(text)] };
}

/** The result of a Download CSV click. */
export function queryCsvComment(o: QueryOutput, requestedBy: string): string {
  return `CSV of ${o.query.title} (${o.totalRows.toLocaleString('en-US')} rows${o.rows.length < o.totalRows ? `, first ${o.rows.length.toLocaleString('en-US')} included` : ''}), for <@${requestedBy}>`;
}
