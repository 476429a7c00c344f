/**
 * The state store: requests, jobs, locks, leases, caches and the audit log.
 * Firestore in production (shared by every replica), an embedded journal on
 * disk for local use. Both pass the same contract suite
 * (test/store.contract.test.ts).
 *
 * Documents are plain JSON objects (no Dates: store ISO strings or epoch ms).
 * A top-level numeric `expiresAt` (epoch ms) marks a document that may be
 * deleted once past: once-keys and leases treat it as absent, and the
 * Firestore adapter mirrors it into a timestamp for a TTL policy. It is a
 * time on the wall clock, as those deletions read it: write it with
 * {@link expiresIn}, never from a service's own clock.
 */
export type StoreDoc = Record<string, unknown>;

export interface VersionedDoc<T extends StoreDoc = StoreDoc> {
  id: string;
  data: T;
  /** Changes on every write; used for compare-and-set. */
  version: string;
}

/** A filter on one top-level field: equality, or a range over numbers or strings. */
export type Where =
  | { field: string; equals: string | number | boolean }
  | { field: string; op: '<' | '<=' | '>' | '>='; value: number | string };

export interface ListOptions {
  /** Only documents whose top-level field matches. A range matches values of the same type only (as Firestore does). */
  where?: Where;
  /** Sort by a top-level field. With a range filter, only that field may be sorted on. */
  orderBy?: { field: string; direction?: 'asc' | 'desc' };
  /**
   * With `orderBy`: only the documents after this position in the order (the
   * field's value, then the document ID, in the order's direction), to page on
   * from the last document read.
   */
  startAfter?: { value: number | string; id: string };
  limit?: number;
}

export type TransitionResult<T extends StoreDoc> =
  | { ok: true; doc: VersionedDoc<T> }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'precondition_failed'; current: VersionedDoc<T> };

export interface AuditEntry {
  /** Who did it: a Slack user ID, or 'bot'. */
  actor: string;
  /** What happened, e.g. 'looker_access.approved'. */
  action: string;
  /** What it happened to, e.g. a request ID. */
  subject: string;
  before?: StoreDoc | null;
  after?: StoreDoc | null;
  /** ISO timestamp; set by the store when omitted. */
  at?: string;
}

/**
 * One atomic unit of work: reads see the store as it was when the
 * transaction started (plus nothing it wrote: writes are applied together at
 * commit), and every write and audit entry is committed together or not at
 * all. The body may run more than once (Firestore retries on contention), so
 * it must not have effects outside the transaction.
 */
export interface StoreTx {
  get<T extends StoreDoc>(collection: string, id: string): Promise<VersionedDoc<T> | null>;
  /**
   * A query read in the transaction, as {@link Store.list}. Firestore locks the
   * documents it returns, not the query: to count documents that a concurrent
   * transaction may add, also read and write a document both touch.
   */
  list<T extends StoreDoc>(collection: string, options?: ListOptions): Promise<VersionedDoc<T>[]>;
  /** Create or replace, at commit. */
  put<T extends StoreDoc>(collection: string, id: string, data: T): void;
  /** Delete, at commit (deleting nothing is fine). */
  delete(collection: string, id: string): void;
  /** Appends to the audit log, at commit. */
  audit(entry: AuditEntry): void;
}

export interface Store {
  readonly kind: 'embedded' | 'firestore';
  get<T extends StoreDoc>(collection: string, id: string): Promise<VersionedDoc<T> | null>;
  /** Create or replace. */
  put<T extends StoreDoc>(collection: string, id: string, data: T): Promise<VersionedDoc<T>>;
  delete(collection: string, id: string): Promise<void>;
  list<T extends StoreDoc>(collection: string, options?: ListOptions): Promise<VersionedDoc<T>[]>;

  /** Runs `body` as one atomic transaction and returns what it returned. */
  runTransaction<R>(body: (tx: StoreTx) => Promise<R>): Promise<R>;

  /**
   * Once-only key: creates the document if absent (or if its previous copy has
   * expired) and returns true; returns false if it exists. Across retries and
   * replicas exactly one caller gets true.
   */
  createOnce(collection: string, id: string, data?: StoreDoc, options?: { ttlMs?: number }): Promise<boolean>;

  /**
   * Atomic compare-and-set: reads the document, and if `precondition(data)` holds,
   * writes `update(data)` (merged over the old data), only over the version it
   * read (a transaction, or a write conditional on that version, deciding again
   * if another write came first).
   */
  transition<T extends StoreDoc>(
    collection: string,
    id: string,
    precondition: (current: T) => boolean,
    update: (current: T) => Partial<T>,
  ): Promise<TransitionResult<T>>;

  /**
   * A lease: at most one holder at a time until it expires. Returns true if
   * `holder` now holds it (newly, or renewed because it already held it).
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;

  /** Appends to the audit log. */
  audit(entry: AuditEntry): Promise<void>;
  /**
   * The last `limit` audit entries, newest first; with `atOrBefore` (an ISO time), the last
   * of those whose `at` is not after it (what a list shown earlier held, new entries aside).
   */
  recentAudit(limit: number, options?: { atOrBefore?: string }): Promise<Required<AuditEntry>[]>;

  close(): Promise<void>;
}

/** How long an audit entry is kept after its `at` (Firestore: a TTL policy on `audit`; the embedded store drops it). */
export const AUDIT_KEEP_MS = 400 * 86_400_000;

/**
 * An `expiresAt` for a document kept `ms` from now, on the wall clock: Firestore's TTL policy and the embedded
 * store (when it opens, and when it folds its journal) delete by it. A service's injected clock may be days off
 * the wall clock (a test's, a demo's); a record that makes a second delivery a replay, stamped from it, could be
 * deleted while it still guards.
 */
export function expiresIn(ms: number): number {
  return Date.now() + ms;
}

/** Whether a document carries an `expiresAt` (epoch ms) that has passed. */
export function isExpired(data: StoreDoc | undefined, at: number = Date.now()): boolean {
  return typeof data?.['expiresAt'] === 'number' && data['expiresAt'] <= at;
}

/** Whether `value` passes `where` (the embedded store's filter, Firestore's semantics). */
export function matchesWhere(value: unknown, where: Where): boolean {
  if ('equals' in where) return value === where.equals;
  if (typeof value !== typeof where.value) return false;
  const v = value as number | string;
  switch (where.op) {
    case '<': return v < where.value;
    case '<=': return v <= where.value;
    case '>': return v > where.value;
    case '>=': return v >= where.value;
  }
}
