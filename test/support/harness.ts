/**
 * End-to-end harness: the real bot (Bolt HTTP receiver, signature checks) on a
 * loopback port, talking to the Slack stand-in through the real Web API client,
 * on the embedded warehouse and store unless others are given.
 *
 * The demo warehouse (1M pings) is generated once per worker into a template
 * file and copied for each bot, so tests don't pay the generation each time.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, secretsOf, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createBot, type Bot, type BotOptions } from '../../src/app.js';
import { drain } from './jobs.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../../src/adapters/warehouse/duckdb.js';
import { openEmbeddedStore } from '../../src/adapters/store/embedded.js';
import type { Store } from '../../src/ports/store.js';
import type { Warehouse } from '../../src/ports/warehouse.js';
import type { ChartRenderer } from '../../src/charts/renderer.js';
import { SlackStandin, StandinDefaults, type SlackStandinOptions } from '../../src/slack-standin/server.js';
import { BotClient, type BlockActionInput } from '../../src/slack-standin/bot-client.js';

export { StandinDefaults };

let template: Promise<string> | undefined;

/** A directory holding a generated demo `warehouse.duckdb`, made once per worker. */
function templateWarehouseDir(): Promise<string> {
  template ??= (async () => {
    const dir = path.join(os.tmpdir(), `analytics-bot-template-${process.pid}`);
    if (!existsSync(path.join(dir, 'warehouse.duckdb'))) {
      const w = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 60_000 });
      await w.close();
    }
    return dir;
  })();
  return template;
}

/** A fresh data directory with its own copy of the demo warehouse. */
export async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-test-'));
  await copyFile(path.join(await templateWarehouseDir(), 'warehouse.duckdb'), path.join(dir, 'warehouse.duckdb'));
  return dir;
}

/**
 * A clock that moves with the real one but reads 12:00 UTC, on the day it was made, when it is made. A service caches a
 * result for the UTC day its run started on (a query's "today"), so on the real clock a test that expects its repeat
 * from the cache fails whenever midnight UTC passes between the two; twelve hours from either midnight, no file does.
 */
export function middayClock(): () => Date {
  const now = Date.now();
  const shift = Math.floor(now / 86_400_000) * 86_400_000 + 43_200_000 - now;
  return () => new Date(Date.now() + shift);
}

export interface TestBot {
  bot: Bot;
  standin: SlackStandin;
  client: BotClient;
  /** The bot's base URL (`/slack/events`, `/healthz` under it). */
  url: string;
  config: Config;
  signingSecret: string;
  warehouse: Warehouse;
  store: Store;
  /** Every JSON log line the bot wrote. */
  logs: string[];
  /** The bot's clock: real time plus an offset the test moves. */
  now(): Date;
  /** Moves the bot's clock to `at` (epoch ms), or by `ms`. */
  setTime(at: number): void;
  advance(ms: number): void;
  /** Runs due jobs until none is left (the runner's own timer runs them too, within a second). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export interface TestBotOptions {
  /** Extra environment for loadConfig (e.g. `{ TELEMETRY_WINDOW_DAYS: '7' }`). */
  env?: Record<string, string>;
  warehouse?: Warehouse;
  store?: Store;
  /** Chart renderer; default: the bot builds its own. */
  charts?: ChartRenderer;
  standin?: SlackStandin;
  standinOptions?: SlackStandinOptions;
  botOptions?: BotOptions;
}

