/**
 * The saved-query catalog: one reviewed file per query in `queries/<name>.sql`,
 * a YAML header in the file's leading comment block, then the SQL.
 *
 * ```sql
 * /*
 * name: weekly-active-instances
 * title: Weekly active instances
 * ...
 * duckdb: |            # only where DuckDB's dialect differs from BigQuery's
 *   SELECT ...
 * *\/
 * SELECT ...           -- BigQuery SQL, with @params and {{tables}}
 * ```
 *
 * The catalog is loaded and validated once at start-up; a bad file stops
 * start-up with a CatalogError naming the file and what is wrong with it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CodedError } from '../errors.js';
import { isRecord } from '../is-record.js';
import { WAREHOUSE_TABLES, type WarehouseTable } from '../ports/warehouse.js';

/** A catalog file is malformed; start-up stops. */
export class CatalogError extends CodedError {
  readonly code = 'catalog_invalid';
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
  }
}

export type ParamKind = 'string' | 'int' | 'date' | 'enum' | 'customer';
export const PARAM_KINDS: readonly ParamKind[] = ['string', 'int', 'date', 'enum', 'customer'];

interface ParamBase {
  name: string;
  /** What the modal and help show. */
  label: string;
  description: string | undefined;
  /** Required: no default, so the user must give a value. */
  required: boolean;
}

export interface StringParam extends ParamBase {
  kind: 'string';
  default: string | undefined;
  maxLength: number;
  /** A regular expression the whole value must match. */
  pattern: RegExp | undefined;
  /** Shown when the pattern does not match, e.g. "a version like 5.4". */
  patternHint: string | undefined;
}

export interface IntParam extends ParamBase {
  kind: 'int';
  default: number | undefined;
  min: number;
  max: number;
}

/** A date bound or default: `YYYY-MM-DD`, `today`, or relative to today (`-30d`, `-12w`). */
export type DateSpec = string;

export interface DateParam extends ParamBase {
  kind: 'date';
  default: DateSpec | undefined;
  min: DateSpec | undefined;
  max: DateSpec | undefined;
}

export interface EnumOption {
  value: string;
  label: string;
}

export interface EnumParam extends ParamBase {
  kind: 'enum';
  default: string | undefined;
  options: EnumOption[];
}

/** A customer named as in `/telemetry` (name, alias, domain); bound as its customer_id. */
export interface CustomerParam extends ParamBase {
  kind: 'customer';
  default: undefined;
}

export type ParamDef = StringParam | IntParam | DateParam | EnumParam | CustomerParam;

export type ChartType = 'line' | 'bar' | 'stacked-bar' | 'pie' | 'table';
export const CHART_TYPES: readonly ChartType[] = ['line', 'bar', 'stacked-bar', 'pie', 'table'];

export interface DisplaySpec {
  type: ChartType;
  /** Column on the x axis (pie: the slice labels). Unset only for tables. */
  x: string | undefined;
  /** Value columns: one series each (unless `series` pivots a single one). */
  y: string[];
  /** Column whose values split the single y column into series. */
  series: string | undefined;
  xLabel: string | undefined;
  yLabel: string | undefined;
}

export interface SavedQuery {
  name: string;
  title: string;
  description: string;
  owner: string;
  params: ParamDef[];
  display: DisplaySpec;
  /** How long a result is reused, in ms. */
  ttlMs: number;
  /** BigQuery SQL (also DuckDB's when `duckdbSql` is unset). */
  sql: string;
  /** DuckDB's own SQL, where the dialects differ. */
  duckdbSql: string | undefined;
  /** Logical tables the query reads (from `{{table}}` in its SQL). */
  tables: WarehouseTable[];
  /** Content hash of the file: part of every cache key, so an edited query never serves old results. */
  version: string;
  /** The file it came from, relative to the catalog directory. */
  file: string;
}

export interface Catalog {
  readonly dir: string;
  readonly queries: readonly SavedQuery[];
  /** Hash over every query's version. */
  readonly version: string;
  get(name: string): SavedQuery | undefined;
}

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const PARAM_NAME = /^[a-z][a-z0-9_]{0,30}$/;
const DURATION = /^(\d+)\s*(s|m|h|d)$/;
const DATE_SPEC = /^(today|[-+]\d{1,4}[dw]|\d{4}-\d{2}-\d{2})$/;
/** Longest value any parameter accepts: Slack text beyond this is refused, not read. */
export const MAX_PARAM_LENGTH = 200;
const HEADER_KEYS = new Set(['name', 'title', 'description', 'owner', 'params', 'display', 'ttl', 'duckdb']);
const PARAM_KEYS: Record<ParamKind, Set<string>> = {
  string: new Set(['type', 'label', 'description', 'default', 'max_length', 'pattern', 'pattern_hint']),
  int: new Set(['type', 'label', 'description', 'default', 'min', 'max']),
  date: new Set(['type', 'label', 'description', 'default', 'min', 'max']),
  enum: new Set(['type', 'label', 'description', 'default', 'options']),
  customer: new Set(['type', 'label', 'description']),
};
const DISPLAY_KEYS = new Set(['type', 'x', 'y', 'series', 'x_label', 'y_label']);

