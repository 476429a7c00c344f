/**
 * Embedded Store: documents in memory, made durable by an append-only journal
 * under `<dataDir>/store/`, for local use by one process.
 *
 * - Every commit (a put, a transition, a whole transaction with its audit
 *   entries) is one line of `journal.jsonl`, appended and fsynced before the
 *   caller hears back, and only then applied in memory. A crash leaves the
 *   line whole or torn; a torn last line is dropped at the next open, so a
 *   transaction is all or nothing. A write or fsync that fails (a full disk,
 *   a file size limit) is undone by truncating the journal back to the end of
 *   the last good line, so the next append starts clean; if even that fails,
 *   the store refuses every later write rather than acknowledge commits a
 *   reopen would lose.
 * - On opening, only the last line may be unreadable (torn). An unreadable
 *   line with lines after it is damage, not a crash: the store refuses to
 *   open, naming the file and line, and leaves the file as it is.
 * - When the journal grows past a threshold it is folded into
 *   `snapshot.json` (written to a temporary file, fsynced, renamed), then
 *   emptied. The snapshot records the last sequence number it holds, so a
 *   crash between the two steps replays nothing twice.
 * - A `LOCK` file holds the owner's pid: a second process on the same
 *   directory is refused with a message saying who has it; a lock left by a
 *   process that died (kill -9) is taken over.
 * - Operations run one after another, so a transaction sees no one else's
 *   half-done work.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, truncate as truncateFile, utimes, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from '../../errors.js';
import { AUDIT_KEEP_MS, expiresIn, isExpired, matchesWhere, type AuditEntry, type ListOptions, type Store, type StoreDoc, type StoreTx, type TransitionResult, type VersionedDoc } from '../../ports/store.js';

interface Entry {
  data: StoreDoc;
  version: string;
}
type Collection = Map<string, Entry>;

/** One journal line: sequence number, writes (`null` entry: delete), audit entries. */
interface JournalRecord {
  s: number;
  w: Array<[collection: string, id: string, entry: Entry | null]>;
  a?: Required<AuditEntry>[];
}

interface Snapshot {
  seq: number;
  collections: Record<string, Record<string, Entry>>;
  audit: Required<AuditEntry>[];
}

const LEASES = 'leases';
const JOURNAL = 'journal.jsonl';
const SNAPSHOT = 'snapshot.json';
const LOCK = 'LOCK';
/** Fold the journal into the snapshot past this size. */
const COMPACT_BYTES = 8 * 1024 * 1024;

/** Directories this process has open: a second open here is refused too. */
const openHere = new Set<string>();

export interface EmbeddedStoreOptions {
  /** Journal size that triggers compaction (tests make it small). */
  compactBytes?: number;
  /**
   * Refuse a plain store call made inside a transaction's body (it would queue behind the transaction,
   * which waits for it: a deadlock) with an error that names the mistake. The test harness turns it on for
   * the bot under test (and the tests that give it a store of their own do too); off by default, because it needs an AsyncLocalStorage, and in
   * Node 20 the first one installs promise hooks on every promise in the process: in the ack-charts
   * benchmark they were about a tenth of the bot thread's allocations and put ~20% on the ack p99.
   */
  checkNesting?: boolean;
  /** How often the lock is renewed (tests make it short). */
  lockRenewMs?: number;
  /** Test seam: wraps the journal's file handle (to simulate short writes, a full disk, a failing fsync). */
  wrapJournal?: (journal: JournalFile) => JournalFile;
}

