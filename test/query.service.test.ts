/**
 * The query service on the embedded warehouse and the real stores: cache by
 * query, parameters and version with a TTL; single flight within a replica and
 * across replicas (embedded store shared, and two Firestore clients on the
 * emulator); the cost cap; timestamps surviving the cache.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { catalogOf, loadCatalog, parseQueryFile, type Catalog, type SavedQuery } from '../src/catalog/catalog.js';
import { createChartRenderer } from '../src/charts/renderer.js';
import { createLogger } from '../src/logger.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store } from '../src/ports/store.js';
import type { Warehouse } from '../src/ports/warehouse.js';
import { QUERY_DELIVER_JOB, QueryService, cacheKey, type RunOutcome } from '../src/services/query.js';
import { JOBS } from '../src/jobs/model.js';
import { freshDataDir, middayClock } from './support/harness.js';
import { firestoreAvailable } from './support/firestore-emulator.js';

/** The real warehouse, counting what reaches it. */
function counting(real: Warehouse) {
  const calls = { query: [] as string[], dryRun: [] as string[] };
  const w: Warehouse = {
    kind: real.kind,
    query: async (sql, params, options) => {
      calls.query.push(sql);
      return real.query(sql, params, options);
    },
    dryRun: async (sql, params, options) => {
      calls.dryRun.push(sql);
      return real.dryRun(sql, params, options);
    },
    tableFreshness: (t) => real.tableFreshness(t),
    close: async () => {},
  };
  return { w, calls, runsOf: (q: SavedQuery) => calls.query.filter((s) => s === (q.duckdbSql ?? q.sql)).length };
}

/**
 * A query's lock as a process killed mid-run leaves it: its holder's id (no live service has it), renewed ten minutes
 * ago, expiring in an hour (what the holder's TTL would still hold it for).
 */
function deadLock(query: SavedQuery) {
  const gone = Date.now() - 10 * 60_000;
  return { holder: 'killed-process', query: query.name, at: gone, renewedAt: gone, expiresAt: Date.now() + 3_600_000 };
}

/** Holds every query `w` is asked for until the returned function is called (a holder's run that takes its time). */
function holdQueries(w: Warehouse): () => void {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const query = w.query.bind(w);
  w.query = async (...args: Parameters<typeof w.query>) => {
    await gate;
    return query(...args);
  };
  return open;
}

const logger = createLogger({ level: 'error', write: () => {} });
const charts = createChartRenderer();
let catalog: Catalog;
let embedded: EmbeddedWarehouse;
let dataDir: string;
let storeDir: string;

beforeAll(async () => {
  catalog = loadCatalog(path.resolve('queries'));
  dataDir = await freshDataDir();
  embedded = await openEmbeddedWarehouse({ dataDir, timeoutMs: 60_000 });
  storeDir = await mkdtemp(path.join(os.tmpdir(), 'query-store-'));
}, 120_000);
afterAll(async () => {
  await embedded?.close();
  for (const d of [dataDir, storeDir]) if (d) await rm(d, { recursive: true, force: true });
});

/** The services' clock: noon UTC throughout the file, so that no midnight passes between a run and its cached repeat. */
const noonClock = middayClock();

function service(w: Warehouse, store: Store, opts: { maxBytes?: number; cat?: Catalog; lockRenewMs?: number; lockStaleMs?: number } = {}) {
  return new QueryService({
    catalog: opts.cat ?? catalog, warehouse: w, store, logger, charts, maxBytes: opts.maxBytes ?? 1024 ** 3, timeoutMs: 30_000, pollMs: 25,
    lockRenewMs: opts.lockRenewMs, lockStaleMs: opts.lockStaleMs, now: noonClock,
  });
}

async function ready(s: QueryService, text: string) {
  const c = await s.command(text);
  if (c.kind !== 'ready') throw new Error(`not ready: ${JSON.stringify(c)}`);
  return c;
}

const ok = (o: RunOutcome) => {
  if (o.kind !== 'ok') throw new Error(`not ok: ${o.kind}`);
  return o.output;
};

