/**
 * The PipelineRuns adapters against loopback servers that follow Fivetran's and
 * BigQuery Data Transfer's published APIs, and the simulated runner on the
 * real embedded warehouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FivetranRuns } from '../src/adapters/pipeline-runs/fivetran.js';
import { DataTransferRuns } from '../src/adapters/pipeline-runs/datatransfer.js';
import { SimulatedRuns } from '../src/adapters/pipeline-runs/simulated.js';
import { openPipelineRuns, LiveRuns } from '../src/adapters/pipeline-runs/index.js';
import { parseRetryAfter } from '../src/adapters/retry-after.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { ensureDemoSources, refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import { rm } from 'node:fs/promises';
import { freshDataDir } from './support/harness.js';
import { loadSources } from '../src/sources/catalog.js';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import type { PipelineRuns, RunHandle, RunStatus } from '../src/ports/pipeline-runs.js';
import { FakeFivetran } from './support/fake-fivetran.js';
import { FakeDataTransfer } from './support/fake-datatransfer.js';

const target = (connectionId: string) => ({ kind: 'fivetran' as const, connectionId });
const CONFIG = 'projects/analytics-demo/locations/us/transferConfigs/prod-subscriptions';

/** Polls until the run ends (bounded by the test timeout). */
async function until(p: PipelineRuns, run: RunHandle, done = (s: RunStatus) => s.state === 'succeeded' || s.state === 'failed'): Promise<RunStatus> {
  for (;;) {
    const s = await p.status(run);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Fivetran adapter', () => {
  let fake: FakeFivetran;
  let fivetran: FivetranRuns;
  beforeAll(async () => {
    fake = await FakeFivetran.start();
    fivetran = new FivetranRuns({ apiKey: fake.apiKey, apiSecret: fake.apiSecret, apiUrl: fake.url, maxRetryWaitMs: 2000 });
  });
  afterAll(() => fake.close());

  it('starts a sync with basic auth and force false, then follows it to success', async () => {
    fake.addConnection('hubspot_daily');
    const started = await fivetran.start(target('hubspot_daily'), { force: false });
    expect(started.ok).toBe(true);
    const sync = fake.syncRequests().at(-1)!;
    expect(sync.path).toBe('/v1/connections/hubspot_daily/sync');
    expect(sync.body).toEqual({ force: false });
    expect(sync.authorization).toBe('Basic ' + Buffer.from('test-key:test-secret-value').toString('base64'));
    expect(sync.accept).toContain('application/json');
    expect(fake.syncRequests().at(-1)!.contentType).toMatch(/^application\/json/);
    if (!started.ok) return;
    expect((await fivetran.status(started.run)).state).toBe('running');
    expect(await until(fivetran, started.run)).toEqual({ state: 'succeeded' });
  });

  it('reports a failed sync with the reason Fivetran gives', async () => {
    fake.addConnection('failing', { outcome: 'fail' });
    const started = await fivetran.start(target('failing'), { force: false });
    if (!started.ok) throw new Error(started.message);
    const end = await until(fivetran, started.run);
    expect(end.state).toBe('failed');
    // The task's label (its `message`) and what happened (its `details`).
    expect(end.message).toBe('Reconnect: HubSpot OAuth token expired: reconnect the connection');
    // `details` is optional: the label alone, then.
    fake.connections.get('failing')!.tasks = [{ code: 'reconnect', message: 'Reconnect' }];
    expect(await fivetran.status(started.run)).toEqual({ state: 'failed', message: 'Reconnect' });
  });

  it('shows a sync stuck in rescheduled with its time, and never calls it done', async () => {
    fake.addConnection('stuck', { outcome: 'reschedule' });
    const started = await fivetran.start(target('stuck'), { force: false });
    if (!started.ok) throw new Error(started.message);
    const s = await until(fivetran, started.run, (x) => x.state !== 'running');
    expect(s.state).toBe('rescheduled');
    expect(Date.parse(s.rescheduledFor!)).toBeGreaterThan(Date.now());
    expect(s.onlyIfAsked).toBeUndefined();
    expect((await fivetran.status(started.run)).state).toBe('rescheduled');
  });

  it('says a rescheduled sync of a connection on a manual schedule runs only if asked', async () => {
    fake.addConnection('manual', { outcome: 'reschedule', scheduleType: 'manual' });
    const started = await fivetran.start(target('manual'), { force: false });
    if (!started.ok) throw new Error(started.message);
    const s = await until(fivetran, started.run, (x) => x.state !== 'running');
    expect(s).toMatchObject({ state: 'rescheduled', onlyIfAsked: true });
    expect(Date.parse(s.rescheduledFor!)).toBeGreaterThan(Date.now());
  });

  it('reports a sync that succeeded even when the connection\'s schedule has already begun the next one', async () => {
    // sync_frequency may be a minute or five: such a connection is hardly ever idle, and its succeeded_at says ours ended.
    const c = fake.addConnection('frequent', { syncMs: 100, schedule: { afterMs: 0, syncMs: 60_000 } });
    const started = await fivetran.start(target('frequent'), { force: false });
    if (!started.ok) throw new Error(started.message);
    await expect.poll(() => c.syncs, { timeout: 5000, interval: 25 }).toBe(2);
    expect(c.syncState).toBe('syncing');
    expect(await fivetran.status(started.run)).toEqual({ state: 'succeeded' });
  });

  it('does not start over a running sync without force, and does with force', async () => {
    const c = fake.addConnection('busy', { syncMs: 60_000 });
    fake.beginSync(c);
    const before = fake.syncRequests().length;
    const refused = await fivetran.start(target('busy'), { force: false });
    expect(refused).toMatchObject({ ok: false, reason: 'already_syncing' });
    expect(fake.syncRequests().length).toBe(before);
    const forced = await fivetran.start(target('busy'), { force: true });
    expect(forced.ok).toBe(true);
    expect(fake.syncRequests().at(-1)!.body).toEqual({ force: true });
  });

  it('does not take the failure of the sync a forced request stopped for the end of the forced one', async () => {
    const c = fake.addConnection('restarted', { syncMs: 60_000, stoppedSyncFails: true });
    fake.beginSync(c);
    c.syncMs = 150;
    const forced = await fivetran.start(target('restarted'), { force: true });
    if (!forced.ok) throw new Error(forced.message);
    // failed_at is newer than before the request, but a sync runs: that failure is the one stopped.
    expect(c.failedAt).not.toBeNull();
    expect(c.syncState).toBe('syncing');
    expect(await fivetran.status(forced.run)).toEqual({ state: 'running' });
    expect(await until(fivetran, forced.run)).toEqual({ state: 'succeeded' });
  });

  it('does not take the success of the sync a forced request was sent over (it ended just before the force landed) for the end of the forced one', async () => {
    const c = fake.addConnection('overtaken', { syncMs: 60_000 });
    fake.beginSync(c);
    // The running sync succeeds between start()'s look at the connection and its forced POST; the forced sync then runs.
    let looked = false;
    fake.onApplied = ({ method }) => {
      if (method !== 'GET' || looked) return;
      looked = true;
      c.succeededAt = new Date(Date.now() + 5).toISOString();
      c.syncState = 'scheduled';
    };
    c.syncMs = 300;
    const forced = await fivetran.start(target('overtaken'), { force: true }).finally(() => (fake.onApplied = undefined));
    if (!forced.ok) throw new Error(forced.message);
    expect(c.syncState).toBe('syncing');
    expect(await fivetran.status(forced.run)).toEqual({ state: 'running' });
    expect(await until(fivetran, forced.run)).toEqual({ state: 'succeeded' });
  });

  it('maps 409 from the sync endpoint to already syncing', async () => {
    fake.addConnection('conflict');
    fake.failNext('POST', /conflict\/sync$/, 409, { body: { code: 'Conflict', message: 'Sync is already in progress' } });
    expect(await fivetran.start(target('conflict'), { force: false })).toMatchObject({ ok: false, reason: 'already_syncing', message: expect.stringContaining('already in progress') });
  });

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    fake.addConnection('limited');
    fake.failNext('POST', /limited\/sync$/, 429, { headers: { 'Retry-After': '1' } });
    const started = await fivetran.start(target('limited'), { force: false });
    expect(started.ok).toBe(true);
    const tries = fake.syncRequests().filter((r) => r.path.includes('limited'));
    expect(tries.length).toBe(2);
    // The retry honours Retry-After: it is not sent before the second is up.
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('copes with a 429 without Retry-After (Fivetran\'s docs do not promise the header): waits a second, twice, then hands it to the job runner', async () => {
    fake.addConnection('limited-bare');
    fake.addConnection('limited-bare-2');
    const posts = (id: string) => fake.syncRequests().filter((r) => r.path === `/v1/connections/${id}/sync`);
    fake.failNext('POST', /limited-bare\/sync$/, 429);
    const started = await fivetran.start(target('limited-bare'), { force: false });
    if (!started.ok) throw new Error(started.message);
    expect(posts('limited-bare').length).toBe(2);
    expect(posts('limited-bare')[1]!.at - posts('limited-bare')[0]!.at).toBeGreaterThanOrEqual(950);
    // Still limited after the adapter's own waits: rate limited and retryable, with no wait made up for the runner (its backoff applies).
    fake.failNext('POST', /limited-bare-2\/sync$/, 429, { times: 3 });
    const limited = await fivetran.start(target('limited-bare-2'), { force: false });
    expect(limited).toMatchObject({ ok: false, reason: 'rate_limited', retryable: true });
    expect(limited.ok ? 0 : limited.retryAfterMs).toBeUndefined();
    const tries = posts('limited-bare-2');
    expect(tries.length).toBe(3);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(950);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(950);
    // While following: the same, thrown for the poll job to ask again later.
    fake.failNext('GET', /limited-bare$/, 429, { times: 3 });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ code: 'pipeline_failed', reason: 'rate_limited', retryable: true, retryAfterMs: undefined });
  });

  it('reports rate limiting when Retry-After is longer than it will wait', async () => {
    fake.addConnection('long-limit');
    fake.failNext('POST', /long-limit\/sync$/, 429, { headers: { 'Retry-After': '120' } });
    expect(await fivetran.start(target('long-limit'), { force: false })).toMatchObject({ ok: false, reason: 'rate_limited', retryAfterMs: 120_000 });
  });

  it('retries a 500 once, and reports a second one', async () => {
    fake.addConnection('flaky');
    fake.failNext('POST', /flaky\/sync$/, 500);
    expect((await fivetran.start(target('flaky'), { force: false })).ok).toBe(true);
    fake.addConnection('broken');
    fake.failNext('POST', /broken\/sync$/, 500, { times: 2 });
    expect(await fivetran.start(target('broken'), { force: false })).toMatchObject({ ok: false, reason: 'failed', message: expect.stringContaining('500') });
  });

  it('throws a retryable PipelineError when polling hits 500 twice', async () => {
    fake.addConnection('poll-500');
    const started = await fivetran.start(target('poll-500'), { force: false });
    if (!started.ok) throw new Error(started.message);
    fake.failNext('GET', /poll-500$/, 500, { times: 2 });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ code: 'pipeline_failed' });
  });

  it('never retries a forced sync on a 5xx (a second one would restart the sync the first started)', async () => {
    fake.addConnection('forced-500');
    fake.failNext('POST', /forced-500\/sync$/, 500);
    expect(await fivetran.start(target('forced-500'), { force: true })).toMatchObject({ ok: false, reason: 'failed', retryable: true });
    expect(fake.syncRequests().filter((r) => r.path.includes('forced-500')).length).toBe(1);
  });

  it('handles a connection whose optional fields are left out, and one that never synced', async () => {
    fake.addConnection('sparse', { unset: 'absent', succeededAgoMs: 0 }).succeededAt = null;
    const started = await fivetran.start(target('sparse'), { force: false });
    if (!started.ok) throw new Error(started.message);
    expect(started.run.baseline).toEqual({ succeededAt: null, failedAt: null });
    expect(await until(fivetran, started.run)).toEqual({ state: 'succeeded' });
  });

  it('refuses a connection whose setup is broken, and fails a run whose connection gets paused', async () => {
    fake.addConnection('broken-setup', { setupState: 'broken' });
    expect(await fivetran.start(target('broken-setup'), { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: false, message: expect.stringContaining('broken') });
    const c = fake.addConnection('halted-later', { syncMs: 60_000 });
    const started = await fivetran.start(target('halted-later'), { force: false });
    if (!started.ok) throw new Error(started.message);
    c.paused = true;
    expect(await fivetran.status(started.run)).toMatchObject({ state: 'failed', message: expect.stringContaining('paused') });
  });

  it('polling errors say whether to retry', async () => {
    fake.addConnection('poll-errors');
    const started = await fivetran.start(target('poll-errors'), { force: false });
    if (!started.ok) throw new Error(started.message);
    fake.failNext('GET', /poll-errors$/, 503, { times: 2 });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    // A proxy's error page says nothing about the connection: try again later.
    fake.failNext('GET', /poll-errors$/, 502, { times: 2, page: true });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ reason: 'unavailable', retryable: true, message: 'Fivetran answered 502: no details' });
    fake.failNext('GET', /poll-errors$/, 404, { page: true });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ name: 'PipelineError', status: 404, reason: 'unavailable', retryable: true });
    // A proxy's 401/403 page is no answer either; Fivetran's own refusal (its JSON code) ends the following.
    fake.failNext('GET', /poll-errors$/, 403, { page: true });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ status: 403, reason: 'unavailable', retryable: true });
    fake.failNext('GET', /poll-errors$/, 401);
    await expect(fivetran.status(started.run)).rejects.toMatchObject({ status: 401, reason: 'forbidden', retryable: false });
  });

  it('a 403 (Fivetran: the key\'s role may not do this) is told apart from a 401 (the key itself), with Fivetran\'s own message', async () => {
    fake.addConnection('role-refusal', { syncMs: 60_000 });
    const started = await fivetran.start(target('role-refusal'), { force: false });
    if (!started.ok) throw new Error(started.message);
    const denied = { code: 'AccessDenied', message: 'You do not have permission to sync this connection' };
    fake.failNext('GET', /role-refusal$/, 403, { body: denied });
    await expect(fivetran.status(started.run)).rejects.toMatchObject({
      status: 403, reason: 'forbidden', retryable: false,
      message: "Fivetran refused this action (403): our API key's role lacks permission for this connection; ask a Fivetran admin to grant it (Fivetran says: You do not have permission to sync this connection).",
    });
    fake.failNext('POST', /role-refusal\/sync$/, 403, { body: denied });
    expect(await fivetran.start(target('role-refusal'), { force: true })).toEqual({
      ok: false, reason: 'failed', retryable: false,
      message: "Fivetran refused this action (403): our API key's role lacks permission for this connection; ask a Fivetran admin to grant it (Fivetran says: You do not have permission to sync this connection).",
    });
    fake.failNext('GET', /role-refusal$/, 401, { body: { code: 'AuthFailed', message: 'Invalid API key' } });
    await expect(fivetran.recentRun(target('role-refusal'), new Date())).rejects.toMatchObject({
      status: 401, reason: 'forbidden', retryable: false,
      message: 'Fivetran refused our API key (401); check FIVETRAN_API_KEY and FIVETRAN_API_SECRET (Fivetran says: Invalid API key).',
    });
  });

  it('a bare 401 or 403 (no body, or plain text, as Fivetran\'s gateway answers) ends the following and refuses the start, naming the key', async () => {
    fake.addConnection('bare-refusal', { syncMs: 60_000 });
    const started = await fivetran.start(target('bare-refusal'), { force: false });
    if (!started.ok) throw new Error(started.message);
    const keyMessage = 'Fivetran refused our API key (401); check FIVETRAN_API_KEY and FIVETRAN_API_SECRET.';
    for (const bare of ['empty', 'text'] as const) {
      fake.failNext('GET', /bare-refusal$/, 401, { bare });
      await expect(fivetran.status(started.run)).rejects.toMatchObject({ name: 'PipelineError', status: 401, reason: 'forbidden', retryable: false, message: keyMessage });
      fake.failNext('GET', /bare-refusal$/, 401, { bare });
      await expect(fivetran.recentRun(target('bare-refusal'), new Date())).rejects.toMatchObject({ status: 401, reason: 'forbidden', retryable: false, message: keyMessage });
    }
    // A bare 403 is a proxy's (Envoy's `RBAC: access denied`, Cloudflare's `error code: 1020`), not Fivetran's: asked again.
    for (const bare of ['empty', 'text'] as const) {
      fake.failNext('GET', /bare-refusal$/, 403, { bare });
      await expect(fivetran.status(started.run)).rejects.toMatchObject({ status: 403, reason: 'unavailable', retryable: true });
      fake.failNext('GET', /bare-refusal$/, 403, { bare });
      await expect(fivetran.recentRun(target('bare-refusal'), new Date())).rejects.toMatchObject({ status: 403, reason: 'unavailable', retryable: true });
      fake.failNext('GET', /bare-refusal$/, 403, { bare });
      expect(await fivetran.start(target('bare-refusal'), { force: true })).toEqual({ ok: false, reason: 'failed', retryable: true, message: "Fivetran's address answered 403, but not with Fivetran's own error (a proxy's?); nothing was started." });
    }
    // A proxy's HTML 401 or 403 on the start is no answer either: nothing started, and asked again.
    for (const status of [401, 403]) {
      fake.failNext('GET', /bare-refusal$/, status, { page: true });
      expect(await fivetran.start(target('bare-refusal'), { force: true })).toEqual({ ok: false, reason: 'failed', retryable: true, message: `Fivetran's address answered ${status}, but not with Fivetran's own error (a proxy's?); nothing was started.` });
      fake.failNext('POST', /bare-refusal\/sync$/, status, { page: true });
      expect(await fivetran.start(target('bare-refusal'), { force: true })).toEqual({ ok: false, reason: 'failed', retryable: true, message: `Fivetran's address answered ${status}, but not with Fivetran's own error (a proxy's?); nothing was started.` });
    }
    // A key Fivetran no longer takes, answered with no body at all: the start says so, and posts nothing.
    const syncsBefore = fake.syncRequests().length;
    fake.unauthorized = 'empty';
    try {
      const revoked = new FivetranRuns({ apiKey: 'revoked-key', apiSecret: 'revoked-secret', apiUrl: fake.url, maxRetryWaitMs: 2000 });
      expect(await revoked.start(target('bare-refusal'), { force: true })).toEqual({ ok: false, reason: 'failed', retryable: false, message: keyMessage });
      await expect(revoked.status(started.run)).rejects.toMatchObject({ reason: 'forbidden', retryable: false, message: keyMessage });
    } finally {
      fake.unauthorized = 'json';
    }
    expect(fake.syncRequests().length).toBe(syncsBefore);
  });

  it('ends a run whose connection was deleted while it was followed, rather than polling it until the timeout', async () => {
    fake.addConnection('deleted-later', { syncMs: 60_000 });
    const started = await fivetran.start(target('deleted-later'), { force: false });
    if (!started.ok) throw new Error(started.message);
    fake.connections.delete('deleted-later');
    // Fivetran's own 404 (`{ code: "NotFound_Connection", message }`): the run cannot end any more.
    expect(await fivetran.status(started.run)).toEqual({ state: 'failed', message: expect.stringContaining('no longer knows this connection') });
    await expect(fivetran.recentRun(target('deleted-later'), new Date())).rejects.toMatchObject({ reason: 'not_found', retryable: false });
  });

  it('recentRun: a sync running now, or one that ended since; null otherwise', async () => {
    const c = fake.addConnection('recent', { syncMs: 150 });
    expect(await fivetran.recentRun(target('recent'), new Date())).toBeNull();
    const since = new Date(Date.now() - 1);
    fake.beginSync(c); // Fivetran's own schedule, or our POST whose answer was lost
    const running = await fivetran.recentRun(target('recent'), since);
    expect(running).toMatchObject({ runId: 'recent' });
    expect(await until(fivetran, running!)).toEqual({ state: 'succeeded' });
    // Ended since: still found, and status says how it ended.
    const ended = await fivetran.recentRun(target('recent'), since);
    expect(await fivetran.status(ended!)).toEqual({ state: 'succeeded' });
    c.outcome = 'fail';
    const since2 = new Date();
    fake.beginSync(c);
    await new Promise((r) => setTimeout(r, 300));
    const failed = await fivetran.recentRun(target('recent'), since2);
    expect(await fivetran.status(failed!)).toMatchObject({ state: 'failed' });
    expect(await fivetran.recentRun(target('recent'), new Date(Date.now() + 60_000))).toBeNull();
  });

  it('reads a 200 that is not Fivetran\'s answer (a proxy\'s page) as no answer: it starts nothing and finds no run in it', async () => {
    const c = fake.addConnection('behind-proxy', { syncMs: 60_000 });
    const posts = fake.syncRequests().length;
    fake.failNext('GET', /behind-proxy$/, 200, { page: true });
    expect(await fivetran.start(target('behind-proxy'), { force: true })).toMatchObject({ ok: false, reason: 'failed', retryable: true, message: expect.stringContaining("not with the connection's details") });
    expect(fake.syncRequests().length).toBe(posts);
    // recentRun must not say "no run" when it could not see the connection: the caller would start a second one.
    fake.beginSync(c);
    fake.failNext('GET', /behind-proxy$/, 200, { page: true });
    await expect(fivetran.recentRun(target('behind-proxy'), new Date(Date.now() - 1000))).rejects.toMatchObject({ name: 'PipelineError', retryable: true });
    fake.failNext('GET', /behind-proxy$/, 200, { body: { code: 'Success' } });
    await expect(fivetran.status({ target: target('behind-proxy'), runId: 'behind-proxy', startedAt: new Date().toISOString(), baseline: { succeededAt: null, failedAt: null } }))
      .rejects.toMatchObject({ name: 'PipelineError', retryable: true });
    // Fivetran itself answers as usual.
    expect(await fivetran.recentRun(target('behind-proxy'), new Date(Date.now() - 1000))).toMatchObject({ runId: 'behind-proxy' });
  });

  it('reads a 200 page to POST /sync (not Fivetran\'s { code, message }) as an answer lost: maybe started, found or not by recentRun', async () => {
    const c = fake.addConnection('sync-behind-proxy', { syncMs: 60_000 });
    const since = new Date(Date.now() - 1000);
    fake.failNext('POST', /sync-behind-proxy\/sync$/, 200, { page: true });
    expect(await fivetran.start(target('sync-behind-proxy'), { force: false })).toMatchObject({ ok: false, retryable: true, maybeStarted: true });
    expect(c.syncs).toBe(0);
    expect(await fivetran.recentRun(target('sync-behind-proxy'), since)).toBeNull();
    // The proxy passed it on and paged the answer: the sync runs, and recentRun finds it.
    fake.failNext('POST', /sync-behind-proxy\/sync$/, 200, { page: true, afterEffect: true });
    expect(await fivetran.start(target('sync-behind-proxy'), { force: false })).toMatchObject({ ok: false, maybeStarted: true });
    expect(c.syncs).toBe(1);
    expect(await fivetran.recentRun(target('sync-behind-proxy'), since)).toMatchObject({ runId: 'sync-behind-proxy' });
  });

  it('reads a 404 page that is not Fivetran\'s (no `code`: a proxy\'s, or a wrong FIVETRAN_API_URL) as no answer, not as an unknown connection', async () => {
    fake.addConnection('behind-proxy-404');
    const posts = fake.syncRequests().length;
    fake.failNext('GET', /behind-proxy-404$/, 404, { page: true });
    const paged = await fivetran.start(target('behind-proxy-404'), { force: false });
    expect(paged).toMatchObject({ ok: false, reason: 'failed', retryable: true });
    expect(paged.ok ? '' : paged.message).not.toMatch(/does not know this connection/);
    fake.failNext('GET', /behind-proxy-404$/, 404, { bare: 'text' });
    expect(await fivetran.start(target('behind-proxy-404'), { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: true });
    expect(fake.syncRequests().length).toBe(posts);
    // Fivetran's own 404 ({ code: "NotFound_Connection", message }) is the connection unknown.
    expect(await fivetran.start(target('no-such-connection'), { force: false })).toMatchObject({ ok: false, reason: 'not_found', retryable: false, message: expect.stringContaining('does not know this connection') });
  });

  it('reads a proxy\'s page of a 409 or another 4xx to POST /sync as no answer (nothing started, asked again), not "a sync is already running"', async () => {
    const c = fake.addConnection('behind-proxy-4xx');
    for (const status of [409, 400, 405]) {
      fake.failNext('POST', /behind-proxy-4xx\/sync$/, status, { page: true });
      const paged = await fivetran.start(target('behind-proxy-4xx'), { force: false });
      expect(paged, String(status)).toMatchObject({ ok: false, reason: 'failed', retryable: true, message: expect.stringContaining('nothing was started') });
    }
    // A proxy's own JSON 409 (no Fivetran `code`) is no answer either.
    fake.failNext('POST', /behind-proxy-4xx\/sync$/, 409, { body: { error: 'conflict', message: 'upstream busy' } });
    expect(await fivetran.start(target('behind-proxy-4xx'), { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: true, message: expect.stringContaining('nothing was started') });
    expect(c.syncs).toBe(0);
    // Fivetran's own 409 ({ code, message }) is a sync already running.
    fake.failNext('POST', /behind-proxy-4xx\/sync$/, 409, { body: { code: 'Conflict', message: 'Sync is already in progress' } });
    expect(await fivetran.start(target('behind-proxy-4xx'), { force: false })).toMatchObject({ ok: false, reason: 'already_syncing', retryable: false });
  });

  it('never passes on its own key or secret, whatever Fivetran echoes back', async () => {
    // A real key is 16 letters and digits: to a pattern it looks like any word.
    const key = 'Kq7WmXzLp4RtVbNc';
    const secret = 'GhJkLmNpQrStVwXyZaBcDeFgHjKmNpQr';
    const own = await FakeFivetran.start({ apiKey: key, apiSecret: secret });
    try {
      const runs = new FivetranRuns({ apiKey: key, apiSecret: secret, apiUrl: own.url, maxRetryWaitMs: 0 });
      const echo = `key ${key} and secret ${secret} (Basic ${Buffer.from(`${key}:${secret}`).toString('base64')})`;
      own.failNext('GET', /echoing$/, 404, { body: { code: 'NotFound_Connection', message: `No connection 'echoing' for ${echo}` } });
      const refused = await runs.start(target('echoing'), { force: false });
      expect(refused).toMatchObject({ ok: false, reason: 'not_found', message: expect.stringContaining('[redacted]') });
      own.addConnection('echoing', { outcome: 'fail' });
      const started = await runs.start(target('echoing'), { force: false });
      if (!started.ok) throw new Error(started.message);
      // A 403 (any call may get one; a 400 is for a malformed body, and connection_details takes none).
      own.failNext('GET', /echoing$/, 403, { body: { code: 'AccessDenied', message: `No access for ${echo}` } });
      const polled = (await runs.status(started.run).catch((e: unknown) => e)) as Error;
      expect(polled.message).toContain('[redacted]');
      // A failed sync's task text, too.
      own.connections.get('echoing')!.outcome = 'fail';
      const failed = await until(runs, started.run);
      expect(failed.state).toBe('failed');
      own.connections.get('echoing')!.tasks = [{ code: 'reconnect', message: 'Reconnect', details: `Reconnect: ${echo}` }];
      const told = await runs.status(started.run);
      for (const said of [JSON.stringify(refused), polled.message, JSON.stringify(told)]) {
        expect(said).not.toContain(key);
        expect(said).not.toContain(secret);
      }
      expect(told).toMatchObject({ state: 'failed', message: expect.stringContaining('Reconnect') });
    } finally {
      await own.close();
    }
  });

  it('says so for an unknown or paused connection, and a wrong key, starting nothing', async () => {
    expect(await fivetran.start(target('nope'), { force: false })).toMatchObject({ ok: false, reason: 'not_found' });
    fake.addConnection('paused', { paused: true });
    expect(await fivetran.start(target('paused'), { force: false })).toMatchObject({ ok: false, reason: 'paused' });
    const wrong = new FivetranRuns({ apiKey: 'test-key', apiSecret: 'wrong-secret', apiUrl: fake.url });
    const res = await wrong.start(target('hubspot_daily'), { force: false });
    expect(res).toMatchObject({ ok: false, reason: 'failed' });
    expect(JSON.stringify(res)).not.toContain('wrong-secret');
    expect(fake.syncRequests().some((r) => /nope|paused/.test(r.path))).toBe(false);
  });

  it('the fake answers a POST /sync without Content-Type application/json with Fivetran\'s 415 and starts nothing, body or not', async () => {
    const c = fake.addConnection('no_media_type');
    const auth = { authorization: 'Basic ' + Buffer.from(`${fake.apiKey}:${fake.apiSecret}`).toString('base64'), accept: 'application/json;version=2' };
    const post = (headers: Record<string, string>, body?: string) => fetch(`${fake.url}v1/connections/no_media_type/sync`, { method: 'POST', headers: { ...auth, ...headers }, ...(body !== undefined ? { body } : {}) });
    expect((await post({})).status).toBe(415);
    expect((await post({ 'content-type': 'text/plain' }, '{"force":false}')).status).toBe(415);
    expect(c.syncs).toBe(0);
    expect(fake.spec.take()).toEqual(expect.arrayContaining([expect.stringContaining('missing header Content-Type'), expect.stringContaining('header Content-Type: "text/plain"')]));
    expect((await post({ 'content-type': 'application/json' })).status).toBe(200);
    expect(c.syncs).toBe(1);
  });
});

