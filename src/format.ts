/**
 * Numbers as people read them in messages and charts (en-US: "1,234.5").
 * The formatters are built once per precision: `toLocaleString` builds one
 * on every call (about 0.2 ms), and a chart's footer or a card formats several.
 * And plain text cut to a length, for quoting what someone typed.
 */
import { defuseMarks } from './blockkit/mrkdwn.js';

const formatters = new Map<number | undefined, Intl.NumberFormat>();

/**
 * `n` with thousands separators and at most `maxDecimals` decimals
 * ("1,234", "1,234.57"); without it, as `toLocaleString('en-US')` (up to 3).
 */
export function localeNumber(n: number, maxDecimals?: number): string {
  let f = formatters.get(maxDecimals);
  if (!f) {
    // signDisplay 'negative': -0 (a FLOAT64 can hold it, and -0.00001 rounds to it) is "0", never "-0".
    f = new Intl.NumberFormat('en-US', { signDisplay: 'negative', ...(maxDecimals === undefined ? {} : { maximumFractionDigits: maxDecimals }) });
    formatters.set(maxDecimals, f);
  }
  return f.format(n);
}

/**
 * What someone typed, quoted back in plain text (escaped later, as the rest of
 * it) that may be shown as mrkdwn: “…”, cut to `max`, its formatting marks
 * defused (see defuseMarks).
 */
export function quoteTyped(text: string, max: number): string {
  return `“${defuseMarks(cutText(text, max))}”`;
}

/**
 * `text` without the spaces and the invisible characters at its ends: control characters (NUL, BEL, ESC: the
 * views drop them), Unicode's format characters (zero-width space, word joiner, BOM), and the blank letters (Hangul fillers, the Braille blank) and
 * combining grapheme joiner that show as nothing. A reason made only of those says nothing, and is as
 * empty as one of spaces.
 */
export function trimText(text: string): string {
  // A loop from each end, not a regex: `[…]+$` tries every blank in a long run of them in turn (quadratic).
  let start = 0;
  while (start < text.length) {
    const cp = text.codePointAt(start)!;
    if (!isBlank(cp)) break;
    start += cp > 0xffff ? 2 : 1;
  }
  let end = text.length;
  while (end > start) {
    const low = text.charCodeAt(end - 1);
    const pair = low >= 0xdc00 && low <= 0xdfff && end - 2 >= start;
    const cp = text.codePointAt(pair ? end - 2 : end - 1)!;
    if (!isBlank(cp)) break;
    end -= cp > 0xffff ? 2 : 1;
  }
  return text.slice(start, end);
}

/** The words of a command's text: split at spaces, each trimmed as {@link trimText} does, none left empty (a word of only a zero-width space is none). */
export function commandWords(text: string): string[] {
  return text.split(/\s+/).map(trimText).filter(Boolean);
}

const BLANK = /^[\s\p{Cc}\p{Cf}\u034F\u115F\u1160\u2800\u3164\uFFA0]$/u;

/** Blank at an end of what someone typed: not the tag characters, which end a flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿 is 🏴 and tags). */
function isBlank(cp: number): boolean {
  return !(cp >= 0xe0020 && cp <= 0xe007f) && BLANK.test(String.fromCodePoint(cp));
}

/**
 * What is wrong with a reason someone typed (trimmed as `trimText` does), or null: `missing` when it
 * is empty and one is needed (omit it where a reason is optional), or that it is over `max`. Slack's
 * `max_length` holds in its client only, so a longer one (a payload past it) is refused, not cut. Counted
 * in UTF-16 units, as stored and as a browser's `maxlength` counts: an emoji is two or more.
 */
export function reasonProblem(text: string, { max, missing }: { max: number; missing?: string }): string | null {
  const reason = trimText(text);
  if (!reason) return missing ?? null;
  if (reason.length > max) return `Keep the reason to ${localeNumber(max)} characters (an emoji counts as two or more); it has ${localeNumber(reason.length)}.`;
  return null;
}

/**
 * `text` cut to at most `max` characters with an ellipsis, never inside a
 * surrogate pair: half an emoji is a lone surrogate, which shows as � and is
 * not valid UTF-8 for Slack.
 */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : headOf(text, Math.max(0, max - 1)) + '…';
}

/** The first `max` UTF-16 units of `text` at most, never half of a surrogate pair (half an emoji is not valid UTF-8). */
export function headOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = max > 0 ? text.charCodeAt(max - 1) : 0;
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
