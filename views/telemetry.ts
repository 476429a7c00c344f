/**
 * Block Kit for `/telemetry`: the customer card, the picker for several
 * matches, "no match", and usage help. Pure functions of data.
 */
import type { Button, KnownBlock, PlainTextOption } from '@slack/types';
import { ActionIds, BlockIds, Commands } from '../src/ids.js';
import { LEVEL_INFO, TELEMETRY_LEVELS, type Hosting, type LevelInfo } from '../src/domain/telemetry.js';
import type { CustomerName } from '../src/domain/customer-match.js';
import type { CustomerTelemetry, InstanceTelemetry } from '../src/services/telemetry.js';
import { ago, escapeMrkdwn, slackDate, truncate, escapeAndTruncate, quoteUserText, type MessageBody } from './common.js';
import { localeNumber } from '../src/format.js';

const HOSTING_LABEL: Record<Hosting, string> = {
  cloud: 'Sourcegraph cloud',
  'self-hosted': 'Self-hosted',
  managed: 'Managed',
};

/** A known hosting by its name; any other as the warehouse wrote it, marked as such, escaped and cut. */
function hostingLabel(h: InstanceTelemetry['hosting']): string {
  if (typeof h === 'string') return HOSTING_LABEL[h];
  return h.other ? `other hosting: ${escapeAndTruncate(h.other, 40)}` : 'hosting unknown';
}

/** Instances beyond this many are summarized, to stay well inside 50 blocks. */
const MAX_INSTANCES_SHOWN = 12;
/** Other matching customers named on a card; the rest are counted. */
const MAX_ALSO_NAMED = 3;
/** Domain and aliases shown under the verdict; the rest are counted. */
const MAX_NAMES_SHOWN = 10;

/** "Looker: the server instances overview …" with "Looker" linked to the instance when it is configured. */
function whereToLookText(whereToLook: string, lookerUrl: string | null): string {
  const text = escapeMrkdwn(whereToLook);
  return lookerUrl && whereToLook.startsWith('Looker:') ? `<${lookerUrl}|Looker>${text.slice('Looker'.length)}` : text;
}

/**
 * What "No telemetry" means and where to look for an instance that did ping before the window:
 * the handbook's "we have no data" and "nothing to look at in Looker" would be wrong, as
 * Looker has its usage up to its last ping.
 */
function stoppedPinging(lastPingAt: Date, windowDays: number): Pick<LevelInfo, 'meaning' | 'whereToLook'> {
  return {
    meaning: `No pings in the last ${windowDays} days: pings turned off (or the instance is down or gone). Its usage data stops at its last ping.`,
    whereToLook: `Looker: server instances overview, for its usage until ${lastPingAt.toISOString().slice(0, 10)}; ask the customer whether pings were turned off.`,
  };
}

function instanceBlocks(i: InstanceTelemetry, now: Date, windowDays: number, lookbackDays: number, lookerUrl: string | null): KnownBlock[] {
  const info: LevelInfo = i.level === 'none' && i.lastPingAt ? { ...LEVEL_INFO.none, ...stoppedPinging(i.lastPingAt, windowDays) } : LEVEL_INFO[i.level];
  const lastPing = i.lastPingAt ? `${slackDate(i.lastPingAt)} (${ago(i.lastPingAt, now)})` : `none in the last ${lookbackDays} days`;
  return [
    {
      type: 'section',
      // The level and what it means first; the instance ID is for support, in the context line below.
      text: { type: 'mrkdwn', text: `${info.emoji} *${info.label}* · ${hostingLabel(i.hosting)}\n${info.meaning}` },
      fields: [
        { type: 'mrkdwn', text: `*Version*\n${i.version ? escapeMrkdwn(i.version) : 'unknown'}` },
        { type: 'mrkdwn', text: `*Last ping received*\n${lastPing}` },
        {
          type: 'mrkdwn',
          text: `*In the window*\n${localeNumber(i.activity.fullPings)} full, ${localeNumber(i.activity.criticalPings)} critical pings; ${localeNumber(i.activity.userLevelEvents)} user-level events`,
        },
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `:mag: ${whereToLookText(info.whereToLook, lookerUrl)} · instance ${escapeMrkdwn(i.siteId)}` }] },
  ];
}

