/**
 * Cold start: from spawning the process to the first 200 on a signed
 * `/telemetry acme`, on a data directory that already exists. Targets: under
 * 1 s, and within 2× of a bare Bolt app (bench/bare-bolt-main.ts) measured in
 * the same run.
 *
 * Each run spawns `node dist/src/main.js` in HTTP mode (the production entry
 * point; Slack's Web API and response_url are a loopback sink in a thread of
 * this process) and sends the signed command as soon as the port accepts a
 * connection, again every 2 ms until one is answered. Configurations, in
 * turn within each round:
 * - the embedded defaults (DuckDB demo warehouse, embedded store);
 * - `STORE=firestore` + `WAREHOUSE=bigquery`: the Firestore emulator (started
 *   here unless FIRESTORE_EMULATOR_HOST is set; skipped without gcloud) and
 *   the loopback BigQuery fake, reached through Application Default
 *   Credentials (an `external_account` file whose token endpoint is loopback);
 * - the bare Bolt app.
 * It also prints when the first reply (the lookup's response_url post)
 * arrived, and the RSS of the process once it answered.
 *
 * `BENCH_COLD_RUNS` sets the rounds (default 7).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { benchTriggerId } from './slash-command.js';
import { freshDataDir } from '../test/support/harness.js';
import { percentile } from './stats.js';
import { sinkReplies, thread } from './threads.js';
import { botMain, freePort, memoryOf, root, startGoogleSide, type GoogleSide } from './spawned.js';

interface Target {
  name: string;
  script: string;
  env: Record<string, string>;
  /** Whether a reply follows the ack (the bare app answers nothing). */
  replies: boolean;
}

interface Sample {
  ackMs: number;
  replyMs?: number;
  rssMb?: number;
}

const bareMain = path.join(root, 'dist/bench/bare-bolt-main.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One signed `/telemetry acme` on a fresh connection: its HTTP status, or null when nothing listens yet. */
function telemetry(port: number, signingSecret: string, responseUrl: string): Promise<number | null> {
  const body = new URLSearchParams({
    token: 'bench', team_id: 'T0BENCH', team_domain: 'bench', channel_id: 'C0ANALYTIC', channel_name: 'analytics',
    user_id: 'U0REGULAR', user_name: 'riley', command: '/telemetry', text: 'acme', api_app_id: 'A0BENCH',
    is_enterprise_install: 'false', response_url: responseUrl, trigger_id: benchTriggerId(),
  }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...signSlackRequest(signingSecret, body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' ? resolve(null) : reject(err)));
    req.end(body);
  });
}

/** Spawns the target, measures its first ack (and reply), stops it. */
async function measure(t: Target, sink: { url: string }, replyOf: (id: string, timeoutMs: number) => Promise<number | undefined>): Promise<Sample> {
  const port = await freePort();
  const signingSecret = randomBytes(16).toString('hex');
  const replyId = `cold-${randomBytes(6).toString('hex')}`;
  let output = '';
  const started = performance.now();
  const child = spawn(process.execPath, [t.script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...t.env, PORT: String(port), SLACK_SIGNING_SECRET: signingSecret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  try {
    let status: number | null = null;
    while (status === null) {
      if (child.exitCode !== null) throw new Error(`${t.name} exited with ${child.exitCode} before answering:\n${output}`);
      if (performance.now() - started > 60_000) throw new Error(`${t.name} did not answer within 60 s:\n${output}`);
      status = await telemetry(port, signingSecret, `${sink.url}/response/${replyId}`);
      if (status === null) await sleep(2);
    }
    const ackMs = performance.now() - started;
    if (status !== 200) throw new Error(`${t.name} answered HTTP ${status}:\n${output}`);
    const rss = (await memoryOf(child.pid!))?.rssMb;
    const repliedAt = t.replies ? await replyOf(replyId, 30_000) : undefined;
    if (t.replies && repliedAt === undefined) throw new Error(`${t.name}: no reply within 30 s:\n${output}`);
    return { ackMs, ...(repliedAt !== undefined ? { replyMs: repliedAt - started } : {}), ...(rss !== undefined ? { rssMb: rss } : {}) };
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

const fmt = (v: number) => v.toFixed(0);
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

export async function run(): Promise<void> {
  const rounds = Number(process.env.BENCH_COLD_RUNS ?? 7);
  const sink = await thread<{ url: string }>('./sink-worker.js');
  const { replyOf } = sinkReplies(sink);

  const dataDir = await freshDataDir();
  const slack = { SLACK_BOT_TOKEN: 'xoxb-bench-cold-start', SLACK_API_URL: `${sink.info.url}/api/`, ANALYTICS_CHANNEL: 'C0ANALYTIC' };
  const targets: Target[] = [
    { name: 'bot, embedded defaults', script: botMain, env: { ...slack, DATA_DIR: dataDir }, replies: true },
  ];

  const google: GoogleSide | undefined = await startGoogleSide(sink.info.url);
  if (google) {
    targets.push({ name: 'bot, Firestore + BigQuery', script: botMain, env: { ...slack, ...google.env }, replies: true });
  } else {
    console.log('Firestore + BigQuery: skipped (no FIRESTORE_EMULATOR_HOST and no gcloud on PATH)');
  }
  targets.push({ name: 'bare Bolt', script: bareMain, env: slack, replies: false });

  try {
    // One unmeasured start each: the data directories get their store, the OS caches the files.
    for (const t of targets) await measure(t, sink.info, replyOf);
    const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const t of targets) samples.get(t.name)!.push(await measure(t, sink.info, replyOf));
    }
    const bare = median(samples.get('bare Bolt')!.map((s) => s.ackMs));
    for (const t of targets) {
      const s = samples.get(t.name)!;
      const acks = s.map((x) => x.ackMs);
      const m = median(acks);
      const ratio = t.name === 'bare Bolt' ? '' : `, ${(m / bare).toFixed(2)}× bare Bolt (target < 1000 ms and ≤ 2×)`;
      console.log(`cold start → first ack, ${t.name} (n=${s.length}): median ${fmt(m)} ms, range ${fmt(Math.min(...acks))}–${fmt(Math.max(...acks))} ms${ratio}`);
      console.log(`  each run: ${acks.map(fmt).join(', ')} ms`);
      const replyMs = s.flatMap((x) => (x.replyMs === undefined ? [] : [x.replyMs]));
      if (replyMs.length) console.log(`  first reply (the lookup's response_url post): median ${fmt(median(replyMs))} ms, range ${fmt(Math.min(...replyMs))}–${fmt(Math.max(...replyMs))} ms`);
      const rss = s.flatMap((x) => (x.rssMb === undefined ? [] : [x.rssMb]));
      if (rss.length) console.log(`  RSS at the first ack: median ${fmt(median(rss))} MB`);
    }
  } finally {
    await google?.stop();
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
