/**
 * Firestore Store: the production state store, shared by every replica.
 * A transition (one document: a claim, an approval) is a compare-and-set:
 * read, decide, then write only if the document's update time is still the
 * one read, deciding again if it is not. Replicas racing for one document
 * then cost one failed write each, not the lock waits of transactions that
 * all read it (the emulator resolves those only by a 2 s lock timeout).
 * Leases, expired once-keys and multi-document decisions run in Firestore
 * transactions; once-keys use `create()`, which only one caller can win.
 *
 * Each document carries a `_version` field (a random id rewritten on every
 * write) that is stripped on read: a transaction's commit does not report its
 * write time, so `updateTime` cannot serve as the version everywhere.
 */
import { createHash, randomUUID } from 'node:crypto';
import { FieldPath, FieldValue, Firestore, Timestamp } from '@google-cloud/firestore';
import type { DocumentReference, DocumentSnapshot, Query, Transaction } from '@google-cloud/firestore';
import { StoreError } from '../../errors.js';
import { AUDIT_KEEP_MS, expiresIn, isExpired, type AuditEntry, type ListOptions, type Store, type StoreDoc, type StoreTx, type TransitionResult, type VersionedDoc } from '../../ports/store.js';

const VERSION_FIELD = '_version';
/**
 * A timestamp copy of a numeric `expiresAt`, for Firestore's TTL policy
 * (which needs a timestamp field): `gcloud firestore fields ttls update
 * _expireAt --collection-group=<collection> --enable-ttl`.
 */
export const EXPIRE_FIELD = '_expireAt';
const INVALID_ARGUMENT = 3; // gRPC status codes
const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
// Contended transactions are retried by the client; racing replicas need more than the default 5.
const MAX_ATTEMPTS = 25;
/** Firestore's limit on a document ID, in bytes. */
const MAX_ID_BYTES = 1500;
// Runs of a transaction that was closed under it (see isClosedTransaction), each with the client's attempts.
const CLOSED_TX_RUNS = 3;

/**
 * Whether a transaction failed because the server had already closed it:
 * INVALID_ARGUMENT "Transaction is invalid or closed.". The emulator answers so
 * to any call in a transaction it closed: one idle for 60 s (measured), or, in
 * a CI run, a read the client had retried after a transient error. The client
 * retries only Firestore's own wording of this case, "transaction has expired".
 */
export function isClosedTransaction(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || (err as { code?: unknown }).code !== INVALID_ARGUMENT) return false;
  const { details, message } = err as { details?: unknown; message?: unknown };
  return /transaction is invalid or closed/i.test(`${String(details ?? '')} ${String(message ?? '')}`);
}

/**
 * Opens a Firestore-backed store. Honours FIRESTORE_EMULATOR_HOST (the client
 * does). `collectionPrefix` is prepended to every collection name, so test runs
 * (or environments sharing a project) stay apart.
 */
