/**
 * The newcomer's path: the built app starts on its embedded defaults in local
 * mode, and `npm run slack` talks to it; bad configuration stops it, naming
 * the variable. In HTTP mode on the embedded defaults, it never loads the
 * Google Cloud clients. Runs the compiled app (`npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort, loopbackServer } from './support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import { BotClient } from '../src/slack-standin/bot-client.js';
import { freshDataDir, startTestBot } from './support/harness.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import type { Store } from '../src/ports/store.js';

const root = path.resolve(import.meta.dirname, '..');
const main = path.join(root, 'dist/src/main.js');
const cli = path.join(root, 'dist/src/cli/slack.js');
const built = existsSync(main) && existsSync(cli);
const env = (extra: Record<string, string>) => {
  const e: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const k of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'WAREHOUSE', 'STORE']) if (!(k in extra)) delete e[k];
  return e;
};

/** The built app run with `vars` until it exits (killed after 60 s): its exit status and what it printed. */
function runToExit(vars: Record<string, string>): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main], { env: env(vars), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (status) => (clearTimeout(timer), resolve({ status, stderr, stdout })));
  });
}

/**
 * A module for `node --import` that lists every module the process loads, in
 * the file named by LOADED_MODULES_FILE: ES modules as the loader hooks see
 * them (appended as they load, from the hooks' thread), CommonJS modules from
 * `require.cache` when the process exits (the Google clients and DuckDB are
 * CommonJS; imported from an ES module, they land in that cache too).
 */
const LIST_LOADED_MODULES = `
import { createRequire, register } from 'node:module';
import { writeFileSync } from 'node:fs';
const file = process.env.LOADED_MODULES_FILE;
writeFileSync(file, '');
const hooks = "import { appendFileSync } from 'node:fs';" +
  "let file; export function initialize(data) { file = data.file; }" +
  "export async function load(url, context, next) { appendFileSync(file, url + '\\\\n'); return next(url, context); }";
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { file } });
// require.cache is one for the process, whichever module the require was made for.
const require = createRequire(process.argv[1]);
process.on('exit', () => writeFileSync(file, Object.keys(require.cache).join('\\n') + '\\n', { flag: 'a' }));
`;


