/**
 * Reruns through Fivetran end to end: the bot on the real HTTP receiver with
 * PIPELINES=live, talking to a loopback server that follows Fivetran's REST
 * API. The rerun message follows each outcome: success, a failed sync with
 * Fivetran's reason, 409 with a forced rerun behind a confirm dialog, 429
 * with Retry-After, 500, and a sync stuck in `rescheduled`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, embedded, StandinDefaults, type TestBot } from './support/harness.js';
import { FakeFivetran } from './support/fake-fivetran.js';
import { refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { StoredMessage } from '../src/slack-standin/server.js';
import { ActionIds } from '../src/ids.js';

const channel = StandinDefaults.channel;
const bizops = StandinDefaults.users.bizops;

let t: TestBot;
let fivetran: FakeFivetran;

beforeAll(async () => {
  fivetran = await FakeFivetran.start();
  t = await startTestBot({
    env: {
      PIPELINES: 'live', FIVETRAN_API_KEY: fivetran.apiKey, FIVETRAN_API_SECRET: fivetran.apiSecret, FIVETRAN_API_URL: fivetran.url,
      // A rerun is followed until 10 s after it was asked for. The starts that meet 429s and 500s take 3 to 5 s
      // before the sync begins, more on a busy machine: with a shorter timeout their sync would be polled once, past
      // the deadline, and read as not finished unless the fake had already ended it.
      FRESHNESS_CHECK_INTERVAL_MS: '0', RERUN_POLL_MS: '50', RERUN_TIMEOUT_SECONDS: '10',
    },
  });
  await t.bot.services.freshness.prepare();
  const tables: Record<string, string[]> = { hubspot_daily: ['hubspot_contacts', 'hubspot_companies'], github_org: ['github_commits'], salesforce_main: ['salesforce_accounts', 'salesforce_opportunities'] };
  fivetran.onSucceeded = async (id) => {
    await refreshDemoTables(embedded(t.warehouse), tables[id] ?? []);
  };
}, 120_000);

afterAll(async () => {
  await fivetran?.close();
  await t?.stop();
});

const render = (m: StoredMessage | undefined) => blocksToText({ text: m?.text, blocks: m?.blocks ?? [] });
const syncs = (id: string) => fivetran.syncRequests().filter((r) => r.path === `/v1/connections/${id}/sync`);

/** Runs `/pipeline rerun <source>` as BizOps and waits for the rerun message to reach its end. */
async function rerun(source: string, until: RegExp, timeoutMs = 15_000): Promise<{ answer: string; message: StoredMessage }> {
  const before = new Set(t.standin.conversation(channel).map((m) => m.ts));
  const { ack } = await t.standin.runCommand(t.client, { command: '/pipeline', text: `rerun ${source}`, userId: bizops, channelId: channel });
  const id = ack.responseUrl.split('/').pop();
  const answer = await t.standin.waitFor(() => t.standin.responses.find((r) => r.id === id), { timeoutMs: 15_000 });
  const message = await t.standin.waitFor(
    () => t.standin.conversation(channel).find((m) => !before.has(m.ts) && m.text.startsWith('Rerun of') && until.test(render(m))),
    { timeoutMs },
  );
  return { answer: blocksToText(answer.body as never), message };
}

