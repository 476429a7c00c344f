/**
 * The state store: requests, locks, leases, caches and the audit log. Firestore
 * in production (shared by every replica), an embedded file-backed store for
 * local use. Both pass the same contract suite (test/store.contract.test.ts).
 *
 * Documents are plain JSON objects (no Dates: store ISO strings or epoch ms).
 */
export type StoreDoc = Record<string, unknown>;

export interface VersionedDoc<T extends StoreDoc = StoreDoc> {
  id: string;
  data: T;
  /** Changes on every write; used for compare-and-set. */
  version: string;
}

export interface ListOptions {
  /** Only documents whose top-level field equals the value. */
  where?: { field: string; equals: string | number | boolean };
  /** Sort by a top-level field. */
  orderBy?: { field: string; direction?: 'asc' | 'desc' };
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

export interface Store {
  readonly kind: 'embedded' | 'firestore';
  get<T extends StoreDoc>(collection: string, id: string): Promise<VersionedDoc<T> | null>;
  /** Create or replace. */
  put<T extends StoreDoc>(collection: string, id: string, data: T): Promise<VersionedDoc<T>>;
  delete(collection: string, id: string): Promise<void>;
  list<T extends StoreDoc>(collection: string, options?: ListOptions): Promise<VersionedDoc<T>[]>;

  /**
   * Once-only key: creates the document if absent (or if its previous copy has
   * expired) and returns true; returns false if it exists. Across retries and
   * replicas exactly one caller gets true.
   */
  createOnce(collection: string, id: string, data?: StoreDoc, options?: { ttlMs?: number }): Promise<boolean>;

  /**
   * Atomic compare-and-set: reads the document, and if `precondition(data)` holds,
   * writes `update(data)` (merged over the old data) in one transaction.
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
  /** The last `limit` audit entries, newest first. */
  recentAudit(limit: number): Promise<Required<AuditEntry>[]>;

  close(): Promise<void>;
}