/** The verdict a CE reads first: "Acme Corp: 3 instances, best level Full pings + user-level data". */
export function telemetryVerdict(t: Pick<CustomerTelemetry, 'customer' | 'instances'>): string {
  const n = t.instances.length;
  if (n === 0) return `${t.customer.name}: no instances on record`;
  const best = [...TELEMETRY_LEVELS].reverse().find((l) => t.instances.some((i) => i.level === l))!;
  const count = `${n} instance${n === 1 ? '' : 's'}`;
  if (best === 'none') return `${t.customer.name}: ${count}, no telemetry from ${n === 1 ? 'it' : 'any'}`;
  return `${t.customer.name}: ${count}, best level ${LEVEL_INFO[best].label}`;
}

/** Other customers that matched what was typed: named on the card, so an exact match does not hide them. */
export interface AlsoMatching {
  query: string;
  customers: CustomerName[];
  /** Matched too, beyond `customers`. */
  more?: number;
}

/** "Also matching “acme”: Acme Labs, Acme Rockets and 2 more — type more of the name to see them." */
function alsoMatchingText(a: AlsoMatching): string {
  const named = a.customers.slice(0, MAX_ALSO_NAMED).map((c) => `*${escapeAndTruncate(c.name, 60)}*`);
  const more = a.customers.length - named.length + (a.more ?? 0);
  const list = more > 0 ? `${named.join(', ')} and ${localeNumber(more)} more` : named.join(', ');
  return `Also matching ${quoteUserText(a.query, 80)}: ${list}. Type more of the name to see ${a.customers.length + (a.more ?? 0) === 1 ? 'it' : 'them'}.`;
}

/**
 * The customer's telemetry card. `sharedBy` marks a copy shared in the channel; `lookerUrl` links the "Looker:" lines;
 * `alsoMatching` names the other customers the typed text matched.
 */
export function telemetryCardMessage(t: CustomerTelemetry, opts: { shareable: boolean; sharedBy?: string; lookerUrl?: string | null; alsoMatching?: AlsoMatching }): MessageBody {
  const { customer, instances } = t;
  const counts = TELEMETRY_LEVELS.map((l) => [l, instances.filter((i) => i.level === l).length] as const).filter(([, n]) => n > 0).reverse();
  const verdict = telemetryVerdict(t);
  const summary = instances.length === 0
    ? 'No instances on record for this customer.'
    : counts.map(([l, n]) => `${n} × ${LEVEL_INFO[l].label}`).join(', ');
  // A customer may carry many (and long) aliases: the first few, each cut, keep the section within Slack's 3,000 characters.
  const allNames = [customer.domain, ...customer.aliases].filter((n): n is string => Boolean(n));
  const names = allNames.slice(0, MAX_NAMES_SHOWN).map((n) => escapeAndTruncate(n, 80));
  if (allNames.length > MAX_NAMES_SHOWN) names.push(`${allNames.length - MAX_NAMES_SHOWN} more`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(verdict, 150) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${summary}${names.length ? `\n_Also known as ${names.join(', ')}_` : ''}` },
    },
    ...(opts.alsoMatching?.customers.length ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: `:mag_right: ${alsoMatchingText(opts.alsoMatching)}` }] }] : []),
    { type: 'divider' },
  ];
  for (const i of instances.slice(0, MAX_INSTANCES_SHOWN)) blocks.push(...instanceBlocks(i, t.generatedAt, t.windowDays, t.lookbackDays ?? Math.max(90, t.windowDays), opts.lookerUrl ?? null));
  if (instances.length > MAX_INSTANCES_SHOWN) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${instances.length - MAX_INSTANCES_SHOWN} more instance${instances.length - MAX_INSTANCES_SHOWN === 1 ? '' : 's'}, not shown.` }] });
  }
  const footer = [
    `Levels from pings and events in the last ${t.windowDays} days`,
    t.dataUpdatedAt ? `data updated ${slackDate(t.dataUpdatedAt)}` : 'data update time unknown',
  ];
  if (opts.sharedBy) footer.push(`shared by <@${opts.sharedBy}>`);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: footer.join(' · ') }] });
  if (opts.shareable) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', action_id: ActionIds.telemetryShare, text: { type: 'plain_text', text: 'Share in channel' }, value: customer.customerId }],
    });
  }
  return { text: escapeMrkdwn(`Telemetry: ${verdict}`), blocks };
}

