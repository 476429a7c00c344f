/**
 * Saved queries on the BigQuery adapter: the real @google-cloud/bigquery client
 * against the loopback BigQuery REST fake (answering with DuckDB). Proves the
 * dry run comes first, the cap refuses before any job runs, maximumBytesBilled
 * is always set, parameters bind as typed named parameters, a hung job is
 * cancelled at the timeout, and `/query` works end to end on it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openBigQueryWarehouse } from '../src/adapters/warehouse/bigquery.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { loadCatalog } from '../src/catalog/catalog.js';
import { createChartRenderer } from '../src/charts/renderer.js';
import { createLogger } from '../src/logger.js';
import type { Store } from '../src/ports/store.js';
import type { Warehouse } from '../src/ports/warehouse.js';
import { QueryService } from '../src/services/query.js';
import { WarehouseTimeoutError } from '../src/errors.js';
import { FakeBigQuery, fakeCredentials, type RecordedRequest } from './support/fake-bigquery.js';
import { freshDataDir, middayClock, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blocksToText } from '../src/slack-standin/render-text.js';

const CAP = 500 * 1024 ** 2;
const catalog = loadCatalog(path.resolve('queries'));
const charts = createChartRenderer();
const logger = createLogger({ level: 'error', write: () => {} });

let demo: EmbeddedWarehouse;
let connection: DuckDBConnection;
let fake: FakeBigQuery;
let bigquery: Warehouse;
let store: Store;
let storeDir: string;

beforeAll(async () => {
  demo = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 30_000 });
  connection = await demo.connection();
  fake = await FakeBigQuery.start({ connection });
  bigquery = openBigQueryWarehouse(fake.config({ maximumBytesBilled: 10 * 1024 ** 3 }), { timeoutMs: 15_000, authClient: fakeCredentials() });
  storeDir = await mkdtemp(path.join(os.tmpdir(), 'query-bq-'));
  store = await openEmbeddedStore(storeDir);
}, 120_000);

afterAll(async () => {
  await store?.close();
  await fake?.close();
  connection?.closeSync();
  await demo?.close();
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
});

/** The services' clock: noon UTC throughout the file, so that no midnight passes between a run and its cached repeat. */
const noonClock = middayClock();

function service(opts: { maxBytes?: number; timeoutMs?: number } = {}) {
  return new QueryService({ catalog, warehouse: bigquery, store, logger, charts, maxBytes: opts.maxBytes ?? CAP, timeoutMs: opts.timeoutMs ?? 15_000, now: noonClock });
}

async function ready(s: QueryService, text: string) {
  const asked = await s.command(text);
  // The first command naming a customer reads the customer list (the listener answers Slack meanwhile).
  const c = asked.kind === 'checking' ? await asked.answer : asked;
  if (c.kind !== 'ready') throw new Error(`not ready: ${JSON.stringify(c)}`);
  return c;
}

/** Job requests since `mark` that touch the pings table (the customer list is a separate job). */
const jobsSince = (mark: number): RecordedRequest[] =>
  fake.requests.slice(mark).filter((r) => r.method === 'POST' && /\/jobs$/.test(r.path) && String(r.body?.configuration?.query?.query).includes('pings'));

