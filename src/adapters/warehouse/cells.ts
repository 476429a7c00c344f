/**
 * Exact numbers for both warehouse adapters: INT64, NUMERIC and BIGNUMERIC
 * come as text (BigQuery) or as bigint and decimal values (DuckDB). A cell is
 * a JS number when the number says the same; otherwise the text, so an ID
 * such as `FARM_FINGERPRINT(…)` or a 30-digit NUMERIC is never silently changed.
 */

/** Significant digits a double always keeps. */
const DOUBLE_DIGITS = 15;

/** An integer or decimal written out in full: a number when exact, else the text. */
export function exactNumber(text: string): number | string {
  const t = text.trim();
  const n = Number(t);
  if (/^[+-]?\d+$/.test(t)) return Number.isSafeInteger(n) ? n : t;
  const m = /^[+-]?(\d*)\.(\d*)$/.exec(t);
  if (!m) return Number.isNaN(n) ? t : n;
  const digits = `${m[1]}${m[2]}`.replace(/^0+/, '').replace(/0+$/, '');
  return digits.length <= DOUBLE_DIGITS ? n : t;
}

/**
 * A timestamp counted in units of `1 / perMs` ms since the epoch (microseconds: 1000n) as the Date of the
 * millisecond it falls in. Floored: BigInt division rounds toward zero, which before 1970 is the next millisecond.
 */
export function dateFromEpoch(count: bigint, perMs: bigint): Date {
  const ms = count / perMs;
  return new Date(Number(count % perMs < 0n ? ms - 1n : ms));
}
