/**
 * Parameter values from Slack text (or a modal) checked against a saved
 * query's typed parameters and turned into typed warehouse parameters. Nothing
 * a user typed reaches SQL except as a bound parameter.
 */
import type { MatchResult } from '../domain/customer-match.js';
import type { QueryParams } from '../ports/warehouse.js';
import { MAX_PARAM_LENGTH, isValidIsoDate, resolveDateSpec, type DateParam, type EnumOption, type EnumParam, type ParamDef, type SavedQuery } from './catalog.js';
import { headOf, localeNumber, quoteTyped } from '../format.js';

/** Looks a customer up as `/telemetry` does. */
export type CustomerLookup = (text: string) => Promise<MatchResult & { byId?: { customerId: string; name: string } }>;

export interface ResolvedParams {
  /** Canonical text of each value (dates resolved, customers as IDs): cache keys and button values. */
  canonical: Record<string, string>;
  /**
   * The values as given (`-30d` stays `-30d`): what a schedule keeps, so relative dates stay relative. A choice
   * or a number is kept in its one spelling (`CLOUD` and `Sourcegraph cloud` as `cloud`, `1,000` as `1000`), so
   * two schedules of the same values compare equal.
   */
  given: Record<string, string>;
  /** What the summary shows for each parameter. */
  shown: Array<{ label: string; value: string }>;
  bound: QueryParams;
}

export type ParamResolution =
  | { ok: true; params: ResolvedParams }
  /**
   * `problems` by parameter name, saying what is wrong with that parameter's
   * value without naming it ("must be from 1 to 50, got 500": the view puts
   * the label the person sees in front, or shows it under the input); or by
   * an unknown name given, as a whole sentence. `values` are the given
   * values worth keeping in a modal.
   */
  | { ok: false; problems: Record<string, string>; values: Record<string, string> };

export interface ResolveContext {
  today: Date;
  customers: CustomerLookup;
}

const quote = (v: string) => quoteTyped(v, 40);

/**
 * Splits `/query` text after the name into `key=value` pairs. Values may be
 * quoted ("…", '…' or Slack's curly quotes; one left open runs to the next
 * `name=`). Tokens without `=` are returned apart.
 */
export function parseParamText(text: string): { values: Record<string, string>; stray: string[]; conflicts: Record<string, string[]> } {
  // Without a prototype: `__proto__=1` (or `constructor=1`) is a name like any other, told to be unknown, not dropped.
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  const stray: string[] = [];
  // A name given twice with different values: which one was meant is not ours to guess.
  const conflicts: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  // A quote left open (`customer="Acme Corp since=-14d`) runs to the next name=, or to the end: what was meant.
  const re = /([^\s=]+)=(?:"([^"]*)"|“([^”]*)”|'([^']*)'|["“']((?:(?!\s+[^\s=]+=)[\s\S])*)|(\S*))|(\S+)/g;
  for (const m of text.matchAll(re)) {
    if (m[7] !== undefined) {
      stray.push(m[7]);
      continue;
    }
    // Stryker disable next-line StringLiteral: unreachable; the last alternative (\S*) always matches, if only the empty string
    const name = m[1]!.toLowerCase();
    const value = m[2] ?? m[3] ?? m[4] ?? m[5]?.trimEnd() ?? m[6] ?? '';
    if (Object.hasOwn(values, name) && values[name] !== value) {
      const seen = (conflicts[name] ??= [values[name]!]);
      if (!seen.includes(value)) seen.push(value);
    }
    values[name] = value;
  }
  return { values, stray, conflicts };
}

