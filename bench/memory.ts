/**
 * Memory: the production entry point (`node dist/src/main.js`, HTTP mode) as
 * a process of its own, on the production configuration (`STORE=firestore` +
 * `WAREHOUSE=bigquery`: the Firestore emulator and the loopback BigQuery fake;
 * the embedded defaults without gcloud, or with BENCH_MEMORY_CONFIG=embedded).
 * Its RSS (from /proc) after start, then during BENCH_SOAK_MINUTES (default
 * 10) of mixed load, with the main thread's V8 heap as the process itself
 * sees it (bench/memory-probe.ts, loaded with --import), and the heap limit
 * that leaves a 512 MiB Cloud Run instance room for everything else.
 *
 * The mixed load, closed loops from this thread (the bot is another process):
 * - 2 chart loops: `/query` for saved charts with parameters that vary (30
 *   distinct results on BigQuery, whose loopback fake runs only the queries
 *   written the same in both dialects; 70 on the embedded warehouse), so the
 *   first minutes run queries and the rest mostly come from the cache, within
 *   the queries' TTLs; every command draws and uploads its chart; each loop
 *   waits for its upload before the next;
 * - 2 lookup loops: `/telemetry` for one customer, several, a typo and no
 *   match, each waiting for its reply, 50 ms apart;
 * - 1 loop of `/pipeline status` and `/query` help, one a second.
 * The Slack side (Web API, uploads, response_url) is a thread of this process.
 * BENCH_MEMORY_NODE_OPTIONS adds options to the bot's node (e.g. a heap limit to try).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { freshDataDir } from '../test/support/harness.js';
import { sendSlashCommand } from './slash-command.js';
import { summarize, ms } from './stats.js';
import { thread } from './threads.js';
import { botMain, freePort, memoryOf, root, startGoogleSide, type GoogleSide } from './spawned.js';
import type { MemoryProbe } from './memory-probe.js';

const MiB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The instance size the heap limit is worked out for. */
const INSTANCE_MB = 512;

/** Charts whose SQL is the same in both dialects: the loopback BigQuery fake answers with DuckDB, so it cannot run the others. */
const CHARTS_BOTH_DIALECTS = [
  ...['acme', 'globex', 'initech', 'umbrella', 'hooli'].flatMap((c) => ['-14d', '-30d', '-90d'].map((s) => `customer-pings-per-day customer=${c} since=${s}`)),
  ...[3, 5, 10, 20, 30, 50].map((n) => `top-customers-by-active-users limit=${n}`),
  ...['all', 'SearchResultsQueried', 'ViewBlob', 'ViewRepository'].flatMap((e) => ['-30d', '-90d'].map((s) => `user-event-volume event=${e} since=${s}`)),
  'instances-by-hosting',
];
/** The embedded warehouse runs every saved chart. */
const CHARTS_EMBEDDED = [
  ...CHARTS_BOTH_DIALECTS,
  ...Array.from({ length: 13 }, (_, i) => `weekly-active-instances weeks=${i + 1}`),
  ...Array.from({ length: 13 }, (_, i) => `instances-by-telemetry-level weeks=${i + 1}`),
  ...Array.from({ length: 13 }, (_, i) => `version-adoption weeks=${i + 1}`),
];
const LOOKUPS = ['acme', 'stark', 'umbrela', 'globex corporation', 'zzzz qqqq', 'initech', 'hooli'];