/** What the store does with its journal's file handle (a `FileHandle` opened for appending). */
export interface JournalFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** Opens (creating if needed) the embedded store in `dataDir/store/`. */
export async function openEmbeddedStore(dataDir: string, options: EmbeddedStoreOptions = {}): Promise<Store> {
  const dir = path.resolve(dataDir, 'store');
  const compactBytes = options.compactBytes ?? COMPACT_BYTES;
  let created: string | undefined; // the topmost directory mkdir made, if any
  try {
    created = await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new StoreError(`cannot create the embedded store in ${dir}: ${message(err)}`, { cause: err });
  }
  await takeLock(dir, options.lockRenewMs);

  const collections = new Map<string, Collection>();
  const auditLog: Required<AuditEntry>[] = [];
  let seq = 0;
  let journal: JournalFile;
  /** Where the journal's last good line ends: a failed append is truncated back to here. */
  let journalBytes = 0;
  try {
    // What a process killed mid-write left (a snapshot's temporary copy, a lock being taken over): this process
    // holds the lock now, so nothing else is writing them.
    for (const name of await readdir(dir)) {
      if (/\.(tmp|stale)$/.test(name)) await rm(path.join(dir, name), { force: true });
    }
    const loaded = await load(dir);
    for (const [name, docs] of Object.entries(loaded.collections)) collections.set(name, new Map(Object.entries(docs)));
    auditLog.push(...loaded.audit);
    seq = loaded.seq;
    const handle: FileHandle = await open(path.join(dir, JOURNAL), 'a');
    journal = options.wrapJournal ? options.wrapJournal(handle) : handle;
    journalBytes = (await journal.stat()).size;
    // A journal just created: make its directory entry durable (and those of the directories made for it), or a power
    // cut could lose the file with every commit in it. Once, not per commit.
    if (!loaded.journalExisted) {
      await syncDir(dir);
      if (created) for (let d = path.dirname(dir), top = path.dirname(created); ; d = path.dirname(d)) {
        await syncDir(d);
        if (d === top || d === path.dirname(d)) break;
      }
    }
  } catch (err) {
    await releaseLock(dir);
    throw err instanceof StoreError ? err : new StoreError(`cannot open the embedded store in ${dir}: ${message(err)}`, { cause: err });
  }

  const insideTx = options.checkNesting ? new AsyncLocalStorage<true>() : undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  /** Set when a failed append could not be undone: the journal's tail is unknown, so no later write is acknowledged. */
  let failed: StoreError | undefined;
  /** Journal size that triggers the next fold (pushed further out when a fold fails). */
  let compactAt = compactBytes;
  function serial<R>(what: string, op: () => Promise<R> | R): Promise<R> {
    if (insideTx?.getStore()) {
      return Promise.reject(new StoreError(`embedded store: ${what} inside a transaction: use the transaction's own methods`));
    }
    const run = queue.then(async () => {
      if (closed) throw new StoreError(`embedded store: ${what} after close()`);
      try {
        return await op();
      } catch (err) {
        if (err instanceof StoreError) throw err;
        throw new StoreError(`embedded store: ${what} failed: ${message(err)}`, { cause: err });
      }
    });
    queue = run.catch(() => undefined);
    return run;
  }

  const coll = (name: string): Collection => {
    let c = collections.get(name);
    if (!c) collections.set(name, (c = new Map()));
    return c;
  };
  const read = (collection: string, id: string): VersionedDoc | null => {
    const entry = collections.get(collection)?.get(id);
    return entry ? view(id, entry) : null;
  };

  /** Makes writes durable (one journal line), then applies them. */
  async function commit(writes: Array<[string, string, StoreDoc | null]>, audits: AuditEntry[]): Promise<Map<string, Entry>> {
    const s = seq + 1;
    const applied = new Map<string, Entry>();
    const record: JournalRecord = {
      s,
      w: writes.map(([c, id, data], i) => {
        // Round-trip through JSON: stored data is exactly what a reopen will see.
        const entry = data === null ? null : { data: JSON.parse(JSON.stringify(data)) as StoreDoc, version: `${s}.${i}` };
        if (entry) applied.set(`${c}\u0000${id}`, entry);
        return [c, id, entry];
      }),
    };
    if (audits.length) {
      const at = new Date().toISOString();
      record.a = audits.map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, before: e.before ?? null, after: e.after ?? null, at: e.at ?? at }));
      record.a = JSON.parse(JSON.stringify(record.a)) as Required<AuditEntry>[];
    }
    if (!record.w.length && !record.a) return applied;
    if (failed) throw failed;
    const line = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    try {
      // A write may take less than the whole line (a full disk, a file size limit): the rest goes on from there.
      for (let done = 0; done < line.length; ) {
        const { bytesWritten } = await journal.write(line, done, line.length - done);
        if (bytesWritten <= 0) throw new Error(`the journal took ${done} of the line's ${line.length} bytes, then none`);
        done += bytesWritten;
      }
      await journal.datasync();
    } catch (err) {
      // Nothing was applied: undo the partial line, so the next append does not land glued onto it.
      await rollBack(err);
      throw new StoreError(`embedded store: writing ${path.join(dir, JOURNAL)} failed, nothing was committed: ${message(err)}`, { cause: err });
    }
    journalBytes += line.length;
    seq = s;
    apply(record);
    if (journalBytes > compactAt) await compact();
    return applied;
  }

  /** Truncates the journal back to its last good line after a failed append; if that fails too, refuses later writes. */
  async function rollBack(cause: unknown): Promise<void> {
    try {
      await journal.truncate(journalBytes);
      await journal.datasync();
    } catch (err) {
      failed = new StoreError(
        `embedded store: writing ${path.join(dir, JOURNAL)} failed (${message(cause)}) and truncating it back to its last good line ` +
          `(${journalBytes} bytes) failed too (${message(err)}): refusing further writes, which a reopen could lose. ` +
          'Free the disk (or fix the file system) and restart the bot; it reopens from the last acknowledged commit.',
        { cause: err },
      );
      throw failed;
    }
  }

  function apply(record: JournalRecord): void {
    for (const [c, id, entry] of record.w) {
      if (entry) coll(c).set(id, entry);
      else collections.get(c)?.delete(id);
    }
    if (record.a) auditLog.push(...record.a);
  }

  /**
   * Deletes the documents past their numeric `expiresAt`, and the audit entries older than {@link AUDIT_KEEP_MS}
   * (as Firestore's TTL policy on `audit` does), from memory (not journalled: a reopen drops them again).
   */
  function dropExpired(): void {
    const now = Date.now();
    for (const docs of collections.values()) for (const [id, entry] of docs) if (isExpired(entry.data, now)) docs.delete(id);
    // An `at` that is no date (none the store writes) is kept, as Firestore gives it no expiry.
    let kept = 0;
    for (const e of auditLog) if (!(Date.parse(e.at) + AUDIT_KEEP_MS <= now)) auditLog[kept++] = e;
    auditLog.length = kept;
  }
  // On opening too: a quiet bot may not fold its journal for weeks.
  dropExpired();

  async function compact(): Promise<void> {
    // What a Firestore TTL policy does (README): a document past its numeric `expiresAt` is deleted, here on opening and
    // when the journal is folded. Otherwise finished jobs, once-keys and cached results piled up for as long as the bot ran.
    dropExpired();
    const snapshot: Snapshot = {
      seq,
      collections: Object.fromEntries([...collections].map(([name, docs]) => [name, Object.fromEntries(docs)])),
      audit: auditLog,
    };
    try {
      await writeAtomic(path.join(dir, SNAPSHOT), JSON.stringify(snapshot));
    } catch (err) {
      // The commit that asked for the fold is durable already and must not be reported as failed (a caller retrying it
      // would do it twice); the journal keeps everything, so the fold is tried again once it has grown as much again.
      compactAt = journalBytes + compactBytes;
      process.emitWarning(`embedded store: folding ${path.join(dir, JOURNAL)} into ${SNAPSHOT} failed, will retry later: ${message(err)}`);
      return;
    }
    compactAt = compactBytes;
    try {
      await journal.truncate(0);
      await journal.sync();
      journalBytes = 0;
    } catch (err) {
      // The snapshot holds every line (a reopen skips those it holds), but where the journal ends is now unknown.
      try {
        journalBytes = (await journal.stat()).size;
      } catch {
        failed = new StoreError(
          `embedded store: emptying ${path.join(dir, JOURNAL)} after folding it failed (${message(err)}), and its size is unknown: refusing further writes. Restart the bot.`,
          { cause: err },
        );
      }
      process.emitWarning(`embedded store: emptying ${path.join(dir, JOURNAL)} after folding it failed: ${message(err)}`);
    }
  }

  /**
   * The documents a list matches, as stored now. Only the matching entries are gathered, and only what is
   * returned is copied: the job runner lists the due jobs after every job enqueued, beside the finished jobs
   * kept for a week. (Copying, then gathering, the whole collection first made each poll cost as much as
   * those, and was the bot thread's largest allocation while charts rendered.)
   */
  function listNow(collection: string, options: ListOptions): VersionedDoc<StoreDoc>[] {
    const { where, orderBy, startAfter, limit } = options;
    const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    // Like Firestore: ties of the order are broken by document ID, in the order's direction.
    const sign = orderBy?.direction === 'desc' ? -1 : 1;
    const inOrder = (a: [unknown, string], b: [unknown, string]) => sign * (compareValues(a[0], b[0]) || byId(a[1], b[1]));
    let docs: Array<[string, Entry]> = [];
    coll(collection).forEach((e, id) => {
      if (where && !matchesWhere(e.data[where.field], where)) return;
      // Like Firestore: with an order, documents without its field are left out.
      if (orderBy && e.data[orderBy.field] === undefined) return;
      if (orderBy && startAfter && inOrder([e.data[orderBy.field], id], [startAfter.value, startAfter.id]) <= 0) return;
      docs.push([id, e]);
    });
    if (orderBy) docs.sort(([a, ea], [b, eb]) => inOrder([ea.data[orderBy.field], a], [eb.data[orderBy.field], b]));
    else docs.sort(([a], [b]) => byId(a, b));
    if (limit !== undefined) docs = docs.slice(0, limit);
    return docs.map(([id, entry]) => view(id, entry));
  }

  async function transaction<R>(body: (tx: StoreTx) => Promise<R>): Promise<R> {
    const writes = new Map<string, [string, string, StoreDoc | null]>();
    const audits: AuditEntry[] = [];
    let open = true;
    const tx: StoreTx = {
      get: async <T extends StoreDoc>(collection: string, id: string) => read(collection, id) as VersionedDoc<T> | null,
      list: async <T extends StoreDoc>(collection: string, options: ListOptions = {}) => listNow(collection, options) as VersionedDoc<T>[],
      put: (collection, id, data) => {
        if (!open) throw new StoreError('embedded store: write after the transaction ended');
        writes.set(`${collection}\u0000${id}`, [collection, id, data]);
      },
      delete: (collection, id) => {
        if (!open) throw new StoreError('embedded store: write after the transaction ended');
        writes.set(`${collection}\u0000${id}`, [collection, id, null]);
      },
      audit: (entry) => {
        if (!open) throw new StoreError('embedded store: write after the transaction ended');
        audits.push(entry);
      },
    };
    const result = insideTx ? await insideTx.run(true, () => body(tx)) : await body(tx);
    open = false;
    await commit([...writes.values()], audits);
    return result;
  }

  const store: Store = {
    kind: 'embedded',

    get: <T extends StoreDoc>(collection: string, id: string) =>
      serial(`get ${collection}/${id}`, () => read(collection, id) as VersionedDoc<T> | null),

    put: <T extends StoreDoc>(collection: string, id: string, data: T) =>
      serial(`put ${collection}/${id}`, async () => {
        const applied = await commit([[collection, id, data]], []);
        return view(id, applied.get(`${collection}\u0000${id}`)!) as VersionedDoc<T>;
      }),

    delete: (collection, id) =>
      serial(`delete ${collection}/${id}`, async () => {
        if (collections.get(collection)?.has(id)) await commit([[collection, id, null]], []);
      }),

    list: <T extends StoreDoc>(collection: string, options: ListOptions = {}) =>
      serial(`list ${collection}`, () => listNow(collection, options) as VersionedDoc<T>[]),

    runTransaction: <R>(body: (tx: StoreTx) => Promise<R>) => serial('transaction', () => transaction(body)),

    createOnce: (collection, id, data = {}, options = {}) =>
      serial(`createOnce ${collection}/${id}`, () =>
        transaction(async (tx) => {
          const existing = await tx.get(collection, id);
          if (existing && !isExpired(existing.data)) return false;
          tx.put(collection, id, options.ttlMs !== undefined ? { ...data, expiresAt: expiresIn(options.ttlMs) } : data);
          return true;
        }),
      ),

    transition: <T extends StoreDoc>(collection: string, id: string, precondition: (current: T) => boolean, update: (current: T) => Partial<T>) =>
      serial(`transition ${collection}/${id}`, async (): Promise<TransitionResult<T>> => {
        const current = read(collection, id) as VersionedDoc<T> | null;
        if (!current) return { ok: false, reason: 'not_found' };
        if (!precondition(structuredClone(current.data))) return { ok: false, reason: 'precondition_failed', current };
        const next = { ...current.data, ...update(structuredClone(current.data)) };
        const applied = await commit([[collection, id, next]], []);
        return { ok: true, doc: view(id, applied.get(`${collection}\u0000${id}`)!) as VersionedDoc<T> };
      }),

    acquireLease: (name, holder, ttlMs) =>
      serial(`acquireLease ${name}`, async () => {
        const entry = collections.get(LEASES)?.get(name);
        if (entry && entry.data['holder'] !== holder && !isExpired(entry.data)) return false;
        await commit([[LEASES, name, { holder, expiresAt: expiresIn(ttlMs) }]], []);
        return true;
      }),

    releaseLease: (name, holder) =>
      serial(`releaseLease ${name}`, async () => {
        if (collections.get(LEASES)?.get(name)?.data['holder'] !== holder) return;
        await commit([[LEASES, name, null]], []);
      }),

    audit: (entry) =>
      serial(`audit ${entry.action}`, async () => {
        await commit([], [entry]);
      }),

    recentAudit: (limit, options = {}) =>
      serial('recentAudit', () => {
        // Newest `at` first; entries with equal `at` newest-appended first.
        const { atOrBefore } = options;
        const indexed = auditLog.map((entry, i) => ({ entry, i })).filter(({ entry }) => atOrBefore === undefined || entry.at <= atOrBefore);
        indexed.sort((a, b) => (a.entry.at < b.entry.at ? 1 : a.entry.at > b.entry.at ? -1 : b.i - a.i));
        return indexed.slice(0, Math.max(0, limit)).map(({ entry }) => structuredClone(entry));
      }),

    close: async () => {
      if (closed) return;
      await serial('close', async () => {
        closed = true;
        await journal.close();
        await releaseLock(dir);
      });
    },
  };
  return store;
}