/** Checks every given and default value; resolves customers. */
export async function resolveParams(query: SavedQuery, given: Record<string, string>, ctx: ResolveContext): Promise<ParamResolution> {
  const problems: Record<string, string> = Object.create(null) as Record<string, string>;
  const keep: Record<string, string> = {};
  const known = new Set(query.params.map((p) => p.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      const takes = query.params.length ? `it takes ${query.params.map((p) => p.name).join(', ')}` : 'it takes no parameters';
      problems[headOf(key, 40)] = `${quote(key)} is not a parameter of ${query.name} (${takes})`;
    }
  }
  const canonical: Record<string, string> = {};
  const shown: ResolvedParams['shown'] = [];
  const bound: QueryParams = {};
  for (const p of query.params) {
    const raw = Object.hasOwn(given, p.name) ? given[p.name]!.trim() : undefined;
    if (raw !== undefined && raw.length > MAX_PARAM_LENGTH) {
      // A text parameter's own limit when it is smaller: the one it would be refused for anyway.
      const limit = p.kind === 'string' ? Math.min(p.maxLength, MAX_PARAM_LENGTH) : MAX_PARAM_LENGTH;
      problems[p.name] = `at most ${limit} characters (got ${localeNumber(raw.length)})`;
      // Kept (cut) so a modal knows it was given, and says what was wrong with it.
      keep[p.name] = headOf(raw, MAX_PARAM_LENGTH);
      continue;
    }
    if (raw !== undefined && raw !== '') keep[p.name] = raw;
    const r = await resolveOne(p, raw === '' ? undefined : raw, ctx);
    if ('problem' in r) {
      problems[p.name] = r.problem;
      continue;
    }
    if (keep[p.name] !== undefined && (p.kind === 'enum' || p.kind === 'int')) keep[p.name] = r.canonical;
    canonical[p.name] = r.canonical;
    shown.push({ label: p.label, value: r.shown });
    bound[p.name] = r.bound;
  }
  if (Object.keys(problems).length) return { ok: false, problems, values: keep };
  return { ok: true, params: { canonical, given: keep, shown, bound } };
}

type One = { canonical: string; shown: string; bound: QueryParams[string] } | { problem: string };

async function resolveOne(p: ParamDef, raw: string | undefined, ctx: ResolveContext): Promise<One> {
  const value = raw ?? (p.default === undefined ? undefined : String(p.default));
  if (value === undefined) return { problem: `required (${describeParam(p)})` };
  switch (p.kind) {
    case 'int': {
      const n = /^[-+]?\d{1,15}$/.test(value.replace(/[,_]/g, '')) ? Number(value.replace(/[,_]/g, '')) : NaN;
      if (!Number.isSafeInteger(n)) return { problem: `expects a whole number from ${p.min} to ${p.max}, got ${quote(value)}` };
      if (n < p.min || n > p.max) return { problem: `must be from ${p.min} to ${p.max}, got ${n}` };
      return { canonical: String(n), shown: localeNumber(n), bound: { type: 'INT64', value: n } };
    }
    case 'string': {
      if (value.length > p.maxLength) return { problem: `at most ${p.maxLength} characters (got ${localeNumber(value.length)})` };
      if (p.pattern && !p.pattern.test(value)) return { problem: `expects ${p.patternHint ?? `text matching ${p.pattern.source}`}, got ${quote(value)}` };
      return { canonical: value, shown: value, bound: { type: 'STRING', value } };
    }
    case 'enum': {
      const option = enumOptionOf(p, value);
      if (!option) return { problem: `expects one of ${p.options.map((o) => o.value).join(', ')}; got ${quote(value)}` };
      return { canonical: option.value, shown: option.label, bound: { type: 'STRING', value: option.value } };
    }
    case 'date': {
      const spec = value.toLowerCase();
      const relative = /^(today|[-+]\d{1,4}[dw])$/.test(spec);
      const min = p.min ? resolveDateSpec(p.min, ctx.today) : undefined;
      const max = p.max ? resolveDateSpec(p.max, ctx.today) : undefined;
      // The right form, too far off to be a day (-100000d): out of range, not misspelt.
      const far = /^([-+])\d{5,}[dw]$/.exec(spec);
      if (far) {
        if (far[1] === '-' && min) return { problem: `must be on or after ${min}, got ${quote(value)}` };
        if (far[1] === '+' && max) return { problem: `must be on or before ${max}, got ${quote(value)}` };
        return { problem: `must be within 9999 days or weeks of today, got ${quote(value)}` };
      }
      if (!relative && !isValidIsoDate(value)) return { problem: `expects a date as YYYY-MM-DD (or today, -30d, -4w), got ${quote(value)}` };
      const day = relative ? resolveDateSpec(spec, ctx.today) : value;
      if (min && day < min) return { problem: `must be on or after ${min}, got ${day}` };
      if (max && day > max) return { problem: `must be on or before ${max}, got ${day}` };
      return { canonical: day, shown: day, bound: { type: 'DATE', value: day } };
    }
    case 'customer': {
      const match = await ctx.customers(value);
      if (match.byId) return { canonical: match.byId.customerId, shown: match.byId.name, bound: { type: 'STRING', value: match.byId.customerId } };
      switch (match.kind) {
        case 'one':
          return { canonical: match.customer.customerId, shown: match.customer.name, bound: { type: 'STRING', value: match.customer.customerId } };
        case 'several':
          return { problem: `${quote(value)} matches several customers (${match.customers.slice(0, 5).map((c) => c.name).join(', ')}); be more specific` };
        case 'none':
          return { problem: `no customer matches ${quote(value)}${match.closest.length ? ` (closest: ${match.closest.map((c) => c.name).join(', ')})` : ''}` };
      }
    }
  }
}