export async function run(): Promise<void> {
  const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
  const { port1: uploadsIn, port2: uploadsOut } = new MessageChannel();
  const sink = await thread<{ url: string }>('./sink-worker.js', { uploads: uploadsIn }, [uploadsIn]);
  const replies = new Map<string, () => void>();
  /** response_url posts for chart commands (a chart is delivered in its channel; a reply there says why not). */
  const chartReplies = new Set<string>();
  sink.worker.on('message', (id: unknown) => {
    if (typeof id !== 'string') return;
    replies.get(id)?.();
    chartReplies.add(id);
  });
  const uploads = new Map<string, () => void>();
  uploadsOut.on('message', (channel: string) => uploads.get(channel)?.());

  const dataDir = await freshDataDir();
  const google: GoogleSide | undefined = process.env.BENCH_MEMORY_CONFIG === 'embedded' ? undefined : await startGoogleSide(sink.info.url);
  const port = await freePort();
  const signingSecret = randomBytes(16).toString('hex');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
    SLACK_BOT_TOKEN: 'xoxb-bench-memory', SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: `${sink.info.url}/api/`,
    ANALYTICS_CHANNEL: 'C0ANALYTIC', PORT: String(port), DATA_DIR: dataDir,
    ...(google?.env ?? {}),
  };
  const nodeOptions = (process.env.BENCH_MEMORY_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const probe = path.join(root, 'dist/bench/memory-probe.js');
  let output = '';
  const child = spawn(process.execPath, [...nodeOptions, '--import', probe, botMain], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const problems: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
    for (const line of d.toString().split('\n')) if (/"severity":"(WARNING|ERROR|CRITICAL)"/.test(line)) problems.push(line.slice(0, 400));
  });
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  let last: MemoryProbe | undefined;
  const peak = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  child.on('message', (m: MemoryProbe) => {
    if (m?.probe !== 'memory') return;
    last = m;
    for (const k of ['heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const) peak[k] = Math.max(peak[k], m[k]);
  });

  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const botUrl = `http://127.0.0.1:${port}/slack/events`;
  let seq = 0;
  const command = (commandName: string, text: string, channelId = 'C0ANALYTIC') => {
    const id = `mem-${++seq}`;
    return { id, sent: sendSlashCommand(agent, { name: commandName, botUrl, signingSecret, command: commandName, text, channelId, responseUrl: `${sink.info.url}/response/${id}` }) };
  };
  /** Resolves true when `done` is called within `timeoutMs`, false otherwise. */
  const within = (register: (done: () => void) => void, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      register(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  const rssAt: Array<{ label: string; rss: number; heapUsed?: number }> = [];
  const sample = async (label: string) => {
    const m = await memoryOf(child.pid!);
    if (m) rssAt.push({ label, rss: m.rssMb, ...(last ? { heapUsed: last.heapUsed / MiB } : {}) });
  };
  try {
    // Started: the first signed /telemetry answered 200 (as the cold-start benchmark waits for it).
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode}:\n${output}`);
      if (performance.now() - started > 60_000) throw new Error(`the bot did not answer within 60 s:\n${output}`);
      const { id, sent } = command('/telemetry', 'acme');
      const acked = await sent.then(() => true, () => false);
      if (acked) {
        await within((done) => replies.set(id, done), 30_000);
        break;
      }
      await sleep(20);
    }
    await sample('at the first reply');
    await sleep(15_000);
    await sample('15 s later, idle (start-up work done)');

    let stopping = false;
    const charts = { texts: google ? CHARTS_BOTH_DIALECTS : CHARTS_EMBEDDED, delivered: 0, timedOut: 0, failed: 0, latencies: [] as number[], missing: [] as string[] };
    const lookups = { replied: 0, timedOut: 0, failed: 0, latencies: [] as number[] };
    const others = { acked: 0, failed: 0 };
    const chartLoop = async (n: number) => {
      const channelId = `C0MEMCHART${n}`;
      for (let i = n; !stopping; i += 2) {
        const t0 = performance.now();
        const uploaded = within((done) => uploads.set(channelId, done), 60_000);
        const text = charts.texts[i % charts.texts.length]!;
        const sent = command('/query', text, channelId);
        try {
          await sent.sent;
        } catch {
          charts.failed++;
          await sleep(100);
          continue;
        }
        if (await uploaded) {
          charts.delivered++;
          charts.latencies.push(performance.now() - t0);
        } else {
          charts.timedOut++;
          charts.missing.push(`/query ${text}${chartReplies.has(sent.id) ? ' (answered through response_url instead)' : ' (no response_url answer either)'}`);
        }
      }
    };
    const lookupLoop = async (n: number) => {
      for (let i = n; !stopping; i += 2) {
        const t0 = performance.now();
        const { id, sent } = command('/telemetry', LOOKUPS[i % LOOKUPS.length]!);
        const replied = within((done) => replies.set(id, done), 10_000);
        try {
          await sent;
        } catch {
          lookups.failed++;
          await sleep(100);
          continue;
        }
        if (await replied) {
          lookups.replied++;
          lookups.latencies.push(performance.now() - t0);
        } else lookups.timedOut++;
        replies.delete(id);
        await sleep(50);
      }
    };
    const otherLoop = async () => {
      for (let i = 0; !stopping; i++) {
        const c = i % 2 === 0 ? command('/pipeline', 'status') : command('/query', 'help');
        await c.sent.then(() => others.acked++, () => others.failed++);
        await sleep(1000);
      }
    };
    const soakStarted = performance.now();
    const loops = Promise.all([chartLoop(0), chartLoop(1), lookupLoop(0), lookupLoop(1), otherLoop()]);
    const marks = [1, 2, 5, minutes].filter((m, i, all) => m <= minutes && all.indexOf(m) === i);
    for (const m of marks) {
      await sleep(Math.max(0, soakStarted + m * 60_000 - performance.now()));
      if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode} during the load:\n${output}`);
      await sample(`after ${m} min of mixed load`);
    }
    stopping = true;
    await loops;
    const soakSeconds = (performance.now() - soakStarted) / 1000;
    await sleep(15_000);
    await sample('15 s after the load, idle');
    const final = await memoryOf(child.pid!);

    const config = google ? 'STORE=firestore + WAREHOUSE=bigquery (emulator, loopback fake)' : 'embedded defaults';
    console.log(`bot process (node ${process.version}, ${config}${nodeOptions.length ? `, ${nodeOptions.join(' ')}` : ''}), ${minutes} min of mixed load:`);
    for (const s of rssAt) console.log(`  RSS ${s.label}: ${s.rss.toFixed(0)} MB${s.heapUsed !== undefined ? ` (main-thread heap used ${s.heapUsed.toFixed(0)} MB)` : ''}`);
    console.log(`  peak RSS (VmHWM): ${final ? final.peakMb.toFixed(0) : '?'} MB`);
    console.log(`  main thread, peaks: heap used ${mb(peak.heapUsed)}, heap total ${mb(peak.heapTotal)}, external ${mb(peak.external)} (of which ArrayBuffers ${mb(peak.arrayBuffers)}); V8 heap limit ${last ? mb(last.heapLimit) : '?'}`);
    const c = summarize(charts.latencies);
    const l = summarize(lookups.latencies);
    console.log(`  load served in ${soakSeconds.toFixed(0)} s: ${charts.delivered} charts of ${charts.texts.length} kinds (/query → upload p50 ${ms(c.p50)}, p90 ${ms(c.p90)}; ${charts.timedOut} not uploaded within 60 s, ${charts.failed} not acked), ${lookups.replied} lookups (command → reply p50 ${ms(l.p50)}, p90 ${ms(l.p90)}; ${lookups.timedOut} without reply in 10 s, ${lookups.failed} not acked), ${others.acked} other commands (${others.failed} not acked)`);
    if (charts.missing.length) console.log(`  not delivered within 60 s: ${charts.missing.slice(0, 5).join('; ')}`);
    if (problems.length) console.log(`  the bot logged ${problems.length} warnings or errors; the last ones:\n${problems.slice(-5).map((l) => `    ${l}`).join('\n')}`);
    if (final) {
      // Everything but the main thread's heap: chart worker heaps, native memory (Skia, gRPC, DuckDB when embedded), code.
      const rest = final.peakMb - peak.heapTotal / MiB;
      const headroom = 64;
      const limit = Math.floor((INSTANCE_MB - rest - headroom) / 32) * 32;
      console.log(`  peak RSS beyond the main thread's heap: ${rest.toFixed(0)} MB → a ${INSTANCE_MB} MiB instance leaves the main heap ${(INSTANCE_MB - rest).toFixed(0)} MB; with ${headroom} MB headroom: --max-old-space-size=${limit}`);
    }
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    uploadsOut.close();
    await google?.stop();
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