/**
 * Reads the snapshot and replays the journal after it (importing the layout of earlier versions once). A last line
 * that is torn (no newline, or unreadable) is what a crash mid-append leaves: it is dropped, and cut off the file so the
 * next append does not land glued onto it. An unreadable line with lines after it is refused: dropping it and what
 * follows would lose acknowledged commits.
 */
async function load(dir: string): Promise<Snapshot & { journalExisted: boolean }> {
  const snapshotFile = path.join(dir, SNAPSHOT);
  const journalFile = path.join(dir, JOURNAL);
  let snapshot: Snapshot = { seq: 0, collections: {}, audit: [] };
  if (existsSync(snapshotFile)) {
    snapshot = JSON.parse(await readFile(snapshotFile, 'utf8')) as Snapshot;
  } else if (!existsSync(journalFile)) {
    const legacy = await importLegacy(dir);
    if (legacy) {
      await writeAtomic(snapshotFile, JSON.stringify(legacy.snapshot));
      for (const file of legacy.files) await rm(path.join(dir, file), { force: true });
      snapshot = legacy.snapshot;
    }
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(journalFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { ...snapshot, journalExisted: false };
  }
  let good = 0; // bytes of whole, readable lines
  for (let lineNo = 1; good < bytes.length; lineNo++) {
    const end = bytes.indexOf(0x0a, good);
    if (end < 0) break; // no newline after it: torn by a crash
    const record = parseRecord(bytes.toString('utf8', good, end));
    if (!record) {
      if (end + 1 >= bytes.length) break; // the last line: torn by a crash
      const after = bytes.toString('utf8', end + 1).split('\n').filter((l) => l.trim()).length;
      throw new StoreError(
        `the embedded store's journal ${journalFile} is damaged: line ${lineNo} (byte ${good}) is not a journal record, ` +
          `and ${after} more line(s) follow it. Refusing to open rather than drop them; the file is left as it is. ` +
          'Repair or remove that line (keep a copy of the file first), then start again.',
      );
    }
    good = end + 1;
    if (record.s <= snapshot.seq) continue;
    for (const [c, id, entry] of record.w) {
      const docs = (snapshot.collections[c] ??= {});
      // Defined, not assigned: assigning to `__proto__` (a key may be any string a request carried) sets the
      // object's prototype, and the document is lost.
      if (entry) Object.defineProperty(docs, id, { value: entry, enumerable: true, writable: true, configurable: true });
      else delete docs[id];
    }
    if (record.a) snapshot.audit.push(...record.a);
    snapshot.seq = record.s;
  }
  // Drop a torn tail now, or the next append would be glued onto it.
  if (good < bytes.length) await truncateFile(journalFile, good);
  return { ...snapshot, journalExisted: true };
}

/** A journal line's record, or null when the line is not one (torn, or damaged). */
function parseRecord(line: string): JournalRecord | null {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return null;
  }
  const r = record as Partial<JournalRecord> | null;
  return r !== null && typeof r === 'object' && typeof r.s === 'number' && Array.isArray(r.w) ? (r as JournalRecord) : null;
}

