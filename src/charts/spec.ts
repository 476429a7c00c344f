/**
 * From query rows to what is drawn or listed: the chart's labels and series
 * (pivoting a `series` column), formatted cells, and CSV. Pure functions.
 */
import type { Cell, Row } from '../ports/warehouse.js';
import type { DisplaySpec } from '../catalog/catalog.js';
import { MAX_CHART_LABEL, type ChartSpec, type RenderedChartType } from './renderer.js';
import { cutText, localeNumber } from '../format.js';

/** More series than this are summed into "Other". */
export const MAX_SERIES = 10;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const isDay = (v: Cell): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Cells of the x column as dates (DATE cells are 'YYYY-MM-DD'; TIMESTAMP cells Dates), or null if not all are. */
function asDates(values: Cell[]): Date[] | null {
  const out: Date[] = [];
  for (const v of values) {
    if (v instanceof Date) out.push(v);
    else if (isDay(v)) out.push(new Date(`${v}T00:00:00Z`));
    else return null;
  }
  return out;
}

/** "Nov 23" (with the year when the range spans years); UTC, as the warehouse's dates are. */
export function formatDateLabels(dates: Date[]): string[] {
  const years = new Set(dates.map((d) => d.getUTCFullYear()));
  return dates.map((d) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}${years.size > 1 ? `, ${d.getUTCFullYear()}` : ''}`);
}

/** A cell as text for tables and CSV: numbers plain, timestamps ISO. */
export function cellText(v: Cell, forCsv = false): string {
  if (v === null) return '';
  if (v instanceof Date) return forCsv ? v.toISOString() : v.toISOString().replace('T', ' ').slice(0, 16);
  // From 1e21 on, digits in full would be cut in a table column ("100,000,000,…" reads as another number): JS's exponent form.
  if (typeof v === 'number') return forCsv || Math.abs(v) >= 1e21 ? String(v) : localeNumber(v, 4);
  return String(v);
}

export function humanizeColumn(c: string): string {
  const s = c.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A cell as a value to draw, or null. NaN and ±Infinity (FLOAT64 can hold them) are not: Chart.js leaves them out
 * without a word, and a pie's shares of an infinite total read "NaN%".
 */
const num = (v: Cell | undefined): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
/** A sum that overflowed (1e308 + 1e308) is no value to draw either. */
const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/**
 * The chart for rows under a display spec. Rows are in the query's order; x
 * labels keep the order in which they first appear.
 */
export function chartSpecFor(rows: Row[], display: DisplaySpec, text: { title: string; subtitle?: string }): ChartSpec {
  if (display.type === 'table' || !display.x) throw new Error('a table is not a chart');
  const x = display.x;
  const xValues: Cell[] = [];
  const index = new Map<string | null, number>();
  // NULL is a key of its own: as String(null) it was one x with the text 'null'.
  const key = (v: Cell) => (v === null ? null : v instanceof Date ? v.toISOString() : String(v));
  for (const r of rows) {
    const k = key(r[x] ?? null);
    if (!index.has(k)) {
      index.set(k, xValues.length);
      xValues.push(r[x] ?? null);
    }
  }
  const dates = asDates(xValues);
  const labels = dates ? formatDateLabels(dates) : xValues.map((v) => (v === null ? '(none)' : cellText(v)));
  let series: ChartSpec['series'];
  if (display.series) {
    const y = display.y[0]!;
    const bySeries = new Map<string, Array<number | null>>();
    for (const r of rows) {
      const s = cellText(r[display.series] ?? null) || '(none)';
      let data = bySeries.get(s);
      if (!data) bySeries.set(s, (data = xValues.map(() => null)));
      const i = index.get(key(r[x] ?? null))!;
      const v = num(r[y]);
      if (v !== null) data[i] = (data[i] ?? 0) + v;
    }
    const total = (d: Array<number | null>) => d.reduce<number>((a, b) => a + (b ?? 0), 0);
    let entries = [...bySeries.entries()];
    if (entries.length > MAX_SERIES) {
      entries.sort((a, b) => total(b[1]) - total(a[1]));
      const rest = entries.slice(MAX_SERIES - 1);
      const other = xValues.map((_, i) => rest.reduce<number>((a, [, d]) => a + (d[i] ?? 0), 0));
      entries = [...entries.slice(0, MAX_SERIES - 1), ['Other', other]];
    }
    // Stacked and line series read best in a stable, natural order of their names.
    if (!(bySeries.size > MAX_SERIES)) entries.sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }));
    // Named whole above, so that two series alike in their first characters stay two; cut only as drawn.
    series = entries.map(([name, data]) => ({ label: cutText(name, MAX_CHART_LABEL), data: display.type === 'line' ? data.map(finite) : data.map((d) => finite(d) ?? 0) }));
  } else {
    series = display.y.map((y) => {
      const data: Array<number | null> = xValues.map(() => null);
      for (const r of rows) {
        const i = index.get(key(r[x] ?? null))!;
        const v = num(r[y]);
        if (v !== null) data[i] = (data[i] ?? 0) + v;
      }
      return { label: humanizeColumn(y), data: data.map(finite) };
    });
  }
  const notes: string[] = [];
  // A pie draws a negative slice as if it were positive (Chart.js takes its size): bars show the sign.
  let type = display.type as RenderedChartType;
  if (type === 'pie' && series[0]?.data.some((v) => v !== null && v < 0)) {
    type = 'bar';
    notes.push('Drawn as bars: a pie cannot show negative values');
  }
  // Cells that are not numbers (empty, NaN, text) are not drawn: said on the chart, not left for people to guess.
  const column = display.series || display.y.length === 1 ? humanizeColumn(display.y[0]!) : 'the values';
  const drawn = (v: number | null) => v !== null && (type !== 'pie' || v > 0);
  const skipped = rows.filter((r) => display.y.some((y) => num(r[y]) === null)).length;
  if (!series.some((s) => s.data.some(drawn))) notes.unshift(`Nothing to draw: ${rows.length === 0 ? 'no rows' : `no ${type === 'pie' ? 'positive numbers' : 'numbers'} in ${column}`}`);
  else if (skipped) notes.unshift(`${localeNumber(skipped)} row${skipped === 1 ? '' : 's'} without a number in ${column} not drawn`);
  if (type === 'pie' && series[0]) {
    // A pie's legend is its only key: give each slice its value and share.
    const data = series[0].data;
    const total = data.reduce<number>((a, b) => a + (b ?? 0), 0);
    for (let i = 0; i < labels.length; i++) {
      const v = data[i] ?? 0;
      labels[i] = `${cutText(labels[i]!, MAX_CHART_LABEL)}: ${localeNumber(v)}${total > 0 ? ` (${Math.round((100 * v) / total)}%)` : ''}`;
    }
  }
  const subtitle = [text.subtitle, ...notes].filter(Boolean).join(' · ');
  return {
    type,
    title: text.title,
    ...(subtitle ? { subtitle } : {}),
    ...(display.xLabel ? { xLabel: display.xLabel } : {}),
    ...(display.yLabel ? { yLabel: display.yLabel } : display.series || display.y.length === 1 ? { yLabel: humanizeColumn(display.y[0]!) } : {}),
    labels,
    series,
  };
}

/** The time range of a date-like x column, for summaries; null when x is not dates. */
export function dateRange(rows: Row[], column: string | undefined): { from: string; to: string } | null {
  if (!column || rows.length === 0) return null;
  const dates = asDates(rows.map((r) => r[column] ?? null));
  if (!dates) return null;
  const times = dates.map((d) => d.getTime());
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return { from: day(Math.min(...times)), to: day(Math.max(...times)) };
}

/** RFC 4180 CSV with a header row; formula-looking cells are prefixed so spreadsheets do not run them. */
export function toCsv(columns: string[], rows: Row[]): string {
  const field = (s: string) => {
    const safe = /^[=+\-@\t\r]/.test(s) && Number.isNaN(Number(s)) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [columns.map(field).join(',')];
  for (const r of rows) lines.push(columns.map((c) => field(cellText(r[c] ?? null, true))).join(','));
  return lines.join('\r\n') + '\r\n';
}