const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Splits a file into its YAML header and SQL body. */
export function splitQueryFile(text: string): { header: string; sql: string } | null {
  const m = /^\uFEFF?\s*\/\*([\s\S]*?)\*\/([\s\S]*)$/.exec(text);
  return m ? { header: m[1]!, sql: m[2]!.trim() } : null;
}

/** Parses and validates one query file. Throws CatalogError naming the file. */
export function parseQueryFile(file: string, text: string): SavedQuery {
  const fail = (problem: string): never => {
    throw new CatalogError(file, problem);
  };
  const parts = splitQueryFile(text);
  if (!parts) fail('must start with a /* … */ comment holding the YAML header (name, title, description, owner, params, display)');
  const { header, sql } = parts!;
  let meta: unknown;
  try {
    meta = parseYaml(header);
  } catch (err) {
    fail(`the header is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(meta)) fail('the header must be a YAML mapping (name: …, title: …)');
  const h = meta as Record<string, unknown>;
  for (const key of Object.keys(h)) if (!HEADER_KEYS.has(key)) fail(`unknown header key "${key}" (allowed: ${[...HEADER_KEYS].join(', ')})`);

  const name = requiredString(h, 'name', fail);
  if (!NAME.test(name) || name.length > 60) fail(`name "${name}" must be lowercase words joined by hyphens, e.g. weekly-active-instances`);
  const expected = path.basename(file).replace(/\.sql$/, '');
  if (name !== expected) fail(`name "${name}" must match the file name (${expected})`);
  const title = requiredString(h, 'title', fail);
  if (title.length > 100) fail('title must be at most 100 characters');
  const description = requiredString(h, 'description', fail);
  if (description.length > 500) fail('description must be at most 500 characters');
  const owner = requiredString(h, 'owner', fail);

  let ttlMs = DURATION_MS.h;
  if (h.ttl !== undefined) {
    const m = typeof h.ttl === 'string' ? DURATION.exec(h.ttl.trim()) : null;
    if (!m) fail(`ttl must be a duration like 30s, 15m, 1h or 1d, got ${JSON.stringify(h.ttl)}`);
    ttlMs = Number(m![1]) * DURATION_MS[m![2] as keyof typeof DURATION_MS];
    if (ttlMs < 1000 || ttlMs > 7 * DURATION_MS.d) fail('ttl must be between 1s and 7d');
  }

  const params = parseParams(h.params, fail);
  const display = parseDisplay(h.display, fail);

  if (!sql) fail('has no SQL after the header');
  let duckdbSql: string | undefined;
  if (h.duckdb !== undefined) {
    if (typeof h.duckdb !== 'string' || !h.duckdb.trim()) fail('duckdb must be the DuckDB SQL, as a YAML block (duckdb: |)');
    duckdbSql = (h.duckdb as string).trim();
  }
  const tables = new Set<WarehouseTable>();
  for (const [label, text] of [['SQL', sql], ['duckdb SQL', duckdbSql]] as const) {
    if (text === undefined) continue;
    checkSql(label, text, params, tables, fail);
  }
  if (tables.size === 0) fail('the SQL reads no {{table}}: name tables as {{pings}}, {{events}}, {{instances}} or {{customers}}');

  return {
    name, title, description, owner, params, display, ttlMs, sql, duckdbSql,
    tables: [...tables].sort(),
    version: createHash('sha256').update(text).digest('hex').slice(0, 16),
    file,
  };
}

function checkSql(label: string, sql: string, params: ParamDef[], tables: Set<WarehouseTable>, fail: (p: string) => never): void {
  if (/;\s*\S/.test(stripLiterals(sql))) fail(`the ${label} must be one statement (no ";" between statements)`);
  const stripped = stripLiterals(sql);
  for (const m of stripped.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) {
    const t = m[1]!;
    if (!(WAREHOUSE_TABLES as readonly string[]).includes(t)) fail(`the ${label} reads {{${t}}}, which is not a warehouse table (${WAREHOUSE_TABLES.join(', ')})`);
    tables.add(t as WarehouseTable);
  }
  const used = new Set([...stripped.matchAll(/(?<![@\w$])@([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
  for (const u of used) if (!params.some((p) => p.name === u)) fail(`the ${label} uses @${u}, which is not declared under params`);
  for (const p of params) if (!used.has(p.name)) fail(`param "${p.name}" is declared but the ${label} never uses @${p.name}`);
}

/** SQL without string literals and comments, for checks that must not look inside them. */
function stripLiterals(sql: string): string {
  return sql.replace(/'(?:[^'\\]|''|\\.)*'|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

function parseParams(raw: unknown, fail: (p: string) => never): ParamDef[] {
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) fail('params must be a mapping of name → { type, … }');
  const out: ParamDef[] = [];
  for (const [name, spec] of Object.entries(raw as Record<string, unknown>)) {
    const where = `param "${name}"`;
    if (!PARAM_NAME.test(name)) fail(`${where}: names are lowercase letters, digits and _ (e.g. weeks, start_date)`);
    if (!isRecord(spec)) fail(`${where} must be a mapping with a type (${PARAM_KINDS.join(', ')})`);
    const s = spec as Record<string, unknown>;
    const kind = s.type as ParamKind;
    if (!PARAM_KINDS.includes(kind)) fail(`${where}: type must be one of ${PARAM_KINDS.join(', ')}, got ${JSON.stringify(s.type)}`);
    for (const key of Object.keys(s)) if (!PARAM_KEYS[kind].has(key)) fail(`${where}: unknown key "${key}" for a ${kind} (allowed: ${[...PARAM_KEYS[kind]].join(', ')})`);
    const label = s.label === undefined ? humanize(name) : String(s.label);
    if (label.length > 60) fail(`${where}: label must be at most 60 characters`);
    const description = s.description === undefined ? undefined : String(s.description);
    const base = { name, label, description };
    switch (kind) {
      case 'int': {
        const min = s.min === undefined ? 0 : s.min;
        const max = s.max === undefined ? 1_000_000 : s.max;
        if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) fail(`${where}: min and max must be whole numbers`);
        if ((min as number) > (max as number)) fail(`${where}: min ${String(min)} is above max ${String(max)}`);
        if (s.default !== undefined && (!Number.isSafeInteger(s.default) || (s.default as number) < (min as number) || (s.default as number) > (max as number))) {
          fail(`${where}: default ${JSON.stringify(s.default)} must be a whole number from ${String(min)} to ${String(max)}`);
        }
        out.push({ ...base, kind, min: min as number, max: max as number, default: s.default as number | undefined, required: s.default === undefined });
        break;
      }
      case 'string': {
        const maxLength = s.max_length === undefined ? 100 : s.max_length;
        if (!Number.isSafeInteger(maxLength) || (maxLength as number) < 1 || (maxLength as number) > MAX_PARAM_LENGTH) fail(`${where}: max_length must be from 1 to ${MAX_PARAM_LENGTH}`);
        let pattern: RegExp | undefined;
        if (s.pattern !== undefined) {
          try {
            pattern = new RegExp(`^(?:${String(s.pattern)})$`, 'u');
          } catch (err) {
            fail(`${where}: pattern is not a valid regular expression: ${(err as Error).message}`);
          }
        }
        if (s.default !== undefined) {
          if (typeof s.default !== 'string') fail(`${where}: default must be a string`);
          if ((s.default as string).length > (maxLength as number) || (pattern && !pattern.test(s.default as string))) fail(`${where}: default ${JSON.stringify(s.default)} does not satisfy its own max_length/pattern`);
        }
        out.push({
          ...base, kind, maxLength: maxLength as number, pattern, patternHint: s.pattern_hint === undefined ? undefined : String(s.pattern_hint),
          default: s.default as string | undefined, required: s.default === undefined,
        });
        break;
      }
      case 'date': {
        for (const key of ['default', 'min', 'max'] as const) {
          if (s[key] !== undefined && (typeof s[key] !== 'string' || !DATE_SPEC.test(s[key] as string) || !isValidDateSpec(s[key] as string))) {
            fail(`${where}: ${key} must be YYYY-MM-DD, today, or relative like -30d or -12w; got ${JSON.stringify(s[key])}`);
          }
        }
        out.push({
          ...base, kind, default: s.default as string | undefined, min: s.min as string | undefined, max: s.max as string | undefined,
          required: s.default === undefined,
        });
        break;
      }
      case 'enum': {
        if (!Array.isArray(s.options) || s.options.length === 0) fail(`${where}: options must be a non-empty list`);
        const options: EnumOption[] = (s.options as unknown[]).map((o) => {
          if (typeof o === 'string' || typeof o === 'number') return { value: String(o), label: String(o) };
          if (isRecord(o) && typeof o.value === 'string') return { value: o.value, label: typeof o.label === 'string' ? o.label : o.value };
          return fail(`${where}: each option is a string or { value, label }`);
        });
        if (options.length > 100) fail(`${where}: at most 100 options (Slack's select limit)`);
        if (new Set(options.map((o) => o.value)).size !== options.length) fail(`${where}: option values must be unique`);
        for (const o of options) if (o.value.length > 75 || o.label.length > 75) fail(`${where}: option "${o.value.slice(0, 20)}" is longer than 75 characters`);
        if (s.default !== undefined && !options.some((o) => o.value === String(s.default))) fail(`${where}: default ${JSON.stringify(s.default)} is not one of the options`);
        out.push({ ...base, kind, options, default: s.default === undefined ? undefined : String(s.default), required: s.default === undefined });
        break;
      }
      case 'customer':
        out.push({ ...base, kind, default: undefined, required: true });
        break;
    }
  }
  return out;
}

