/**
 * The bot as a process of its own, started from its production entry point (dist/src/main.js, HTTP mode), for
 * the tests that kill it for real (kill -9) and start another on the same data: test/crash.e2e.test.ts,
 * test/crash.clicks-and-cards.e2e.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, watch } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { BotClient } from '../../src/slack-standin/bot-client.js';
import { StandinDefaults } from '../../src/slack-standin/server.js';
import { openEmbeddedStore } from '../../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../../src/adapters/store/firestore.js';
import type { Store } from '../../src/ports/store.js';
import type { SlackStandin } from '../../src/slack-standin/server.js';

export const MAIN = new URL('../../dist/src/main.js', import.meta.url);

/** What a bot process needs to talk to the Slack stand-in at `standinUrl` in HTTP mode, with the stand-in's channel and user groups. */
export function standinEnv(standinUrl: string, signingSecret: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    SLACK_BOT_TOKEN: `xoxb-crash-${randomBytes(6).toString('hex')}`,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: `${standinUrl}/api/`,
    ANALYTICS_CHANNEL: StandinDefaults.channel,
    BIZOPS_USERGROUP: StandinDefaults.usergroups.bizops,
    LOOKER_ADMINS_USERGROUP: StandinDefaults.usergroups.lookerAdmins,
  };
}

/**
 * What a crash test's bot runs with besides the stand-in's: its data directory and store (Firestore's collections
 * under `prefix`), the shortest lease the configuration allows (a dead process's claims are taken over after it on
 * Firestore; the embedded store releases them at start), a short poll, and one job at a time (the kill lands while
 * a handler waits on a vendor, not in another job's Firestore transaction, whose locks the emulator holds for a
 * minute after the process died).
 */
export function crashEnv(o: { dataDir: string; tasksSecret: string; store: 'embedded' | 'firestore'; prefix: string }): Record<string, string> {
  return {
    FRESHNESS_CHECK_INTERVAL_MS: '0',
    TASKS_SECRET: o.tasksSecret,
    JOBS_LEASE_SECONDS: '10',
    JOBS_POLL_MS: '200',
    JOBS_CONCURRENCY: '1',
    METADATA_SERVER_DETECTION: 'none',
    DATA_DIR: o.dataDir,
    ...(o.store === 'firestore'
      ? { STORE: 'firestore', GOOGLE_CLOUD_PROJECT: CRASH_PROJECT, FIRESTORE_COLLECTION_PREFIX: o.prefix, FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '' }
      : { STORE: 'embedded' }),
  };
}

const CRASH_PROJECT = 'analytics-bot-test';

/** The test's own view of what a crash test's bot stores ({@link crashEnv}): the emulator's collections, or the journal. */
export function crashStore(o: { dataDir: string; store: 'embedded' | 'firestore'; prefix: string }): Store {
  return o.store === 'firestore' ? openFirestoreStore({ projectId: CRASH_PROJECT, collectionPrefix: o.prefix }) : journalReader(o.dataDir);
}

/** The bot as a process of its own, started from the production entry point. */
export class BotProcess {
  readonly logs: string[] = [];
  private constructor(
    readonly child: ChildProcess,
    readonly client: BotClient,
    readonly exited: Promise<number | null>,
    /** Its HTTP root (`/tasks/*`, `/healthz`). */
    readonly url: string,
  ) {}

