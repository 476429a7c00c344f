/**
 * kill -9 while scheduled deliveries due together in one channel keep to Slack's posting pace: several jobs at
 * once (JOBS_CONCURRENCY 4), so runs are put back for their channel's turn (DeferJob, no attempt spent) and post
 * later without looking in the channel's history first. The bot is killed right after Slack took the k-th post
 * (or the post of a run that had been put back), before it heard; a new process on the same data carries on:
 * every delivery is posted once, none failed.
 *
 * The bot is a process of its own (dist/src/main.js) with Slack's real pace (1 a second per channel, a burst of 3);
 * the deliveries and their run jobs are written to its store before it starts, all due at the same minute.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store } from '../src/ports/store.js';
import { JOBS, enqueue, type JobDoc } from '../src/jobs/model.js';
import { SUBSCRIPTIONS, SUBSCRIPTION_RUN_JOB, runJob, type Subscription } from '../src/services/subscriptions.js';
import { freshDataDir } from './support/harness.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { BotProcess, MAIN, armedKill, crashEnv, crashStore, standinEnv, stuckWork, until } from './support/bot-process.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const HOSTING = ['all', 'cloud', 'self-hosted', 'managed'];
/** Deliveries due at once in the channel: past the burst of 3 and the 2 s a run may wait, so most are put back. */
const N = 14;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyOf = (args: unknown) => (args as { metadata?: { event_payload?: { key?: unknown } } } | undefined)?.metadata?.event_payload?.key;

type Kind = 'embedded' | 'firestore';

interface World {
  standin: SlackStandin;
  bot: BotProcess;
  store: Store;
  due: number;
  /** Run jobs seen put back for their turn (pending, let go, no attempt counted, due after their time). */
  putBack: Set<string>;
  /** kill -9 (if it is not dead yet), then a new bot on the same data. */
  restartAfterKill(): Promise<void>;
  close(): Promise<void>;
}

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** N table deliveries to the channel, each with its run due this minute (already come), written before the bot starts. */
async function seed(store: Store, due: number, formatOf: (i: number) => Subscription['format']): Promise<string[]> {
  const now = Date.now();
  const at = new Date(due).toISOString().slice(11, 16);
  const ids: string[] = [];
  await store.runTransaction(async (tx) => {
    for (let i = 0; i < N; i++) {
      const id = `sub_${now.toString(36)}${randomBytes(4).toString('hex')}`;
      const sub: Subscription = {
        id, kind: 'delivery', owner: RILEY, query: 'weekly-active-instances', params: { weeks: String((i % 13) + 1), hosting: HOSTING[Math.floor(i / 13)]! },
        target: { kind: 'channel', channel: CHANNEL }, schedule: { kind: 'daily', time: at, tz: 'UTC' }, format: formatOf(i),
        condition: null, alertState: 'ok', firedAt: null, firedMessage: null, status: 'active', pausedReason: null,
        nextRunAt: due, lastRun: null, consecutiveFailures: 0, createdAt: now, updatedAt: now,
      };
      tx.put(SUBSCRIPTIONS, id, sub);
      await enqueue(tx, runJob(sub, due), now);
      ids.push(id);
    }
  });
  return ids;
}

