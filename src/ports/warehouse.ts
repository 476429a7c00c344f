/**
 * The warehouse: where product telemetry and business data live. BigQuery in
 * production, DuckDB (embedded, seeded with a demo dataset) everywhere else.
 *
 * SQL given to `query` is written in the common subset of BigQuery and DuckDB
 * standard SQL, with:
 * - named parameters as `@name` (bound by the adapter, never pasted in), and
 * - logical table names as `{{table}}` (e.g. `{{pings}}`), which the adapter
 *   replaces with its qualified, configured table name.
 * Nothing from user text is ever placed into SQL other than as a parameter.
 */
export type ParamType = 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'DATE' | 'TIMESTAMP';

/** A typed named parameter. DATE values are `YYYY-MM-DD` strings; TIMESTAMP values are Dates. */
export interface QueryParam {
  type: ParamType;
  value: string | number | boolean | Date | null;
}

export type QueryParams = Record<string, QueryParam>;

export interface QueryOptions {
  /** Job labels (BigQuery): e.g. `{ command: 'telemetry', user: 'u123' }`. Lowercased and sanitized by the adapter. */
  labels?: Record<string, string>;
  /** Hard cap on bytes billed; BigQuery fails the job above it. The adapter applies its configured default when unset. */
  maximumBytesBilled?: number;
  /** Give up (and cancel the job where possible) after this long. */
  timeoutMs?: number;
}

/** A cell value as returned to callers: plain JS types only (bigints become numbers, timestamps Dates). */
export type Cell = string | number | boolean | Date | null;
export type Row = Record<string, Cell>;

export interface QueryResult {
  rows: Row[];
  /** Bytes processed (BigQuery's totalBytesProcessed; an estimate of the data scanned on DuckDB). */
  bytesProcessed: number;
  /** Whether the result came from the warehouse's own cache. */
  cacheHit: boolean;
  /** Wall time of the query in ms. */
  durationMs: number;
}

export interface DryRunResult {
  /** Estimated bytes the query would process. */
  bytesProcessed: number;
}

export interface TableFreshness {
  /** Logical table name, as used in `{{table}}`. */
  table: string;
  /** Last modification of the table, from metadata only (no bytes billed); null when unknown or missing. */
  lastModified: Date | null;
  rowCount: number | null;
  /** The table does not exist (BigQuery answered 404; the embedded warehouse has no such table). */
  missing?: boolean;
}

export interface TableFreshnessOptions {
  /**
   * No person waits on this read (the scheduled freshness check): on BigQuery, whose metadata reads are paced,
   * it yields to the reads a person waits on (/pipeline status, /query's freshness line). Default: a person waits.
   */
  background?: boolean;
}

export interface Warehouse {
  /** Which adapter this is, for footers and logs. */
  readonly kind: 'embedded' | 'bigquery';
  query(sql: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult>;
  /** Estimate the bytes a query would process without running it. */
  dryRun(sql: string, params?: QueryParams, options?: QueryOptions): Promise<DryRunResult>;
  /** Table metadata (last modified, rows) without scanning data: 0 bytes billed. */
  tableFreshness(tables: string[], options?: TableFreshnessOptions): Promise<TableFreshness[]>;
  close(): Promise<void>;
}

/** The logical tables of the demo and production warehouse. */
export const WAREHOUSE_TABLES = ['customers', 'instances', 'pings', 'events'] as const;
export type WarehouseTable = (typeof WAREHOUSE_TABLES)[number];
