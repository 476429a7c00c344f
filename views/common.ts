/**
 * Small pieces shared by the views. Views are pure functions of data: no I/O.
 */
import type { Button, KnownBlock, ModalView } from '@slack/types';
import { defuseMarks, escapeMrkdwn, withoutControls } from '../src/blockkit/mrkdwn.js';
import { cutText } from '../src/format.js';

/** A message body: fallback text for notifications plus Block Kit blocks. */
export interface MessageBody {
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits (one module, shared with the stand-in, the local page and the tests). */
export { SLACK_LIMITS } from '../src/blockkit/limits.js';

export { isChannelId } from '../src/ids.js';
export { escapeMrkdwn };

/**
 * Cuts plain text to `max` characters with an ellipsis. For mrkdwn, use
 * {@link escapeAndTruncate} (user text) or {@link truncateMrkdwn} (built mrkdwn):
 * cutting before escaping lets `&`, `<`, `>` grow the text five-fold past Slack's limits.
 */
export function truncate(text: string, max: number): string {
  return cutText(text, max);
}

/** User text as mrkdwn of at most `max` characters: escaped first, then cut (never inside an entity). */
export function escapeAndTruncate(text: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(withoutControls(text)), max);
}

/**
 * What someone typed, as mrkdwn of at most `max` characters that shows as typed:
 * its formatting marks defused (Slack has no escape for them), escaped, then cut.
 */
export function userText(text: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(defuseMarks(text)), max);
}

/** {@link userText} in quotes, as the bot quotes what someone typed: “acme”. */
export function quoteUserText(text: string, max: number): string {
  return `“${userText(text, max)}”`;
}

/**
 * Cuts mrkdwn to `max` characters with an ellipsis, never inside an entity
 * (`&amp;`, `&lt;`, `&gt;`), a `<…>` token (mention, link, date) or a
 * surrogate pair: what is cut still reads, and renders, as it was written.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const amp = text.lastIndexOf('&', end - 1);
  if (amp !== -1 && !text.slice(amp, end).includes(';') && /^&(amp|lt|gt);/.test(text.slice(amp, amp + 5))) end = amp;
  const open = text.lastIndexOf('<', end - 1);
  if (open !== -1 && !text.slice(open, end).includes('>')) end = open;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + '…';
}

/**
 * `items` joined by `separator` within `max` characters: all of them when they fit, else as many as fit whole
 * (no more than `most`) followed by `more(left)`, which says how many were left out and how to see them. A list
 * that grows with the configuration (150 sources) would otherwise pass the 3,000 characters Slack allows the
 * text holding it.
 */
export function joinWithin(items: readonly string[], separator: string, max: number, more: (left: number) => string, most = Infinity): string {
  const all = items.join(separator);
  if (items.length <= most && all.length <= max) return all;
  let fits = truncateMrkdwn(more(items.length), max);
  let joined = '';
  for (let k = 1; k < items.length && k <= most; k++) {
    joined = k === 1 ? items[0]! : `${joined}${separator}${items[k - 1]!}`;
    const candidate = `${joined}${more(items.length - k)}`;
    if (candidate.length > max) break;
    fits = candidate;
  }
  return fits;
}

/** A date Slack renders in the reader's time zone, with a UTC fallback. */
export function slackDate(date: Date, format = '{date_short_pretty} at {time}'): string {
  const fallback = date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `<!date^${Math.floor(date.getTime() / 1000)}^${format}|${fallback}>`;
}

