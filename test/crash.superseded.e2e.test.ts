/**
 * kill -9 in the paths that ask for something to happen later and wait for it: an alert posted by a run whose
 * answer was lost, its condition edited before the retry (the `subscription.alert_superseded` note that waits for
 * the run's end), and an "Ask BizOps to rerun" that Slack will not post (its give-up DMs the asker and lets go of
 * the half-hour hold). The bot is a process of its own (dist/src/main.js) killed at each step and started again
 * on the same data.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import type { StoredMessage } from '../src/slack-standin/types.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { Store } from '../src/ports/store.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { SUBSCRIPTIONS, subscriptionRef, type Subscription } from '../src/services/subscriptions.js';
import { freshDataDir } from './support/harness.js';
import { catalogWithCustomerCount } from './support/catalog-dir.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { BotProcess, MAIN, armedKill, crashEnv, crashStore, killAfterJournal, killOnSlack, stuckWork, standinEnv, until } from './support/bot-process.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const TASKS_SECRET = randomBytes(16).toString('hex');
const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Job = { kind: string; state: string; runAt: number | null; holder: string | null; attempts: number; payload: Record<string, unknown> };

interface World {
  standin: SlackStandin;
  bot: BotProcess;
  store: Store;
  kind: 'embedded' | 'firestore';
  dataDir: string;
  killWhen(arm: (kill: () => Promise<void>) => () => void, timeoutMs?: number): Promise<void>;
  /** kill -9 as soon as the embedded store's journal gets a line that includes `marker`; resolves once a new bot is up. */
  killOnJournal(marker: string): Promise<void>;
  restart(): Promise<void>;
  /** Starts a new bot (the last one is dead). */
  startAgain(): Promise<void>;
  diagnose(): Promise<string>;
  close(): Promise<void>;
}

async function world(kind: 'embedded' | 'firestore'): Promise<World> {
  if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: run npm run build first');
  const standin = new SlackStandin();
  await standin.start();
  const dataDir = await freshDataDir();
  const queries = await catalogWithCustomerCount('crash-superseded-');
  const signingSecret = randomBytes(16).toString('hex');
  const prefix = `superseded${randomUUID().slice(0, 6)}_`;
  const env: Record<string, string> = {
    ...standinEnv(standin.url, signingSecret),
    ...crashEnv({ dataDir, tasksSecret: TASKS_SECRET, store: kind, prefix }),
    PIPELINES: 'embedded',
    PIPELINES_SIMULATED_RUN_MS: '300',
    QUERIES_DIR: queries,
  };
  const store = crashStore({ dataDir, store: kind, prefix });
  const start = () => BotProcess.start(env, signingSecret, `${standin.url}/response`);
  const w: World = {
    standin, store, kind, dataDir,
    bot: await start(),
    killWhen(arm, timeoutMs = 100_000) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => void w.diagnose().then((d) => reject(new Error(`the kill's moment did not come\n${d}`))), timeoutMs);
      });
      return Promise.race([armedKill(arm, async () => {
        await w.bot.kill();
        w.bot = await start();
      }), timedOut]).finally(() => clearTimeout(timer));
    },
    async killOnJournal(marker) {
      if (kind === 'firestore') {
        // No journal: the store is polled, and the bot killed as soon as the write is seen.
        const bot = w.bot;
        await until(async () => (await store.list('jobs')).some((j) => j.id.includes(marker)), `a job with ${marker}`, 30_000);
        bot.child.kill('SIGKILL');
        await bot.exited;
        w.bot = await start();
        return;
      }
      const kill = killAfterJournal(standin, () => w.bot, dataDir, marker);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([kill.killed, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no journal line with ${marker}`)), 30_000)))])
        .finally(() => {
          clearTimeout(timer);
          kill.disarm();
        });
      w.bot = await start();
    },
    async restart() {
      await w.bot.kill();
      w.bot = await start();
    },
    async startAgain() {
      w.bot = await start();
    },
    diagnose: async () => {
      const all = (await store.list<Job & { lastError?: string | null }>('jobs')).filter((j) => !j.id.startsWith('looker.sweep')).map((j) => `${j.id} ${j.data.state} attempts=${j.data.attempts} ${j.data.lastError ?? ''}`);
      const subs = (await store.list<Subscription>(SUBSCRIPTIONS)).map((d) => JSON.stringify({ alertState: d.data.alertState, firedMessage: d.data.firedMessage, lastRun: d.data.lastRun, condition: d.data.condition }));
      const dm = standin.conversation(standin.dmChannelId(StandinDefaults.users.regular)).map((m) => `${m.ts} thread=${m.thread_ts ?? ''} ${m.text.slice(0, 120)}`);
      const steps = await store.list('subscription_alert_steps');
      return [...all, ...subs, JSON.stringify(steps), ...dm, await stuckWork(store, w.bot)].join('\n');
    },
    async close() {
      await w.bot.stop();
      await store.close();
      await standin.stop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(queries, { recursive: true, force: true });
    },
  };
  return w;
}

let current: World | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const waitFor = <T>(w: World, probe: Parameters<typeof until<T>>[0], what: string, timeoutMs = 100_000): Promise<T> =>
  until(probe, what, timeoutMs).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await w.diagnose()}`);
  });
