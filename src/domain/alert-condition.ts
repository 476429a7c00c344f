/**
 * Threshold alerts on a saved query's result: a condition on one numeric
 * column (its total at the latest period: above X, below X, or changed by
 * more than N% against the period before), and the rule that keeps an alert
 * from flapping: it fires when the condition becomes true, stays quiet while
 * it holds, and says "resolved" once when it no longer does. Pure.
 */
import { localeNumber } from '../format.js';

export const ALERT_OPS = [
  { id: 'above', label: 'is above' },
  { id: 'below', label: 'is below' },
  { id: 'change_pct', label: 'changed by more than (%)' },
] as const;
export type AlertOp = (typeof ALERT_OPS)[number]['id'];

export interface AlertCondition {
  /** The numeric column watched. */
  column: string;
  op: AlertOp;
  /** The threshold (a number), or the percentage for `change_pct`. */
  value: number;
}

export type AlertState = 'ok' | 'firing';

export interface Evaluation {
  holds: boolean;
  /** The column's total at the latest period, and at the one before. */
  latest: number | null;
  previous: number | null;
  /** The change from the period before, in percent (null without one, or from 0). */
  changePct: number | null;
  /**
   * The rows are periods (their x dates, datetimes or numbers): false when x is
   * a category (a hosting, a customer), where every row counts in one total
   * and there is no period before.
   */
  byPeriod: boolean;
}

export type ConditionField = 'column' | 'op' | 'value';
export type ConditionCheck = { ok: true; condition: AlertCondition } | { ok: false; errors: Partial<Record<ConditionField, string>> };

/** A number with its thousands grouped by commas: "1,000", "-12,500.5". */
const THOUSANDS = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/;
/** Larger thresholds lose digits as numbers (above 2^53), and would be shown rounded. */
const MAX_THRESHOLD = 1e15;
/**
 * The most decimals a threshold has: it is said back with all of them ("above 0.004", not "above 0"), and written
 * without an exponent in the edit form, which would refuse "1e-7" (its own value, written back as a number).
 */
export const THRESHOLD_DECIMALS = 6;
/** The decimals a number written as digits has, without its trailing zeros ("12.500" has 1). */
const decimalsOf = (digits: string) => /\.(\d*[1-9])0*$/.exec(digits)?.[1]!.length ?? 0;

/** Checks a condition as a form gave it, against the query's numeric columns. */
export function checkCondition(input: { column?: string | null; op?: string | null; value?: string | null }, numericColumns: readonly string[]): ConditionCheck {
  const errors: Partial<Record<ConditionField, string>> = {};
  const column = (input.column ?? '').trim();
  if (!numericColumns.includes(column)) errors.column = numericColumns.length ? `Pick one of the query's numbers: ${numericColumns.join(', ')}.` : 'This query has no numeric column to watch.';
  const op = (input.op ?? '').trim();
  if (!ALERT_OPS.some((o) => o.id === op)) errors.op = 'Pick a condition: above, below, or changed by more than a percentage.';
  const given = (input.value ?? '').trim();
  // A percentage may be typed with its sign ("20%"); a threshold is a number of the column's own.
  const percent = /^(.*?)\s*%$/.exec(given);
  const typed = percent && op === 'change_pct' ? percent[1]! : given;
  // A comma only groups thousands ("1,000", "12,500.5"): "1,5" (a decimal comma) or "1,5,0" would be misread.
  const raw = THOUSANDS.test(typed) ? typed.replace(/,/g, '') : typed;
  const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) {
    errors.value = typed.includes(',')
      ? 'Use a dot for decimals (12.5); a comma only separates thousands (1,000).'
      : percent && op !== 'change_pct' ? "Enter the number itself, without %: above and below compare the column's own values." : 'Enter a number, e.g. 1000 or 12.5.';
  } else if (Math.abs(value) > MAX_THRESHOLD) errors.value = 'That number is too large to keep exactly: stay within ±1,000,000,000,000,000.';
  else if (decimalsOf(raw) > THRESHOLD_DECIMALS) errors.value = `Use at most ${THRESHOLD_DECIMALS} decimals (e.g. 0.000001).`;
  else if (op === 'change_pct' && value <= 0) errors.value = 'A change is more than 0%: enter a percentage such as 20.';
  if (Object.keys(errors).length) return { ok: false, errors };
  // "-0" is 0: said back as 0, never "above -0".
  return { ok: true, condition: { column, op: op as AlertOp, value: value === 0 ? 0 : value } };
}