function parseDisplay(raw: unknown, fail: (p: string) => never): DisplaySpec {
  if (!isRecord(raw)) fail(`display must be a mapping: { type: ${CHART_TYPES.join(' | ')}, x, y, series }`);
  const d = raw as Record<string, unknown>;
  for (const key of Object.keys(d)) if (!DISPLAY_KEYS.has(key)) fail(`display: unknown key "${key}" (allowed: ${[...DISPLAY_KEYS].join(', ')})`);
  const type = d.type as ChartType;
  if (!CHART_TYPES.includes(type)) fail(`display.type must be one of ${CHART_TYPES.join(', ')}, got ${JSON.stringify(d.type)}`);
  const column = (key: string): string | undefined => {
    const v = d[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) fail(`display.${key} must be a column name`);
    return v as string;
  };
  const x = column('x');
  const series = column('series');
  const yRaw = d.y === undefined ? [] : Array.isArray(d.y) ? d.y : [d.y];
  const y = yRaw.map((v) => {
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) fail('display.y must be a column name or a list of them');
    return v as string;
  });
  if (type !== 'table') {
    if (!x) fail(`display.x is required for a ${type} chart`);
    if (y.length === 0) fail(`display.y is required for a ${type} chart`);
    if (series && y.length !== 1) fail('display.series splits one y column into series: give exactly one y');
    if (type === 'pie' && (series || y.length !== 1)) fail('a pie chart takes one y column and no series');
  }
  const label = (key: string) => (d[key] === undefined ? undefined : String(d[key]).slice(0, 80));
  return { type, x, y, series, xLabel: label('x_label'), yLabel: label('y_label') };
}