export function openFirestoreStore(opts: { projectId: string; collectionPrefix?: string }): Store {
  const db = new Firestore({ projectId: opts.projectId, ignoreUndefinedProperties: true });
  const prefix = opts.collectionPrefix ?? '';
  const ref = (collection: string, id: string) => db.collection(prefix + collection).doc(documentId(id));
  const leases = prefix + 'leases';
  const auditCollection = prefix + 'audit';
  let auditSeq = 0;
  const auditRecord = (entry: AuditEntry) => {
    const at = entry.at ?? new Date().toISOString();
    // The id breaks ties between entries of the same millisecond from this
    // process (recentAudit orders by `at`, then id), newest last.
    const id = `${at}_${String(auditSeq++).padStart(10, '0')}_${randomUUID().slice(0, 8)}`;
    const data = { actor: entry.actor, action: entry.action, subject: entry.subject, before: entry.before ?? null, after: entry.after ?? null, at };
    // Set after the JSON round trip, which would turn the Timestamp into a plain map; an `at` that is no date
    // (none the store writes) gets no expiry rather than a failed write.
    const atMs = Date.parse(at);
    const expires = Number.isFinite(atMs) ? { [EXPIRE_FIELD]: Timestamp.fromMillis(atMs + AUDIT_KEEP_MS) } : {};
    return { ref: db.collection(auditCollection).doc(id), data: { ...(JSON.parse(JSON.stringify(data)) as StoreDoc), ...expires } };
  };

  /**
   * A Firestore transaction: retried by the client while contended, and run
   * again if it was closed under it before its commit (then it wrote nothing).
   * A commit refused so is not run again: the client resends a commit whose
   * answer was lost, and the first one may have landed.
   */
  async function transact<R>(body: (tx: Transaction) => Promise<R>): Promise<R> {
    for (let run = 1; ; run++) {
      let committing = false;
      try {
        return await db.runTransaction(
          async (tx) => {
            committing = false;
            const result = await body(tx);
            committing = true;
            return result;
          },
          { maxAttempts: MAX_ATTEMPTS },
        );
      } catch (err) {
        if (committing || run >= CLOSED_TX_RUNS || !isClosedTransaction(err)) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100 * run));
      }
    }
  }

  /** A list's query: Firestore's own filter, order and limit. */
  function queryOf(collection: string, options: ListOptions): Query {
    let query: Query = db.collection(prefix + collection);
    const where = options.where;
    if (where) query = 'equals' in where ? query.where(new FieldPath(where.field), '==', where.equals) : query.where(new FieldPath(where.field), where.op, where.value);
    const order = options.orderBy;
    if (order) query = query.orderBy(new FieldPath(order.field), order.direction ?? 'asc');
    // Firestore breaks ties by document ID in the direction of the last order; a cursor names both.
    if (order && options.startAfter) query = query.orderBy(FieldPath.documentId(), order.direction ?? 'asc').startAfter(options.startAfter.value, documentId(options.startAfter.id));
    if (options.limit !== undefined) query = query.limit(options.limit);
    return query;
  }

  async function guard<R>(what: string, op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`firestore: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  return {
    kind: 'firestore',

    get: <T extends StoreDoc>(collection: string, id: string) =>
      guard(`get ${collection}/${id}`, async () => {
        const snap = await ref(collection, id).get();
        return snap.exists ? (toVersioned(snap, id) as VersionedDoc<T>) : null;
      }),

    put: <T extends StoreDoc>(collection: string, id: string, data: T) =>
      guard(`put ${collection}/${id}`, async () => {
        const stamped = stamp(data);
        await ref(collection, id).set(stamped.data);
        return { id, data: clean(data) as T, version: stamped.version };
      }),

    delete: (collection, id) =>
      guard(`delete ${collection}/${id}`, async () => {
        await ref(collection, id).delete();
      }),

    list: <T extends StoreDoc>(collection: string, options: ListOptions = {}) =>
      guard(`list ${collection}`, async () => {
        if (options.limit === 0) return [];
        const snap = await queryOf(collection, options).get();
        return snap.docs.map((d) => toVersioned(d) as VersionedDoc<T>);
      }),

    runTransaction: <R>(body: (tx: StoreTx) => Promise<R>) =>
      guard('transaction', () =>
        transact(async (ftx) => {
          // Writes wait for the end of the body: Firestore wants every read before any write.
          const writes: Array<(t: Transaction) => void> = [];
          const tx: StoreTx = {
            get: async <T extends StoreDoc>(collection: string, id: string) => {
              const snap = await ftx.get(ref(collection, id));
              return snap.exists ? (toVersioned(snap, id) as VersionedDoc<T>) : null;
            },
            list: async <T extends StoreDoc>(collection: string, options: ListOptions = {}) => {
              if (options.limit === 0) return [];
              const snap = await ftx.get(queryOf(collection, options));
              return snap.docs.map((d) => toVersioned(d) as VersionedDoc<T>);
            },
            put: (collection, id, data) => {
              const doc: DocumentReference = ref(collection, id);
              const stamped = stamp(data).data;
              writes.push((t) => t.set(doc, stamped));
            },
            delete: (collection, id) => {
              const doc = ref(collection, id);
              writes.push((t) => t.delete(doc));
            },
            audit: (entry) => {
              const { ref: doc, data } = auditRecord(entry);
              writes.push((t) => t.create(doc, data));
            },
          };
          const result = await body(tx);
          for (const write of writes) write(ftx);
          return result;
        }),
      ),

    createOnce: (collection, id, data = {}, options = {}) =>
      guard(`createOnce ${collection}/${id}`, async () => {
        const doc = ref(collection, id);
        // One version for every try: the client resends a commit whose answer was lost (and runs a
        // transaction again), and the resend then meets this caller's own document, which is a win.
        const { data: fresh, version } = stamp(options.ttlMs !== undefined ? { ...data, expiresAt: expiresIn(options.ttlMs) } : data);
        try {
          await doc.create(fresh);
          return true;
        } catch (err) {
          if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
        }
        // It exists: it may be ours (above), or an expired copy, which one caller may replace.
        return transact(async (tx) => {
          const snap = await tx.get(doc);
          if (snap.exists && snap.get(VERSION_FIELD) === version) return true;
          if (snap.exists && !isExpired(snap.data())) return false;
          tx.set(doc, fresh);
          return true;
        });
      }),

    transition: <T extends StoreDoc>(
      collection: string,
      id: string,
      precondition: (current: T) => boolean,
      update: (current: T) => Partial<T>,
    ) =>
      guard(`transition ${collection}/${id}`, async (): Promise<TransitionResult<T>> => {
        const doc = ref(collection, id);
        let snap = await doc.get();
        for (let attempt = 1; ; attempt++) {
          if (!snap.exists || !snap.updateTime) return { ok: false, reason: 'not_found' };
          const current = toVersioned(snap, id) as VersionedDoc<T>;
          if (!precondition(structuredClone(current.data))) return { ok: false, reason: 'precondition_failed', current };
          const next = { ...current.data, ...update(structuredClone(current.data)) } as T;
          const stamped = stamp(next);
          const written = { ok: true as const, doc: { id, data: clean(next) as T, version: stamped.version } };
          try {
            await doc.update(...replacement(snap.data() ?? {}, stamped.data), { lastUpdateTime: snap.updateTime });
            return written;
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if ((code !== FAILED_PRECONDITION && code !== NOT_FOUND) || attempt >= MAX_ATTEMPTS) throw err;
            await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(attempt, 5)));
            // Decide again on what is there now; that read also tells whether the write was ours after all
            // (the client retries a commit whose answer was lost, and the retry then finds our own write).
            snap = await doc.get();
            if (snap.get(VERSION_FIELD) === stamped.version) return written;
          }
        }
      }),

    acquireLease: (name, holder, ttlMs) =>
      guard(`acquireLease ${name}`, () =>
        transact(async (tx) => {
          const doc = db.collection(leases).doc(documentId(name));
          const snap = await tx.get(doc);
          const current = snap.data();
          if (current && current.holder !== holder && !isExpired(current)) return false;
          // Expiry uses this replica's clock: replicas must keep NTP time.
          tx.set(doc, stamp({ holder, expiresAt: expiresIn(ttlMs) }).data);
          return true;
        }),
      ),

    releaseLease: (name, holder) =>
      guard(`releaseLease ${name}`, () =>
        transact(async (tx) => {
          const doc = db.collection(leases).doc(documentId(name));
          const snap = await tx.get(doc);
          if (snap.data()?.holder === holder) tx.delete(doc);
        }),
      ),

    audit: (entry) =>
      guard(`audit ${entry.action}`, async () => {
        const { ref: doc, data } = auditRecord(entry);
        // The id is unique to this entry: "already exists" is the client's resend of a create that landed.
        await doc.create(data).catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
        });
      }),

    recentAudit: (limit, options = {}) =>
      guard('recentAudit', async () => {
        if (limit <= 0) return [];
        const all = db.collection(auditCollection);
        const snap = await (options.atOrBefore === undefined ? all : all.where('at', '<=', options.atOrBefore))
          .orderBy('at', 'desc')
          .orderBy(FieldPath.documentId(), 'desc')
          .limit(limit)
          .get();
        return snap.docs.map((d) => {
          const e = d.data();
          return {
            actor: String(e.actor),
            action: String(e.action),
            subject: String(e.subject),
            before: (e.before ?? null) as StoreDoc | null,
            after: (e.after ?? null) as StoreDoc | null,
            at: String(e.at),
          };
        });
      }),

    close: () => guard('close', () => db.terminate()),
  };
}

function stamp(data: StoreDoc): { data: StoreDoc; version: string } {
  const version = randomUUID();
  const { [EXPIRE_FIELD]: _old, ...rest } = data;
  const expires = typeof rest['expiresAt'] === 'number' ? { [EXPIRE_FIELD]: Timestamp.fromMillis(rest['expiresAt']) } : {};
  return { data: { ...rest, ...expires, [VERSION_FIELD]: version }, version };
}

/**
 * `update()` arguments that make a stored document exactly `next` (set, not
 * merge): every field of `next` by its path (a key holding a dot is one
 * field), and a delete for every stored field `next` no longer has.
 */
function replacement(stored: StoreDoc, next: StoreDoc): [FieldPath, unknown, ...unknown[]] {
  const args: unknown[] = [];
  // set() leaves out an own `__proto__` key (it cannot be stored); update() would refuse the whole write.
  for (const [key, value] of Object.entries(next)) if (value !== undefined && key !== '__proto__') args.push(new FieldPath(key), value);
  for (const key of Object.keys(stored)) if (next[key] === undefined) args.push(new FieldPath(key), FieldValue.delete());
  return args as [FieldPath, unknown, ...unknown[]];
}

function clean(data: StoreDoc): StoreDoc {
  const { [VERSION_FIELD]: _omit, [EXPIRE_FIELD]: _expire, ...rest } = data;
  // Same shape a later get() returns: undefined fields are not stored.
  return JSON.parse(JSON.stringify(rest)) as StoreDoc;
}

/**
 * The document ID of a key: the key itself when Firestore takes it as one (every key the bot makes of its own
 * IDs and of Slack's), else a digest of it. Some keys hold what a request carried (a view's or a trigger's ID,
 * which Slack promises no format for, and which a forged request makes anything): a `/` would name a document
 * in a subcollection, which no list finds (a job the runner never runs), or no document at all; `.`, `..`,
 * `__name__`, an empty key, one past 1,500 bytes and one that is not valid UTF-8 (half a surrogate pair) are
 * refused. A digest is a valid ID, and so its own; it is taken of the key's UTF-16 units, so that two keys with
 * different halves of pairs (each UTF-8 would make U+FFFD) are two documents.
 */
function documentId(key: string): string {
  const valid = key !== '' && key !== '.' && key !== '..' && !key.includes('/') && !/^__.*__$/s.test(key) && !LONE_SURROGATE.test(key) && Buffer.byteLength(key) <= MAX_ID_BYTES;
  return valid ? key : `~${createHash('sha256').update(Buffer.from(key, 'utf16le')).digest('hex')}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A stored document as the port gives it, under `id` (the key it was asked for by, when there is one). */
function toVersioned(snap: DocumentSnapshot, id: string = snap.id): VersionedDoc {
  const raw = snap.data() ?? {};
  const { [VERSION_FIELD]: version, [EXPIRE_FIELD]: _expire, ...data } = raw;
  return {
    id,
    data,
    // Documents written by something other than this adapter have no _version.
    version: typeof version === 'string' ? version : updateTimeOf(snap),
  };
}

function updateTimeOf(snap: DocumentSnapshot): string {
  const t = snap.updateTime;
  return t ? `${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}` : '';
}