/** Longest picker label: Slack allows 75 characters in a button's or an option's text. */
const PICKER_LABEL_MAX = 75;

/**
 * The picker's label of each customer: its name, and its domain if it has one. Two customers
 * whose labels would read the same (same name, no domain or the same one) also show their ID,
 * so the person can tell which is which.
 */
function pickerLabels(customers: CustomerName[]): (c: CustomerName) => string {
  const plain = (c: CustomerName) => truncate(c.name + (c.domain ? ` (${c.domain})` : ''), PICKER_LABEL_MAX);
  const seen = new Map<string, number>();
  for (const c of customers) seen.set(plain(c), (seen.get(plain(c)) ?? 0) + 1);
  return (c) => {
    const text = plain(c);
    if ((seen.get(text) ?? 0) < 2) return text;
    const id = ` · ${truncate(c.customerId, 30)}`;
    return truncate(c.name + (c.domain ? ` (${c.domain})` : ''), PICKER_LABEL_MAX - id.length) + id;
  };
}

/** Several customers match: pick one. Buttons for a few, a select for more. */
export function telemetryPickerMessage(query: string, customers: CustomerName[], more = 0): MessageBody {
  const shown = customers.slice(0, 100);
  const label = pickerLabels(shown);
  const element =
    customers.length <= 5
      ? customers.map((c): Button => ({ type: 'button', action_id: `${ActionIds.telemetryPickCustomer}_${c.customerId}`.slice(0, 255), text: { type: 'plain_text', text: label(c) }, value: c.customerId }))
      : [
          {
            type: 'static_select' as const,
            action_id: ActionIds.telemetryPickCustomer,
            placeholder: { type: 'plain_text' as const, text: 'Choose a customer' },
            options: shown.map((c): PlainTextOption => ({ text: { type: 'plain_text', text: label(c) }, value: c.customerId })),
          },
        ];
  const text = `Several customers match ${quoteUserText(query, 80)}. Which one?`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', block_id: BlockIds.telemetryPicker, elements: element },
      // The list is cut at its maximum: say so, and how to reach the others.
      ...(more > 0 ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: `…and ${localeNumber(more)} more: type more of the name.` }] }] : []),
    ],
  };
}

/** No customer matches. */
export function telemetryNoMatchMessage(query: string, closest: CustomerName[]): MessageBody {
  const q = quoteUserText(query, 80);
  const suggestion = closest.length
    ? `Closest names: ${closest.map((c) => `*${escapeMrkdwn(c.name)}*`).join(', ')}.`
    : 'Try the customer\'s name, an alias or its domain, e.g. `acme.com`.';
  const text = `:thinking_face: No customer matches ${q}. ${suggestion}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Help for empty text. */
export function telemetryUsageMessage(): MessageBody {
  const c = Commands.telemetry;
  const text = [
    `*${c} &lt;customer&gt;* shows a customer's instances and, for each, its telemetry level and where to look at its data.`,
    `Examples: \`${c} acme\`, \`${c} Acme Corp\`, \`${c} acme.com\`.`,
    `Levels: ${TELEMETRY_LEVELS.map((l) => `${LEVEL_INFO[l].emoji} ${LEVEL_INFO[l].label}`).join(' · ')}`,
  ].join('\n');
  return { text: `Usage: ${c} &lt;customer name, alias or domain&gt;`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Shown while a slow lookup runs: after a pick the answer replaces it; after the command (whose reply cannot be replaced) the answer comes below it. */
export function telemetryLookingUpMessage(query: string): MessageBody {
  const text = `:hourglass_flowing_sand: Looking up ${quoteUserText(query.trim(), 80)} in the warehouse…`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Text too long to be a customer name. */
export function telemetryTooLongMessage(max: number): MessageBody {
  const text = `:scissors: That is longer than any customer name (${max} characters at most). Try \`${Commands.telemetry} acme\`.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
