/**
 * kill -9 (SIGKILL of the bot's own process, from its production entry point) in the flows whose crash-safety
 * the lost-answer tests only stand in for, then a new process on the same data (the embedded store's DATA_DIR):
 *
 * - a Rerun, or an ask of BizOps, from an alert card whose post the killed bot never recorded: it goes in that
 *   card's thread, once, and is linked to the alert;
 * - `/query`'s buttons: a click held and its delivery's job are one write (a kill between them left the button
 *   refused for its hold with nothing on its way), and a click stays held while its delivery waits (Slack's
 *   Retry-After, a dead process's lease), past the hold's own time;
 * - a rate-limited upload deferred with its Retry-After survives the restart and is posted once, after the wait.
 *
 * Embedded store only: test/crash.e2e.test.ts runs the multi-step flows on Firestore as well.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import type { StoredMessage } from '../src/slack-standin/types.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { Store } from '../src/ports/store.js';
import { ActionIds } from '../src/ids.js';
import type { AlertDoc } from '../src/services/freshness-alerts.js';
import { freshDataDir } from './support/harness.js';
import { BotProcess, MAIN, armedKill, journalReader, killAfterJournal, killOnSlack, standinEnv, stuckWork, until } from './support/bot-process.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const BLAKE = StandinDefaults.users.bizops;
const TASKS_SECRET = randomBytes(16).toString('hex');

const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface World {
  standin: SlackStandin;
  bot: BotProcess;
  store: Store;
  dataDir: string;
  restart(): Promise<void>;
  /** Arms a kill; resolves once the bot is dead and a new one is up. */
  killWhen(arm: (kill: () => Promise<void>) => () => void): Promise<void>;
  diagnose(): Promise<string>;
  close(): Promise<void>;
}

