/**
 * The sources the warehouse depends on, from `sources.yml`: what each one is,
 * which tables it fills, how its freshness is measured, how late is too late,
 * who owns it and what to rerun. Read and validated once at start-up; a bad
 * file stops start-up with the source and field named.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CodedError } from '../errors.js';

/** The sources file is missing or invalid; start-up stops. */
export class SourcesError extends CodedError {
  readonly code = 'sources_invalid';
}

export const SOURCE_KINDS = ['fivetran', 'scheduled_query', 'other'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** A table a source fills: its logical warehouse name, and its BigQuery name when it differs. */
export interface SourceTable {
  /** Logical name, as in `{{table}}` (the embedded warehouse's table name). */
  name: string;
  /** `dataset.table` or `project.dataset.table` on BigQuery; default: `name` in the configured dataset. */
  bigquery: string | undefined;
}

/** How the last update is measured. */
export type FreshnessMeasure =
  | { measure: 'table_modified' }
  /** The max of a timestamp column, e.g. Fivetran's `_fivetran_synced`. */
  | { measure: 'column'; column: string };

/** What a rerun starts. */
export type RerunTarget =
  | { kind: 'fivetran'; connectionId: string }
  | { kind: 'data_transfer'; transferConfig: string };

export interface Source {
  id: string;
  name: string;
  kind: SourceKind;
  /** The system it reads from (salesforce, hubspot, …), lower case; null if not given. */
  system: string | null;
  /** The BigQuery dataset it writes to. */
  dataset: string;
  /** How often it runs, in words. */
  schedule: string;
  tables: SourceTable[];
  freshness: FreshnessMeasure;
  /** Stale when the last update is older than this. */
  slaHours: number;
  /** A Slack user (U…) or user group (S…) ID, or a plain name. */
  owner: string;
  /** Null: nothing the bot can rerun. */
  rerun: RerunTarget | null;
}

/** The validated source list. */
export interface SourceCatalog {
  readonly sources: readonly Source[];
  /** A source by ID (case-insensitive), or by its exact name. */
  get(idOrName: string): Source | undefined;
}

const SOURCE_KEYS = ['id', 'name', 'kind', 'system', 'dataset', 'schedule', 'tables', 'freshness', 'sla_hours', 'owner', 'rerun'];
const ID = /^[a-z][a-z0-9_-]{0,39}$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const BIGQUERY_TABLE = /^([A-Za-z0-9_-]+\.){1,2}[A-Za-z0-9_]+$/;
const TRANSFER_CONFIG = /^projects\/[^/\s]+\/(locations\/[^/\s]+\/)?transferConfigs\/[^/\s]+$/;
const FIVETRAN_ID = /^[A-Za-z0-9_-]{1,100}$/;
const MAX_SLA_HOURS = 24 * 90;

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates the text of a sources file; `file` names it in errors. */
export function parseSources(text: string, file = 'sources.yml'): SourceCatalog {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new SourcesError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc) || !Array.isArray(doc['sources'])) throw new SourcesError(`${file}: expects a top-level "sources:" list`);
  if (doc['sources'].length === 0) throw new SourcesError(`${file}: "sources" is empty`);
  const sources: Source[] = [];
  doc['sources'].forEach((raw: unknown, i: number) => {
    const where = isObj(raw) && typeof raw['id'] === 'string' ? `source "${raw['id']}"` : `source #${i + 1}`;
    const fail = (what: string): never => {
      throw new SourcesError(`${file}: ${where}: ${what}`);
    };
    if (!isObj(raw)) fail('expects a mapping of fields');
    const s = raw as Loose;
    for (const key of Object.keys(s)) if (!SOURCE_KEYS.includes(key)) fail(`unknown field "${key}" (known: ${SOURCE_KEYS.join(', ')})`);
    const text = (key: string, required = true): string | undefined => {
      const v = s[key];
      if (v === undefined || v === null || v === '') return required ? fail(`"${key}" is required`) : undefined;
      if (typeof v !== 'string' && typeof v !== 'number') return fail(`"${key}" expects text`);
      const t = String(v).trim();
      if (t.length > 200) fail(`"${key}" is longer than 200 characters`);
      return t;
    };
    const id = text('id')!;
    if (!ID.test(id)) fail(`"id" expects lower-case letters, digits, _ or - (starting with a letter), got "${id}"`);
    if (sources.some((o) => o.id === id)) fail(`duplicate id "${id}"`);
    const kind = text('kind')! as SourceKind;
    if (!SOURCE_KINDS.includes(kind)) fail(`"kind" expects one of ${SOURCE_KINDS.join(', ')}, got "${kind}"`);

    if (!Array.isArray(s['tables']) || s['tables'].length === 0) fail('"tables" expects a non-empty list');
    const tables = (s['tables'] as unknown[]).map((t): SourceTable => {
      const name = typeof t === 'string' ? t : isObj(t) && typeof t['name'] === 'string' ? t['name'] : fail('each table is a name or { name, bigquery }');
      if (!TABLE.test(name)) fail(`table "${name}" is not a valid table name`);
      if (isObj(t)) {
        for (const k of Object.keys(t)) if (k !== 'name' && k !== 'bigquery') fail(`table "${name}": unknown field "${k}"`);
      }
      const bq = isObj(t) ? t['bigquery'] : undefined;
      if (bq !== undefined && (typeof bq !== 'string' || !BIGQUERY_TABLE.test(bq))) fail(`table "${name}": "bigquery" expects dataset.table or project.dataset.table`);
      return { name, bigquery: bq as string | undefined };
    });

    const f = s['freshness'];
    let freshness: FreshnessMeasure;
    if (f === undefined) freshness = { measure: 'table_modified' };
    else if (!isObj(f)) freshness = fail('"freshness" expects { measure: table_modified } or { measure: column, column: <name> }');
    else if (f['measure'] === 'table_modified') freshness = { measure: 'table_modified' };
    else if (f['measure'] === 'column') {
      const column = f['column'];
      if (typeof column !== 'string' || !TABLE.test(column)) fail('"freshness.column" expects a column name, e.g. _fivetran_synced');
      freshness = { measure: 'column', column: column as string };
    } else freshness = fail(`"freshness.measure" expects table_modified or column, got "${String(f['measure'])}"`);

    const sla = s['sla_hours'];
    // Stryker disable next-line ConditionalExpression: `typeof sla !== 'number'` is only a type guard; Number.isFinite refuses every non-number too
    if (typeof sla !== 'number' || !Number.isFinite(sla) || sla <= 0 || sla > MAX_SLA_HOURS) fail(`"sla_hours" expects a number of hours above 0 and at most ${MAX_SLA_HOURS}`);

    const r = s['rerun'];
    let rerun: RerunTarget | null = null;
    if (r === undefined || r === null || r === 'none') rerun = null;
    else if (!isObj(r)) fail('"rerun" expects { fivetran_connection: <id> }, { transfer_config: projects/… } or none');
    else if (Object.keys(r).length !== 1) fail('"rerun" expects exactly one of fivetran_connection, transfer_config');
    else if (typeof r['fivetran_connection'] === 'string') {
      if (!FIVETRAN_ID.test(r['fivetran_connection'])) fail('"rerun.fivetran_connection" is not a Fivetran connection ID');
      if (kind !== 'fivetran') fail(`"rerun.fivetran_connection" needs kind fivetran, not ${kind}`);
      rerun = { kind: 'fivetran', connectionId: r['fivetran_connection'] };
    } else if (typeof r['transfer_config'] === 'string') {
      if (!TRANSFER_CONFIG.test(r['transfer_config'])) fail('"rerun.transfer_config" expects projects/<project>/locations/<location>/transferConfigs/<id>');
      if (kind !== 'scheduled_query') fail(`"rerun.transfer_config" needs kind scheduled_query, not ${kind}`);
      rerun = { kind: 'data_transfer', transferConfig: r['transfer_config'] };
    } else fail('"rerun" expects fivetran_connection or transfer_config');

    sources.push({
      id,
      name: text('name')!,
      kind,
      system: text('system', false)?.toLowerCase() ?? null,
      dataset: text('dataset', false) ?? tables[0]!.bigquery?.split('.').at(-2) ?? id,
      schedule: text('schedule', false) ?? `at least every ${sla} hours`,
      tables,
      freshness,
      slaHours: sla as number,
      owner: text('owner')!,
      rerun,
    });
  });
  return catalogOf(sources);
}

/** A catalog over an already validated list (tests, the loader). */
export function catalogOf(sources: Source[]): SourceCatalog {
  const frozen = Object.freeze([...sources]);
  return {
    sources: frozen,
    get(idOrName: string) {
      const key = idOrName.trim().toLowerCase();
      return frozen.find((s) => s.id === key) ?? frozen.find((s) => s.name.toLowerCase() === key);
    },
  };
}

/**
 * Reads and validates the sources file (`SOURCES_FILE`, default `./sources.yml`).
 * Throws SourcesError naming the file, the source and the problem.
 */
export function loadSources(file: string): SourceCatalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // Stryker disable next-line StringLiteral: the fallback is unreachable in tests (readFileSync's errors carry a code); the message itself is tested
    throw new SourcesError(`${file}: cannot read the sources file (${(err as NodeJS.ErrnoException).code ?? 'error'}); set SOURCES_FILE to its path`);
  }
  return parseSources(text, path.basename(file));
}
