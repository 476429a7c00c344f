/**
 * The BigQuery adapter's metadata reads (tables.get) within BigQuery's API request limits
 * (Quotas and limits, "API requests": 100 requests a second per user per method, 300 at once),
 * which the fake enforces here scaled down a fifth: 20 a second, 60 at once. The adapter is
 * paced a fifth of its own figures too (14 a second after a burst of 4, 10 at once).
 * A freshness check reads every table of every source at once; beyond the limits BigQuery
 * refuses with 403 rateLimitExceeded (or 429), and a source whose table was refused is unknown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openBigQueryWarehouse, type BigQueryWarehouseOptions } from '../src/adapters/warehouse/bigquery.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import type { Store } from '../src/ports/store.js';
import type { Warehouse } from '../src/ports/warehouse.js';
import { silentLogger } from '../src/logger.js';
import { FreshnessService } from '../src/services/freshness.js';
import { catalogOf, loadSources } from '../src/sources/catalog.js';
import { FakeBigQuery, fakeCredentials } from './support/fake-bigquery.js';

let embedded: EmbeddedWarehouse;
let connection: DuckDBConnection;
let fake: FakeBigQuery;
let store: Store;
let dir: string;
/** The adapter as a process has it: one, its pace shared by every caller. */
let bigquery: Warehouse;

/** 40 tables, each modified a minute after the one before. */
const TABLES = Array.from({ length: 40 }, (_, i) => `wide_${String(i).padStart(3, '0')}`);
const MODIFIED = (i: number) => new Date(Date.UTC(2026, 10, 30, 12, i));
const PACE = { perSecond: 14, burst: 4, concurrent: 10, retryPauseMs: 50 };
const warehouse = (options: Partial<BigQueryWarehouseOptions> = {}) =>
  openBigQueryWarehouse(fake.config(), { timeoutMs: 10_000, authClient: fakeCredentials(), metadataReads: PACE, ...options });
/** A table as the sources file names it (dataset.table). */
const named = (tables: string[]) => tables.map((t) => `${fake.dataset}.${t}`);
const tablesGets = (since: number) => fake.requests.slice(since).filter((r) => r.method === 'GET' && r.path.includes('/tables/'));

beforeAll(async () => {
  embedded = await openEmbeddedWarehouse({ dataDir: ':memory:', timeoutMs: 10_000 });
  connection = await embedded.connection();
  for (const [i, name] of TABLES.entries()) {
    await connection.run(`INSERT OR REPLACE INTO _table_metadata VALUES ('${name}', epoch_ms(${MODIFIED(i).getTime()}), ${i})`);
  }
  fake = await FakeBigQuery.start({ connection, apiLimits: { perSecond: 20, concurrent: 60 } });
  dir = await mkdtemp(path.join(tmpdir(), 'bq-quota-'));
  store = await openEmbeddedStore(dir);
  bigquery = warehouse();
}, 120_000);

// Each test starts with the fake's second unspent, as after a quiet while.
beforeEach(() => fake.reset());