async function world(kind: Kind, formatOf: (i: number) => Subscription['format']): Promise<World> {
  if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: run npm run build first');
  const standin = new SlackStandin();
  await standin.start();
  const dataDir = await freshDataDir();
  const signingSecret = randomBytes(16).toString('hex');
  const prefix = `busy${randomUUID().slice(0, 6)}_`;
  const env: Record<string, string> = {
    ...standinEnv(standin.url, signingSecret),
    ...crashEnv({ dataDir, tasksSecret: randomBytes(16).toString('hex'), store: kind, prefix }),
    // Several jobs at once: the channel's turns are shared among them, and runs are put back for theirs.
    JOBS_CONCURRENCY: '4',
  };
  // The minute that has begun: due already, within the grace, and the next daily run is tomorrow's.
  const due = Math.floor(Date.now() / 60_000) * 60_000;
  const writer = kind === 'firestore' ? openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }) : await openEmbeddedStore(dataDir);
  await seed(writer, due, formatOf);
  // The embedded store's directory is the bot's alone once it runs: the test reads copies of it (crashStore).
  if (kind === 'embedded') await writer.close();
  const store = kind === 'firestore' ? writer : crashStore({ dataDir, store: kind, prefix });
  const start = () => BotProcess.start(env, signingSecret, `${standin.url}/response`);
  const putBack = new Set<string>();
  let watching = true;
  // Which runs are put back for their turn, seen in the store as they are (a put-back run waits more than 2 s).
  const watcher = (async () => {
    while (watching) {
      try {
        for (const j of await store.list<JobDoc>(JOBS)) {
          const d = j.data;
          if (d.kind === SUBSCRIPTION_RUN_JOB && d.state === 'pending' && d.holder === null && d.attempts === 0 && d.runAt !== null && d.runAt > due) putBack.add(j.id);
        }
      } catch {
        // A copy of the journal read mid-write: the next look reads it whole.
      }
      await sleep(150);
    }
  })();
  const made: World = {
    standin, store, due, putBack,
    bot: await start(),
    async restartAfterKill() {
      await made.bot.kill();
      made.bot = await start();
    },
    async close() {
      watching = false;
      await watcher;
      await made.bot.stop();
      await store.close();
      await standin.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return made;
}

/**
 * What the deliveries posted in the channel: a table's message by the job key it carries, a chart's and a CSV's file
 * by its name (named for its subscription and run). Each should be there once.
 */
function delivered(standin: SlackStandin): Map<string, number> {
  const items = new Map<string, number>();
  const count = (item: string) => items.set(item, (items.get(item) ?? 0) + 1);
  for (const m of standin.conversation(CHANNEL)) {
    const key = keyOf(m);
    if (typeof key === 'string' && key.startsWith(SUBSCRIPTION_RUN_JOB)) count(key);
    for (const f of (m as { files?: Array<{ name?: string }> }).files ?? []) if (f.name?.startsWith('weekly-active-instances_')) count(f.name);
  }
  return items;
}

const TABLES = () => 'table' as const;

/**
 * Kills the bot right after Slack applied the delivery post or upload `pick` chooses (given how many were applied,
 * and a post's key), before the bot hears (after `holdMs` more, its answer held meanwhile); starts a new one on the
 * same data, and waits until every run is recorded: each delivered, each post and file once, no job failed.
 */
async function killAndFinish(kind: Kind, pick: (n: number, key: string | undefined, world: World) => boolean, o: { formatOf?: (i: number) => Subscription['format']; holdMs?: number } = {}): Promise<{ killedAt: number; wasPutBack: boolean }> {
  const formatOf = o.formatOf ?? TABLES;
  const world_ = (w = await world(kind, formatOf));
  let n = 0;
  let killed: { killedAt: number; wasPutBack: boolean } | undefined;
  const restarted = armedKill((kill) => world_.standin.onApplied(async (call) => {
    const key = keyOf(call.args);
    const post = call.method === 'chat.postMessage' && typeof key === 'string' && key.startsWith(SUBSCRIPTION_RUN_JOB);
    if (call.error || !(post || (call.method === 'files.completeUploadExternal' && call.args['channel_id'] === CHANNEL))) return;
    n++;
    if (killed || !pick(n, post ? key : undefined, world_)) return;
    killed = { killedAt: n, wasPutBack: post && world_.putBack.has(key) };
    if (o.holdMs) await sleep(o.holdMs);
    await kill();
  }), () => world_.restartAfterKill());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => void stuckWork(world_.store, world_.bot).then((d) => reject(new Error(`the kill's moment did not come (${n} posts)\n${d}`)), reject), 120_000);
  });
  await Promise.race([restarted, timedOut]).finally(() => clearTimeout(timer));
  const runs = async () => (await world_.store.list<JobDoc>(JOBS)).filter((j) => j.data.kind === SUBSCRIPTION_RUN_JOB && j.data.payload['dueAt'] === world_.due);
  await until(async () => {
    const all = await runs();
    return all.length === N && all.every((j) => j.data.state !== 'pending');
  }, 'every run ended', 150_000).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await stuckWork(world_.store, world_.bot)}`);
  });
  await sleep(600); // a second post would have landed by now
  const ended = await runs();
  expect(ended.filter((j) => j.data.state !== 'done').map((j) => `${j.id} ${j.data.state} ${j.data.lastError ?? ''}`)).toEqual([]);
  const outcomes = (await world_.store.list<Subscription>(SUBSCRIPTIONS)).map((s) => s.data.lastRun?.dueAt === world_.due ? s.data.lastRun.outcome : undefined);
  expect(outcomes).toEqual(Array(N).fill('delivered'));
  const items = delivered(world_.standin);
  const charts = Array.from({ length: N }, (_, i) => formatOf(i)).filter((f) => f === 'chart_csv').length;
  expect(items.size).toBe(N + charts);
  expect([...items.entries()].filter(([, count]) => count !== 1)).toEqual([]);
  return killed!;
}

/**
 * Kill points, a few per store (each kill and restart takes 15 to 70 s). The probe that wrote this test ran 23 kills
 * (posts 1, 3, 5, 9 and 13; the put-back runs' 1st and 3rd posts; random posts and uploads) on both stores: each
 * delivered once.
 */
function busyChannelSuite(kind: Kind, points: { posts: number[]; putBack: number[]; random: number }, skip?: string) {
  describe.skipIf(skip !== undefined)(`${N} deliveries due at once in one channel, 4 jobs at once, kill -9 mid-way (${kind})${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 300_000 }, () => {
    it.each(points.posts)('killed right after Slack took delivery post %i, before the bot heard: each delivered once, none failed', async (k) => {
      const killed = await killAndFinish(kind, (n) => n === k);
      expect(killed.killedAt).toBe(k);
    });

    it.each(points.putBack)('killed right after Slack took the post of the put-back run %i, before the bot heard: each delivered once, none failed', async (m) => {
      // The hardest moment for a run put back for its turn: it posted without looking, as its first attempt.
      let seen = 0;
      const killed = await killAndFinish(kind, (_n, key, world_) => key !== undefined && world_.putBack.has(key) && ++seen === m);
      expect(killed.wasPutBack).toBe(true);
      // Runs were put back for their channel's turn, as this test means to cover.
      expect(w!.putBack.size).toBeGreaterThan(0);
    });

    // Defined only where asked for (not skipped): the Firestore suite has none.
    if (points.random > 0) it('killed at random points (a random post or upload, its answer held a random while), deliveries of one and two parts: each delivered once, none failed', async () => {
      // Every third a chart and its CSV: a run may be put back between its two parts, and looks for both then.
      const formatOf = (i: number) => (i % 3 === 0 ? 'chart_csv' as const : 'table' as const);
      const items = N + Math.ceil(N / 3);
      for (let iteration = 0; iteration < points.random; iteration++) {
        const k = 1 + Math.floor(Math.random() * (items - 1));
        const holdMs = Math.floor(Math.random() * 400);
        const killed = await killAndFinish(kind, (n) => n === k, { formatOf, holdMs }).catch((err: Error) => {
          throw new Error(`killed after delivery post or upload ${k} (its answer held ${holdMs} ms): ${err.message}`);
        });
        expect(killed.killedAt).toBe(k);
        await w!.close();
        w = undefined;
      }
    }, 600_000);
  });
}

busyChannelSuite('embedded', { posts: [3], putBack: [1], random: 1 });
const firestore = firestoreAvailable();
// The random kills on the embedded store only (where they are quicker).
busyChannelSuite('firestore', { posts: [5], putBack: [1], random: 0 }, firestore.available ? undefined : firestore.reason);