/** The option of `p` that `value` names (spaces around it aside): its value exactly, else its value in any case, else its label in any case. */
export function enumOptionOf(p: EnumParam, value: string): EnumOption | undefined {
  const text = value.trim();
  const lower = text.toLowerCase();
  return p.options.find((o) => o.value === text) ?? p.options.find((o) => o.value.toLowerCase() === lower) ?? p.options.find((o) => o.label.toLowerCase() === lower);
}

/** One line on what a parameter takes, for help and errors. */
export function describeParam(p: ParamDef): string {
  switch (p.kind) {
    case 'int':
      return `a whole number from ${p.min} to ${p.max}${p.default !== undefined ? `, default ${p.default}` : ''}`;
    case 'string':
      return `${p.patternHint ? `${p.patternHint}, up to` : 'text up to'} ${p.maxLength} characters${p.default !== undefined ? `, default “${p.default}”` : ''}`;
    case 'enum':
      return `one of ${p.options.map((o) => o.value).join(', ')}${p.default !== undefined ? `, default ${p.default}` : ''}`;
    case 'date': {
      // Only the examples the bounds take: `today` is no example for a date that must be before it.
      const examples = ['YYYY-MM-DD', ...['today', '-30d'].filter((spec) => takesOffset(p, daysFromToday(spec)))].join(', ');
      const range = p.min && p.max ? `, from ${dateSpecWords(p.min)} to ${dateSpecWords(p.max)}` : p.min ? `, from ${dateSpecWords(p.min)} on` : p.max ? `, up to ${dateSpecWords(p.max)}` : '';
      return `a date (${examples})${range}${p.default !== undefined ? `, default ${p.default}` : ''}`;
    }
    case 'customer':
      return 'a customer name, alias or domain';
  }
}

/**
 * Days from today a catalog date spec means (`-1w` is -7): `today`, or a sign, digits and `d` or `w`, as the
 * catalog checked; a calendar date is NaN, within no bound known without a clock.
 */
function daysFromToday(spec: string): number {
  if (spec === 'today') return 0;
  return Number(spec.slice(0, -1)) * (spec.endsWith('w') ? 7 : 1);
}

/** Whether a date `days` from today is surely within `p`'s bounds (a calendar-date bound is not known without a clock: no). */
function takesOffset(p: DateParam, days: number): boolean {
  const within = (spec: string | undefined, ok: (bound: number) => boolean) => spec === undefined || ok(daysFromToday(spec));
  return within(p.min, (min) => days >= min) && within(p.max, (max) => days <= max);
}

/** A catalog date bound in words: `-1d` is yesterday, `-365d` 365 days ago, `+2w` 2 weeks from today; `today` and a calendar date as written. */
function dateSpecWords(spec: string): string {
  const n = Math.abs(Number(spec.slice(0, -1)));
  if (Number.isNaN(n)) return spec;
  if (n === 0) return 'today';
  const week = spec.endsWith('w');
  const ago = spec.startsWith('-');
  if (n === 1 && !week) return ago ? 'yesterday' : 'tomorrow';
  return `${n} ${week ? 'week' : 'day'}${n === 1 ? '' : 's'} ${ago ? 'ago' : 'from today'}`;
}