describe('BigQuery Data Transfer adapter', () => {
  let fake: FakeDataTransfer;
  let dts: DataTransferRuns;
  const target = { kind: 'data_transfer' as const, transferConfig: CONFIG };
  const dt = (transferConfig: string) => ({ kind: 'data_transfer' as const, transferConfig });
  let n = 0;
  /** A config of its own for each test, named by project ID (the service answers with the number). */
  const freshConfig = (init: Parameters<FakeDataTransfer['addConfig']>[1] = {}, withLocation = true) => {
    const name = `projects/analytics-demo/${withLocation ? 'locations/us/' : ''}transferConfigs/cfg-${++n}`;
    fake.addConfig(name, init);
    return name;
  };
  beforeAll(async () => {
    fake = await FakeDataTransfer.start();
    dts = new DataTransferRuns({ authHeaders: async () => ({ authorization: `Bearer ${fake.token}` }), apiUrl: fake.url, maxRetryWaitMs: 2000 });
  });
  afterAll(() => fake.close());

  it('starts a manual run at a past whole second and follows it PENDING → RUNNING → SUCCEEDED', async () => {
    fake.addConfig(CONFIG);
    const before = Date.now();
    const started = await dts.start(target, { force: false });
    if (!started.ok) throw new Error(started.message);
    const req = fake.startRequests().at(-1)!;
    expect(req.path).toBe(`/v1/${CONFIG}:startManualRuns`);
    const runTime = (req.body as { requestedRunTime: string }).requestedRunTime;
    expect(runTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    expect(Date.parse(runTime)).toBeLessThan(before);
    expect(req.authorization).toBe(`Bearer ${fake.token}`);
    // Google names the run with the project number.
    expect(started.run.runId).toMatch(/^projects\/\d+\/locations\/us\/transferConfigs\/prod-subscriptions\/runs\/\w+$/);
    expect(await until(dts, started.run)).toEqual({ state: 'succeeded' });
  });

  it('accepts the run Google names with the project number and a location the config name left out', async () => {
    const name = freshConfig({}, false); // projects/analytics-demo/transferConfigs/cfg-N
    const started = await dts.start(dt(name), { force: false });
    expect(started).toMatchObject({ ok: true, run: { runId: expect.stringMatching(/^projects\/\d+\/locations\/us\/transferConfigs\/cfg-\d+\/runs\//) } });
    if (!started.ok) return;
    expect(await until(dts, started.run)).toEqual({ state: 'succeeded' });
    expect(fake.manualRuns().filter((r) => r.config.configId === name.split('/').at(-1)).length).toBe(1);
  });

  it('never asks for a run time in the future, even when the host clock is ahead of Google\'s', async () => {
    const name = freshConfig();
    const ahead = new DataTransferRuns({ authHeaders: async () => ({ authorization: `Bearer ${fake.token}` }), apiUrl: fake.url, now: () => new Date(Date.now() + 3000) });
    expect(await ahead.start(dt(name), { force: false })).toMatchObject({ ok: true });
  });

  it('does not retry a startManualRuns that failed with a 5xx after creating its run: it finds the run instead', async () => {
    const name = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 503, { afterEffect: true });
    const started = await dts.start(dt(name), { force: false });
    expect(fake.startRequests().filter((r) => r.path.includes(name)).length).toBe(1);
    expect(fake.manualRuns().filter((r) => name.endsWith(r.config.configId)).length).toBe(1);
    expect(started).toMatchObject({ ok: true, run: { runId: expect.stringContaining(`/transferConfigs/${name.split('/').at(-1)}/runs/`) } });
    if (started.ok) expect(await until(dts, started.run)).toEqual({ state: 'succeeded' });
  });

  it('finds the run when the answer to startManualRuns is lost (connection dropped)', async () => {
    const name = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 'drop', { afterEffect: true });
    const started = await dts.start(dt(name), { force: false });
    expect(started.ok).toBe(true);
    expect(fake.startRequests().filter((r) => r.path.includes(name)).length).toBe(1);
  });

  it('reports a 5xx that created nothing as a retryable failure, with one POST', async () => {
    const name = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 500);
    expect(await dts.start(dt(name), { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: true, message: expect.stringContaining('500') });
    expect(fake.startRequests().filter((r) => r.path.includes(name)).length).toBe(1);
  });

  it('reports a failed run with its errorStatus, one without a message, and a cancelled run', async () => {
    const failing = freshConfig({ outcome: 'fail' });
    const started = await dts.start(dt(failing), { force: false });
    if (!started.ok) throw new Error(started.message);
    expect(await until(dts, started.run)).toMatchObject({ state: 'failed', message: expect.stringContaining('was not found') });

    const silent = freshConfig({ outcome: 'fail', errorWithoutMessage: true });
    const s2 = await dts.start(dt(silent), { force: false });
    if (!s2.ok) throw new Error(s2.message);
    expect(await until(dts, s2.run)).toEqual({ state: 'failed', message: 'The transfer run failed (BigQuery gave no reason).' });

    const cancelled = freshConfig({ outcome: 'cancel' });
    const s3 = await dts.start(dt(cancelled), { force: false });
    if (!s3.ok) throw new Error(s3.message);
    expect(await until(dts, s3.run)).toEqual({ state: 'failed', message: 'The transfer run was cancelled.' });
  });

  it('handles 409, 429 with Retry-After and an unknown config', async () => {
    const name = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 409);
    expect(await dts.start(dt(name), { force: false })).toMatchObject({ ok: false, reason: 'already_syncing', retryable: false });
    // 409 is also ABORTED (google.rpc.Code: a concurrency conflict, retried at a higher level): no run in progress to speak of.
    fake.failNext('POST', /startManualRuns$/, 409, { rpcStatus: 'ABORTED' });
    const aborted = await dts.start(dt(name), { force: false });
    expect(aborted).toMatchObject({ ok: false, reason: 'failed', retryable: true });
    expect(aborted.ok ? '' : aborted.message).not.toMatch(/already in progress/);
    fake.failNext('POST', /startManualRuns$/, 429, { headers: { 'Retry-After': '1' } });
    expect((await dts.start(dt(name), { force: false })).ok).toBe(true);
    expect(await dts.start(dt('projects/p/locations/us/transferConfigs/missing'), { force: false })).toMatchObject({ ok: false, reason: 'not_found', retryable: false });
  });

  it('reads when to retry from a google.rpc.RetryInfo in the error\'s details when no Retry-After came', async () => {
    const name = freshConfig();
    // Longer than the adapter waits (2 s here): one POST, and the delay goes back to the job runner.
    fake.failNext('POST', /startManualRuns$/, 429, { retryDelay: '60s' });
    expect(await dts.start(dt(name), { force: false })).toMatchObject({ ok: false, reason: 'rate_limited', retryable: true, retryAfterMs: 60_000 });
    expect(fake.startRequests().filter((r) => r.path.includes(name)).length).toBe(1);
    fake.failNext('POST', /startManualRuns$/, 429, { retryDelay: '1.5s' });
    const started = await dts.start(dt(name), { force: false });
    if (!started.ok) throw new Error(started.message);
    // While following too; a Duration may have a fraction of a second.
    fake.failNext('GET', /\/runs\/[^/]+$/, 429, { retryDelay: '90.5s' });
    await expect(dts.status(started.run)).rejects.toMatchObject({ reason: 'rate_limited', retryAfterMs: 90_500 });
  });

  it('honours a google.rpc.RetryInfo on a 5xx (UNAVAILABLE) as on a 429: waits it out, or gives it to the job runner', async () => {
    const name = freshConfig();
    const started = await dts.start(dt(name), { force: false });
    if (!started.ok) throw new Error(started.message);
    const gets = () => fake.requests.filter((r) => r.method === 'GET' && r.path === `/v1/${started.run.runId}`).length;
    // Longer than the adapter waits (2 s here): one GET, and the delay goes back to the job runner.
    let before = gets();
    fake.failNext('GET', /\/runs\/[^/]+$/, 503, { retryDelay: '60s' });
    await expect(dts.status(started.run)).rejects.toMatchObject({ reason: 'unavailable', retryable: true, retryAfterMs: 60_000 });
    expect(gets() - before).toBe(1);
    // Shorter: asked again once the delay has passed, not after half a second.
    before = gets();
    fake.failNext('GET', /\/runs\/[^/]+$/, 503, { retryDelay: '1.5s' });
    const t0 = Date.now();
    await expect(dts.status(started.run)).resolves.toMatchObject({ state: expect.any(String) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1450);
    expect(gets() - before).toBe(2);
    // A start's 5xx that created nothing: the runner is told when to try again.
    const other = freshConfig();
    fake.failNext('POST', /startManualRuns$/, 503, { retryDelay: '45s' });
    expect(await dts.start(dt(other), { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: true, retryAfterMs: 45_000 });
    expect(fake.startRequests().filter((r) => r.path.includes(other)).length).toBe(1);
  });

  it('polling errors are PipelineErrors that say whether to retry', async () => {
    const name = freshConfig();
    const started = await dts.start(dt(name), { force: false });
    if (!started.ok) throw new Error(started.message);
    fake.failNext('GET', /\/runs\/[^/]+$/, 503, { times: 2 });
    await expect(dts.status(started.run)).rejects.toMatchObject({ code: 'pipeline_failed', reason: 'unavailable', retryable: true });
    // Google's own 404 (its JSON error): the run is gone, and so is any end of it.
    await expect(dts.status({ ...started.run, runId: `${started.run.runId}x` })).resolves.toMatchObject({ state: 'failed', message: expect.stringMatching(/no longer knows this run/) });
    // Google's own refusal of our credentials ends the following; a proxy's page of any status is only no answer.
    fake.failNext('GET', /\/runs\/[^/]+$/, 403);
    await expect(dts.status(started.run)).rejects.toMatchObject({ reason: 'forbidden', retryable: false });
    fake.failNext('GET', /\/runs\/[^/]+$/, 403, { page: true });
    await expect(dts.status(started.run)).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    // Listing runs (recentRun, which a start after a restart asks first) reads them the same way.
    fake.failNext('GET', /\/runs$/, 403, { page: true });
    await expect(dts.recentRun(dt(name), new Date())).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    fake.failNext('GET', /\/runs$/, 404, { page: true });
    await expect(dts.recentRun(dt(name), new Date())).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    fake.failNext('GET', /\/runs$/, 403);
    await expect(dts.recentRun(dt(name), new Date())).rejects.toMatchObject({ reason: 'forbidden', retryable: false });
  });

  it('recentRun: the manual run requested at or after `since`, across pages and whatever the order; null when none (a scheduled run is not ours)', async () => {
    const name = freshConfig();
    const config = fake.config(name)!;
    for (let i = 0; i < 5; i++) fake.addScheduledRun(config, new Date(Date.now() - (10 - i) * 3_600_000));
    expect(await dts.recentRun(dt(name), new Date())).toBeNull();
    const since = new Date();
    // The config's own schedule began a run just then: not one the bot asked for (its `schedule` is set).
    fake.addScheduledRun(config, new Date(since.getTime() - 3_000));
    fake.addScheduledRun(config, new Date(since.getTime() + 1_000));
    expect(await dts.recentRun(dt(name), since)).toBeNull();
    const started = await dts.start(dt(name), { force: false });
    if (!started.ok) throw new Error(started.message);
    for (const order of ['oldest-first', 'newest-first'] as const) {
      fake.listOrder = order;
      const found = await dts.recentRun(dt(name), since);
      expect(found).toMatchObject({ runId: started.run.runId, target: dt(name) });
      expect(await until(dts, found!)).toEqual({ state: 'succeeded' });
    }
    fake.listOrder = 'oldest-first';
    expect(fake.requests.filter((r) => r.path.endsWith('/runs')).every((r) => r.query['pageSize'] === '1000')).toBe(true);
  });

  it('recentRun: a manual run that had ended before `since` is an earlier one: a rerun asked right after a failed one, whose start met a 503 that created nothing, does not follow that failure again', async () => {
    const name = freshConfig({ outcome: 'fail', pendingMs: 0, runMs: 20 });
    const first = await dts.start(dt(name), { force: false });
    if (!first.ok) throw new Error(first.message);
    expect(await until(dts, first.run)).toMatchObject({ state: 'failed' });
    // Asked again in a later second (a person clicking again): its run time, in whole seconds, is a later one.
    await new Promise((r) => setTimeout(r, 1_005 - (Date.now() % 1_000)));
    const since = new Date();
    expect(await dts.recentRun(dt(name), since)).toBeNull();
    fake.failNext('POST', /startManualRuns$/, 503);
    expect(await dts.start(dt(name), { force: false })).toMatchObject({ ok: false, retryable: true });
    // Its own run is found, even once it has ended (it ended after `since`).
    const second = await dts.start(dt(name), { force: false });
    if (!second.ok) throw new Error(second.message);
    expect(await until(dts, second.run)).toMatchObject({ state: 'failed' });
    expect(await dts.recentRun(dt(name), since)).toMatchObject({ runId: second.run.runId });
  });

  it('fails clearly without credentials', async () => {
    const noAuth = new DataTransferRuns({ authHeaders: async () => ({}), apiUrl: fake.url });
    expect(await noAuth.start(target, { force: false })).toMatchObject({ ok: false, reason: 'failed', retryable: false, message: expect.stringContaining('401') });
    // The fake counts a request without the Bearer header as refused by the spec, which is the point here.
    expect(fake.spec.take()).toEqual([expect.stringContaining('no Authorization header')]);
  });
});

describe('simulated runner on the embedded warehouse', () => {
  let w: EmbeddedWarehouse;
  beforeAll(async () => {
    w = await openEmbeddedWarehouse({ dataDir: ':memory:', timeoutMs: 30_000 });
    await ensureDemoSources(w);
  }, 120_000);
  afterAll(() => w.close());

  it('refreshes the source tables after the run, and refuses a second run meanwhile', async () => {
    const catalog = loadSources('sources.yml');
    const p = new SimulatedRuns({ warehouse: w, catalog, durationMs: 100 });
    const hubspot = catalog.get('hubspot')!.rerun!;
    const before = await w.query(`SELECT MAX(_fivetran_synced) AS t FROM {{hubspot_contacts}}`);
    const started = await p.start(hubspot, { force: false });
    if (!started.ok) throw new Error(started.message);
    expect(await p.start(hubspot, { force: false })).toMatchObject({ ok: false, reason: 'already_syncing' });
    expect(await until(p, started.run)).toEqual({ state: 'succeeded' });
    const after = await w.query(`SELECT MAX(_fivetran_synced) AS t FROM {{hubspot_contacts}}`);
    expect((after.rows[0]!['t'] as Date).getTime()).toBeGreaterThan((before.rows[0]!['t'] as Date).getTime());
    const [meta] = await w.tableFreshness(['hubspot_companies']);
    expect(Date.now() - meta!.lastModified!.getTime()).toBeLessThan(60_000);
  });

  it('survives a restart: the run is followed from its stored handle, found by recentRun, applied once', async () => {
    const catalog = loadSources('sources.yml');
    let now = Date.now() + 3_600_000; // later than the previous test's run
    const clock = () => new Date(now);
    const salesforce = catalog.get('salesforce')!.rerun!;
    const since = clock();
    const first = new SimulatedRuns({ warehouse: w, catalog, durationMs: 60_000, now: clock });
    const started = await first.start(salesforce, { force: false });
    if (!started.ok) throw new Error(started.message);
    const stored = JSON.parse(JSON.stringify(started.run)) as RunHandle;

    // "Restart": a new runner on the same warehouse, no memory of the first.
    const second = new SimulatedRuns({ warehouse: w, catalog, durationMs: 60_000, now: clock });
    expect(await second.start(salesforce, { force: false })).toMatchObject({ ok: false, reason: 'already_syncing' });
    expect(await second.recentRun(salesforce, since)).toEqual(stored);
    expect(await second.recentRun(salesforce, new Date(now + 1))).toBeNull();
    expect(await second.status(stored)).toEqual({ state: 'running' });
    now += 61_000;
    expect(await second.status(stored)).toEqual({ state: 'succeeded' });
    const [once] = await w.tableFreshness(['salesforce_accounts']);
    expect(once!.lastModified!.getTime()).toBe(Date.parse(stored.startedAt) + 60_000);
    now += 60_000;
    expect(await second.status(stored)).toEqual({ state: 'succeeded' });
    const [twice] = await w.tableFreshness(['salesforce_accounts']);
    expect(twice!.lastModified!.getTime()).toBe(once!.lastModified!.getTime());
    expect((await second.start(salesforce, { force: false })).ok).toBe(true);
  });
});

describe('demo sources across restarts', () => {
  it('keeps what reruns did for a while, then sets the demo states again', async () => {
    const dir = await freshDataDir();
    const hubspotAge = async (w: EmbeddedWarehouse, at: Date) => {
      const r = await w.query(`SELECT MAX(_fivetran_synced) AS t FROM {{hubspot_contacts}}`);
      return (at.getTime() - (r.rows[0]!['t'] as Date).getTime()) / 3_600_000;
    };
    const open = () => openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
    const t0 = new Date();
    let w = await open();
    expect(await ensureDemoSources(w, t0)).toBe(true);
    expect(await hubspotAge(w, t0)).toBeCloseTo(30, 0);
    await refreshDemoTables(w, ['hubspot_contacts'], t0);
    await w.close();

    const t1 = new Date(t0.getTime() + 3_600_000);
    w = await open();
    expect(await ensureDemoSources(w, t1)).toBe(false);
    expect(await hubspotAge(w, t1)).toBeCloseTo(1, 0);
    await w.close();

    const t2 = new Date(t0.getTime() + 13 * 3_600_000);
    w = await open();
    expect(await ensureDemoSources(w, t2)).toBe(true);
    expect(await hubspotAge(w, t2)).toBeCloseTo(30, 0);
    await w.close();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});

describe('choosing the runner', () => {
  const catalog = loadSources('sources.yml');
  it('needs Fivetran credentials for live reruns of Fivetran sources', async () => {
    const config = loadConfig({ PIPELINES: 'live' });
    await expect(openPipelineRuns(config.freshness, catalog, { kind: 'bigquery' } as never)).rejects.toThrow(ConfigError);
    const ok = loadConfig({ PIPELINES: 'live', FIVETRAN_API_KEY: 'k', FIVETRAN_API_SECRET: 'secret-value' });
    expect(await openPipelineRuns(ok.freshness, catalog, { kind: 'bigquery' } as never)).toBeInstanceOf(LiveRuns);
  });
  it('refuses simulated reruns on BigQuery', async () => {
    await expect(openPipelineRuns(loadConfig({}).freshness, catalog, { kind: 'bigquery' } as never)).rejects.toThrow(/PIPELINES/);
  });
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('reads Retry-After that is neither whole seconds nor an HTTP date as unreadable, not as "now"', () => {
    // V8's Date.parse takes these for dates in 2000 and 2001: a wait of 0, and a retry at once.
    for (const v of ['1.5', '-1', '0.5', '2 ']) expect(parseRetryAfter(v), v).toBe(v.trim() === '2' ? 2000 : undefined);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z'))).toBe(60_000);
    // RFC 9110 also names the obsolete RFC 850 and asctime forms.
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z'))).toBe(60_000);
    expect(parseRetryAfter('Wed Oct 21 07:28:00 2015', Date.parse('2015-10-21T07:27:00Z'))).toBeDefined();
  });
});
