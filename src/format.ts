/**
 * Numbers as people read them in messages and charts (en-US: "1,234.5").
 * The formatters are built once per precision: `toLocaleString` builds one
 * on every call (about 0.2 ms), and a chart's footer or a card formats several.
 */
const formatters = new Map<number | undefined, Intl.NumberFormat>();

/**
 * `n` with thousands separators and at most `maxDecimals` decimals
 * ("1,234", "1,234.57"); without it, as `toLocaleString('en-US')` (up to 3).
 */
export function localeNumber(n: number, maxDecimals?: number): string {
  let f = formatters.get(maxDecimals);
  if (!f) {
    f = new Intl.NumberFormat('en-US', maxDecimals === undefined ? {} : { maximumFractionDigits: maxDecimals });
    formatters.set(maxDecimals, f);
  }
  return f.format(n);
}