describe('query service on the embedded warehouse', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openEmbeddedStore(path.join(storeDir, 'a'));
  });
  afterAll(async () => store?.close());

  it('runs once, then serves the cache until parameters change; Refresh runs again', async () => {
    const { w, calls, runsOf } = counting(embedded);
    const s = service(w, store);
    const { query, params } = await ready(s, 'version-adoption weeks=3');
    const first = ok(await s.run(query, params, { userId: 'U1' }));
    expect(first.cacheHit).toBe(false);
    expect(first.rows.length).toBeGreaterThan(0);
    expect(first.bytesProcessed).toBeGreaterThan(0);
    expect(first.freshness.map((f) => f.table)).toEqual(['pings']);
    expect(first.freshness[0]!.lastModified).toBeInstanceOf(Date);
    expect(calls.dryRun.length).toBe(1);

    const second = ok(await s.run(query, params, { userId: 'U2' }));
    expect(second.cacheHit).toBe(true);
    expect(second.rows).toEqual(first.rows);
    expect(second.computedAt.getTime()).toBe(first.computedAt.getTime());
    expect(runsOf(query)).toBe(1);

    const other = await ready(s, 'version-adoption weeks=4');
    expect(ok(await s.run(other.query, other.params, { userId: 'U1' })).cacheHit).toBe(false);
    expect(runsOf(query)).toBe(2);

    const refreshed = ok(await s.run(query, params, { userId: 'U1', force: true }));
    expect(refreshed.cacheHit).toBe(false);
    expect(runsOf(query)).toBe(3);
  });

  it('runs a Refresh again on a clock ahead of the real one (results are stamped, and a Refresh asked, by the same clock)', async () => {
    const { w, runsOf } = counting(embedded);
    const s = new QueryService({ catalog, warehouse: w, store, logger, charts, maxBytes: 1024 ** 3, timeoutMs: 30_000, pollMs: 25, now: () => new Date(Date.now() + 86_400_000) });
    const { query, params } = await ready(s, 'weekly-active-instances weeks=3 hosting=managed');
    ok(await s.run(query, params, { userId: 'U1' }));
    const refreshed = ok(await s.run(query, params, { userId: 'U1', force: true }));
    expect(refreshed.cacheHit).toBe(false);
    expect(runsOf(query)).toBe(2);
  });

  it('serves no result computed before midnight UTC, within its TTL: the queries\' "today" (the last whole week) has moved', async () => {
    const { w, runsOf } = counting(embedded);
    let clock = Date.parse('2026-12-06T23:40:00Z');
    // A store of its own: the shared one holds results the tests before computed today (on the real clock, or at
    // noon by middayClock), which on 2026-12-07 (UTC) is the same day as this test's clock: served as fresh.
    const own = await openEmbeddedStore(path.join(storeDir, 'midnight'));
    onTestFinished(() => own.close());
    const s = new QueryService({ catalog, warehouse: w, store: own, logger, charts, maxBytes: 1024 ** 3, timeoutMs: 30_000, pollMs: 25, now: () => new Date(clock) });
    const { query, params } = await ready(s, 'version-adoption weeks=2');
    expect(ok(await s.run(query, params, { userId: 'U1' })).cacheHit).toBe(false);
    clock += 10 * 60_000;
    expect(ok(await s.run(query, params, { userId: 'U1' })).cacheHit).toBe(true);
    // 00:10 on Monday: within the 6 h TTL, but the week that ended at midnight belongs in the chart now.
    clock += 30 * 60_000;
    expect(ok(await s.run(query, params, { userId: 'U1' })).cacheHit).toBe(false);
    expect(runsOf(query)).toBe(2);
    // A run started before midnight and done after it holds the day before's weeks (its CURRENT_DATE): not served after.
    clock = Date.parse('2026-12-07T23:59:50Z');
    const query1 = w.query.bind(w);
    w.query = async (...args: Parameters<typeof w.query>) => {
      clock += 20_000;
      return query1(...args);
    };
    const late = await ready(s, 'version-adoption weeks=3');
    expect(ok(await s.run(late.query, late.params, { userId: 'U1' })).cacheHit).toBe(false);
    w.query = query1;
    expect(ok(await s.run(late.query, late.params, { userId: 'U1' })).cacheHit).toBe(false);
  });

  it('keys the cache by query version: an edited query never serves an old result', async () => {
    const { w, runsOf } = counting(embedded);
    const q = catalog.get('instances-by-hosting')!;
    const s = service(w, store);
    const { params } = await ready(s, 'instances-by-hosting');
    ok(await s.run(q, params, { userId: 'U1' }));
    const edited = { ...q, version: 'ffffffffffffffff' };
    expect(cacheKey(edited, params)).not.toBe(cacheKey(q, params));
    expect(ok(await service(w, store, { cat: catalogOf('q', [edited]) }).run(edited, params, { userId: 'U1' })).cacheHit).toBe(false);
    expect(runsOf(q)).toBe(2);
  });

  it('expires cached results after the query\'s TTL', async () => {
    const text = `/*
name: last-ping
title: Last ping
description: When the newest ping arrived.
owner: test
ttl: 1s
display: { type: table }
*/
SELECT max(received_at) AS last_ping, count(*) AS pings FROM {{pings}}`;
    const q = parseQueryFile('queries/last-ping.sql', text);
    const { w, runsOf } = counting(embedded);
    const s = service(w, store, { cat: catalogOf('queries', [q]) });
    const { params } = await ready(s, 'last-ping');
    const first = ok(await s.run(q, params, { userId: 'U1' }));
    const cached = ok(await s.run(q, params, { userId: 'U1' }));
    expect(cached.cacheHit).toBe(true);
    // Timestamps come back from the cache as Dates.
    expect(cached.rows[0]!.last_ping).toBeInstanceOf(Date);
    expect((cached.rows[0]!.last_ping as Date).getTime()).toBe((first.rows[0]!.last_ping as Date).getTime());
    await new Promise((r) => setTimeout(r, 1100));
    expect(ok(await s.run(q, params, { userId: 'U1' })).cacheHit).toBe(false);
    expect(runsOf(q)).toBe(2);
  });

  it('serves NaN and infinities from the cache as the run gave them, not as empty cells', async () => {
    const text = `/*
name: odd-numbers
title: Odd numbers
description: Values a double may hold that JSON may not.
owner: test
ttl: 1h
display: { type: table }
*/
SELECT 'NaN'::DOUBLE AS nan, 'Infinity'::DOUBLE AS up, '-Infinity'::DOUBLE AS down, 1.5::DOUBLE AS plain, 'NaN' AS word, NULL::DOUBLE AS nothing FROM {{pings}} LIMIT 1`;
    const q = parseQueryFile('queries/odd-numbers.sql', text);
    const s = service(embedded, store, { cat: catalogOf('queries', [q]) });
    const { params } = await ready(s, 'odd-numbers');
    const first = ok(await s.run(q, params, { userId: 'U1' }));
    expect(first.rows).toEqual([{ nan: NaN, up: Infinity, down: -Infinity, plain: 1.5, word: 'NaN', nothing: null }]);
    const cached = ok(await s.run(q, params, { userId: 'U1' }));
    expect(cached.cacheHit).toBe(true);
    expect(cached.rows).toEqual(first.rows);
    // Its rows as a replica of an earlier version reads them: null there, as it wrote them, never a marker it would show.
    const doc = (await store.list<{ query: string; rows: string }>('query_cache')).find((x) => x.data.query === 'odd-numbers')!;
    expect(JSON.parse(doc.data.rows)).toEqual([[null, null, null, 1.5, 'NaN', null]]);
  });

  it('runs a query once when several ask at once (single flight in one replica)', async () => {
    const { w, runsOf } = counting(embedded);
    const s = service(w, store);
    const { query, params } = await ready(s, 'weekly-active-instances weeks=5 hosting=cloud');
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => s.run(query, params, { userId: `U${i}` })));
    expect(outcomes.every((o) => o.kind === 'ok')).toBe(true);
    expect(runsOf(query)).toBe(1);
    expect(new Set(outcomes.map((o) => ok(o).rows.length)).size).toBe(1);
  });

  it('refuses a query over the cost cap after the dry run, running nothing', async () => {
    const { w, calls } = counting(embedded);
    const s = service(w, store, { maxBytes: 1024 ** 2 });
    const { query, params } = await ready(s, 'instances-by-telemetry-level weeks=2');
    const before = calls.query.length;
    const outcome = await s.run(query, params, { userId: 'U1' });
    expect(outcome).toMatchObject({ kind: 'over_cap', capBytes: 1024 ** 2 });
    expect(outcome.kind === 'over_cap' && outcome.estimatedBytes).toBeGreaterThan(1024 ** 2);
    expect(calls.dryRun.length).toBe(1);
    expect(calls.query.length).toBe(before);
  });

  it('draws a chart with alt text naming what it shows', async () => {
    const s = service(embedded, store);
    const { query, params } = await ready(s, 'weekly-active-instances weeks=6');
    const chart = await s.renderChart(ok(await s.run(query, params, { userId: 'U1' })));
    expect(chart.png.subarray(1, 4).toString()).toBe('PNG');
    expect(chart.filename).toBe('weekly-active-instances.png');
    expect(chart.altText).toMatch(/^Line chart: Weekly active instances \(Weeks: 6 · Hosting: All hosting\)\. Active instances by Week starting, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\. Series: cloud, managed, self-hosted\. Last point, \w{3} \d{1,2}(, \d{4})?: cloud [\d,]+, managed [\d,]+, self-hosted [\d,]+\.$/);
  });

  it("cuts a long chart's alt text where a value ends, never inside a number a screen reader would read as another", async () => {
    const s = service(embedded, store);
    const { query, params } = await ready(s, 'weekly-active-instances weeks=6');
    const real = ok(await s.run(query, params, { userId: 'U1' }));
    // A bar chart of 12 long-named categories with large values: its alt text is past Slack's 1,000 characters.
    const values = Array.from({ length: 12 }, (_, i) => 123_456_789 + i * 1_111_111);
    const rows = values.map((v, i) => ({ customer: `Customer ${String(i).padStart(2, '0')} ${'with a long legal name '.repeat(3).trim()}`, active: v }));
    const output = { ...real, query: { ...real.query, display: { type: 'bar' as const, x: 'customer', y: ['active'], series: undefined, xLabel: undefined, yLabel: undefined } }, columns: ['customer', 'active'], rows, totalRows: rows.length };
    for (const pad of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const padded = { ...output, rows: rows.map((r) => ({ ...r, customer: `${'x'.repeat(pad)}${r.customer}` })) };
      const { altText } = await s.renderChart(padded);
      expect(altText.length).toBeLessThanOrEqual(1000);
      expect(altText.endsWith('…')).toBe(true);
      // Every number said after a category's name is that category's whole value.
      const said = [...altText.matchAll(/Customer (\d\d) (?:with a long legal name ?){3} ([\d,]+)/g)].map((m) => [Number(m[1]), m[2]]);
      expect(said.length).toBeGreaterThan(0);
      for (const [i, n] of said) expect(n).toBe(values[i as number]!.toLocaleString('en-US'));
    }
  });

  it('lists, searches and suggests', async () => {
    const s = service(embedded, store);
    const all = await s.command('');
    expect(all.kind === 'list' && all.queries.length).toBe(catalog.queries.length);
    const v = await s.command('list version');
    expect(v.kind === 'list' && v.queries.map((q) => q.name)).toEqual(['instances-on-version', 'version-adoption']);
    const unknown = await s.command('weekly-active foo=1');
    expect(unknown.kind === 'unknown' && unknown.closest.map((q) => q.name)).toContain('weekly-active-instances');
    // A typo is offered first, before names that only share a word with it.
    const typo = await s.command('weekly-activ-instances');
    expect(typo.kind === 'unknown' && typo.closest[0]?.name).toBe('weekly-active-instances');
    // Underscores for hyphens, and capitals, name the query all the same (no name holds an underscore).
    const snake = await s.command('Weekly_Active_Instances weeks=5');
    expect(snake.kind).not.toBe('unknown');
    expect((snake as { query?: { name: string } }).query?.name).toBe('weekly-active-instances');
    expect(s.find('weekly_active_instances')?.name).toBe('weekly-active-instances');
    expect(s.find('weekly__active-instances')).toBeUndefined();
    const word = await s.command('instances');
    expect(word.kind === 'unknown' && word.closest.map((q) => q.name)).toHaveLength(3);
    expect((await s.command('x'.repeat(12_000))).kind).toBe('too_long');
    const stray = await s.command('weekly-active-instances 12');
    expect(stray.kind === 'needs_params' && Object.values(stray.problems).join()).toContain('“12” is not name=value');
    const twice = await s.command('weekly-active-instances weeks=5 weeks=9');
    expect(twice.kind === 'needs_params' && twice.problems).toEqual({ weeks: 'given twice with different values (“5”, “9”): which one?' });
    expect((await s.command('weekly-active-instances weeks=8 weeks=8')).kind).toBe('ready');
  });
});

