/**
 * Two bot processes (replicas) sharing one Firestore store (the emulator),
 * one Slack stand-in and one warehouse, both scheduling freshness checks
 * every 100 ms, with reruns going to a loopback Fivetran: exactly one alert
 * per stale source, exactly one rerun per click, however the click is
 * delivered.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { startTestBots, freshDataDir, StandinDefaults, type TestBot } from './support/harness.js';
import { CONTENDED_TX_MS, firestoreAvailable } from './support/firestore-emulator.js';
import { FakeFivetran } from './support/fake-fivetran.js';
import { showBotLogsOnFailure } from './support/failure-logs.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import { SlackStandin } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { Store } from '../src/ports/store.js';
import { ActionIds } from '../src/ids.js';

const firestore = firestoreAvailable();
const channel = StandinDefaults.channel;
const bizops = StandinDefaults.users.bizops;

describe.skipIf(!firestore.available)('two replicas on one Firestore', () => {
  let standin: SlackStandin;
  let warehouse: EmbeddedWarehouse;
  let dir: string;
  let fivetran: FakeFivetran;
  let stores: Store[];
  let bots: TestBot[];

  beforeAll(async () => {
    standin = new SlackStandin();
    await standin.start();
    dir = await freshDataDir();
    warehouse = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
    fivetran = await FakeFivetran.start();
    for (const id of ['hubspot_daily', 'salesforce_main', 'github_org']) fivetran.addConnection(id, { syncMs: 300 });
    fivetran.onSucceeded = async (id) => {
      if (id === 'hubspot_daily') await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies']);
    };
    const prefix = `t${randomUUID().slice(0, 8)}_`;
    stores = [0, 1].map(() => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }));
    const env = {
      PIPELINES: 'live', FIVETRAN_API_KEY: fivetran.apiKey, FIVETRAN_API_SECRET: fivetran.apiSecret, FIVETRAN_API_URL: fivetran.url,
      FRESHNESS_CHECK_INTERVAL_MS: '100', RERUN_POLL_MS: '50', JOBS_POLL_MS: '100',
    };
    bots = await startTestBots(stores.map((store) => ({ env, store, standin, warehouse })));
  }, 120_000);

  afterAll(async () => {
    await Promise.all((bots ?? []).map((b) => b.stop()));
    await Promise.all((stores ?? []).map((s) => s.close()));
    await fivetran?.close();
    await standin?.stop();
    await warehouse?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const alerts = () => standin.conversation(channel).filter((m) => !m.thread_ts && /is stale|recovered/.test(m.text));
  /** The scheduled checks each replica ran, by the time each was due. */
  const checks = () =>
    bots.map((b) => b.logs.filter((l) => l.includes('"message":"freshness checked"')).map((l) => (JSON.parse(l) as { dueAt: number }).dueAt));

  it('posts exactly one alert per stale source while both poll; each scheduled check runs on one replica', async () => {
    await standin.waitFor(() => alerts().length >= 2, { timeoutMs: 20_000 });
    await standin.waitFor(() => checks().flat().length >= 10, { timeoutMs: 20_000 });
    expect(alerts().map((m) => m.text).sort()).toEqual([expect.stringMatching(/GitHub is stale/), expect.stringMatching(/HubSpot is stale/)]);
    const all = checks().flat();
    expect(new Set(all).size).toBe(all.length);
    // Even when both replicas check at the same moment, the store lets one post.
    await Promise.all([...bots, ...bots].map((b) => b.bot.services.freshness.check()));
    await Promise.all(bots.map((b) => b.drain()));
    expect(alerts().length).toBe(2);
  });

  // Each step of a rerun (start, poll, end, the message) commits in a transaction that can meet another
  // replica's on the same document, and the emulator settles that only by its lock timeout: waits are long.
  it('starts exactly one rerun for one click delivered three times to two replicas', { timeout: 120_000 }, async () => {
    showBotLogsOnFailure(() => bots);
    // HubSpot's sync ends only once all three deliveries are answered. Without this hold, a delivery
    // that lost the contention (seconds on a busy machine) could be decided after the first rerun had
    // already ended, and rightly start a second one: that is the next test, not this one.
    let answered!: () => void;
    const held = new Promise<void>((resolve) => (answered = resolve));
    onTestFinished(() => answered());
    const refresh = fivetran.onSucceeded;
    fivetran.onSucceeded = async (id) => {
      if (id === 'hubspot_daily') await held;
      await refresh?.(id);
    };
    onTestFinished(() => void (fivetran.onSucceeded = refresh));
    const alert = alerts().find((m) => m.text.includes('HubSpot'))!;
    const click = (b: TestBot) => standin.clickAction(b.client, { userId: bizops, channelId: channel, ts: alert.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 15_000 });
    const mark = standin.responses.length;
    await Promise.all([click(bots[0]!), click(bots[1]!), click(bots[0]!)]);
    // Each delivery is answered on its response_url; the stand-in records them all.
    const posts = await standin.waitFor(() => {
      const r = standin.responses.slice(mark).filter((x) => /HubSpot/.test(JSON.stringify(x.body)));
      return r.length >= 3 ? r : undefined;
    }, { timeoutMs: CONTENDED_TX_MS });
    answered();
    const answers = posts.map((r) => blocksToText(r.body as never));
    expect(answers.filter((a) => /Rerun of HubSpot started/.test(a)).length).toBe(1);
    expect(answers.filter((a) => /already rerunning/.test(a)).length).toBe(2);
    const done = await standin.waitFor(
      () => standin.conversation(channel).find((m) => m.text.startsWith('Rerun of HubSpot') && blocksToText(m.blocks ?? []).includes('Freshness check')),
      { timeoutMs: 3 * CONTENDED_TX_MS },
    );
    expect(blocksToText(done.blocks ?? [])).toMatch(/succeeded[\s\S]*HubSpot is fresh/);
    expect(fivetran.syncRequests().filter((r) => r.path.includes('hubspot_daily')).length).toBe(1);
    expect(standin.conversation(channel).filter((m) => m.text.startsWith('Rerun of HubSpot')).length).toBe(1);
    await standin.waitFor(() => /recovered/.test(standin.message(channel, alert.ts)?.text ?? ''), { timeoutMs: CONTENDED_TX_MS });
    await standin.waitFor(() => standin.conversation(channel).some((m) => m.thread_ts === alert.ts && /fresh again/.test(m.text)), { timeoutMs: 15_000 });
    await Promise.all(bots.map((b) => b.bot.services.freshness.check()));
    await Promise.all(bots.map((b) => b.drain()));
    expect(standin.conversation(channel).filter((m) => m.thread_ts === alert.ts && /fresh again/.test(m.text)).length).toBe(1);
  });

  it('lets the other replica rerun once the first run ended', { timeout: 60_000 }, async () => {
    showBotLogsOnFailure(() => bots);
    const { ack } = await standin.runCommand(bots[1]!.client, { command: '/pipeline', text: 'rerun hubspot', userId: bizops, channelId: channel });
    const id = ack.responseUrl.split('/').pop();
    const answer = await standin.waitFor(() => standin.responses.find((r) => r.id === id), { timeoutMs: CONTENDED_TX_MS });
    expect(blocksToText(answer.body as never)).toMatch(/Rerun of HubSpot started/);
    await standin.waitFor(() => fivetran.syncRequests().filter((r) => r.path.includes('hubspot_daily')).length === 2, { timeoutMs: CONTENDED_TX_MS });
  });
});
