/**
 * Secrets never appear in logs, messages, errors or the repo: the paths where one once slipped out.
 *
 * - Start-up's last-resort line (`analytics-bot failed to start: …`, src/main.ts) is written to stderr (Cloud
 *   Logging on Cloud Run) without the logger: nothing masked the bot token a Web API answer quoted back.
 * - Fivetran's answer had its own key and secret cut out of the raw text only: the same key written with JSON
 *   escapes (`\u0053…`) came out of JSON.parse whole, and a 16-character key looks like a word to the patterns.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN } from './support/bot-process.js';
import { freePort, loopbackServer } from './support/ports.js';
import { FivetranRuns } from '../src/adapters/pipeline-runs/fivetran.js';

const BOT_TOKEN = 'xoxb-SEKRETslackbot-1234567890';
const SIGNING_SECRET = 'SEKRETsigning0123456789abcdef';
const TASKS_SECRET = 'SEKRETtasks0123456789';
const FIVETRAN_KEY = 'SEKRETfivetran12';
const FIVETRAN_SECRET = 'SEKRETfivetransecret34567890abcd';
const BASIC = Buffer.from(`${FIVETRAN_KEY}:${FIVETRAN_SECRET}`).toString('base64');
const SECRETS = [BOT_TOKEN, SIGNING_SECRET, TASKS_SECRET, FIVETRAN_KEY, FIVETRAN_SECRET, BASIC, 'SEKRET'];

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** What of `SECRETS` appears in `text`. */
const leaked = (text: string) => SECRETS.filter((s) => text.includes(s));

/** `text` with some letters written as JSON's \u escapes, as an encoder that escapes more than it must writes them. */
const jsonEscaped = (text: string) => text.replace(/[A-Za-z]/g, (c, i: number) => (i % 2 === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c));

describe('start-up failures', () => {
  it('a Web API answer quoting the request back (a gateway at SLACK_API_URL) does not put the bot token on stderr', async () => {
    // Answers every call as Slack answers an error, with the request in the error's text.
    const slack = await loopbackServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: `invalid_auth for ${JSON.stringify(req.headers)} ${body}` }));
    });
    cleanups.push(() => slack.close());
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'secrets-probe-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [MAIN.pathname], {
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: `${slack.url}/api/`,
        TASKS_SECRET, FIVETRAN_API_KEY: FIVETRAN_KEY, FIVETRAN_API_SECRET: FIVETRAN_SECRET,
        DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'debug', METADATA_SERVER_DETECTION: 'none',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The start-up did fail, and said so.
    expect(code).not.toBe(0);
    expect(output).toMatch(/failed to start|Configuration error/);
    expect(leaked(output)).toEqual([]);
  }, 60_000);
});

describe('Fivetran answers', () => {
  it('its own key, echoed with JSON escapes, is cut out of what the rerun says', async () => {
    const fivetran = await loopbackServer(async (req, res) => {
      for await (const _ of req) void _;
      res.writeHead(401, { 'content-type': 'application/json' });
      // Valid JSON: `\u0053` is `S`. The plain-text key never appears in the raw answer.
      res.end(`{"code":"AuthFailed","message":"Invalid API key ${jsonEscaped(FIVETRAN_KEY)} (secret ${jsonEscaped(FIVETRAN_SECRET)})"}`);
    });
    cleanups.push(() => fivetran.close());
    const runs = new FivetranRuns({ apiKey: FIVETRAN_KEY, apiSecret: FIVETRAN_SECRET, apiUrl: `${fivetran.url}/`, timeoutMs: 5_000, maxRetryWaitMs: 0 });
    const target = { kind: 'fivetran' as const, connectionId: 'hubspot_daily' };
    const started = await runs.start(target, { force: false });
    expect(started.ok).toBe(false);
    // It is Fivetran's refusal of the key, in Fivetran's words...
    expect(JSON.stringify(started)).toMatch(/Fivetran refused our API key \(401\).*Fivetran says: Invalid API key/);
    // ...without the key.
    expect(leaked(JSON.stringify(started))).toEqual([]);
    const followed = await runs.status({ target, runId: target.connectionId, startedAt: new Date().toISOString() }).then(
      (s) => JSON.stringify(s),
      (err: Error) => err.message,
    );
    expect(followed).toMatch(/Fivetran refused our API key/);
    expect(leaked(followed)).toEqual([]);
  });
});