async function world(): Promise<World> {
  if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: run npm run build first (npm test does)');
  const standin = new SlackStandin();
  await standin.start();
  const dataDir = await freshDataDir();
  const signingSecret = randomBytes(16).toString('hex');
  const env: Record<string, string> = {
    ...standinEnv(standin.url, signingSecret),
    PIPELINES: 'embedded',
    PIPELINES_SIMULATED_RUN_MS: '300',
    RERUN_POLL_MS: '200',
    FRESHNESS_CHECK_INTERVAL_MS: '0',
    TASKS_SECRET,
    JOBS_LEASE_SECONDS: '10',
    JOBS_POLL_MS: '200',
    METADATA_SERVER_DETECTION: 'none',
    DATA_DIR: dataDir,
    STORE: 'embedded',
  };
  const store = journalReader(dataDir);
  const w: World = {
    standin, store, dataDir,
    bot: await BotProcess.start(env, signingSecret, `${standin.url}/response`),
    async restart() {
      w.bot = await BotProcess.start(env, signingSecret, `${standin.url}/response`);
    },
    killWhen(arm) {
      return armedKill(arm, async () => {
        await w.bot.kill();
        await w.restart();
      });
    },
    diagnose: () => stuckWork(store, w.bot),
    async close() {
      await w.bot.stop();
      await standin.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return w;
}

/** `until`, with the jobs not done and the bot's warnings in the error. */
const waitFor = <T>(w: World, probe: Parameters<typeof until<T>>[0], what: string, timeoutMs?: number): Promise<T> =>
  until(probe, what, timeoutMs).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await w.diagnose()}`);
  });

const onSlack = (w: World, method: string, match: (args: Record<string, unknown>) => boolean) => killOnSlack(w.standin, method, match);

/** POST /tasks/check-freshness; the bot may die while answering. */
const checkFreshness = (w: World) => fetch(`${w.bot.url}/tasks/check-freshness`, { method: 'POST', headers: { authorization: `Bearer ${TASKS_SECRET}` } }).catch(() => undefined);

/**
 * Holds every conversations.history answer that arrives while `holding()` (the restarted bot's alert jobs
 * looking for their card), until released: the card stays unrecorded while someone clicks on it.
 */
function holdLooks(w: World) {
  let holding = true;
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const off = w.standin.onApplied(async (call) => {
    if (call.method !== 'conversations.history' || !holding) return;
    held++;
    await released;
  });
  return {
    held: () => held,
    /** Later looks (the click's) pass. */
    passFromNowOn: () => (holding = false),
    release: () => {
      holding = false;
      release();
      off();
    },
  };
}

const topLevel = (w: World) => w.standin.conversation(CHANNEL).filter((m) => !m.thread_ts && !m.ephemeral);
const cards = (w: World, name: string) => topLevel(w).filter((m) => new RegExp(`${name} (is stale|recovered)`).test(m.text));
const rerunMessages = (w: World, name: string) => w.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && m.text.startsWith(`Rerun of ${name}`));
const asks = (w: World, name: string) => w.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && m.text.includes(`to rerun *${name}*`));

let current: World | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/**
 * The bot killed right after Slack applied `name`'s alert post; the new process's alert jobs find no answer from
 * Slack for a while (their looks are held), so the card people see is not recorded when they click on it.
 */
async function unrecordedCard(w: World, name: string): Promise<{ card: StoredMessage; looks: ReturnType<typeof holdLooks> }> {
  let looks!: ReturnType<typeof holdLooks>;
  const restarted = w.killWhen((kill) =>
    w.standin.onApplied(async (call) => {
      if (call.method === 'chat.postMessage' && !call.error && String(call.args['text'] ?? '').includes(`${name} is stale`)) {
        looks = holdLooks(w);
        await kill();
      }
    }),
  );
  void checkFreshness(w);
  await restarted;
  await waitFor(w, () => looks.held() > 0, 'the restarted alert job to look for its card');
  await sleep(500);
  const card = cards(w, name);
  expect(card).toHaveLength(1);
  const alert = (await w.store.get<AlertDoc>('freshness_alerts', name.toLowerCase()))?.data;
  expect(alert).toMatchObject({ state: 'open', ts: null });
  return { card: card[0]!, looks };
}

describe('a Rerun or an ask from an alert card the killed bot never recorded', { timeout: 180_000 }, () => {
  it('Rerun clicked on an alert card whose post the killed bot never recorded: in its thread, once, linked; the rerun post itself killed too', async () => {
    const w = (current = await world());
    const { card, looks } = await unrecordedCard(w, 'HubSpot');
    looks.passFromNowOn();
    // Killed again, right after Slack applied the rerun's own post.
    const restarted = w.killWhen(onSlack(w, 'chat.postMessage', (a) => String(a['text'] ?? '').startsWith('Rerun of HubSpot')));
    await w.standin.clickAction(w.bot.client, { userId: BLAKE, channelId: CHANNEL, ts: card.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 200 });
    await restarted;
    looks.release();
    const done = await waitFor(w, () => rerunMessages(w, 'HubSpot').find((m) => /Freshness check/.test(text(m))), 'the rerun followed to its freshness check');
    await until(async () => {
      const a = (await w.store.get<AlertDoc>('freshness_alerts', 'hubspot'))?.data;
      return a?.ts && a.rerunLink && a.state === 'closed' ? a : undefined;
    }, 'the alert recorded, linked and recovered').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify((await w.store.get('freshness_alerts', 'hubspot'))?.data)}\n${await w.diagnose()}`);
    });
    await until(() => /rerun> by/.test(JSON.stringify(w.standin.message(CHANNEL, card.ts)?.blocks ?? [])), 'the card to say who reran it');
    await sleep(1_000);
    expect(rerunMessages(w, 'HubSpot')).toHaveLength(1);
    expect(done.thread_ts).toBe(card.ts);
    expect(cards(w, 'HubSpot')).toHaveLength(1);
    const alert = (await w.store.get<AlertDoc>('freshness_alerts', 'hubspot'))!.data;
    expect(alert).toMatchObject({ ts: card.ts, rerunBy: BLAKE, episode: 1 });
    expect(w.standin.conversation(CHANNEL).filter((m) => m.thread_ts === card.ts && /fresh again/.test(m.text))).toHaveLength(1);
  });

  it('Ask BizOps clicked on an unrecorded card, the bot killed right after Slack applied the ask: asked once, in its thread', async () => {
    const w = (current = await world());
    const { card, looks } = await unrecordedCard(w, 'GitHub');
    looks.passFromNowOn();
    const restarted = w.killWhen(onSlack(w, 'chat.postMessage', (a) => String(a['text'] ?? '').includes('to rerun *GitHub*')));
    // Riley is not in BizOps: Rerun offers to ask them, and that button asks.
    const offered = await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: card.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 5_000 });
    const offer = offered.replies.find((r) => r.via === 'response_url')!.message!;
    const { replies } = await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: offer.ts, actionId: ActionIds.rerunRequest, timeoutMs: 5_000 });
    await restarted;
    looks.release();
    const ask = await until(() => asks(w, 'GitHub')[0], 'the ask');
    await waitFor(w, async () => (await w.store.list<{ state: string }>('jobs')).some((j) => j.id.startsWith('notice:rerun.asked:github') && j.data.state === 'done'), 'the ask job done');
    await until(async () => (await w.store.get<AlertDoc>('freshness_alerts', 'github'))?.data.ts, 'the card recorded');
    await sleep(1_000);
    expect(asks(w, 'GitHub')).toHaveLength(1);
    expect(ask.thread_ts).toBe(card.ts);
    expect(cards(w, 'GitHub')).toHaveLength(1);
    // What the clicker was told.
    expect(text(replies.find((r) => r.via === 'response_url')?.body as never)).toMatch(/I asked BizOps to rerun GitHub/);
  });
});

// ---- /query: its buttons' clicks and rate-limited uploads ----