afterAll(async () => {
  await fake?.close();
  await store?.close();
  connection?.closeSync();
  await embedded?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('BigQuery adapter: table metadata within the API request limits', () => {
  it('reads twice the per-second limit of tables at once with none refused, every table timed', async () => {
    const before = fake.requests.length;
    const read = await bigquery.tableFreshness(named(TABLES));
    expect(read.map((r) => r.lastModified?.getTime())).toEqual(TABLES.map((_, i) => MODIFIED(i).getTime()));
    const sent = tablesGets(before);
    expect(sent.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.path}`)).toEqual([]);
    expect(sent).toHaveLength(TABLES.length);
  });

  it('keeps to the limit of requests at once', async () => {
    fake.apiLimits = { perSecond: 1_000, concurrent: 3 };
    try {
      const before = fake.requests.length;
      const read = await warehouse({ metadataReads: { ...PACE, perSecond: 1_000, burst: 1_000, concurrent: 3 } }).tableFreshness(named(TABLES));
      expect(read.every((r) => r.lastModified !== null)).toBe(true);
      expect(tablesGets(before).filter((r) => r.status !== 200)).toEqual([]);
    } finally {
      fake.apiLimits = { perSecond: 20, concurrent: 60 };
    }
  });

  it('measures every source of a large sources file on one check, none unknown', async () => {
    // 10 sources of 4 tables each, all checked at once, as /pipeline status and the scheduled check do.
    const template = loadSources('sources.yml').sources.find((s) => s.freshness.measure === 'table_modified') ?? loadSources('sources.yml').sources[0]!;
    const sources = Array.from({ length: 10 }, (_, s) => ({
      ...template, id: `source_${s}`, name: `Source ${s}`, slaHours: 24 * 365 * 100,
      tables: TABLES.slice(s * 4, s * 4 + 4).map((name) => ({ name, bigquery: `${fake.dataset}.${name}` })),
    }));
    const freshness = new FreshnessService({ catalog: catalogOf(sources), warehouse: bigquery, store, logger: silentLogger });
    const before = fake.requests.length;
    const results = await freshness.check();
    expect(results.filter((r) => r.problem).map((r) => `${r.source.id}: ${r.problem}`)).toEqual([]);
    expect(Object.fromEntries(results.map((r) => [r.source.id, r.lastUpdated?.getTime()]))).toEqual(
      Object.fromEntries(sources.map((s, i) => [s.id, MODIFIED(i * 4).getTime()])),
    );
    expect(tablesGets(before).filter((r) => r.status !== 200)).toEqual([]);
  });

  it('retries a read refused for a rate limit (403 rateLimitExceeded, or 429) soon, within the deadline', async () => {
    const before = fake.requests.length;
    fake.failNext(1, 403, { reason: 'rateLimitExceeded', message: 'Exceeded rate limits: too many api requests per user per method for this user_method.', match: /\/tables\/wide_001$/ });
    fake.failNext(1, 429, { reason: 'rateLimitExceeded', message: 'Quota exceeded.', match: /\/tables\/wide_002$/ });
    // A deadline shorter than the client's own first retry (2 to 3 s): the adapter's retry must come sooner.
    const read = await warehouse({ timeoutMs: 1_500 }).tableFreshness(named(['wide_000', 'wide_001', 'wide_002']));
    expect(read.map((r) => r.lastModified?.getTime())).toEqual([0, 1, 2].map((i) => MODIFIED(i).getTime()));
    const statuses = (table: string) => tablesGets(before).filter((r) => r.path.endsWith(`/${table}`)).map((r) => r.status);
    expect([statuses('wide_000'), statuses('wide_001'), statuses('wide_002')]).toEqual([[200], [403, 200], [429, 200]]);
  });

  it('does not retry a read refused for want of access (403 accessDenied)', async () => {
    const before = fake.requests.length;
    fake.failNext(1, 403, { reason: 'accessDenied', message: 'Access Denied: Permission bigquery.tables.get denied on table', match: /\/tables\/wide_003$/ });
    await expect(bigquery.tableFreshness(named(['wide_003']))).rejects.toMatchObject({ code: 'warehouse_denied', table: 'analytics.wide_003' });
    expect(tablesGets(before).map((r) => r.status)).toEqual([403]);
  });

  it('asks once for a table that two callers want at once', async () => {
    const w = bigquery;
    const before = fake.requests.length;
    const tables = named(TABLES.slice(0, 8));
    const [a, b] = await Promise.all([w.tableFreshness(tables), w.tableFreshness(tables)]);
    expect(a).toEqual(b);
    expect(a.map((r) => r.lastModified?.getTime())).toEqual(tables.map((_, i) => MODIFIED(i).getTime()));
    expect(tablesGets(before)).toHaveLength(tables.length);
  });

  it('asks nothing more for a caller that gave up (its deadline passed) while its reads waited their turn', async () => {
    const before = fake.requests.length;
    const slow = warehouse({ timeoutMs: 300, metadataReads: { ...PACE, perSecond: 2, burst: 2 } });
    await expect(slow.tableFreshness(named(TABLES.slice(0, 20)))).rejects.toMatchObject({ code: 'warehouse_timeout' });
    // The next turn after the burst comes 500 ms in, after the deadline: the waiting reads are dropped then.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(tablesGets(before)).toHaveLength(2);
  });

  it('reads the tables a person waits on before the rest of a background check, a table the check has queued too (read once)', async () => {
    // A slow pace: the check's 20 reads take 2 s, its first two the burst, taken before the person asks.
    const w = warehouse({ metadataReads: { ...PACE, perSecond: 10, burst: 2 } });
    const before = fake.requests.length;
    const check = w.tableFreshness(named(TABLES.slice(0, 20)), { background: true });
    // A table the check does not read, and one it has queued (its 16th): neither waits behind the check.
    const [own, joined] = await Promise.all([w.tableFreshness(named([TABLES[30]!])), w.tableFreshness(named([TABLES[15]!]))]);
    expect([own?.[0]?.lastModified, joined?.[0]?.lastModified]).toEqual([MODIFIED(30), MODIFIED(15)]);
    const checked = await check;
    expect(checked.map((r) => r.lastModified?.getTime())).toEqual(TABLES.slice(0, 20).map((_, i) => MODIFIED(i).getTime()));
    const order = tablesGets(before).map((r) => r.path.split('/').pop());
    // Only the burst went before the person's reads; the queued table was asked once, for both.
    expect([order.indexOf(TABLES[30]), order.indexOf(TABLES[15])].every((i) => i >= 0 && i < 4)).toBe(true);
    expect(order).toHaveLength(21);
  });

  it("measures the source a person asks about (/pipeline status) before the rest of the scheduled check's sources", async () => {
    const template = loadSources('sources.yml').sources.find((s) => s.freshness.measure === 'table_modified') ?? loadSources('sources.yml').sources[0]!;
    const sources = Array.from({ length: 6 }, (_, s) => ({
      ...template, id: `source_${s}`, name: `Source ${s}`, slaHours: 24 * 365 * 100,
      tables: TABLES.slice(s * 4, s * 4 + 4).map((name) => ({ name, bigquery: `${fake.dataset}.${name}` })),
    }));
    // One adapter (one pace) under both: the scheduled check of the first five sources, and a person's status of the sixth.
    const w = warehouse({ metadataReads: { ...PACE, perSecond: 10, burst: 2 } });
    const service = (of: typeof sources) => new FreshnessService({ catalog: catalogOf(of), warehouse: w, store, logger: silentLogger });
    const before = fake.requests.length;
    const scheduled = service(sources.slice(0, 5)).check(undefined, { background: true });
    const asked = await service(sources).checkSource(sources[5]!);
    expect(asked.problem).toBeUndefined();
    expect((await scheduled).filter((r) => r.problem)).toEqual([]);
    const order = tablesGets(before).map((r) => r.path.split('/').pop());
    expect(order).toHaveLength(24);
    // The check's burst of two, then the person's four tables.
    expect(order.slice(0, 6).filter((t) => sources[5]!.tables.some((s) => s.name === t))).toHaveLength(4);
  });

  it("says a source's tables were refused for a rate limit three times in a row as BigQuery being busy, not as a failure", async () => {
    const template = loadSources('sources.yml').sources.find((s) => s.freshness.measure === 'table_modified') ?? loadSources('sources.yml').sources[0]!;
    const source = { ...template, id: 'busy_source', name: 'Busy source', tables: [{ name: 'wide_006', bigquery: `${fake.dataset}.wide_006` }] };
    const freshness = new FreshnessService({ catalog: catalogOf([source]), warehouse: bigquery, store, logger: silentLogger });
    const before = fake.requests.length;
    fake.failNext(3, 429, { reason: 'rateLimitExceeded', message: 'Quota exceeded.', match: /\/tables\/wide_006$/ });
    const [result] = await freshness.check();
    expect(result?.dataState).toBe('unknown');
    expect(result?.problem).toBe('BigQuery is at its API rate limit just now; try again in a minute');
    expect(tablesGets(before).map((r) => r.status)).toEqual([429, 429, 429]);
  });

  it('gives up at once on a rate-limited read whose retry would come after the deadline, so the next caller of the table asks afresh', async () => {
    // A retry pause (2 to 4 s) longer than the deadline (500 ms).
    const w = warehouse({ timeoutMs: 500, metadataReads: { ...PACE, retryPauseMs: 2_000 } });
    const before = fake.requests.length;
    fake.failNext(1, 429, { reason: 'rateLimitExceeded', message: 'Quota exceeded.', match: /\/tables\/wide_004$/ });
    await expect(w.tableFreshness(named(['wide_004']))).rejects.toMatchObject({ code: 'warehouse_busy' });
    // Asked after the first caller gave up: its own request, not a wait behind a pause that nobody's retry ends.
    const [again] = await w.tableFreshness(named(['wide_004']));
    expect(again?.lastModified).toEqual(MODIFIED(4));
    expect(tablesGets(before).map((r) => r.status)).toEqual([429, 200]);
  });

  it('asks nothing more for a caller that gave up on a rate-limited table, while its other tables waited their turn', async () => {
    // Two a second after a burst of two: the call's other eight tables wait their turn, the last 4 s away.
    const w = warehouse({ timeoutMs: 3_000, metadataReads: { ...PACE, perSecond: 2, burst: 2, retryPauseMs: 4_000 } });
    const before = fake.requests.length;
    fake.failNext(1, 429, { reason: 'rateLimitExceeded', message: 'Quota exceeded.', match: /\/tables\/wide_000$/ });
    await expect(w.tableFreshness(named(TABLES.slice(0, 10)))).rejects.toMatchObject({ code: 'warehouse_busy' });
    // The call failed at once, well before its deadline: the reads still waiting are for nobody, and are dropped.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(tablesGets(before).map((r) => r.path.split('/').pop())).toEqual(['wide_000', 'wide_001']);
  });

  // Last: the fake still holds the unanswered reads a while after this test.
  it('gives a read that BigQuery never answers its place back at the deadline, so later reads are not kept waiting behind it', async () => {
    const w = warehouse({ timeoutMs: 1_500 });
    // As many reads as the pace has room for get no answer (a connection dropped without a word): the client would wait 60 s.
    fake.delayNext(PACE.concurrent, 5_000, /\/tables\//);
    await expect(w.tableFreshness(named(TABLES.slice(0, PACE.concurrent)))).rejects.toMatchObject({ code: 'warehouse_timeout' });
    const later = named(TABLES.slice(20, 22));
    expect((await w.tableFreshness(later)).map((r) => r.lastModified?.getTime())).toEqual([MODIFIED(20).getTime(), MODIFIED(21).getTime()]);
  });
});