const jobs = async (w: World) => (await w.store.list<Job>('jobs')).map((j) => ({ id: j.id, ...j.data }));

/** Riley's alert on customer-count (in his DM), made through its form; checked only by Run now (its schedule: once a year). */
async function alert(w: World, value: string): Promise<Subscription> {
  const before = w.standin.modals(RILEY).at(-1)?.id;
  await w.standin.runCommand(w.bot.client, { command: '/query', text: 'alert customer-count', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
  const modal = await w.standin.waitFor(() => {
    const top = w.standin.modals(RILEY).at(-1);
    return top && top.id !== before ? top : undefined;
  }, { timeoutMs: 10_000 });
  const hash = w.standin.view(modal.id)!.hash;
  await w.standin.clickAction(w.bot.client, { userId: RILEY, viewId: modal.id, actionId: ActionIds.subscriptionScheduleKind, value: 'cron', timeoutMs: 300 });
  await w.standin.waitFor(() => (w.standin.view(modal.id)?.hash !== hash ? true : undefined), { timeoutMs: 10_000 });
  const startedAt = Date.now();
  const submitted = await w.standin.submitView(w.bot.client, { userId: RILEY, viewId: modal.id, timeoutMs: 300, values: alertValues(value) });
  expect(submitted.errors).toBeUndefined();
  return waitFor(w, async () => (await w.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data).find((x) => x.owner === RILEY && x.createdAt >= startedAt - 1_000), 'the alert saved');
}

const alertValues = (value: string) => ({
  [ActionIds.subscriptionDm]: ['dm'], [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '0 3 1 1 *',
  [ActionIds.alertColumn]: 'customers', [ActionIds.alertOp]: 'above', [ActionIds.alertValue]: value,
});

/** Riley's list of his subscriptions, as `/query subscriptions` shows it. */
async function listOf(w: World, sub: Subscription): Promise<StoredMessage> {
  const before = w.standin.conversation(CHANNEL, { visibleTo: RILEY }).filter((m) => m.ephemeral).length;
  await w.standin.runCommand(w.bot.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
  return w.standin.waitFor(() => {
    const mine = w.standin.conversation(CHANNEL, { visibleTo: RILEY }).filter((m) => m.ephemeral);
    return mine.length > before && JSON.stringify(mine.at(-1)!.blocks ?? []).includes(sub.id) ? mine.at(-1) : undefined;
  }, { timeoutMs: 10_000 });
}

const clickIn = (w: World, list: StoredMessage, sub: Subscription, actionId: string) =>
  w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId, blockId: `${BlockIds.subscriptionActions}.${sub.id}.listed`, timeoutMs: 300 });

/** The alert's messages in Riley's DM (not the replies in their threads). */
const alertsOf = (w: World, sub: Subscription) =>
  w.standin.conversation(w.standin.dmChannelId(RILEY)).filter((m) => !m.thread_ts || m.thread_ts === m.ts).filter((m) => /Alert: Customers/.test(text(m)) && text(m).includes(subscriptionRef(sub.id)));
const closingNotes = (w: World, m: StoredMessage) => w.standin.conversation(m.channel).filter((r) => r.thread_ts === m.ts && r.ts !== m.ts && /edited this alert/.test(text(r)));

/** Makes Slack take the next post of the alert `sub` and answer 500 (the call stays applied): the run is retried later. */
function loseAnswerOfNextAlert(w: World, sub: Subscription): void {
  const off = w.standin.onApplied((call) => {
    const key = (call.args as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key;
    if (call.method !== 'chat.postMessage' || call.error || !key?.includes(`:${sub.id}:`) || !key.includes(':fired')) return;
    off();
    throw new Error('the answer is lost');
  });
}

const firestore = firestoreAvailable();
const stores = [['embedded', undefined], ['firestore', firestore.available ? undefined : firestore.reason]] as const;

describe('an alert posted by a run whose answer was lost, its condition edited before the retry, killed at every step', { timeout: 400_000 }, () => {
  for (const [kind, skip] of stores) {
    it.skipIf(skip !== undefined)(`${kind} store: one closing note on the old alert, one new alert, the state recorded, nothing left pending`, async () => {
      const w = (current = await world(kind));
      const sub = await alert(w, '0');
      const list = await listOf(w, sub);
      loseAnswerOfNextAlert(w, sub);
      await clickIn(w, list, sub, ActionIds.subscriptionRunNow);
      const old = await waitFor(w, () => alertsOf(w, sub)[0], 'the alert the first attempt posted');
      const run = await waitFor(w, async () => (await jobs(w)).find((j) => j.id.startsWith(`subscription.run:${sub.id}:now:`) && j.state === 'pending' && j.holder === null), 'the run put back to be retried');
      expect((await w.store.get<Subscription>(SUBSCRIPTIONS, sub.id))!.data).toMatchObject({ alertState: 'ok', firedMessage: null });

      // 1. Its owner raises the bar (still crossed) before the retry; kill -9 right after the edit's transaction.
      await clickIn(w, list, sub, ActionIds.subscriptionEdit);
      const form = await w.standin.waitFor(() => w.standin.modals(RILEY).at(-1), { timeoutMs: 10_000 });
      const killed = w.killOnJournal('subscription.alert_superseded');
      await w.standin.submitView(w.bot.client, { userId: RILEY, viewId: form.id, timeoutMs: 300, values: alertValues('1') }).catch(() => undefined);
      await killed;
      const noteJob = await waitFor(w, async () => (await jobs(w)).find((j) => j.id.startsWith(`notice:subscription.alert_superseded:${sub.id}:`)), 'the note asked for');
      expect(String((await w.store.get<Subscription>(SUBSCRIPTIONS, sub.id))!.data.condition?.value)).toBe('1');

      // 2. The note waits for the run's end: killed while it waits.
      await waitFor(w, async () => (await jobs(w)).find((j) => j.id === noteJob.id && j.state === 'pending' && j.holder === null && (j.runAt ?? 0) > Date.now() + 5_000), 'the note deferred');
      await w.restart();

      // 3. The retry posts the alert for the new condition: killed right after Slack took it.
      const retried = w.killWhen(killOnSlack(w.standin, 'chat.postMessage', (a) => String(a['text'] ?? '').includes('customers is above') && JSON.stringify(a).includes(`:${sub.id}:`)));
      await retried;
      // 4. The note finds the old alert (a look in the DM's history) and is killed before it posts. The run's end
      // wakes the note at once, so this is armed before the run ends: the note's look is the first in the DM that
      // Slack answers once the run's job is no longer pending (the run's own retry looks there too, before).
      const dm = w.standin.dmChannelId(RILEY);
      const runEnded = async () => (await jobs(w)).some((j) => j.id === run.id && j.state !== 'pending');
      const noteLooked = w.killWhen((kill) => w.standin.onApplied(async (call) => {
        if (call.method === 'conversations.history' && !call.error && call.args['channel'] === dm && (await runEnded())) await kill();
      }));
      const fresh = await waitFor(w, () => alertsOf(w, sub).find((m) => m.ts !== old.ts), 'the new alert');
      await waitFor(w, async () => (await jobs(w)).find((j) => j.id === run.id && j.state !== 'pending'), 'the run ended');
      await noteLooked;
      // 5. Its note is posted, and the bot is killed before it hears.
      await w.killWhen(killOnSlack(w.standin, 'chat.postMessage', (a) => /edited this alert/.test(String(a['text'] ?? ''))));

      await waitFor(w, async () => (await jobs(w)).find((j) => j.id === noteJob.id && j.state === 'done'), 'the note job done');
      await sleep(1_500);
      const now = (await w.store.get<Subscription>(SUBSCRIPTIONS, sub.id))!.data;
      expect({
        alerts: alertsOf(w, sub).map((m) => m.ts),
        closingOld: closingNotes(w, old).length,
        closingNew: closingNotes(w, fresh).length,
        state: { alertState: now.alertState, firedTs: now.firedMessage?.ts },
        pending: (await jobs(w)).filter((j) => j.state === 'pending' && j.id.includes(sub.id) && !j.id.startsWith(`subscription.run:${sub.id}:1`)).map((j) => j.id),
      }).toEqual({ alerts: [old.ts, fresh.ts], closingOld: 1, closingNew: 0, state: { alertState: 'firing', firedTs: fresh.ts }, pending: [] });
    });
  }
});

describe('"Ask BizOps to rerun" that Slack will not post (not_in_channel), killed around its give-up and its DM', { timeout: 300_000 }, () => {
  it('embedded store: the asker is told once, and may ask again (the half-hour hold let go)', async () => {
    const w = (current = await world('embedded'));
    await fetch(`${w.bot.url}/tasks/check-freshness`, { method: 'POST', headers: { authorization: `Bearer ${TASKS_SECRET}` } });
    const card = await waitFor(w, () => w.standin.conversation(CHANNEL).find((m) => !m.thread_ts && !m.ephemeral && m.text.includes('HubSpot is stale')), 'the HubSpot alert');
    const asks = () => w.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && m.text.includes('to rerun *HubSpot*'));
    const told = () => w.standin.conversation(w.standin.dmChannelId(RILEY)).filter((m) => /could not post your request/.test(text(m)));
    const ask = async () => {
      const offered = await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: card.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 5_000 });
      const offer = offered.replies.find((r) => r.via === 'response_url')!.message!;
      const { replies } = await w.standin.clickAction(w.bot.client, { userId: RILEY, channelId: CHANNEL, ts: offer.ts, actionId: ActionIds.rerunRequest, timeoutMs: 5_000 });
      return text(replies.find((r) => r.via === 'response_url')?.body as never);
    };
    // 1. Slack refuses the ask; the bot is killed before it gives up (Slack will refuse the retry too).
    w.standin.failNext('chat.postMessage', 'not_in_channel');
    const first = w.bot;
    const off = w.standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || call.error !== 'not_in_channel') return;
      off();
      w.standin.failNext('chat.postMessage', 'not_in_channel');
      first.child.kill('SIGKILL');
      await first.exited;
    });
    expect(await ask()).toMatch(/I asked BizOps to rerun HubSpot/);
    await first.exited;
    // 2. The restarted bot's retry is refused, it gives up: killed right after that commit (the DM asked for).
    const giveUp = killAfterJournal(w.standin, () => w.bot, w.dataDir, 'rerun.ask_failed');
    let killedAfterGiveUp = false;
    void giveUp.killed.then(() => (killedAfterGiveUp = true));
    await w.startAgain();
    await waitFor(w, () => killedAfterGiveUp, 'the give-up');
    giveUp.disarm();
    expect(told()).toHaveLength(0);
    // 3. The DM: killed after Slack posted it, before the bot heard.
    const restarted = w.killWhen(killOnSlack(w.standin, 'chat.postMessage', (a) => /could not post your request/.test(JSON.stringify(a))));
    await w.startAgain();
    await restarted;
    await waitFor(w, async () => (await jobs(w)).some((j) => j.id.startsWith('notice:rerun.ask_failed:hubspot') && j.state === 'done'), 'the DM job done');
    await sleep(1_000);
    expect({ asks: asks().length, told: told().length }).toEqual({ asks: 0, told: 1 });
    // The hold is let go: asked again, BizOps are asked (once).
    expect(await ask()).toMatch(/I asked BizOps to rerun HubSpot/);
    await waitFor(w, () => asks().length > 0, 'the second ask posted');
    await sleep(1_000);
    expect({ asks: asks().length, told: told().length }).toEqual({ asks: 1, told: 1 });
  });
});