/** `/query weekly-active-instances weeks=<weeks> hosting=managed`: its chart message, once posted. */
async function chartOf(w: World, weeks: number): Promise<StoredMessage> {
  await w.standin.runCommand(w.bot.client, { command: '/query', text: `weekly-active-instances weeks=${weeks} hosting=managed`, userId: RILEY, channelId: CHANNEL, timeoutMs: 200 });
  return until(() => charts(w, weeks)[0], 'the chart');
}
const charts = (w: World, weeks: number) => w.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && !m.thread_ts && (m.files ?? []).some((f) => f.name.endsWith('.png')) && text(m).includes(`Weeks: *${weeks}* · Hosting: *Managed*`));
const csvsIn = (w: World, ts: string) => w.standin.conversation(CHANNEL).filter((m) => m.thread_ts === ts && (m.files ?? []).some((f) => f.name.endsWith('.csv')));
const replyText = (r: { replies: Array<{ via: string; body?: unknown }> }) => text(r.replies.find((x) => x.via === 'response_url')?.body as never);
const jobsOf = async (w: World, kind: string) => (await w.store.list<{ kind: string; state: string; runAt: number | null; holder: string | null; attempts: number }>('jobs')).filter((j) => j.data.kind === kind);

describe('/query killed with a click held or a delivery deferred', { timeout: 180_000 }, () => {
  it('a rate-limited chart upload (429, Retry-After on files.getUploadURLExternal), killed while deferred: posted once, after the wait', async () => {
    const w = (current = await world());
    w.standin.failNextHttp('files.getUploadURLExternal', 429, { 'Retry-After': '6' });
    const asked = Date.now();
    await w.standin.runCommand(w.bot.client, { command: '/query', text: 'weekly-active-instances weeks=13 hosting=managed', userId: RILEY, channelId: CHANNEL, timeoutMs: 200 });
    await waitFor(w, async () => (await jobsOf(w, 'query.deliver')).find((j) => j.data.state === 'pending' && j.data.holder === null && (j.data.runAt ?? 0) > Date.now() + 2_000), 'the delivery deferred');
    await w.bot.kill();
    await w.restart();
    const chart = await waitFor(w, () => charts(w, 13)[0], 'the chart after the wait');
    expect(Number(chart.ts) * 1000 - asked).toBeGreaterThanOrEqual(5_500);
    await sleep(1_500);
    expect(charts(w, 13)).toHaveLength(1);
  });

  it('a Refresh deferred by a rate limit, the bot killed and down past the click\'s 20 s hold: a second Refresh meanwhile is told one is on its way, one refreshed chart', async () => {
    const w = (current = await world());
    const chart = await chartOf(w, 3);
    w.standin.failNextHttp('files.getUploadURLExternal', 429, { 'Retry-After': '30' });
    await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: chart.ts, actionId: ActionIds.queryRefresh, timeoutMs: 2_000 });
    await waitFor(w, async () => (await jobsOf(w, 'query.deliver')).find((j) => j.data.state === 'pending' && j.data.holder === null && (j.data.runAt ?? 0) > Date.now() + 20_000), 'the delivery deferred');
    // Down past the click's 20 s: the store the new process opens deletes what its TTL says is past.
    await w.bot.kill();
    await sleep(21_000);
    await w.restart();
    // Nothing has come yet; the person clicks Refresh again.
    expect(charts(w, 3)).toHaveLength(1);
    const again = await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: chart.ts, actionId: ActionIds.queryRefresh, timeoutMs: 3_000 });
    await until(() => charts(w, 3).length >= 2, 'the refreshed chart', 40_000);
    await until(async () => (await jobsOf(w, 'query.deliver')).every((j) => j.data.state === 'done'), 'the deliveries done', 40_000);
    await sleep(1_500);
    expect(replyText(again)).toMatch(/already on its way/);
    expect(charts(w, 3)).toHaveLength(2);
  });
  it('Download CSV, killed right after its click was held: the CSV comes once, not "already in this result\'s thread" with nothing there', async () => {
    const w = (current = await world());
    const chart = await chartOf(w, 10);
    await until(async () => (await jobsOf(w, 'query.deliver')).every((j) => j.data.state === 'done'), 'the chart job done');
    // The click's hold is written: kill -9 now, before its delivery's job is.
    const kill = killAfterJournal(w.standin, () => w.bot, w.dataDir, '["clicks"');
    await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: chart.ts, actionId: ActionIds.queryDownloadCsv, timeoutMs: 500 }).catch(() => undefined);
    await kill.killed;
    kill.disarm();
    await w.restart();
    // Nothing came; the person clicks again. The CSV must come, once, whichever click brings it: not a refusal
    // ("already in this result's thread") with nothing in the thread, for the 10 minutes of the first click's hold.
    await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: chart.ts, actionId: ActionIds.queryDownloadCsv, timeoutMs: 5_000 });
    await waitFor(w, () => csvsIn(w, chart.ts).length > 0, 'the CSV', 20_000);
    await sleep(1_000);
    expect(csvsIn(w, chart.ts)).toHaveLength(1);
  });
});