  static async start(env: Record<string, string>, signingSecret: string, responseUrlBase: string): Promise<BotProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN.pathname], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const bot = new BotProcess(child, new BotClient({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, responseUrlBase }), exited, `http://127.0.0.1:${port}`);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      bot.logs.push(...lines);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const deadline = Date.now() + 30_000;
    while (!bot.logs.some((l) => l.includes('analytics-bot started'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the bot did not start:\n${bot.logs.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return bot;
  }

  /** kill -9, and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5_000))]);
    await this.kill();
  }
}

/** `probe`'s first truthy value, asked every 50 ms; fails naming `what` after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T | undefined | false | null> | T | undefined | false | null, what: string, timeoutMs = 100_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The embedded store of a running bot, read from outside: each read opens a
 * private copy of its files (the bot holds the directory's lock).
 */
export function journalReader(dataDir: string): Store {
  const withCopy = async <R>(read: (s: Store) => Promise<R>): Promise<R> => {
    const copy = await mkdtemp(path.join(os.tmpdir(), 'crash-read-'));
    await cp(path.join(dataDir, 'store'), path.join(copy, 'store'), { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    const s = await openEmbeddedStore(copy);
    try {
      return await read(s);
    } finally {
      await s.close();
      await rm(copy, { recursive: true, force: true });
    }
  };
  const refuse = () => Promise.reject(new Error('read-only view of the bot\'s store'));
  return {
    kind: 'embedded',
    get: (c, id) => withCopy((s) => s.get(c, id)),
    list: (c, o) => withCopy((s) => s.list(c, o)),
    recentAudit: (n) => withCopy((s) => s.recentAudit(n)),
    put: refuse, delete: refuse, runTransaction: refuse, createOnce: refuse, transition: refuse, acquireLease: refuse, releaseLease: refuse, audit: refuse,
    close: async () => {},
  } as Store;
}

/**
 * Arms a kill: `arm` is given the function that kills the bot and starts another (`killAndRestart`), and returns
 * what disarms it. Resolves once the new bot is up; rejects if that fails.
 */
export function armedKill(arm: (kill: () => Promise<void>) => () => void, killAndRestart: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let disarm = () => {};
    disarm = arm(async () => {
      disarm();
      try {
        await killAndRestart();
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

/** Kills (with what {@link armedKill} gives) right after Slack applied a `method` call whose arguments `match`: before the bot hears. */
export const killOnSlack = (standin: SlackStandin, method: string, match: (args: Record<string, unknown>) => boolean) => (kill: () => Promise<void>) =>
  standin.onApplied(async (call) => {
    if (call.method === method && !call.error && match(call.args)) await kill();
  });

/**
 * Kills the bot (`bot()` at that moment) -9 right after its embedded store's journal (in `dataDir`) gains a line
 * with `marker`. It is looked for when the file changes and as each Slack call or response_url post arrives, so
 * the bot's next step cannot race the kill: from the line on, whatever the bot sends Slack is lost (never
 * reached it) until `disarm()`, which the test calls before it starts the bot again. Call it before what writes
 * the line; `killed` resolves once the bot has exited.
 */
export function killAfterJournal(standin: SlackStandin, bot: () => BotProcess, dataDir: string, marker: string) {
  const journal = path.join(dataDir, 'store', 'journal.jsonl');
  let offset = statSync(journal).size;
  let killed: Promise<unknown> | undefined;
  let done!: () => void;
  const whenKilled = new Promise<void>((resolve) => (done = resolve));
  const written = () => {
    if (!killed) {
      // Whole lines only: a line being written is read again, whole, next time.
      const added = readFileSync(journal).subarray(offset);
      const whole = added.subarray(0, added.lastIndexOf(10) + 1);
      offset += whole.length;
      if (whole.toString('utf8').includes(marker)) {
        const victim = bot();
        victim.child.kill('SIGKILL');
        killed = victim.exited;
        void killed.then(() => done());
      }
    }
    return killed;
  };
  const watcher = watch(journal, () => void written());
  const offArrival = standin.onArrival(async () => {
    const exited = written();
    if (!exited) return;
    await exited;
    return 'lost';
  });
  return {
    /** Resolves once the bot is killed and has exited. */
    killed: whenKilled,
    disarm: () => {
      watcher.close();
      offArrival();
    },
  };
}

/** What the bot was doing, for a failure message: the jobs not done and its last warnings. */
export async function stuckWork(store: Store, bot: BotProcess): Promise<string> {
  const jobs = (await store.list<{ state: string; runAt: number | null; attempts: number; lastError: string | null; holder: string | null }>('jobs'))
    .filter((d) => d.data.state !== 'done')
    .map((d) => `${d.id} ${d.data.state} runAt=${d.data.runAt} now=${Date.now()} attempts=${d.data.attempts} holder=${d.data.holder} ${d.data.lastError ?? ''}`);
  return [...jobs, ...bot.logs.filter((l) => /"(warn|error)"|WARN|ERROR/.test(l)).slice(-15)].join('\n');
}