/** The layout before the journal: one JSON file per collection and an `audit.jsonl`. */
async function importLegacy(dir: string): Promise<{ snapshot: Snapshot; files: string[] } | null> {
  const files = (await readdir(dir)).filter((f) => (f.endsWith('.json') && f !== SNAPSHOT) || f === 'audit.jsonl');
  if (!files.length) return null;
  const snapshot: Snapshot = { seq: 0, collections: {}, audit: [] };
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    if (file === 'audit.jsonl') {
      for (const line of text.split('\n')) {
        try {
          if (line) snapshot.audit.push(JSON.parse(line) as Required<AuditEntry>);
        } catch {
          // a torn last line of the old format
        }
      }
    } else {
      snapshot.collections[decodeURIComponent(file.slice(0, -'.json'.length))] = JSON.parse(text) as Record<string, Entry>;
    }
  }
  return { snapshot, files };
}

interface LockInfo {
  pid: number;
  host: string;
  at: string;
  /** When the process started (Linux: clock ticks after boot, from /proc): a pid reused by another process does not hold the lock. */
  started?: string;
}

/** How often the holder renews its lock (its file's mtime), so a host that cannot see its process can tell it is alive. */
const LOCK_RENEW_MS = 10_000;
/** A lock from another host not renewed for this long is left by a process that is gone (a container killed and re-created). */
const LOCK_STALE_MS = 30_000;

