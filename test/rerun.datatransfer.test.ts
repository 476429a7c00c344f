/**
 * A scheduled-query source rerun through BigQuery Data Transfer: the rerun
 * service with the Data Transfer adapter against the loopback fake, posting
 * to the Slack stand-in through the real Web API client, on the embedded
 * warehouse and store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { LiveRuns } from '../src/adapters/pipeline-runs/index.js';
import { DataTransferRuns } from '../src/adapters/pipeline-runs/datatransfer.js';
import type { Store } from '../src/ports/store.js';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { FreshnessServices } from '../src/services/freshness-services.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { RERUNS, type RerunDoc } from '../src/services/rerun.js';
import { freshDataDir } from './support/harness.js';
import { FakeDataTransfer } from './support/fake-datatransfer.js';

const CONFIG = 'projects/analytics-demo/locations/us/transferConfigs/prod-subscriptions';
const channel = StandinDefaults.channel;

let dir: string;
let warehouse: EmbeddedWarehouse;
let store: Store;
let standin: SlackStandin;
let fake: FakeDataTransfer;
let s: FreshnessServices;
let rt: Runtime;

beforeAll(async () => {
  dir = await freshDataDir();
  warehouse = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
  store = await openEmbeddedStore(dir);
  standin = new SlackStandin();
  const { url } = await standin.start();
  fake = await FakeDataTransfer.start();
  fake.onSucceeded = async () => {
    await refreshDemoTables(warehouse, ['prod_postgres_subscriptions']);
  };
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test-dts', SLACK_SIGNING_SECRET: 'test-signing-secret', SLACK_API_URL: `${url}/api/`,
    ANALYTICS_CHANNEL: channel, BIZOPS_USERGROUP: StandinDefaults.usergroups.bizops, RERUN_POLL_MS: '50', DATA_DIR: dir,
  });
  const pipelines = new LiveRuns({ dataTransfer: new DataTransferRuns({ authHeaders: async () => ({ authorization: `Bearer ${fake.token}` }), apiUrl: fake.url }) });
  // The bot's insides with its runner polling, as a replica runs them.
  rt = await createRuntime(config, silentLogger, { warehouse, store, runs: pipelines });
  s = rt.services.freshness;
  rt.jobs.start(50);
  await s.prepare();
}, 120_000);

afterAll(async () => {
  await rt?.jobs.stop();
  s?.stop();
  await fake?.close();
  await standin?.stop();
  await warehouse?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const rerunMessage = () => standin.conversation(channel).filter((m) => m.text.startsWith('Rerun of Production Postgres')).at(-1);
/** The next rerun's message (not `known`, the last one before it), once it reports the freshness check after the run. */
const rerunEnded = (known: string | undefined) => standin.waitFor(() => {
  const m = rerunMessage();
  return m && m.ts !== known && /Freshness check/.test(blocksToText(m.blocks ?? [])) ? m : undefined;
}, { timeoutMs: 15_000 });

