/**
 * Embedded Store: in-memory maps, persisted under `<dataDir>/store/` so a
 * restart sees the same state. For local use and a single process only.
 *
 * Layout: one JSON file per collection (`<encoded name>.json`, rewritten whole
 * via temp file + fsync + rename, so a crash leaves the old or the new file,
 * never half of one), and the audit log as an append-only `audit.jsonl`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '../../errors.js';
import type { AuditEntry, ListOptions, Store, StoreDoc, TransitionResult, VersionedDoc } from '../../ports/store.js';

interface Entry {
  data: StoreDoc;
  version: string;
}
type Collection = Map<string, Entry>;

const LEASES = 'leases';
const AUDIT_FILE = 'audit.jsonl';

/** Opens (creating if needed) the embedded store in `dataDir/store/`. */
export async function openEmbeddedStore(dataDir: string): Promise<Store> {
  const dir = path.join(dataDir, 'store');
  const collections = new Map<string, Collection>();
  const auditLog: Required<AuditEntry>[] = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const file of await readdir(dir)) {
      if (file.endsWith('.json')) {
        const parsed = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Record<string, Entry>;
        collections.set(decodeURIComponent(file.slice(0, -'.json'.length)), new Map(Object.entries(parsed)));
      }
    }
    auditLog.push(...(await readAudit(path.join(dir, AUDIT_FILE))));
  } catch (err) {
    throw new StoreError(`cannot open the embedded store in ${dir}: ${message(err)}`, { cause: err });
  }

  // Every operation runs after the previous one settles, so read-check-write
  // sequences (transition, createOnce, leases) are atomic within the process.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  function serial<R>(what: string, op: () => Promise<R> | R): Promise<R> {
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

  async function persist(name: string): Promise<void> {
    const file = path.join(dir, `${encodeURIComponent(name)}.json`);
    await writeAtomic(file, JSON.stringify(Object.fromEntries(coll(name))));
  }

  async function write(name: string, id: string, data: StoreDoc): Promise<VersionedDoc> {
    // Round-trip through JSON: stored data is exactly what a reopen will see.
    const entry: Entry = { data: JSON.parse(JSON.stringify(data)) as StoreDoc, version: randomUUID() };
    coll(name).set(id, entry);
    await persist(name);
    return view(id, entry);
  }

  return {
    kind: 'embedded',

    get: <T extends StoreDoc>(collection: string, id: string) =>
      serial(`get ${collection}/${id}`, () => {
        const entry = coll(collection).get(id);
        return entry ? (view(id, entry) as VersionedDoc<T>) : null;
      }),

    put: <T extends StoreDoc>(collection: string, id: string, data: T) =>
      serial(`put ${collection}/${id}`, async () => (await write(collection, id, data)) as VersionedDoc<T>),

    delete: (collection, id) =>
      serial(`delete ${collection}/${id}`, async () => {
        if (coll(collection).delete(id)) await persist(collection);
      }),

    list: <T extends StoreDoc>(collection: string, options: ListOptions = {}) =>
      serial(`list ${collection}`, () => {
        let docs = [...coll(collection)].map(([id, entry]) => view(id, entry));
        const { where, orderBy, limit } = options;
        if (where) docs = docs.filter((d) => d.data[where.field] === where.equals);
        docs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        if (orderBy) {
          // Like Firestore: documents without the field are left out.
          docs = docs.filter((d) => d.data[orderBy.field] !== undefined);
          const sign = orderBy.direction === 'desc' ? -1 : 1;
          docs.sort((a, b) => sign * compareValues(a.data[orderBy.field], b.data[orderBy.field]));
        }
        if (limit !== undefined) docs = docs.slice(0, limit);
        return docs as VersionedDoc<T>[];
      }),

    createOnce: (collection, id, data = {}, options = {}) =>
      serial(`createOnce ${collection}/${id}`, async () => {
        const existing = coll(collection).get(id);
        if (existing && !isExpired(existing.data)) return false;
        const expiresAt = options.ttlMs !== undefined ? Date.now() + options.ttlMs : undefined;
        await write(collection, id, expiresAt !== undefined ? { ...data, expiresAt } : data);
        return true;
      }),

    transition: <T extends StoreDoc>(
      collection: string,
      id: string,
      precondition: (current: T) => boolean,
      update: (current: T) => Partial<T>,
    ) =>
      serial(`transition ${collection}/${id}`, async (): Promise<TransitionResult<T>> => {
        const entry = coll(collection).get(id);
        if (!entry) return { ok: false, reason: 'not_found' };
        const current = view(id, entry) as VersionedDoc<T>;
        if (!precondition(structuredClone(current.data))) {
          return { ok: false, reason: 'precondition_failed', current };
        }
        const next = { ...current.data, ...update(structuredClone(current.data)) };
        return { ok: true, doc: (await write(collection, id, next)) as VersionedDoc<T> };
      }),

    acquireLease: (name, holder, ttlMs) =>
      serial(`acquireLease ${name}`, async () => {
        const entry = coll(LEASES).get(name);
        if (entry && entry.data.holder !== holder && !isExpired(entry.data)) return false;
        await write(LEASES, name, { holder, expiresAt: Date.now() + ttlMs });
        return true;
      }),

    releaseLease: (name, holder) =>
      serial(`releaseLease ${name}`, async () => {
        if (coll(LEASES).get(name)?.data.holder !== holder) return;
        coll(LEASES).delete(name);
        await persist(LEASES);
      }),

    audit: (entry) =>
      serial(`audit ${entry.action}`, async () => {
        const full: Required<AuditEntry> = {
          actor: entry.actor,
          action: entry.action,
          subject: entry.subject,
          before: entry.before ?? null,
          after: entry.after ?? null,
          at: entry.at ?? new Date().toISOString(),
        };
        const line = JSON.stringify(full);
        await appendDurable(path.join(dir, AUDIT_FILE), line + '\n');
        auditLog.push(JSON.parse(line) as Required<AuditEntry>);
      }),

    recentAudit: (limit) =>
      serial('recentAudit', () => {
        // Newest `at` first; entries with equal `at` newest-appended first.
        const indexed = auditLog.map((entry, i) => ({ entry, i }));
        indexed.sort((a, b) => (a.entry.at < b.entry.at ? 1 : a.entry.at > b.entry.at ? -1 : b.i - a.i));
        return indexed.slice(0, Math.max(0, limit)).map(({ entry }) => structuredClone(entry));
      }),

    close: async () => {
      await serial('close', () => {
        closed = true;
      });
    },
  };
}

function view(id: string, entry: Entry): VersionedDoc {
  return { id, data: structuredClone(entry.data), version: entry.version };
}

function isExpired(data: StoreDoc): boolean {
  return typeof data.expiresAt === 'number' && data.expiresAt <= Date.now();
}

/** Orders mixed values the way Firestore does: null < booleans < numbers < strings < others. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number =>
    v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' ? 2 : typeof v === 'string' ? 3 : 4;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 4) return 0;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

async function writeAtomic(file: string, contents: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(contents, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await syncDir(path.dirname(file));
}

async function appendDurable(file: string, contents: string): Promise<void> {
  const fh = await open(file, 'a');
  try {
    await fh.writeFile(contents, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// Makes a rename or a new file itself durable, not only its contents.
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readAudit(file: string): Promise<Required<AuditEntry>[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: Required<AuditEntry>[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as Required<AuditEntry>);
    } catch {
      // A crash mid-append can leave a torn last line; what came before is intact.
    }
  }
  if (text && !text.endsWith('\n')) {
    // Drop the torn line now, or the next append would be glued onto it.
    await writeAtomic(file, entries.map((e) => JSON.stringify(e) + '\n').join(''));
  }
  return entries;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