// `npm test` always builds first; a bare `vitest run` on an unbuilt tree has nothing to start.
describe.skipIf(!built && process.env.CI !== 'true')('the built app (skipped: run `npm run build` first)', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '0' }, 'PORT'],
    [{ WAREHOUSE: 'bigquery' }, 'BIGQUERY_PROJECT'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ ANALYTICS_CHANNEL: '#analytics' }, 'ANALYTICS_CHANNEL'],
  ])('exits at start-up on %o, naming %s', (extra, variable) => {
    const r = spawnSync(process.execPath, [main], { env: env(extra), encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(variable);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['a regular file', (file: string) => file],
    ['a path under a regular file', (file: string) => path.join(file, 'data')],
  ])('exits at start-up, in one line naming DATA_DIR and the path, when DATA_DIR is %s', async (_what, dataDirOf) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-datadir-'));
    try {
      const file = path.join(dir, 'not-a-dir');
      await writeFile(file, 'x');
      const dataDir = dataDirOf(file);
      const r = spawnSync(process.execPath, [main], { env: env({ DATA_DIR: dataDir }), encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^Configuration error: DATA_DIR: .*point DATA_DIR at a directory this user can write.*\n$/);
      expect(r.stderr).toContain(dataDir);
      expect(r.stderr).not.toMatch(/EEXIST|ENOTDIR|unexpected|\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('masks a credential-shaped text in a start-up refusal (a token pasted into DATA_DIR, quoted as the path)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-datadir-'));
    try {
      // Put together at run time, so that the repository holds nothing a secret scanner takes for a token.
      const token = ['xoxb', '1111', '2222', 'A1b2C3d4E5f6G7h8'].join('-');
      await writeFile(path.join(dir, 'file'), 'x');
      const r = spawnSync(process.execPath, [main], { env: env({ DATA_DIR: path.join(dir, 'file', token) }), encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^Configuration error: DATA_DIR: /);
      expect(r.stderr).not.toContain(token);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a missing', null, /Sources file error: .*missing\.yml: cannot read the sources file \(ENOENT\); set SOURCES_FILE to its path\n$/],
    ['an invalid', 'sources: []\n', /Sources file error: .*bad\.yml: "sources" is empty\n$/],
  ])('refuses %s SOURCES_FILE at start-up, naming it, before building the demo warehouse', async (_what, content, said) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-sources-'));
    try {
      const file = path.join(dir, content === null ? 'missing.yml' : 'bad.yml');
      if (content !== null) await writeFile(file, content);
      const dataDir = path.join(dir, 'data');
      const r = spawnSync(process.execPath, [main], { env: env({ SOURCES_FILE: file, DATA_DIR: dataDir }), encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(said);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(dataDir, 'warehouse.duckdb'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it.each([
    ['local mode', {}, '127.0.0.1'],
    ['HTTP mode', { SLACK_BOT_TOKEN: 'xoxb-startup-test', SLACK_SIGNING_SECRET: randomBytes(16).toString('hex') }, '0.0.0.0'],
    // Bolt's Socket Mode receiver listens with no error handler: a taken port was an uncaught exception.
    ['Socket Mode', { SLACK_APP_TOKEN: 'xapp-1-startup-test', SLACK_BOT_TOKEN: 'xoxb-startup-test' }, '0.0.0.0'],
  ])('exits at start-up when PORT is taken in %s, in one line naming PORT and a port found free to choose instead', async (_mode, vars: Record<string, string>, host) => {
    const standin = Object.keys(vars).length ? new SlackStandin() : null;
    const taken = await loopbackServer(async (_req, res) => void res.end('taken'));
    const port = new URL(taken.url).port;
    // The next port up is taken too (as 3001 often is beside 3000): the one suggested is not it.
    const next = createServer();
    await new Promise<void>((resolve) => next.once('error', () => resolve()).listen(Number(port) + 1, '127.0.0.1', () => resolve()));
    const dataDir = await freshDataDir();
    try {
      const slack: Record<string, string> = standin ? { SLACK_API_URL: `${(await standin.start({ port: 0, host: '127.0.0.1' })).url}/api/`, ANALYTICS_CHANNEL: StandinDefaults.channel } : {};
      const r = await runToExit({ ...vars, ...slack, PORT: port, DATA_DIR: dataDir });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^Configuration error: PORT: ${host.replaceAll('.', '\\.')}:${port} is in use already`));
      const suggested = Number(/PORT=(\d+) npm start \(free just now\)/.exec(r.stderr)?.[1]);
      expect(suggested).toBeGreaterThanOrEqual(Number(port) + 2);
      expect(suggested).toBeLessThanOrEqual(Number(port) + 20);
      expect(r.stderr).not.toMatch(/EADDRINUSE|uncaught|unexpected|\n\s+at /);
    } finally {
      await standin?.stop();
      await taken.close();
      await new Promise<void>((resolve) => (next.listening ? next.close(() => resolve()) : resolve()));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it.each([
    ['refuses the bot token (revoked, or pasted from another app)', 'invalid_auth', /^Configuration error: SLACK_BOT_TOKEN: Slack refused the token \(invalid_auth\): copy the Bot User OAuth Token/],
    ['does not answer (SLACK_API_URL mistyped)', null, /^Configuration error: SLACK_API_URL: Slack's Web API did not answer auth\.test there \(ECONNREFUSED\): check SLACK_API_URL/],
  ])('exits at start-up when Slack %s, in one line naming the setting to fix', async (_what, refusal, said) => {
    const token = ['xoxb', '1111', '2222', randomBytes(12).toString('hex')].join('-');
    const slack = await loopbackServer(async (req, res) => {
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: false, error: refusal }));
    });
    const apiUrl = refusal ? `${slack.url}/api/` : `http://127.0.0.1:${await freePort()}/api/`;
    const dataDir = await freshDataDir();
    const port = String(await freePort());
    try {
      const r = await runToExit({ SLACK_BOT_TOKEN: token, SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'), SLACK_API_URL: apiUrl, PORT: port, DATA_DIR: dataDir });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(said);
      expect(r.stderr).not.toMatch(/An API error occurred|A request error occurred|\(unexpected\)|\n\s+at /);
      expect(r.stderr + r.stdout).not.toContain(token);
    } finally {
      await slack.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  describe('local mode', () => {
    let child: ChildProcess;
    let dataDir: string;
    let url = '';
    let output = '';

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-local-'));
      child = spawn(process.execPath, [main], { env: env({ PORT: String(await freePort()), DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up line within 60 s:\n${output}`)), 60_000);
        const check = () => {
          const m = /Slack stand-in: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout!.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
    }, 90_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dataDir, { recursive: true, force: true });
    });

    it('tells the newcomer what to try', () => {
      expect(output).toContain('local mode');
      // On a port other than 3000, the terminal client must be told it: the banner says how, and how to act as BizOps.
      expect(output).toContain(`PORT=${new URL(url).port} npm run slack -- "/telemetry acme"`);
      expect(output).toContain('--as U0BIZOPS');
    });

    it('answers `npm run slack -- "/telemetry acme"` with the card', () => {
      const r = spawnSync(process.execPath, [cli, '--url', url, '/telemetry acme'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Acme Corp: 3 instances');
      expect(r.stdout).toContain('[only visible to you]');
      expect(r.stdout).toContain('Full pings + user-level data');
    });

    it('answers `npm run slack -- "/query instances-by-hosting"` with the chart it shared', () => {
      const r = spawnSync(process.execPath, [cli, '--url', url, '/query instances-by-hosting'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('no reply');
      expect(r.stdout).toMatch(/\[in channel C0\w+\]/);
      expect(r.stdout).toContain('*Instances by hosting*');
      expect(r.stdout).toContain('[file: Instances by hosting]');
    });

    it('names a user group by its handle, as Slack shows it (`/pipeline rerun hubspot` by a regular user)', () => {
      const r = spawnSync(process.execPath, [cli, '--url', url, '/pipeline rerun hubspot'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Only @bizops can rerun');
      expect(r.stdout).not.toContain('S0BIZOPS');
    });

    it('tags a modal as a modal, not as a message in the channel', () => {
      const r = spawnSync(process.execPath, [cli, '--url', url, '/query alert weekly-active-instances'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[modal: New alert]');
      expect(r.stdout).not.toContain('[in channel');
    });

    it('explains usage and an unreachable bot', () => {
      const usage = spawnSync(process.execPath, [cli, '--url', url, 'telemetry'], { encoding: 'utf8', timeout: 10_000 });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain('Usage');
      const down = spawnSync(process.execPath, [cli, '--url', 'http://127.0.0.1:9', '/telemetry acme'], { encoding: 'utf8', timeout: 10_000 });
      expect(down.status).toBe(1);
      expect(down.stderr).toContain('npm start');
      const unknown = spawnSync(process.execPath, [cli, '--url', url, '/nosuchcommand acme'], { encoding: 'utf8', timeout: 10_000 });
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('/nosuchcommand is not a valid command');
      expect(unknown.stderr).toContain('/telemetry');
    });

    it('serves the page and every module of its compiled code from the build', async () => {
      const html = await (await fetch(`${url}/`)).text();
      const entry = /<script src="([^"]+)" type="module">/.exec(html)?.[1];
      expect(entry).toBeDefined();
      const seen = new Set<string>();
      const queue = [new URL(entry!, url).href];
      while (queue.length) {
        const module = queue.shift()!;
        if (seen.has(module)) continue;
        seen.add(module);
        const res = await fetch(module);
        expect(res.status, module).toBe(200);
        expect(res.headers.get('content-type')).toContain('javascript');
        for (const m of (await res.text()).matchAll(/^(?:import|export)\b[^'"]*from '(\.[^']+)'/gm)) queue.push(new URL(m[1]!, module).href);
      }
      // The app, its page code, and the Block Kit modules they share.
      expect([...seen].some((m) => m.endsWith('/blockkit/mrkdwn.js'))).toBe(true);
      for (const file of ['style.css', 'favicon.svg']) expect((await fetch(`${url}/static/${file}`)).status).toBe(200);
    });

    it('answers /healthz on PORT for the container HEALTHCHECK, from the bot behind the stand-in', async () => {
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, warehouse: 'embedded', store: 'embedded' });
    });

    it('stops cleanly on SIGTERM', async () => {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });

  describe('HTTP mode on the embedded defaults', () => {
    let standin: SlackStandin;
    let child: ChildProcess;
    let dataDir: string;
    let listFile: string;
    let output = '';
    let loaded: string[] = [];

    beforeAll(async () => {
      standin = new SlackStandin();
      const { url: slackUrl } = await standin.start({ port: 0, host: '127.0.0.1' });
      dataDir = await freshDataDir();
      listFile = path.join(dataDir, 'loaded-modules.txt');
      const port = await freePort();
      const signingSecret = randomBytes(16).toString('hex');
      child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(LIST_LOADED_MODULES)}`, main], {
        env: env({
          SLACK_BOT_TOKEN: 'xoxb-startup-test', SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: `${slackUrl}/api/`,
          PORT: String(port), DATA_DIR: dataDir, ANALYTICS_CHANNEL: StandinDefaults.channel, LOADED_MODULES_FILE: listFile,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no 'adapters ready' within 60 s:\n${output}`)), 60_000);
        child.stdout!.on('data', () => {
          if (output.includes('adapters ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      // A lookup on the warehouse, then a clean stop: the list is written at exit.
      const client = new BotClient({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, responseUrlBase: `${slackUrl}/response` });
      const { ack, replies } = await standin.runCommand(client, { command: '/telemetry', text: 'acme', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel });
      expect(ack.status).toBe(200);
      expect(JSON.stringify(replies)).toContain('Acme Corp');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      loaded = (await readFile(listFile, 'utf8')).split('\n').filter(Boolean);
    }, 120_000);

    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await standin?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const packages = () => new Set(loaded.flatMap((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1] ?? []));

    it('loads what it uses: Bolt, and DuckDB for the lookup', () => {
      expect(packages()).toContain('@slack/bolt');
      expect(packages()).toContain('@duckdb/node-api');
    });

    it('never loads the Google Cloud clients, google-auth-library, or the chart libraries on the main thread', () => {
      const unused = ['@google-cloud/firestore', '@google-cloud/bigquery', 'google-auth-library', 'google-gax', '@grpc/grpc-js', 'chart.js', '@napi-rs/canvas'];
      expect([...packages()].filter((p) => unused.includes(p))).toEqual([]);
      expect(loaded.filter((m) => /\/src\/adapters\/(store\/firestore|warehouse\/bigquery|pipeline-runs\/(fivetran|datatransfer)|looker\/api)\.js$/.test(m))).toEqual([]);
    });
  });

  describe('SIGTERM while a job waits on Slack (Cloud Run kills the process 10 s later)', () => {
    it('stops taking work and exits, cleanly, before the 10 s are up', async () => {
      const standin = new SlackStandin();
      const { url: slackUrl } = await standin.start({ port: 0, host: '127.0.0.1' });
      const dataDir = await freshDataDir();
      const port = await freePort();
      const signingSecret = randomBytes(16).toString('hex');
      // The chart's upload URL is asked of Slack in a job; Slack then does not answer for a minute.
      let reached!: () => void;
      const held = new Promise<void>((resolve) => (reached = resolve));
      const unhook = standin.onApplied(async (call) => {
        if (call.method !== 'files.getUploadURLExternal') return;
        reached();
        await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
      });
      const child = spawn(process.execPath, [main], {
        env: env({
          SLACK_BOT_TOKEN: 'xoxb-startup-test', SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: `${slackUrl}/api/`,
          PORT: String(port), DATA_DIR: dataDir, ANALYTICS_CHANNEL: StandinDefaults.channel,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no 'adapters ready' within 60 s:\n${output}`)), 60_000);
          child.stdout!.on('data', () => output.includes('adapters ready') && (clearTimeout(timer), resolve()));
          child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
        });
        const client = new BotClient({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, responseUrlBase: `${slackUrl}/response` });
        const { ack } = await standin.runCommand(client, { command: '/query', text: 'weekly-active-instances', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel, timeoutMs: 200 });
        expect(ack.status).toBe(200);
        await held;
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        const started = Date.now();
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        const took = Date.now() - started;
        console.log(`SIGTERM with a job waiting on Slack: exited after ${took} ms`);
        expect(took).toBeLessThan(9_800);
        expect(output).toContain('shutting down');
      } finally {
        unhook();
        if (child.exitCode === null) child.kill('SIGKILL');
        await standin.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    }, 120_000);
  });
});

describe('a store that is slow to answer at start-up (Firestore unreachable, or its project or credentials wrong)', () => {
  it('is said in the log while the bot already serves, not waited on in silence; a store that answers says nothing', async () => {
    const dir = await freshDataDir();
    const real = await openEmbeddedStore(dir);
    let delayMs = 800;
    const slow = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'runTransaction') return (body: Parameters<Store['runTransaction']>[0]) => new Promise((r) => setTimeout(r, delayMs)).then(() => real.runTransaction(body));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const said = (logs: string[]) => logs.filter((l) => l.includes('start-up is waiting on the store'));
    const t = await startTestBot({ store: slow, botOptions: { storeSlowAtStartMs: 100 } });
    try {
      expect(said(t.logs)).toHaveLength(1);
      expect(JSON.parse(said(t.logs)[0]!)).toMatchObject({ severity: 'WARNING', store: 'embedded' });
    } finally {
      delayMs = 0;
      await t.stop();
    }
    const quick = await startTestBot({ botOptions: { storeSlowAtStartMs: 5_000 } });
    try {
      expect(said(quick.logs)).toHaveLength(0);
    } finally {
      await quick.stop();
      await real.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