type Cell = string | number | boolean | Date | null;

/** Orders x values the way a chart does: dates and numbers by value, text by collation. */
function compareX(a: Cell, b: Cell): number {
  const v = (c: Cell) => (c instanceof Date ? c.getTime() : c);
  const x = v(a);
  const y = v(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x ?? '').localeCompare(String(y ?? ''));
}

/**
 * An x that orders rows in time (or counts periods): a date or datetime,
 * text that writes one (a DATE, DATETIME or a timestamp cast to text, with
 * or without its offset), a month, ISO week or quarter label (2026-11,
 * 2026-W45, 2026-Q1), a time of day, or a number.
 */
function isPeriod(c: Cell): boolean {
  // Stryker disable next-line ConditionalExpression: equivalent; a boolean's text ("true") is no period either
  return c === null || c instanceof Date || typeof c === 'number' || (typeof c === 'string' && PERIOD_TEXT.some((re) => re.test(c)));
}
const PERIOD_TEXT = [
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?)?$/,
  /^\d{4}-(?:\d{2}|W\d{2}|Q[1-4])$/,
  /^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/,
];

/**
 * The column's total per period (rows grouped by `x`, in order; all rows one
 * period without an x, or when x is a category rather than a time: the
 * latest hosting of a pie is no period), then the condition on the latest.
 */
export function evaluate(condition: AlertCondition, rows: ReadonlyArray<Record<string, Cell>>, x?: string): Evaluation {
  const byPeriod = x !== undefined && rows.every((row) => isPeriod(row[x] ?? null));
  const totals = new Map<string, { x: Cell; total: number }>();
  for (const row of rows) {
    // A number a double cannot hold exactly comes as its text (src/adapters/warehouse/cells.ts): compared as a number here.
    const cell = row[condition.column];
    const v = typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : cell;
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const key = byPeriod ? JSON.stringify(row[x!] instanceof Date ? (row[x!] as Date).toISOString() : row[x!]) : 'all';
    const t = totals.get(key) ?? { x: byPeriod ? (row[x!] ?? null) : null, total: 0 };
    t.total += v;
    totals.set(key, t);
  }
  const periods = [...totals.values()].sort((a, b) => compareX(a.x, b.x));
  const latest = periods.at(-1)?.total ?? null;
  const previous = periods.length > 1 ? periods.at(-2)!.total : null;
  const changePct = latest !== null && previous !== null && previous !== 0 ? ((latest - previous) / Math.abs(previous)) * 100 : null;
  let holds = false;
  if (latest !== null) {
    if (condition.op === 'above') holds = latest > condition.value;
    else if (condition.op === 'below') holds = latest < condition.value;
    else holds = changePct !== null && Math.abs(changePct) > condition.value;
  }
  return { holds, latest, previous, changePct, byPeriod };
}

/** What an alert does with a check's result: fire when it becomes true, resolve when it stops, else stay quiet. */
export function alertStep(state: AlertState, holds: boolean): { action: 'fire' | 'resolve' | 'quiet'; next: AlertState } {
  if (holds) return state === 'firing' ? { action: 'quiet', next: 'firing' } : { action: 'fire', next: 'firing' };
  return state === 'firing' ? { action: 'resolve', next: 'ok' } : { action: 'quiet', next: 'ok' };
}

/** "Weekly active instances is above 1,000", in words. */
export function describeCondition(c: AlertCondition, columnLabel = c.column): string {
  const n = localeNumber(c.value, THRESHOLD_DECIMALS);
  if (c.op === 'change_pct') return `${columnLabel} changes by more than ${n}% from the period before`;
  return `${columnLabel} ${c.op === 'above' ? 'is above' : 'is below'} ${n}`;
}
