/**
 * The embedded warehouse: DuckDB in-process, holding the deterministic demo
 * dataset (generated on first start into DATA_DIR/warehouse.duckdb).
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BIGINT, BOOLEAN, DATE, DOUBLE, TIMESTAMP, VARCHAR,
  DuckDBDateValue, DuckDBDecimalValue, DuckDBInstance, DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue, DuckDBTimestampTZValue, DuckDBTimestampValue,
  dateValue, timestampValue,
  type DuckDBConnection, type DuckDBMaterializedResult, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { CostCapError, WarehouseError, WarehouseTimeoutError } from '../../errors.js';
import type { Cell, DryRunResult, QueryOptions, QueryParam, QueryParams, QueryResult, Row, TableFreshness, Warehouse } from '../../ports/warehouse.js';
import { rewriteSql } from './sql.js';
import { dateFromEpoch, exactNumber } from './cells.js';
import { hasCurrentDemo, seedDemoWarehouse, shiftDemoToNow, touchTable } from './demo-seed.js';

export { rewriteSql, type SqlRewrite } from './sql.js';

/** DuckDB SQL for a port query: `{{t}}` → `"t"`, `@p` → `$p`; also returns the parameter names used. */
export function toDuckDbSql(sql: string): { sql: string; params: string[] } {
  const params = new Set<string>();
  const out = rewriteSql(sql, {
    table: (name) => `"${name}"`,
    param: (name) => {
      params.add(name);
      return `$${name}`;
    },
  });
  return { sql: out, params: [...params] };
}

/** Binds port parameters as typed DuckDB values; only the ones the SQL uses (DuckDB rejects extras). */
export function bindDuckDbParams(used: string[], params: QueryParams): { values: Record<string, DuckDBValue>; types: Record<string, DuckDBType> } {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const name of used) {
    const p = params[name];
    if (!p) throw new WarehouseError(`query parameter @${name} is not provided`);
    [values[name], types[name]] = toDuckDbValue(name, p);
  }
  return { values, types };
}

function toDuckDbValue(name: string, { type, value }: QueryParam): [DuckDBValue, DuckDBType] {
  const bad = () => new WarehouseError(`query parameter @${name}: ${JSON.stringify(value)} is not a valid ${type}`);
  const duckType = { STRING: VARCHAR, INT64: BIGINT, FLOAT64: DOUBLE, BOOL: BOOLEAN, DATE, TIMESTAMP }[type];
  if (!duckType) throw new WarehouseError(`query parameter @${name}: unknown type ${String(type)}`);
  if (value === null) return [null, duckType];
  switch (type) {
    case 'STRING':
      if (typeof value !== 'string') throw bad();
      return [value, VARCHAR];
    case 'INT64': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : null;
      if (n === null) throw bad();
      return [n, BIGINT];
    }
    case 'FLOAT64':
      if (typeof value !== 'number') throw bad();
      return [value, DOUBLE];
    case 'BOOL':
      if (typeof value !== 'boolean') throw bad();
      return [value, BOOLEAN];
    case 'DATE': {
      const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
      if (!m) throw bad();
      return [dateValue({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }), DATE];
    }
    case 'TIMESTAMP': {
      const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
      if (!d || Number.isNaN(d.getTime())) throw bad();
      return [timestampValue(BigInt(d.getTime()) * 1000n), TIMESTAMP];
    }
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A DuckDB value as a plain JS cell: integers and DECIMAL → number (the exact text when a number would change them), timestamps → Date, DATE → 'YYYY-MM-DD'. */
export function toCell(v: DuckDBValue): Cell {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  // Most integers (counts, sums) are safe: compared as bigints, not parsed from text, on this per-cell path.
  if (typeof v === 'bigint') return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return dateFromEpoch(v.micros, 1000n);
  if (v instanceof DuckDBTimestampMillisecondsValue) return new Date(Number(v.millis));
  if (v instanceof DuckDBTimestampSecondsValue) return new Date(Number(v.seconds) * 1000);
  if (v instanceof DuckDBTimestampNanosecondsValue) return dateFromEpoch(v.nanos, 1_000_000n);
  if (v instanceof DuckDBDateValue) return v.toString();
  if (v instanceof DuckDBDecimalValue) return exactNumber(v.toString());
  return v.toString();
}

/**
 * Bytes a table would bill on BigQuery, by BigQuery's data size rules: STRING is
 * 2 bytes + its UTF-8 length, BOOL 1, other scalars 8; NULLs count nothing.
 */
export async function measureTables(conn: DuckDBConnection): Promise<Map<string, number>> {
  const cols = await conn.runAndReadAll(
    `SELECT table_name, column_name, data_type FROM duckdb_columns()
     WHERE schema_name = 'main' AND database_name = current_database() ORDER BY table_name, column_index`,
  );
  const byTable = new Map<string, string[]>();
  for (const [table, column, type] of cols.getRows() as Array<[string, string, string]>) {
    const q = `"${column.replaceAll('"', '""')}"`;
    const expr = type === 'VARCHAR' ? `coalesce(sum(2 + strlen(${q})), 0)` : type === 'BOOLEAN' ? `count(${q})` : `8 * count(${q})`;
    byTable.set(table, [...(byTable.get(table) ?? []), expr]);
  }
  const sizes = new Map<string, number>();
  for (const [table, exprs] of byTable) {
    const r = await conn.runAndReadAll(`SELECT ${exprs.join(' + ')} AS bytes FROM "${table.replaceAll('"', '""')}"`);
    sizes.set(table, Number(r.getRows()[0]?.[0] ?? 0));
  }
  return sizes;
}

/**
 * The embedded stand-in for BigQuery's totalBytesProcessed: the full size of
 * every table the query reads (see measureTables). BigQuery bills only the
 * columns read, so this is an upper bound of what the same query would cost there.
 */
export function estimateScanBytes(conn: DuckDBConnection, duckSql: string, sizes: Map<string, number>): number {
  return tablesRead(conn, duckSql).reduce((sum, t) => sum + (sizes.get(t) ?? 0), 0);
}
const DUCKDB_PARAMS = /('(?:[^']|'')*'?|"(?:[^"]|"")*"?|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|\$[A-Za-z_][A-Za-z0-9_]*/g;