/** Renewal timers of the locks this process holds, by directory. */
const renewals = new Map<string, NodeJS.Timeout>();

/**
 * Claims `dir` for this process, or says who has it. A lock is left by a process that is gone, and taken over, when:
 * - its pid is this process's own (a container's PID 1, killed and started again);
 * - on this host, no process has its pid, or the one that has it started at another time (the pid reused);
 * - from another host (a container re-created, with a new hostname), it has not been renewed for {@link LOCK_STALE_MS}.
 */
async function takeLock(dir: string, renewMs = LOCK_RENEW_MS): Promise<void> {
  const file = path.join(dir, LOCK);
  const busy = (who: string, more = '') =>
    new StoreError(
      `the embedded store in ${dir} is in use by ${who}. Stop that process, or give this one its own DATA_DIR (two processes on one directory would overwrite each other's data).${more}`,
    );
  if (openHere.has(dir)) throw busy(`this process (pid ${process.pid})`);
  const started = startTimeOf(process.pid);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), at: new Date().toISOString(), ...(started ? { started } : {}) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      try {
        await fh.writeFile(JSON.stringify(mine));
        await fh.sync();
      } finally {
        await fh.close();
      }
      openHere.add(dir);
      renewals.set(dir, setInterval(() => void renewLock(file), renewMs).unref());
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError(`cannot lock the embedded store in ${dir}: ${message(err)}`, { cause: err });
    }
    let held: Partial<LockInfo> = {};
    let renewedAt = 0;
    try {
      renewedAt = (await stat(file)).mtimeMs;
      held = JSON.parse(await readFile(file, 'utf8')) as Partial<LockInfo>;
    } catch {
      // Gone meanwhile, empty or torn (its writer died before finishing it).
    }
    if (typeof held.pid === 'number' && held.host === mine.host) {
      if (held.pid !== process.pid && alive(held.pid) && startedAsHeld(held.pid, held.started)) throw busy(`process ${held.pid}`);
    } else if (typeof held.pid === 'number' && held.host) {
      const age = Math.abs(Date.now() - renewedAt);
      if (age < LOCK_STALE_MS) {
        throw busy(`process ${held.pid} on ${held.host}`, ` If that host or container is gone, start again in ${Math.ceil((LOCK_STALE_MS - age) / 1000)} s: a lock not renewed for ${LOCK_STALE_MS / 1000} s is taken over.`);
      }
    }
    // Left by a process that is gone: take it over (removing it, then racing for a fresh create).
    const stale = `${file}.${randomUUID()}.stale`;
    await rename(file, stale).catch(() => undefined);
    await rm(stale, { force: true });
  }
  throw busy('another process that keeps taking it');
}