describe('reruns through BigQuery Data Transfer', () => {
  it('starts a manual run of the transfer config and follows it to success and a fresh table', async () => {
    fake.addConfig(CONFIG, { pendingMs: 100, runMs: 200 });
    const answer = await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false });
    expect(answer.kind).toBe('started');
    const done = await standin.waitFor(() => {
      const m = rerunMessage();
      return m && /Freshness check/.test(blocksToText(m.blocks ?? [])) ? m : undefined;
    }, { timeoutMs: 15_000 });
    const text = blocksToText(done.blocks ?? []);
    expect(text).toMatch(/succeeded/);
    expect(text).toContain('BigQuery scheduled query');
    expect(text).toMatch(/Production Postgres \(subscriptions\) is fresh/);
    expect(fake.startRequests().map((r) => r.path)).toEqual([`/v1/${CONFIG}:startManualRuns`]);
    expect(fake.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
  });

  it('shows a failed run with its error', async () => {
    fake.addConfig(CONFIG, { outcome: 'fail', pendingMs: 0, runMs: 100 });
    await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false });
    const done = await standin.waitFor(() => {
      const m = rerunMessage();
      return m && /failed/.test(blocksToText(m.blocks ?? [])) && /Freshness check/.test(blocksToText(m.blocks ?? [])) ? m : undefined;
    }, { timeoutMs: 15_000 });
    expect(blocksToText(done.blocks ?? [])).toContain('subscriptions_raw was not found');
  });

  it('after a 503 that created the run anyway, and runs.list failing too, looks again later and follows that run: no second run', async () => {
    fake.addConfig(CONFIG, { pendingMs: 100, runMs: 200 });
    const starts = fake.startRequests().length;
    const runs = fake.manualRuns().length;
    const known = rerunMessage()?.ts;
    fake.failNext('POST', /startManualRuns/, 503, { afterEffect: true });
    // The adapter retries an idempotent list once: both answers fail, so whether a run started cannot be told yet.
    fake.failNext('GET', /\/runs$/, 500, { times: 2 });
    expect((await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false })).kind).toBe('started');
    const done = await rerunEnded(known);
    expect(blocksToText(done.blocks ?? [])).toMatch(/succeeded/);
    expect(fake.startRequests().length).toBe(starts + 1);
    expect(fake.manualRuns().length).toBe(runs + 1);
  });

  it('ends a rerun as failed at once when its run is deleted while it is followed (Google\'s own 404), not after the timeout', async () => {
    fake.addConfig(CONFIG, { pendingMs: 60_000, runMs: 60_000 });
    const known = rerunMessage()?.ts;
    const runs = fake.manualRuns().length;
    expect((await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false })).kind).toBe('started');
    const run = await standin.waitFor(() => fake.manualRuns()[runs], { timeoutMs: 15_000 });
    fake.runs.delete(run.name);
    const done = await rerunEnded(known);
    expect(blocksToText(done.blocks ?? [])).toMatch(/failed[\s\S]*no longer knows this run/);
  });

  it('ends a rerun as failed at once when the service refuses our credentials while it is followed, saying why', async () => {
    fake.addConfig(CONFIG, { pendingMs: 60_000, runMs: 60_000 });
    const known = rerunMessage()?.ts;
    const runs = fake.manualRuns().length;
    expect((await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false })).kind).toBe('started');
    await standin.waitFor(() => fake.manualRuns()[runs], { timeoutMs: 15_000 });
    // Once is enough: a refusal is not polled past (the run itself goes on for a minute).
    fake.failNext('GET', /\/runs\/[^/]+$/, 403);
    const done = await rerunEnded(known);
    expect(blocksToText(done.blocks ?? [])).toMatch(/failed[\s\S]*answered 403/);
  });

  it('asks again later each time the run\'s status goes unanswered (not every interval), and follows the run to its end', async () => {
    fake.addConfig(CONFIG, { pendingMs: 100, runMs: 200 });
    const known = rerunMessage()?.ts;
    const from = fake.requests.length;
    // Four answers in a row are a proxy's page, not the run: each is asked again after a longer wait (50, 100, 200, 400 ms).
    fake.failNext('GET', /\/runs\/[^/]+$/, 200, { page: true, times: 4 });
    expect((await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false })).kind).toBe('started');
    const done = await rerunEnded(known);
    expect(blocksToText(done.blocks ?? [])).toMatch(/succeeded/);
    const asks = fake.requests.slice(from).filter((r) => r.method === 'GET' && /\/runs\/[^/]+$/.test(r.path)).map((r) => r.at);
    expect(asks.length).toBeGreaterThanOrEqual(5);
    const gaps = asks.slice(1, 5).map((at, i) => at - asks[i]!);
    // A job is never run before its time (it may be late): the least each wait could be, less a request's own time.
    expect(gaps[1]).toBeGreaterThanOrEqual(90);
    expect(gaps[2]).toBeGreaterThanOrEqual(190);
    expect(gaps[3]).toBeGreaterThanOrEqual(390);
  });

  it('counts unanswered asks afresh once the status is answered', async () => {
    // Still running when the four failures are over: the next answer resets the count.
    // Long enough that a loaded machine still asks while it runs, after the four failures (about 750 ms of waits).
    fake.addConfig(CONFIG, { pendingMs: 100, runMs: 4_000 });
    const known = rerunMessage()?.ts;
    fake.failNext('GET', /\/runs\/[^/]+$/, 200, { page: true, times: 4 });
    const started = await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.bizops, force: false });
    expect(started.kind).toBe('started');
    await rerunEnded(known);
    const docs = (await store.list<RerunDoc>(RERUNS)).map((d) => d.data).filter((d) => d.sourceId === 'prod_postgres');
    const last = docs.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1)!;
    expect(last.phase).toBe('succeeded');
    expect(last.statusFailures).toBe(0);
  });

  it('refuses someone outside BizOps without calling Data Transfer', async () => {
    const before = fake.startRequests().length;
    expect((await s.reruns.rerun({ source: 'prod_postgres', userId: StandinDefaults.users.regular, force: false })).kind).toBe('not_allowed');
    expect(fake.startRequests().length).toBe(before);
  });
});