/**
 * The tables a query names, remembered by SQL text (the last 200 texts): DuckDB's
 * extraction parses the query synchronously, on the event loop, and the bot runs
 * the same few statements over and over (parameters are bound, never pasted in).
 */
function tablesRead(conn: DuckDBConnection, duckSql: string): string[] {
  let tables = TABLES_READ.get(duckSql);
  if (!tables) {
    // DuckDB's table-name extraction gives up on parameters; NULLs in their place parse the same.
    const parsable = duckSql.replace(DUCKDB_PARAMS, (m, literal?: string) => literal ?? 'NULL');
    tables = [...new Set(conn.getTableNames(parsable, false))];
    if (TABLES_READ.size >= 200) TABLES_READ.delete(TABLES_READ.keys().next().value!);
    TABLES_READ.set(duckSql, tables);
  }
  return tables;
}
const TABLES_READ = new Map<string, string[]>();

/** Every row of a materialized result, read in place (no further round trip to DuckDB's threads per chunk). */
function rowObjects(result: DuckDBMaterializedResult): Array<Record<string, DuckDBValue>> {
  const names = result.deduplicatedColumnNames();
  const rows: Array<Record<string, DuckDBValue>> = [];
  for (let i = 0, n = result.chunkCount; i < n; i++) result.getChunk(i).appendToRowObjects(names, rows);
  return rows;
}

/** A small fixed pool: one DuckDB connection runs one query at a time. */
class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];
  constructor(readonly all: DuckDBConnection[]) {
    this.idle = [...all];
  }
  acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    return c ? Promise.resolve(c) : new Promise((resolve) => this.waiting.push(resolve));
  }
  release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }
}

/** The embedded warehouse, with the extras simulated pipelines and tests need. */
export interface EmbeddedWarehouse extends Warehouse {
  readonly kind: 'embedded';
  /** What opening did to the demo data: generated it (and how long it took), or shifted it forward. */
  readonly demo: { generated: boolean; seconds: number; shiftedMs: number };
  /** A new connection to the same database (simulated pipelines, test fakes). The caller closes it with `closeSync()`. */
  connection(): Promise<DuckDBConnection>;
  /** Marks a table as just modified (simulated pipelines): `_table_metadata` and the scan estimate follow. */
  touchTable(table: string, at?: Date): Promise<void>;
}

/** Options of openEmbeddedWarehouse. */
export interface EmbeddedWarehouseOptions {
  /** Directory of `warehouse.duckdb`, or ':memory:' for a throwaway database. */
  dataDir: string | ':memory:';
  /** Default query timeout. */
  timeoutMs: number;
  /** Concurrent queries; more wait for a free connection. Default 4. */
  poolSize?: number;
}

async function connect(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const c = await instance.connect();
  // TIMESTAMP columns hold UTC, as on BigQuery; comparisons with now() must not depend on the host's zone.
  await c.run(`SET TimeZone = 'UTC'`);
  return c;
}

/**
 * Opens (and on first use generates) the embedded demo warehouse. Queries run
 * on a small pool of connections so one slow query does not hold up others.
 */