/** Marks the lock as held now (its mtime). */
async function renewLock(file: string): Promise<void> {
  const now = new Date();
  // Gone (closing) a moment: the timer is cleared with the lock.
  await utimes(file, now, now).catch(() => undefined);
}

async function releaseLock(dir: string): Promise<void> {
  openHere.delete(dir);
  clearInterval(renewals.get(dir));
  renewals.delete(dir);
  const file = path.join(dir, LOCK);
  try {
    const held = JSON.parse(await readFile(file, 'utf8')) as Partial<LockInfo>;
    if (held.pid === process.pid) await rm(file, { force: true });
  } catch {
    // Already gone.
  }
}

/** Whether the process now at `pid` is the one that wrote a lock saying it started at `started` (unknown either way: yes). */
function startedAsHeld(pid: number, started: string | undefined): boolean {
  const now = startTimeOf(pid);
  return started === undefined || now === undefined || now === started;
}

/** When process `pid` started (field 22 of /proc/<pid>/stat), or undefined where there is no /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function view(id: string, entry: Entry): VersionedDoc {
  return { id, data: structuredClone(entry.data), version: entry.version };
}

/** Orders mixed values the way Firestore does: null < booleans < numbers < strings < others. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' ? 2 : typeof v === 'string' ? 3 : 4);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 4) return 0;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

async function writeAtomic(file: string, contents: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(contents, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined); // a half-written copy would only fill the disk further
    throw err;
  }
  // Makes the rename itself durable, not only the contents.
  await syncDir(path.dirname(file));
}

/** Makes a directory's entries (a file created or renamed in it) durable. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Size of the journal (tests check compaction). */
export async function journalSize(dataDir: string): Promise<number> {
  return (await stat(path.join(dataDir, 'store', JOURNAL)).catch(() => ({ size: 0 }))).size;
}