describe('saved queries on BigQuery', () => {
  it('dry-runs first, then runs one capped job with typed named parameters, labels and a timeout', async () => {
    const s = service();
    const { query, params } = await ready(s, 'customer-pings-per-day customer=acme.com since=-10d');
    const mark = fake.requests.length;
    const outcome = await s.run(query, params, { userId: 'U0REGULAR' });
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(outcome.output.rows.length).toBeGreaterThan(0);
    expect(outcome.output.bytesProcessed).toBeGreaterThan(0);

    const jobs = jobsSince(mark);
    expect(jobs).toHaveLength(2);
    const [dry, run] = jobs.map((j) => j.body.configuration);
    expect(dry.dryRun).toBe(true);
    expect(run.dryRun).toBeFalsy();
    for (const c of [dry, run]) {
      expect(c.query.maximumBytesBilled).toBe(String(CAP));
      expect(c.query.useLegacySql).toBe(false);
      expect(String(c.query.parameterMode).toUpperCase()).toBe('NAMED');
      // In the order the SQL first uses them, which is no promise: compared by name.
      expect([...c.query.queryParameters].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toEqual([
        { name: 'customer', parameterType: { type: 'STRING' }, parameterValue: { value: 'acme' } },
        { name: 'since', parameterType: { type: 'DATE' }, parameterValue: { value: params.canonical.since } },
      ]);
      // The BigQuery SQL (not a DuckDB override), with qualified tables; nothing typed is pasted in.
      expect(c.query.query).toContain('`test-project.analytics.pings`');
      expect(c.query.query).not.toContain('acme');
      expect(c.labels).toMatchObject({ app: 'analytics-bot', command: 'query', query: 'customer-pings-per-day', user: 'u0regular' });
    }
    expect(run.jobTimeoutMs).toBe('15000');
    // Freshness comes from table metadata, not jobs.
    expect(fake.requests.slice(mark).some((r) => r.method === 'GET' && /\/tables\/pings$/.test(r.path))).toBe(true);
  });

  it('binds integers as INT64 and serves a repeat from the cache without any job', async () => {
    const s = service();
    const { query, params } = await ready(s, 'top-customers-by-active-users limit=3 since=-20d');
    let mark = fake.requests.length;
    const first = await s.run(query, params, { userId: 'U1' });
    expect(first.kind === 'ok' && first.output.rows.length).toBe(3);
    const run = fake.jobRequests().slice(-1)[0]!.body.configuration.query;
    expect(run.queryParameters).toContainEqual({ name: 'limit', parameterType: { type: 'INT64' }, parameterValue: { value: '3' } });
    expect(fake.requests.slice(mark).length).toBeGreaterThan(0);
    mark = fake.jobRequests().length;
    const again = await s.run(query, params, { userId: 'U2' });
    expect(again.kind === 'ok' && again.output.cacheHit).toBe(true);
    expect(fake.jobRequests().length).toBe(mark);
  });

  it('refuses above the cap after the dry run: no query job runs', async () => {
    const s = service({ maxBytes: 1024 ** 2 });
    const { query, params } = await ready(s, 'customer-pings-per-day customer=initech');
    const mark = fake.requests.length;
    const outcome = await s.run(query, params, { userId: 'U1' });
    expect(outcome).toMatchObject({ kind: 'over_cap', capBytes: 1024 ** 2 });
    const jobs = jobsSince(mark);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.body.configuration.dryRun).toBe(true);
    expect(jobs[0]!.body.configuration.query.maximumBytesBilled).toBe(String(1024 ** 2));
  });

  it('cancels a job that outlives the timeout and says so', async () => {
    const s = service({ timeoutMs: 1500 });
    const { query, params } = await ready(s, 'customer-pings-per-day customer=umbrella since=-3d');
    fake.hangNextJobs(1);
    const mark = fake.requests.length;
    await expect(s.run(query, params, { userId: 'U1' })).rejects.toBeInstanceOf(WarehouseTimeoutError);
    await vi.waitFor(() => expect(fake.requests.slice(mark).some((r) => r.method === 'POST' && /\/cancel$/.test(r.path))).toBe(true), { timeout: 5_000, interval: 20 });
    // And the next run works.
    expect((await s.run(query, params, { userId: 'U1' })).kind).toBe('ok');
  });
});

describe('/query end to end on BigQuery', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ warehouse: bigquery, env: { QUERY_MAX_BYTES: String(CAP), PIPELINES: 'live', FIVETRAN_API_KEY: 'test-key', FIVETRAN_API_SECRET: 'test-secret-value' } });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('uploads the chart of a BigQuery result, with bytes processed in the footer', async () => {
    const channel = StandinDefaults.channel;
    const before = t.standin.conversation(channel).length;
    const mark = fake.requests.length;
    await t.standin.runCommand(t.client, { command: '/query', text: 'customer-pings-per-day customer=hooli', userId: StandinDefaults.users.regular, channelId: channel, timeoutMs: 30_000, settleMs: 300 });
    const message = t.standin.conversation(channel).slice(before).find((m) => m.files?.length)!;
    expect(message).toBeDefined();
    expect(message.files![0]!.name).toMatch(/^customer-pings-per-day-[0-9a-f]{6}\.png$/);
    const text = blocksToText({ blocks: message.blocks ?? [] });
    expect(text).toContain('Customer: *Hooli*');
    expect(text).toMatch(/[\d.]+ MB processed · fresh run/);
    expect(jobsSince(mark).map((j) => Boolean(j.body.configuration.dryRun))).toEqual([true, false]);
  });
});
