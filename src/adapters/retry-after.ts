/** Every form of HTTP date (IMF-fixdate, RFC 850, asctime) names its month. */
const MONTH = /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b/i;

/**
 * Retry-After (RFC 9110, 10.2.3) as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable.
 * Anything else (`1.5`, `-1`) is unreadable: V8's Date.parse would take it for a date in 2000 or 2001, a wait of 0.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!MONTH.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
