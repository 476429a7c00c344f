/**
 * The Data Transfer adapter against answers the loopback fake can give that
 * the happy path never shows (facts: test/support/vendor-facts/datatransfer.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataTransferRuns } from '../src/adapters/pipeline-runs/datatransfer.js';
import { FakeDataTransfer } from './support/fake-datatransfer.js';

let fake: FakeDataTransfer;
let dts: DataTransferRuns;
let n = 0;
const freshConfig = () => {
  const name = `projects/analytics-demo/locations/us/transferConfigs/answers-${++n}`;
  fake.addConfig(name);
  return name;
};

beforeAll(async () => {
  fake = await FakeDataTransfer.start();
  dts = new DataTransferRuns({ authHeaders: async () => ({ authorization: `Bearer ${fake.token}` }), apiUrl: fake.url, maxRetryWaitMs: 2000 });
});
afterAll(() => fake.close());

describe('Data Transfer adapter: answers lost on the way', () => {
  it('finds the run when startManualRuns answered 200 but its body was cut off, rather than report that none started', async () => {
    const name = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 'truncate', { afterEffect: true });
    const started = await dts.start({ kind: 'data_transfer', transferConfig: name }, { force: false });
    expect(fake.manualRuns().filter((r) => name.endsWith(`/${r.config.configId}`))).toHaveLength(1);
    expect(started).toMatchObject({ ok: true, run: { runId: expect.stringContaining(`/transferConfigs/${name.split('/').at(-1)}/runs/`) } });
    expect(fake.startRequests().filter((r) => r.path.includes(name))).toHaveLength(1);
  });

  it('does not take a run list cut off on the way for an empty one: recentRun fails, so nobody starts a second run', async () => {
    const name = freshConfig();
    const target = { kind: 'data_transfer' as const, transferConfig: name };
    const since = new Date();
    expect(await dts.start(target, { force: false })).toMatchObject({ ok: true });
    fake.failNext('GET', /\/runs$/, 'truncate');
    await expect(dts.recentRun(target, since)).rejects.toThrow(/BigQuery Data Transfer/);
    // Answered in full, the list has the run.
    expect(await dts.recentRun(target, since)).toMatchObject({ runId: expect.stringContaining(`/transferConfigs/${name.split('/').at(-1)}/runs/`) });
  });
});

describe('Data Transfer adapter: no credentials', () => {
  it('start(): credentials that cannot be had sent nothing, so no run started: retryable, without looking for a run', async () => {
    const name = freshConfig();
    const from = fake.requests.length;
    const noCredentials = new DataTransferRuns({ authHeaders: () => Promise.reject(new Error('metadata server unreachable')), apiUrl: fake.url });
    const started = await noCredentials.start({ kind: 'data_transfer', transferConfig: name }, { force: false });
    expect(started).toEqual({ ok: false, reason: 'failed', retryable: true, message: 'could not get Google credentials for the Data Transfer API; no run was started.' });
    expect(fake.requests.length).toBe(from);
  });
});

describe('Data Transfer adapter: answers that are not Google\'s', () => {
  it('status(): a 200 that is not a TransferRun (a proxy\'s page, or JSON without the run) is no answer, asked again later, not "running"', async () => {
    const name = freshConfig();
    const started = await dts.start({ kind: 'data_transfer', transferConfig: name }, { force: false });
    if (!started.ok) throw new Error(started.message);
    fake.failNext('GET', /\/runs\/[^/]+$/, 200, { page: true });
    await expect(dts.status(started.run)).rejects.toMatchObject({ code: 'pipeline_failed', reason: 'unavailable', retryable: true });
    for (const body of [{}, { status: 'ok' }, { kind: 'portal#session', user: 'someone' }, { error: 'upstream' }]) {
      fake.failNext('GET', /\/runs\/[^/]+$/, 200, { body });
      await expect(dts.status(started.run)).rejects.toMatchObject({ code: 'pipeline_failed', reason: 'unavailable', retryable: true });
    }
    // Google's own TransferRun, with every field optional: a run named with its state left out (proto3's
    // TRANSFER_STATE_UNSPECIFIED) is running, as is one in a state added later.
    fake.failNext('GET', /\/runs\/[^/]+$/, 200, { body: { name: started.run.runId } });
    await expect(dts.status(started.run)).resolves.toEqual({ state: 'running' });
    fake.failNext('GET', /\/runs\/[^/]+$/, 200, { body: { name: started.run.runId, state: 'QUEUED_SOMEWHERE' } });
    await expect(dts.status(started.run)).resolves.toEqual({ state: 'running' });
    // Answered by Google, the run is followed to its end.
    await expect.poll(() => dts.status(started.run), { timeout: 5000, interval: 50 }).toEqual({ state: 'succeeded' });
  });

  it('start(): a 4xx that is not Google\'s error (a proxy\'s page or its own JSON) started nothing and is asked again, not a refusal', async () => {
    const name = freshConfig();
    const target = { kind: 'data_transfer' as const, transferConfig: name };
    const runs = () => fake.manualRuns().filter((r) => name.endsWith(`/${r.config.configId}`)).length;
    // A wrong DATA_TRANSFER_API_URL's or a gateway's 404, 403 or 409: no google.rpc.Status, so not "unknown config", "refused" or "already running".
    for (const [status, options] of [[404, { page: true }], [403, { page: true }], [403, { body: { message: 'Forbidden' } }], [409, { body: { error: 'conflict' } }], [401, { page: true }]] as const) {
      fake.failNext('POST', /startManualRuns$/, status, options);
      const started = await dts.start(target, { force: false });
      expect(started, `${status} ${JSON.stringify(options)}`).toMatchObject({ ok: false, reason: 'failed', retryable: true, message: expect.stringContaining('not with Google\'s own error') });
    }
    expect(runs()).toBe(0);
    // Google's own errors are still its word: an unknown config is not retried.
    expect(await dts.start({ kind: 'data_transfer', transferConfig: 'projects/analytics-demo/locations/us/transferConfigs/missing' }, { force: false })).toMatchObject({ ok: false, reason: 'not_found', retryable: false });
    fake.failNext('POST', /startManualRuns$/, 403);
    expect(await dts.start(target, { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: false, message: expect.stringContaining('answered 403') });
    expect(await dts.start(target, { force: false })).toMatchObject({ ok: true });
    expect(runs()).toBe(1);
  });

  it('recentRun(): a 200 page in place of the run list is no answer, not "no run" (the caller would start a second one)', async () => {
    const name = freshConfig();
    const target = { kind: 'data_transfer' as const, transferConfig: name };
    const since = new Date();
    expect(await dts.start(target, { force: false })).toMatchObject({ ok: true });
    fake.failNext('GET', /\/runs$/, 200, { page: true });
    await expect(dts.recentRun(target, since)).rejects.toMatchObject({ code: 'pipeline_failed', reason: 'unavailable', retryable: true });
    // Google's empty list leaves transferRuns out (proto3): that one is "none".
    fake.failNext('GET', /\/runs$/, 200, { body: {} });
    expect(await dts.recentRun(target, since)).toBeNull();
    expect(await dts.recentRun(target, since)).toMatchObject({ runId: expect.stringContaining(`/transferConfigs/${name.split('/').at(-1)}/runs/`) });
  });
});

describe('Data Transfer adapter: run lists in short pages (AIP-158: "the service may return fewer than" pageSize)', () => {
  it('recentRun() follows nextPageToken to the run, and does not call "no run" a list it stopped reading before its end', async () => {
    const name = freshConfig();
    const target = { kind: 'data_transfer' as const, transferConfig: name };
    const config = fake.config(name)!;
    try {
      fake.maxPageSize = 1;
      for (let i = 0; i < 4; i++) fake.addScheduledRun(config, new Date(Date.now() - (30 - i) * 3_600_000));
      const since = new Date();
      const started = await dts.start(target, { force: false });
      if (!started.ok) throw new Error(started.message);
      // Oldest first, one run a page: ours is on the fifth.
      expect(await dts.recentRun(target, since)).toMatchObject({ runId: started.run.runId });
      // Behind more pages than the adapter reads, its absence is not known: never "none" (the caller would start a second run).
      for (let i = 4; i < 30; i++) fake.addScheduledRun(config, new Date(Date.now() - (30 - i) * 3_600_000));
      await expect(dts.recentRun(target, since)).rejects.toMatchObject({ code: 'pipeline_failed', reason: 'unavailable', retryable: true });
      // Newest first, the run is on the first page.
      fake.listOrder = 'newest-first';
      expect(await dts.recentRun(target, since)).toMatchObject({ runId: started.run.runId });
    } finally {
      fake.maxPageSize = 1000;
      fake.listOrder = 'oldest-first';
    }
  });
});
