/**
 * The warehouse and the store, opened on first use. The entry point builds
 * the bot on these and starts listening before either is open: the ack of
 * the first request (on Cloud Run, the request that started the instance)
 * needs neither, and loading them (DuckDB's native bindings, the Firestore
 * and BigQuery clients with gRPC and protobuf under them) is most of what a
 * cold start used to wait for.
 *
 * - The first call of any method opens the adapter (`open()` does it
 *   without a call); every call waits for the same opening.
 * - A failed opening fails the calls that waited for it; the next call tries
 *   again.
 * - `close()` closes what was opened and opens nothing; later calls fail.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StoreError, WarehouseError } from '../errors.js';
import type { AuditEntry, ListOptions, Store, StoreDoc, StoreTx, TransitionResult, VersionedDoc } from '../ports/store.js';
import type { DryRunResult, QueryOptions, QueryParams, QueryResult, TableFreshness, TableFreshnessOptions, Warehouse } from '../ports/warehouse.js';
import type { EmbeddedWarehouse } from './warehouse/duckdb.js';

/** An adapter that opens on first use. */
export interface Lazy<T> {
  /** Opens the adapter now, unless a call already did; the same promise for every caller. */
  open(): Promise<T>;
}

class Opener<T extends { close(): Promise<void> }> {
  private opening: Promise<T> | undefined;
  private closed = false;

  constructor(
    private readonly openAdapter: () => Promise<T>,
    private readonly closedError: () => Error,
  ) {}

  get(): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    if (!this.opening) {
      const attempt = this.openAdapter();
      this.opening = attempt;
      attempt.catch(() => {
        if (this.opening === attempt) this.opening = undefined;
      });
    }
    return this.opening;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const opened = await this.opening?.catch(() => undefined);
    await opened?.close();
  }
}

/**
 * A warehouse of `kind` that `open` opens on first use. On the embedded kind
 * it also answers what simulated pipelines and the demo sources ask of the
 * embedded warehouse (`connection`, `touchTable`); what opening did to the
 * demo data (`demo`) is only on the opened warehouse.
 */
export class LazyWarehouse implements Warehouse, Lazy<Warehouse> {
  private readonly opener: Opener<Warehouse>;

  constructor(
    readonly kind: Warehouse['kind'],
    open: () => Promise<Warehouse>,
  ) {
    this.opener = new Opener(open, () => new WarehouseError('the warehouse is closed'));
  }

  open(): Promise<Warehouse> {
    return this.opener.get();
  }

  async query(sql: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    return (await this.open()).query(sql, params, options);
  }

  async dryRun(sql: string, params?: QueryParams, options?: QueryOptions): Promise<DryRunResult> {
    return (await this.open()).dryRun(sql, params, options);
  }

  async tableFreshness(tables: string[], options?: TableFreshnessOptions): Promise<TableFreshness[]> {
    return (await this.open()).tableFreshness(tables, options);
  }

  async connection(): Promise<DuckDBConnection> {
    return (await this.embedded()).connection();
  }

  async touchTable(table: string, at?: Date): Promise<void> {
    return (await this.embedded()).touchTable(table, at);
  }

  close(): Promise<void> {
    return this.opener.close();
  }

  private async embedded(): Promise<EmbeddedWarehouse> {
    const w = await this.open();
    if (w.kind !== 'embedded') throw new WarehouseError(`the ${w.kind} warehouse has no embedded connection`);
    return w as EmbeddedWarehouse;
  }
}

/** A store of `kind` that `open` opens on first use. */
export class LazyStore implements Store, Lazy<Store> {
  private readonly opener: Opener<Store>;

  constructor(
    readonly kind: Store['kind'],
    open: () => Promise<Store>,
  ) {
    this.opener = new Opener(open, () => new StoreError('the store is closed'));
  }

  open(): Promise<Store> {
    return this.opener.get();
  }

  async get<T extends StoreDoc>(collection: string, id: string): Promise<VersionedDoc<T> | null> {
    return (await this.open()).get<T>(collection, id);
  }

  async put<T extends StoreDoc>(collection: string, id: string, data: T): Promise<VersionedDoc<T>> {
    return (await this.open()).put<T>(collection, id, data);
  }

  async delete(collection: string, id: string): Promise<void> {
    return (await this.open()).delete(collection, id);
  }

  async list<T extends StoreDoc>(collection: string, options?: ListOptions): Promise<VersionedDoc<T>[]> {
    return (await this.open()).list<T>(collection, options);
  }

  async runTransaction<R>(body: (tx: StoreTx) => Promise<R>): Promise<R> {
    return (await this.open()).runTransaction(body);
  }

  async createOnce(collection: string, id: string, data?: StoreDoc, options?: { ttlMs?: number }): Promise<boolean> {
    return (await this.open()).createOnce(collection, id, data, options);
  }

  async transition<T extends StoreDoc>(
    collection: string,
    id: string,
    precondition: (current: T) => boolean,
    update: (current: T) => Partial<T>,
  ): Promise<TransitionResult<T>> {
    return (await this.open()).transition<T>(collection, id, precondition, update);
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.open()).acquireLease(name, holder, ttlMs);
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    return (await this.open()).releaseLease(name, holder);
  }

  async audit(entry: AuditEntry): Promise<void> {
    return (await this.open()).audit(entry);
  }

  async recentAudit(limit: number, options?: { atOrBefore?: string }): Promise<Required<AuditEntry>[]> {
    return (await this.open()).recentAudit(limit, options);
  }

  close(): Promise<void> {
    return this.opener.close();
  }
}