/** "3 hours ago", "2 days ago": coarse, for freshness and last-seen lines. */
export function ago(date: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000));
  if (s < 90) return 'just now';
  const m = Math.round(s / 60);
  if (m < 90) return `${m} minutes ago`;
  const h = Math.round(m / 60);
  // Stryker disable next-line ConditionalExpression,StringLiteral: `h === 1` is never true here (m >= 90, so h >= 2), so the singular is unreachable
  if (h < 36) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const d = Math.round(h / 24);
  // Stryker disable next-line ConditionalExpression,StringLiteral: `d === 1` is never true here (h >= 36, so d >= 2), so the singular is unreachable
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** What a user sees when something behind the bot failed: short, no trace, what to do. */
export function failureMessage(what: string, hint = 'Please try again in a minute.'): MessageBody {
  const text = `:warning: ${what} ${hint}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A short note in one section. */
export function noteMessage(text: string): MessageBody {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** What a form from an earlier version of the bot (or one it never opened) says when submitted, rather than closing without a word. */
const OUTDATED_FORM_TEXT = 'This form is from an earlier version of analytics-bot, and nothing was saved. Please open it again from its command or button.';

/** A submitted form that can no longer do what it was for, turned into a note saying so (by default: from an earlier version): nothing was saved or run. */
export function formGoneModal(text = OUTDATED_FORM_TEXT): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'analytics-bot' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/** A form naming a saved query the catalog no longer has (renamed or removed since it opened): `done` is "run" or "saved". */
export function queryGoneModal(name: string, done: 'run' | 'saved'): ModalView {
  return formGoneModal(`The saved query ${quoteUserText(name, 80)} is no longer in the catalog (it may have been renamed or removed), so nothing was ${done}. \`/query\` lists the saved queries there are now.`);
}

/** One page of a list: its items, which page (0 the first, within the list), how many, where it starts. */
export interface Page<T> {
  shown: T[];
  page: number;
  pages: number;
  /** The index of its first item. */
  from: number;
}

/**
 * Page `page` of `items`, `size` to a page. A page that is not there (forged,
 * or the last one's only item was deleted since) is the nearest that is; one
 * that is not a finite number is the first. An empty list has one page, empty.
 */
export function pageOf<T>(items: readonly T[], size: number, page: number): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const n = Number.isFinite(page) ? Math.min(Math.max(0, Math.floor(page)), pages - 1) : 0;
  const from = n * size;
  return { shown: items.slice(from, from + size), page: n, pages, from };
}

/** Where a page of a list is, by its items' keys: after `a` (Next), ending before `b` (Previous), or from `at` on (the page drawn again). */
export interface PagePlace<K> {
  a?: K;
  b?: K;
  at?: K;
}

/**
 * The page of `items` (sorted so that `order(item, key)` grows along them) that `place` names: the one that goes on
 * after `a`, ends before `b`, or starts at `at` (or the first item after it), else the first. It is found by order,
 * not by position, so an item removed or added since the page before was drawn does not make one drop out of sight
 * between two pages. With none after `a` or from `at` (all gone since): the last page. A page ending before `b` that
 * would start before the first item is the first page, whole (so an item or more may show again). Its number counts
 * the pages before it and after it.
 */
export function pageByOrder<T, K>(items: readonly T[], size: number, order: (item: T, key: K) => number, place: PagePlace<K>): Page<T> {
  const firstFrom = (key: K, strictly: boolean) => {
    const i = items.findIndex((item) => (strictly ? order(item, key) > 0 : order(item, key) >= 0));
    return i < 0 ? items.length : i;
  };
  let from = 0;
  const start = place.a ?? place.at;
  if (start !== undefined) {
    const i = firstFrom(start, place.a !== undefined);
    from = i < items.length ? i : Math.max(0, items.length - size);
  } else if (place.b !== undefined) from = Math.max(0, firstFrom(place.b, false) - size);
  const shown = items.slice(from, from + size);
  const before = Math.ceil(from / size);
  return { shown, from, page: before, pages: before + 1 + Math.ceil((items.length - from - shown.length) / size) };
}

/**
 * The foot of a list shown a page at a time: "Page 2 of 3: …" and its Previous
 * and Next buttons, each valued `valueOf(page, direction)` for the page it shows.
 * Nothing for a list of one page.
 */
export function pagerBlocks(
  p: Page<unknown>,
  foot: { summary: string; blockId: string; previous: string; next: string; valueOf: (page: number, direction: 'previous' | 'next') => string },
): KnownBlock[] {
  if (p.pages < 2) return [];
  const button = (action_id: string, to: number, direction: 'previous' | 'next', text: string): Button => ({
    type: 'button', action_id, text: { type: 'plain_text', text }, value: foot.valueOf(to, direction),
  });
  return [
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Page ${p.page + 1} of ${p.pages}: ${foot.summary}` }] },
    {
      type: 'actions',
      block_id: foot.blockId,
      elements: [
        ...(p.page > 0 ? [button(foot.previous, p.page - 1, 'previous', 'Previous page')] : []),
        ...(p.page < p.pages - 1 ? [button(foot.next, p.page + 1, 'next', 'Next page')] : []),
      ],
    },
  ];
}