describe('a typed question asked twice', () => {
  it('holds the second while the first is on its way, across a reopen of the store, on a service clock days behind the wall clock', async () => {
    // The question's hold is kept by the wall clock (the embedded store drops what is past its expiresAt when it
    // opens, as Firestore's TTL policy deletes it): stamped from a clock 8 days behind, it was gone after the reopen.
    const dir = path.join(storeDir, 'asked-behind');
    const asking = (store: Store) => new QueryService({
      catalog, warehouse: embedded, store, logger, charts, maxBytes: 1024 ** 3, timeoutMs: 30_000, pollMs: 25,
      now: () => new Date(Date.now() - 8 * 86_400_000),
    });
    const delivery = { format: 'result' as const, q: 'instances-by-hosting', p: {}, channel: 'C1', threadTs: null, userId: 'U1', force: false };
    let store = await openEmbeddedStore(dir);
    expect(await asking(store).requestAskedDelivery('trigger-1', 'U1 C1 instances-by-hosting', delivery)).toBe('recorded');
    await store.close();
    store = await openEmbeddedStore(dir);
    try {
      expect(await asking(store).requestAskedDelivery('trigger-2', 'U1 C1 instances-by-hosting', delivery)).toBe('repeated');
    } finally {
      await store.close();
    }
  });

  it.each([['behind', -8], ['ahead of', 8]])('holds it while the first is pending and frees it once that is delivered, on a service clock days %s the wall clock', async (_, days) => {
    // The hold is written on the wall clock (holdFor), so it is read on it too (holds): read by a clock days behind,
    // a delivered question stayed held for days; by one days ahead, a pending one held nothing.
    const store = await openEmbeddedStore(path.join(storeDir, `asked-${days}`));
    onTestFinished(() => store.close());
    const asking = new QueryService({
      catalog, warehouse: embedded, store, logger, charts, maxBytes: 1024 ** 3, timeoutMs: 30_000, pollMs: 25,
      now: () => new Date(Date.now() + days * 86_400_000),
    });
    const delivery = { format: 'result' as const, q: 'instances-by-hosting', p: {}, channel: 'C1', threadTs: null, userId: 'U1', force: false };
    expect(await asking.requestAskedDelivery('trigger-1', 'U1 C1 instances-by-hosting', delivery)).toBe('recorded');
    const recordedAt = Date.now();
    expect(await asking.requestAskedDelivery('trigger-2', 'U1 C1 instances-by-hosting', delivery)).toBe('repeated');
    // Its `holdUntil` is the moment it was recorded: past it, only the pending job holds.
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(recordedAt));
    await store.runTransaction(async (tx) => {
      const job = (await tx.get<Record<string, unknown>>(JOBS, `${QUERY_DELIVER_JOB}:trigger-1`))!.data;
      tx.put(JOBS, `${QUERY_DELIVER_JOB}:trigger-1`, { ...job, state: 'done', runAt: null });
    });
    expect(await asking.requestAskedDelivery('trigger-3', 'U1 C1 instances-by-hosting', delivery)).toBe('recorded');
  });
});