export async function startTestBot(options: TestBotOptions = {}): Promise<TestBot> {
  const standin = options.standin ?? new SlackStandin(options.standinOptions);
  const ownStandin = !options.standin;
  const standinUrl = ownStandin ? (await standin.start({ port: 0, host: '127.0.0.1' })).url : standin.url!;
  const dataDir = await freshDataDir();
  const signingSecret = randomBytes(16).toString('hex');
  const config = loadConfig({
    SLACK_BOT_TOKEN: `xoxb-test-${randomBytes(6).toString('hex')}`,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: `${standinUrl}/api/`,
    DATA_DIR: dataDir,
    ANALYTICS_CHANNEL: StandinDefaults.channel,
    BIZOPS_USERGROUP: StandinDefaults.usergroups.bizops,
    LOOKER_ADMINS_USERGROUP: StandinDefaults.usergroups.lookerAdmins,
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: secretsOf(config), write: (l) => logs.push(l) });
  const warehouse: Warehouse = options.warehouse ?? (await openEmbeddedWarehouse({ dataDir, timeoutMs: config.queryTimeoutMs }));
  const store = options.store ?? (await openEmbeddedStore(dataDir, { checkNesting: true }));
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const bot = await createBot(config, logger, { warehouse, store, ...(options.charts ? { charts: options.charts } : {}) }, {
    now,
    // The stand-in does not rate-limit posts, and a suite posts in bursts Slack would pace: the pace
    // itself is tested on its own (test/slack-gateway.test.ts) and measured by the subscriptions bench.
    postPace: { perSecond: 1000, burst: 1000 },
    // Tests read a /telemetry reply as the answer: a lookup slowed by a busy machine must not get the
    // "Looking up" note first. The note is tested on its own, with a slow warehouse (telemetry.bigquery.test.ts).
    telemetryNoteAfterMs: 30_000,
    ...options.botOptions,
  });
  const { url } = await bot.start(0, '127.0.0.1');
  const client = new BotClient({ botUrl: `${url}/slack/events`, signingSecret, responseUrlBase: `${standinUrl}/response` });
  return {
    bot, standin, client, url, config, signingSecret, warehouse, store, logs, now,
    setTime: (at) => {
      offset = at - Date.now();
    },
    advance: (ms) => {
      offset += ms;
    },
    drain: () => drain(bot.jobs),
    async stop() {
      await bot.stop();
      if (ownStandin) await standin.stop();
      if (!options.warehouse) await warehouse.close();
      if (!options.store) await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts several bots (replicas) at once. If one fails to start, the others are
 * stopped before the error is thrown, so none keeps polling a store the test closes.
 */
export async function startTestBots(optionsList: TestBotOptions[]): Promise<TestBot[]> {
  const started = await Promise.allSettled(optionsList.map((options) => startTestBot(options)));
  const bots = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return bots;
  await Promise.allSettled(bots.map((b) => b.stop()));
  throw failed.reason;
}

/** The embedded warehouse of a test bot (when it runs on one). */
export function embedded(w: Warehouse): EmbeddedWarehouse {
  if (w.kind !== 'embedded') throw new Error('not the embedded warehouse');
  return w as EmbeddedWarehouse;
}


/** What {@link commandTwiceWithOneTrigger} and {@link clickTwiceWithOneTrigger} saw. */
export interface TwiceWithOneTrigger {
  statuses: number[];
  /** What each views.open met: 'ok' or Slack's error. */
  opens: string[];
  /** What either delivery said: posts to its response URL, and ephemeral messages to the user. */
  said: unknown[];
  /** The callback IDs of the forms then open. */
  openForms: Array<string | undefined>;
}

/**
 * Delivers what opens a form twice with one trigger (Slack's retry, a replayed request), as `userId` with no form
 * open: `send` is given no trigger the first time and the first delivery's the second. Closes the forms after.
 */
async function twiceWithOneTrigger(
  t: TestBot,
  userId: string,
  send: (triggerId?: string) => Promise<{ status: number; triggerId: string; responseUrl?: string }>,
): Promise<TwiceWithOneTrigger> {
  await t.standin.closeView(t.client, { userId, clearAll: true });
  const opens = () => t.standin.callsTo('views.open');
  // What either delivery said: by its response URL, or as an ephemeral message to the user (not a DM, which another
  // test's job may send meanwhile).
  const ephemerals = () => t.standin.callsTo('chat.postEphemeral').map((c) => c.args).filter((a) => a['user'] === userId);
  const before = { opens: opens().length, responses: t.standin.responses.length, ephemerals: ephemerals().length };
  const first = await send();
  await t.standin.waitFor(() => (opens().length > before.opens ? true : undefined));
  const again = await send(first.triggerId);
  await t.standin.waitFor(() => (opens().length > before.opens + 1 ? true : undefined));
  // Time for a reply the second delivery should not send.
  await new Promise((r) => setTimeout(r, 500));
  const ids = new Set([first.responseUrl, again.responseUrl].flatMap((url) => (url ? [url.split('/').pop()] : [])));
  const result = {
    statuses: [first.status, again.status],
    opens: opens().slice(before.opens).map((c) => c.error ?? 'ok'),
    said: [...t.standin.responses.slice(before.responses).filter((r) => ids.has(r.id)), ...ephemerals().slice(before.ephemerals)],
    openForms: t.standin.modals(userId).map((m) => m.callback_id),
  };
  await t.standin.closeView(t.client, { userId, clearAll: true });
  return result;
}

/** Sends a command that opens a form twice with one trigger; see {@link twiceWithOneTrigger}. */
export function commandTwiceWithOneTrigger(
  t: TestBot,
  cmd: { command: string; text: string; userId: string; channelId: string },
): Promise<TwiceWithOneTrigger> {
  return twiceWithOneTrigger(t, cmd.userId, (triggerId) => t.client.command({ ...cmd, ...(triggerId ? { triggerId } : {}) }));
}

/** Sends a click that opens a form twice with one trigger; see {@link twiceWithOneTrigger}. */
export function clickTwiceWithOneTrigger(t: TestBot, click: BlockActionInput): Promise<TwiceWithOneTrigger> {
  return twiceWithOneTrigger(t, click.userId, (triggerId) => t.client.blockAction({ ...click, ...(triggerId ? { triggerId } : {}) }));
}

/**
 * A tampered click: `action` (an ID and value the message never offered) on a message in the channel
 * everyone sees, sent as Slack would send a click on that message (its content, its response_url).
 * Returns the bot's ack and the index of the stand-in's next response_url post, to read what it answered.
 */
export async function forgedClickOn(
  t: TestBot,
  input: { userId: string; channelId: string; message: { ts: string; text?: string; blocks?: unknown[] }; action: { action_id: string; block_id?: string; value?: string } },
): Promise<{ status: number; from: number }> {
  const from = t.standin.responses.length;
  const { ts, text, blocks } = input.message;
  const ack = await t.client.blockAction({ userId: input.userId, channelId: input.channelId, message: { ts, text, blocks }, actions: [{ block_id: 'b', ...input.action }] });
  return { status: ack.status, from };
}