export async function openEmbeddedWarehouse(opts: EmbeddedWarehouseOptions): Promise<EmbeddedWarehouse> {
  let file = ':memory:';
  if (opts.dataDir !== ':memory:') {
    await mkdir(opts.dataDir, { recursive: true });
    file = path.join(opts.dataDir, 'warehouse.duckdb');
  }
  let instance: DuckDBInstance;
  try {
    // Leave one core to the event loop: acks must not wait behind a scan.
    instance = await DuckDBInstance.create(file, { threads: String(Math.max(1, os.availableParallelism() - 1)) });
  } catch (err) {
    throw new WarehouseError(`cannot open the embedded warehouse ${file}: ${(err as Error).message}`, { cause: err });
  }
  const admin = await connect(instance);
  const demo = { generated: false, seconds: 0, shiftedMs: 0 };
  if (await hasCurrentDemo(admin)) {
    demo.shiftedMs = await shiftDemoToNow(admin);
  } else {
    demo.generated = true;
    demo.seconds = (await seedDemoWarehouse(admin)).seconds;
    if (file !== ':memory:') await admin.run('CHECKPOINT');
  }
  let sizes = await measureTables(admin);
  // The admin connection is shared by touchTable calls: run them one at a time.
  let adminQueue: Promise<unknown> = Promise.resolve();
  const onAdmin = <T>(work: () => Promise<T>): Promise<T> => {
    const next = adminQueue.then(work, work);
    adminQueue = next.catch(() => undefined);
    return next;
  };
  const pool = new ConnectionPool(await Promise.all(Array.from({ length: opts.poolSize ?? 4 }, () => connect(instance))));
  let closed = false;

  /** Runs `work` on a pooled connection within the timeout (waiting for a connection counts); interrupts it on timeout. */
  function withConnection<T>(timeoutMs: number, work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new WarehouseError('the embedded warehouse is closed'));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let running: DuckDBConnection | undefined;
      const timer = setTimeout(() => {
        settled = true;
        running?.interrupt();
        reject(new WarehouseTimeoutError(`query did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      void pool.acquire().then(async (c) => {
        if (settled) return pool.release(c);
        running = c;
        try {
          const value = await work(c);
          if (!settled) resolve(value);
        } catch (err) {
          if (!settled) reject(err instanceof WarehouseError || err instanceof CostCapError ? err : new WarehouseError((err as Error).message, { cause: err }));
        } finally {
          settled = true;
          clearTimeout(timer);
          pool.release(c);
        }
      });
    });
  }

  return {
    kind: 'embedded',
    demo,

    async query(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<QueryResult> {
      const started = performance.now();
      const duck = toDuckDbSql(sql);
      const { values, types } = bindDuckDbParams(duck.params, params);
      return withConnection(options.timeoutMs ?? opts.timeoutMs, async (c) => {
        const bytesProcessed = estimateScanBytes(c, duck.sql, sizes);
        if (options.maximumBytesBilled !== undefined && bytesProcessed > options.maximumBytesBilled) {
          throw new CostCapError(bytesProcessed, options.maximumBytesBilled);
        }
        // One statement, prepared straight away: splitting the text into statements first (as run() does) costs the event loop as much again.
        const statement = await c.prepare(duck.sql);
        let result: DuckDBMaterializedResult;
        try {
          statement.bind(values, types);
          result = await statement.run();
        } finally {
          statement.destroySync();
        }
        const rows = rowObjects(result).map((r) => {
          const row: Row = {};
          for (const [k, v] of Object.entries(r)) row[k] = toCell(v);
          return row;
        });
        return { rows, bytesProcessed, cacheHit: false, durationMs: Math.round(performance.now() - started) };
      });
    },

    async dryRun(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<DryRunResult> {
      const duck = toDuckDbSql(sql);
      bindDuckDbParams(duck.params, params);
      return withConnection(options.timeoutMs ?? opts.timeoutMs, async (c) => {
        // Preparing validates syntax, tables and columns without reading data.
        const prepared = await c.prepare(duck.sql);
        prepared.destroySync();
        return { bytesProcessed: estimateScanBytes(c, duck.sql, sizes) };
      });
    },

    async tableFreshness(tables: string[]): Promise<TableFreshness[]> {
      const [found, existing] = await withConnection(opts.timeoutMs, async (c) => {
        const r = await c.runAndReadAll('SELECT table_name, last_modified, row_count FROM _table_metadata');
        // Missing is not there at all: a table without a metadata row has only no update time.
        const t = await c.runAndReadAll('SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()');
        return [new Map(r.getRows().map(([n, at, rows]) => [String(n), { at: toCell(at ?? null), n: toCell(rows ?? null) }])), new Set(t.getRows().map(([n]) => String(n)))] as const;
      });
      return tables.map((table) => {
        const f = found.get(table);
        return { table, lastModified: f?.at instanceof Date ? f.at : null, rowCount: typeof f?.n === 'number' ? f.n : null, ...(f || existing.has(table) ? {} : { missing: true }) };
      });
    },

    connection: () => connect(instance),

    touchTable: (table: string, at?: Date): Promise<void> =>
      onAdmin(async () => {
        await touchTable(admin, table, at);
        sizes = await measureTables(admin);
      }),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Wait for running queries: closing a connection under a running query crashes the native side.
      const all = await Promise.all(pool.all.map(() => pool.acquire()));
      await adminQueue;
      for (const c of [...all, admin]) c.closeSync();
      instance.closeSync();
    },
  };
}