describe('single flight across replicas sharing a store', () => {
  async function race(stores: Store[]) {
    const { w, runsOf } = counting(embedded);
    const replicas = stores.map((st) => service(w, st));
    const query = catalog.get('user-event-volume')!;
    const { params } = await ready(replicas[0]!, `user-event-volume event=SignIn since=-${10 + Math.floor(Math.random() * 50)}d`);
    const outcomes = await Promise.all(replicas.flatMap((r) => [r.run(query, params, { userId: 'U1' }), r.run(query, params, { userId: 'U2' })]));
    expect(outcomes.every((o) => o.kind === 'ok')).toBe(true);
    expect(runsOf(query)).toBe(1);
    // Everyone got the same rows.
    expect(new Set(outcomes.map((o) => JSON.stringify(ok(o).rows))).size).toBe(1);
  }

  it('embedded store: two services, one run', async () => {
    const store = await openEmbeddedStore(path.join(storeDir, 'shared'));
    try {
      await race([store, store]);
    } finally {
      await store.close();
    }
  });

  it('runs once when the other replica finishes between our cache read and our lock', async () => {
    const store = await openEmbeddedStore(path.join(storeDir, 'late-lock'));
    try {
      const { w, runsOf } = counting(embedded);
      // Replica B reads the cache (a miss) and then is slow to take the lock: A runs the query, writes its
      // result and lets go of the lock meanwhile (its run ends only after), so B's lock is free.
      let aFinished!: () => void;
      const aDone = new Promise<void>((r) => (aFinished = r));
      const b: Store = { ...store, createOnce: async (c, id, data, options) => {
        if (c === 'query_locks') await aDone;
        return store.createOnce(c, id, data, options);
      } };
      const [sa, sb] = [service(w, store), service(w, b)];
      const query = catalog.get('user-event-volume')!;
      const { params } = await ready(sa, 'user-event-volume event=SignIn since=-33d');
      const ra = sa.run(query, params, { userId: 'U1' }).finally(aFinished);
      const [oa, ob] = await Promise.all([ra, sb.run(query, params, { userId: 'U2' })]);
      expect(await store.get('query_locks', cacheKey(query, params))).toBeNull();
      expect(runsOf(query)).toBe(1);
      expect(ok(ob).cacheHit).toBe(true);
      expect(JSON.stringify(ok(ob).rows)).toBe(JSON.stringify(ok(oa).rows));
    } finally {
      await store.close();
    }
  });

  const firestore = firestoreAvailable();
  it.skipIf(!firestore.available)('Firestore emulator: two clients, one run', async () => {
    const prefix = `q${randomUUID().slice(0, 8)}_`;
    const stores = [0, 1].map(() => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }));
    try {
      await race(stores);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

/**
 * A query's lock left by a holder that is gone (kill -9, an instance stopped) is taken over once it has not been
 * renewed for `lockStaleMs`, not waited on until its TTL (the warehouse timeout plus 30 s); a live holder renews it
 * and keeps it. Each on the embedded store (one store, two services) and on the emulator (two Firestore clients).
 */
describe('a query lock whose holder is gone', () => {
  const firestore = firestoreAvailable();
  const kinds = [
    ['embedded store', async () => {
      const store = await openEmbeddedStore(path.join(storeDir, `gone-${randomUUID().slice(0, 8)}`));
      return { stores: [store, store], close: () => store.close() };
    }],
    ['Firestore emulator', async () => {
      const prefix = `ql${randomUUID().slice(0, 8)}_`;
      const stores = [0, 1].map(() => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }));
      return { stores, close: async () => void (await Promise.all(stores.map((st) => st.close()))) };
    }],
  ] as const;
  const lock = { lockRenewMs: 50, lockStaleMs: 1000 };

  describe.each(kinds)('%s', (kind, open) => {
    const skip = kind === 'Firestore emulator' && !firestore.available;

    // Old code waited out the lock's expiry (an hour here; a lock lives the warehouse timeout plus 30 s): past the test's timeout.
    it.skipIf(skip)('a lock not renewed for long, its holder gone: a new run takes it over and runs the query once, even with two waiting', async () => {
      const { stores, close } = await open();
      try {
        const { w, runsOf } = counting(embedded);
        const [b, c] = stores.map((st) => service(w, st, lock));
        const query = catalog.get('user-event-volume')!;
        const { params } = await ready(b!, `user-event-volume event=SignIn since=-${10 + Math.floor(Math.random() * 50)}d`);
        const key = cacheKey(query, params);
        await stores[0]!.put('query_locks', key, deadLock(query));
        const outcomes = await Promise.all([b!.run(query, params, { userId: 'U1' }), c!.run(query, params, { userId: 'U2' })]);
        expect(runsOf(query)).toBe(1);
        // One computed it, the other got its result.
        expect(outcomes.map((o) => ok(o).cacheHit).sort()).toEqual([false, true]);
        expect(JSON.stringify(ok(outcomes[0]!).rows)).toBe(JSON.stringify(ok(outcomes[1]!).rows));
        // Let go of after the run, as any lock held.
        expect(await stores[0]!.get('query_locks', key)).toBeNull();
      } finally {
        await close();
      }
    }, 20_000);

    it.skipIf(skip)('two waiters that both saw the stale lock: only one takes it over (the other sees a live lock again), and the query runs once', async () => {
      const { stores, close } = await open();
      try {
        const { w, runsOf } = counting(embedded);
        // Each waiter's first write to the lock (its takeover) waits until the other's is ready too: both read the lock
        // stale, and both try to take it over. (Left to timing, the second mostly reads the first's lock, live.)
        // And the query waits until both have had their answer: the winner's result cannot land before the other decides.
        let arrived = 0;
        let answered = 0;
        let bothReady!: () => void;
        let bothAnswered!: () => void;
        const ready_ = new Promise<void>((r) => (bothReady = r));
        const answered_ = new Promise<void>((r) => (bothAnswered = r));
        const waiting = stores.map((st): Store => {
          let first = true;
          return { ...st, transition: async (coll, id, precondition, update) => {
            if (coll !== 'query_locks' || !first) return st.transition(coll, id, precondition, update);
            first = false;
            if (++arrived === 2) bothReady();
            await ready_;
            try {
              return await st.transition(coll, id, precondition, update);
            } finally {
              if (++answered === 2) bothAnswered();
            }
          } };
        });
        const query1 = w.query.bind(w);
        w.query = async (...args: Parameters<typeof w.query>) => {
          await answered_;
          return query1(...args);
        };
        const [b, c] = waiting.map((st) => service(w, st, lock));
        const query = catalog.get('user-event-volume')!;
        const { params } = await ready(b!, `user-event-volume event=SignIn since=-${10 + Math.floor(Math.random() * 50)}d`);
        const key = cacheKey(query, params);
        await stores[0]!.put('query_locks', key, deadLock(query));
        const outcomes = await Promise.all([b!.run(query, params, { userId: 'U1' }), c!.run(query, params, { userId: 'U2' })]);
        expect(arrived).toBe(2);
        expect(runsOf(query)).toBe(1);
        expect(outcomes.map((o) => ok(o).cacheHit).sort()).toEqual([false, true]);
        expect(await stores[0]!.get('query_locks', key)).toBeNull();
      } finally {
        await close();
      }
    }, 20_000);

    it.skipIf(skip)('a live holder renews its lock: a replica waiting past lockStaleMs gets its result, and the query runs once', async () => {
      const { stores, close } = await open();
      try {
        const { w, runsOf } = counting(embedded);
        // The holder's query is held until the waiter has waited three times lockStaleMs, looking at the lock meanwhile.
        const open_ = holdQueries(w);
        let waiterLooks = 0;
        const waiterStore: Store = { ...stores[1]!, get: async (coll, id) => {
          if (coll === 'query_locks') waiterLooks++;
          return stores[1]!.get(coll, id);
        } };
        const [a, b] = [service(w, stores[0]!, lock), service(w, waiterStore, lock)];
        const query = catalog.get('user-event-volume')!;
        const { params } = await ready(a, `user-event-volume event=ViewBlob since=-${10 + Math.floor(Math.random() * 50)}d`);
        const key = cacheKey(query, params);
        const ra = a.run(query, params, { userId: 'U1' });
        let taken: { at: number } | undefined;
        while (!(taken = (await stores[0]!.get<{ at: number }>('query_locks', key))?.data)) await new Promise((r) => setTimeout(r, 10));
        const rb = b.run(query, params, { userId: 'U2' });
        while (waiterLooks < 10 || Date.now() - taken.at < 3 * lock.lockStaleMs) await new Promise((r) => setTimeout(r, 25));
        // Renewed meanwhile, by its holder.
        const held = (await stores[0]!.get<{ holder: string; at: number; renewedAt: number }>('query_locks', key))!.data;
        expect(held.renewedAt).toBeGreaterThan(held.at + lock.lockStaleMs);
        open_();
        const [oa, ob] = await Promise.all([ra, rb]);
        expect(runsOf(query)).toBe(1);
        expect(ok(oa).cacheHit).toBe(false);
        expect(ok(ob).cacheHit).toBe(true);
        expect(JSON.stringify(ok(ob).rows)).toBe(JSON.stringify(ok(oa).rows));
        expect(await stores[0]!.get('query_locks', key)).toBeNull();
      } finally {
        await close();
      }
    }, 20_000);

    it.skipIf(skip)('a holder stops renewing once its run has ended (its timer is not left running)', async () => {
      const { stores, close } = await open();
      try {
        const { w } = counting(embedded);
        const open_ = holdQueries(w);
        let renewals = 0;
        const counted: Store = { ...stores[0]!, transition: async (coll, id, precondition, update) => {
          if (coll === 'query_locks') renewals++;
          return stores[0]!.transition(coll, id, precondition, update);
        } };
        const a = service(w, counted, lock);
        const query = catalog.get('user-event-volume')!;
        const { params } = await ready(a, `user-event-volume event=ViewBlob since=-${10 + Math.floor(Math.random() * 50)}d`);
        const ra = a.run(query, params, { userId: 'U1' });
        while (renewals < 3) await new Promise((r) => setTimeout(r, 10));
        open_();
        expect(ok(await ra).cacheHit).toBe(false);
        const after = renewals;
        await new Promise((r) => setTimeout(r, 10 * lock.lockRenewMs));
        expect(renewals).toBe(after);
      } finally {
        await close();
      }
    }, 20_000);

    it.skipIf(skip)('a holder whose lock was taken over (it went quiet too long) neither renews nor lets go of the new holder\'s lock', async () => {
      const { stores, close } = await open();
      try {
        const { w } = counting(embedded);
        const open_ = holdQueries(w);
        const a = service(w, stores[0]!, lock);
        const query = catalog.get('user-event-volume')!;
        const { params } = await ready(a, `user-event-volume event=ViewRepository since=-${10 + Math.floor(Math.random() * 50)}d`);
        const key = cacheKey(query, params);
        const ra = a.run(query, params, { userId: 'U1' });
        while (!(await stores[0]!.get('query_locks', key))) await new Promise((r) => setTimeout(r, 10));
        // Another replica's lock now (as a takeover leaves it), renewed by it long from now.
        const theirs = { holder: 'other-replica', query: query.name, at: Date.now(), renewedAt: Date.now() + 3_600_000, expiresAt: Date.now() + 3_600_000 };
        await stores[1]!.put('query_locks', key, theirs);
        // Past several of A's renewal times before its run ends.
        await new Promise((r) => setTimeout(r, 10 * lock.lockRenewMs));
        open_();
        expect(ok(await ra).cacheHit).toBe(false);
        expect((await stores[0]!.get('query_locks', key))?.data).toEqual(theirs);
      } finally {
        await close();
      }
    }, 20_000);
  });
});