describe('reruns through Fivetran', () => {
  it('follows a sync to success, then reports the freshness check', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 300 });
    const { answer, message } = await rerun('hubspot', /Freshness check/);
    expect(answer).toMatch(/Rerun of HubSpot started/);
    expect(render(message)).toMatch(/succeeded[\s\S]*HubSpot is fresh/);
    // Its notification text (previews, screen readers) says what the check found too.
    expect(message.text).toBe('Rerun of HubSpot: succeeded; HubSpot is fresh');
    expect(JSON.stringify(message.blocks)).toContain('Fivetran connection `hubspot_daily`');
    expect(syncs('hubspot_daily').map((r) => r.body)).toEqual([{ force: false }]);
    expect(await t.bot.services.freshness.freshness.activeRerun('hubspot')).toBeUndefined();
  });

  it('shows a failed sync with Fivetran\'s reason, and that the data is still stale', async () => {
    fivetran.addConnection('github_org', { outcome: 'fail', syncMs: 100 });
    const { message } = await rerun('github', /Freshness check/);
    const text = render(message);
    expect(text).toMatch(/failed/);
    expect(text).toContain('HubSpot OAuth token expired');
    expect(text).toMatch(/GitHub is still stale/);
    expect(message.text).toMatch(/^Rerun of GitHub: failed.*; GitHub is still stale$/);
  });

  it('on 409 offers a forced rerun behind a confirm dialog, which restarts the sync', async () => {
    fivetran.addConnection('salesforce_main', { syncMs: 200 });
    fivetran.failNext('POST', /salesforce_main\/sync$/, 409, { body: { code: 'Conflict', message: 'Sync is already in progress' } });
    const { message } = await rerun('salesforce', /failed/);
    expect(render(message)).toContain('already in progress');
    const force = JSON.stringify(message.blocks);
    expect(force).toContain(ActionIds.rerunForce);
    expect(force).toMatch(/"confirm":\{"title"/);
    await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: message.ts, actionId: ActionIds.rerunForce, timeoutMs: 15_000 });
    const forced = await t.standin.waitFor(
      () => t.standin.conversation(channel).find((m) => m.ts !== message.ts && m.text.startsWith('Rerun of Salesforce') && /Freshness check/.test(render(m))),
      { timeoutMs: 15_000 },
    );
    expect(render(forced)).toMatch(/\(forced\)[\s\S]*succeeded/);
    expect(syncs('salesforce_main').map((r) => r.body)).toEqual([{ force: false }, { force: true }]);
  });

  it('waits out 429 with Retry-After', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 100 });
    fivetran.failNext('POST', /hubspot_daily\/sync$/, 429, { headers: { 'Retry-After': '1' } });
    const limited = await rerun('hubspot', /Freshness check/);
    expect(render(limited.message)).toMatch(/succeeded/);
  });

  it('hands a 429 that outlasts the adapter\'s own waits to the job runner, which starts the sync after Retry-After', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 10 });
    const before = syncs('hubspot_daily').length;
    // The adapter waits out two; the third reaches the rerun service, which must not call it a failure.
    fivetran.failNext('POST', /hubspot_daily\/sync$/, 429, { headers: { 'Retry-After': '1' }, times: 3 });
    const limited = await rerun('hubspot', /Freshness check/, 20_000);
    expect(render(limited.message)).toMatch(/succeeded/);
    expect(syncs('hubspot_daily').length).toBe(before + 4);
  });

  it('a 429 without Retry-After (Fivetran does not promise the header) is backed off, not hammered, and the sync starts', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 10 });
    const before = syncs('hubspot_daily').length;
    // Three outlast the adapter's own waits (a second each); the job runner's backoff takes over, then the sync starts.
    fivetran.failNext('POST', /hubspot_daily\/sync$/, 429, { times: 3 });
    const limited = await rerun('hubspot', /Freshness check/, 20_000);
    expect(render(limited.message)).toMatch(/succeeded/);
    const tries = syncs('hubspot_daily').slice(before);
    expect(tries.length).toBe(4);
    for (let i = 1; i < tries.length; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(950);
  });

  it('asks again later when a proxy answers the look before the sync with a page (even a 200): nothing started, then the sync runs', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 10 });
    const before = syncs('hubspot_daily').length;
    fivetran.failNext('GET', /hubspot_daily$/, 200, { page: true });
    const { message } = await rerun('hubspot', /Freshness check/, 20_000);
    expect(render(message)).toMatch(/succeeded/);
    expect(syncs('hubspot_daily').length).toBe(before + 1);
  });

  it('after two 500s to POST /sync (which may have started a sync) asks Fivetran, then starts the sync', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 100 });
    fivetran.failNext('POST', /hubspot_daily\/sync$/, 500, { times: 2 });
    const before = syncs('hubspot_daily').length;
    const { message } = await rerun('hubspot', /Freshness check/);
    expect(render(message)).toMatch(/succeeded/);
    // Two answered 500 (the adapter retries a non-forced sync once); the start job ran again, saw no sync, and asked once more.
    expect(syncs('hubspot_daily').length).toBe(before + 3);
  });

  it('adopts the sync a forced POST /sync started before Fivetran answered 500, and forces no second one', async () => {
    const c = fivetran.addConnection('salesforce_main', { syncMs: 400 });
    const before = syncs('salesforce_main').length;
    fivetran.failNext('POST', /salesforce_main\/sync$/, 500, { afterEffect: true });
    const latest = () => t.standin.conversation(channel).filter((m) => m.text.startsWith('Rerun of Salesforce')).at(-1);
    const known = latest()?.ts;
    expect((await t.bot.services.freshness.reruns.rerun({ source: 'salesforce', userId: bizops, force: true })).kind).toBe('started');
    const done = await t.standin.waitFor(() => {
      const m = latest();
      return m && m.ts !== known && /Freshness check/.test(render(m)) ? m : undefined;
    }, { timeoutMs: 15_000 });
    expect(render(done)).toMatch(/\(forced\)[\s\S]*succeeded/);
    expect(syncs('salesforce_main').slice(before).map((r) => r.body)).toEqual([{ force: true }]);
    expect(c.syncs).toBe(1);
  });

  it('reports a start that keeps failing with 5xx after its last attempt', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 100 });
    // Four attempts of the start job, each sending POST /sync twice.
    fivetran.failNext('POST', /hubspot_daily\/sync$/, 500, { times: 8 });
    const broken = await rerun('hubspot', /failed/, 28_000);
    expect(render(broken.message)).toMatch(/Fivetran answered 500/);
    expect(render(broken.message)).not.toMatch(/\.(js|ts):\d+/);
    expect(await t.bot.services.freshness.freshness.activeRerun('hubspot')).toBeUndefined();
  }, 40_000);

  it('ends a followed sync at once when Fivetran answers a bare 401 (no body): says the key was refused, not "timed out"', async () => {
    fivetran.addConnection('hubspot_daily', { syncMs: 60_000 });
    const { message } = await rerun('hubspot', /running/);
    const from = fivetran.requests.length;
    fivetran.failNext('GET', /hubspot_daily$/, 401, { bare: 'empty' });
    await t.standin.waitFor(() => /Freshness check/.test(render(t.standin.message(channel, message.ts))), { timeoutMs: 15_000 });
    const text = render(t.standin.message(channel, message.ts));
    expect(text).toMatch(/failed/);
    expect(text).toContain('Fivetran refused our API key (401); check FIVETRAN_API_KEY and FIVETRAN_API_SECRET.');
    expect(text).not.toMatch(/timed out/);
    // The refusal ended the following: no status read after it.
    const reads = fivetran.requests.slice(from).filter((r) => r.method === 'GET' && r.path === '/v1/connections/hubspot_daily');
    expect(reads).toHaveLength(1);
    expect(await t.bot.services.freshness.freshness.activeRerun('hubspot')).toBeUndefined();
  });

  it('shows a sync stuck in rescheduled and stops following it', async () => {
    fivetran.addConnection('github_org', { outcome: 'reschedule', syncMs: 100 });
    const { message } = await rerun('github', /I am not waiting on it/);
    expect(render(message)).toMatch(/rescheduled/);
    await t.standin.waitFor(() => /Freshness check/.test(render(t.standin.message(channel, message.ts))), { timeoutMs: 15_000 });
    expect(await t.bot.services.freshness.freshness.activeRerun('github')).toBeUndefined();
  });

  it('follows a rescheduled sync that Fivetran resumes to its end, for the whole timeout', async () => {
    // Rescheduled after 0.1 s, resumed 3 s later, then 0.6 s of syncing: done at about 3.7 s, within the 10 s timeout
    // but after the shorter wait a rescheduled sync gets (a quarter of the timeout, 2.5 s, from when it was seen rescheduled).
    fivetran.addConnection('github_org', { outcome: 'reschedule', syncMs: 100, rescheduleMs: 3_000, resume: { outcome: 'succeed', syncMs: 600 } });
    const before = syncs('github_org').length;
    const { message } = await rerun('github', /Freshness check/);
    const text = render(message);
    expect(text).toMatch(/succeeded/);
    expect(text).not.toMatch(/timed out|not waiting on it/);
    expect(syncs('github_org').length).toBe(before + 1);
    const doc = (await t.store.list<{ sourceId: string; phase: string; startedAt: string }>('reruns', {})).map((d) => d.data).filter((d) => d.sourceId === 'github').sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1);
    expect(doc?.phase).toBe('succeeded');
  });

  it('says a rescheduled sync on a manual schedule will not run by itself, and stops following it at once', async () => {
    fivetran.addConnection('github_org', { outcome: 'reschedule', syncMs: 100, scheduleType: 'manual' });
    const { message } = await rerun('github', /syncs only when asked/);
    expect(render(message)).toMatch(/its schedule is manual\), so it will not run by itself\. Rerun it then\./);
    expect(render(message)).not.toMatch(/I am not waiting on it/);
    await t.standin.waitFor(() => /Freshness check/.test(render(t.standin.message(channel, message.ts))), { timeoutMs: 15_000 });
    expect(await t.bot.services.freshness.freshness.activeRerun('github')).toBeUndefined();
  });

  it('shows a running rerun in /pipeline status, and a second rerun starts nothing', async () => {
    fivetran.addConnection('salesforce_main', { syncMs: 1500 });
    const before = syncs('salesforce_main').length;
    const first = await rerun('salesforce', /running/);
    const status = await t.standin.runCommand(t.client, { command: '/pipeline', text: 'status', userId: bizops, channelId: channel });
    const statusText = blocksToText(status.replies.find((r) => r.via === 'response_url')?.body as never);
    expect(statusText).toMatch(/running\*? \*?Salesforce[\s\S]*rerun requested by/);
    const again = await t.standin.runCommand(t.client, { command: '/pipeline', text: 'rerun salesforce', userId: bizops, channelId: channel });
    expect(blocksToText(again.replies.find((r) => r.via === 'response_url')?.body as never)).toMatch(/already rerunning[\s\S]*I started nothing/);
    expect(syncs('salesforce_main').length).toBe(before + 1);
    await t.standin.waitFor(() => /Freshness check/.test(render(t.standin.message(channel, first.message.ts))), { timeoutMs: 15_000 });
  });

  it('never logs the Fivetran key or secret', () => {
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(fivetran.apiSecret);
    expect(logs).not.toContain(Buffer.from(`${fivetran.apiKey}:${fivetran.apiSecret}`).toString('base64'));
  });
});