/** Resolves a date spec against today (UTC): `YYYY-MM-DD`. */
export function resolveDateSpec(spec: DateSpec, today: Date): string {
  if (spec === 'today') return isoDay(today);
  const rel = /^([-+]\d{1,4})([dw])$/.exec(spec);
  if (rel) {
    const days = Number(rel[1]) * (rel[2] === 'w' ? 7 : 1);
    return isoDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days)));
  }
  return spec;
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A real calendar date (not 2024-02-30). */
export function isValidIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return isoDay(d) === text && Number(m[1]) >= 1900 && Number(m[1]) <= 2999;
}

function isValidDateSpec(spec: string): boolean {
  return /^\d{4}/.test(spec) ? isValidIsoDate(spec) : true;
}

function requiredString(h: Record<string, unknown>, key: string, fail: (p: string) => never): string {
  const v = h[key];
  if (typeof v !== 'string' || !v.trim()) fail(`header needs ${key}: a non-empty string`);
  return (v as string).trim();
}

function humanize(name: string): string {
  const s = name.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Builds a catalog from already parsed queries (tests, and the loader). */
export function catalogOf(dir: string, queries: SavedQuery[]): Catalog {
  const byName = new Map<string, SavedQuery>();
  for (const q of queries) {
    if (byName.has(q.name)) throw new CatalogError(q.file, `name "${q.name}" is also used by ${byName.get(q.name)!.file}`);
    byName.set(q.name, q);
  }
  const sorted = [...queries].sort((a, b) => a.name.localeCompare(b.name));
  return {
    dir,
    queries: sorted,
    version: createHash('sha256').update(sorted.map((q) => q.version).join(',')).digest('hex').slice(0, 16),
    get: (name) => byName.get(name),
  };
}

/**
 * Loads every `*.sql` file of `dir` (synchronously: a few small files, read
 * once at start-up). Throws CatalogError naming the first bad file.
 */
export function loadCatalog(dir: string): Catalog {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  } catch (err) {
    throw new CatalogError(dir, `cannot read the query catalog directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set QUERIES_DIR`);
  }
  if (names.length === 0) throw new CatalogError(dir, 'holds no *.sql query files');
  const queries = names.map((f) => {
    const file = path.join(path.basename(dir), f);
    return parseQueryFile(file, readFileSync(path.join(dir, f), 'utf8'));
  });
  return catalogOf(dir, queries);
}
