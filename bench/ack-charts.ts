/**
 * Acks while charts render (issue 11): ack latency of `/telemetry acme`
 * through the real HTTP receiver, idle and then while 3 loops of `/query`
 * chart commands run without pause, beside a bare Bolt app measured in the
 * same phases. Targets: p99 under charts < 40 ms and ≤ 2× the idle p99.
 *
 * As in the telemetry benchmark, the bot runs in this thread on the embedded
 * warehouse; the load generator, the bare Bolt app, the minimal Slack (Web API,
 * file uploads, response_url) and the chart loops each run in a thread of
 * their own. The chart loops ask for `weekly-active-instances` with a few
 * parameter values, so after the first runs the results come from the cache
 * and each command's work is mostly its chart. Requests go one at a time, 20 ms
 * apart (so each lookup mostly ends before the next command: the burst of
 * lookups is the telemetry benchmark's subject), alternating between the bot
 * and the bare app in rounds of 30; 30 rounds, so each p99 is the 9th slowest
 * of 900 acks (with 300, the 3rd slowest, the ratio to idle moved between 1.4×
 * and 2.6× from one run to the next on the same code). To tell what the
 * slowest acks waited for, it also reports how many of the 1% slowest
 * overlapped a garbage collection of the bot's thread (the rest waited for a
 * CPU, or for other work of that thread).
 *
 * `BENCH_PIN_ACKS=1` (Linux, 2 or more CPUs) measures with the work on
 * separate cores: the acks' threads (the bot's event loop, the bare Bolt app,
 * the load generator) on CPU 0, everything else (the chart workers, the chart
 * loops, the minimal Slack, DuckDB's and libuv's threads) on CPU 1. It shows
 * what the ack path costs when the charts do not take its core, which the
 * default measurement on a 2-core machine cannot tell apart from the machine.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { rm } from 'node:fs/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { MessageChannel, Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { createBot } from '../src/app.js';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { createChartRenderer, defaultChartThreads } from '../src/charts/renderer.js';
import { freshDataDir } from '../test/support/harness.js';
import { summarize, ms } from './stats.js';
import { load, thread } from './threads.js';
import type { LoadRequest, LoadTarget } from './load-worker.js';
import type { ChartLoad, ChartLoadReport } from './chart-load-worker.js';

const CHART_LOOPS = 3;

/** The bot thread's garbage collections while a phase runs: start (ms since the epoch) and duration. */
function watchCollections(): { stop(): Array<{ at: number; ms: number }> } {
  const seen: Array<{ at: number; ms: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) seen.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      observer.disconnect();
      return seen;
    },
  };
}

/** Of the 1% slowest requests, how many overlapped one of `collections`, and the longest collection among those. */
function slowestDuringCollections(latencies: number[], sentAt: number[], collections: Array<{ at: number; ms: number }>) {
  const slowest = latencies.map((ms, i) => ({ ms, at: sentAt[i]! })).sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(latencies.length / 100));
  let overlapped = 0;
  let longest = 0;
  for (const r of slowest) {
    const during = collections.filter((c) => c.at < r.at + r.ms && c.at + c.ms > r.at);
    if (during.length > 0) overlapped++;
    for (const c of during) longest = Math.max(longest, c.ms);
  }
  return { slowest: slowest.length, overlapped, longest };
}
/** Whether to pin the acks' threads to a core of their own (see above). */
const PIN_ACKS = process.env.BENCH_PIN_ACKS === '1' && process.platform === 'linux' && availableParallelism() >= 2;

/**
 * Every thread of this process to CPU 1, then the main thread (the bot's event
 * loop; its thread ID is the process ID) and `alsoOnZero` to CPU 0. Threads the
 * main thread starts afterwards (each phase's load generator) inherit CPU 0;
 * so do the chart workers it starts on the first chart, hence a second call
 * once the charts are warm.
 */
function pinAcks(alsoOnZero: number[]): void {
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  for (const tid of [process.pid, ...alsoOnZero]) execFileSync('taskset', ['-p', '-c', '0', String(tid)], { stdio: 'ignore' });
}

const ROUNDS = { perRound: 30, rounds: 30, concurrency: 1, pauseMs: 20 } satisfies Omit<LoadRequest, 'targets'>;

export async function run(): Promise<void> {
  const { port1: uploadsIn, port2: uploadsOut } = new MessageChannel();
  const sink = await thread<{ url: string }>('./sink-worker.js', { uploads: uploadsIn }, [uploadsIn]);
  sink.worker.on('message', () => {}); // response_url IDs: the loads below do not wait for replies

  const dataDir = await freshDataDir();
  const signingSecret = randomBytes(16).toString('hex');
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-bench-ack-charts', SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: `${sink.info.url}/api/`,
    DATA_DIR: dataDir, ANALYTICS_CHANNEL: 'C0ANALYTIC',
  });
  const warehouse = await openEmbeddedWarehouse({ dataDir, timeoutMs: config.queryTimeoutMs });
  const store = await openEmbeddedStore(dataDir);
  const charts = createChartRenderer();
  const bot = await createBot(config, silentLogger, { warehouse, store, charts });
  const { url } = await bot.start(0, '127.0.0.1');
  const bare = await thread<{ url: string; signingSecret: string; tid?: number }>('./bare-worker.js', { apiUrl: `${sink.info.url}/api/` });
  const responseUrlBase = `${sink.info.url}/response`;
  const targets: LoadTarget[] = [
    { name: 'telemetry', botUrl: `${url}/slack/events`, signingSecret, responseUrlBase, command: '/telemetry', text: 'acme' },
    { name: 'bare', botUrl: `${bare.info.url}/slack/events`, signingSecret: bare.info.signingSecret, responseUrlBase, command: '/noop', text: '' },
  ];
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  const phase = async () => {
    loopDelay.reset();
    loopDelay.enable();
    const gc = watchCollections();
    const { latencies, sentAt } = await load({ targets, ...ROUNDS });
    const collections = gc.stop();
    loopDelay.disable();
    return {
      bot: summarize(latencies.telemetry!), bare: summarize(latencies.bare!), loopP99: loopDelay.percentile(99) / 1e6, loopMax: loopDelay.max / 1e6,
      collections, slow: slowestDuringCollections(latencies.telemetry!, sentAt.telemetry!, collections),
    };
  };
  let chartLoad: Worker | undefined;
  try {
    // Warm-up, not measured: the bot's customer list, both apps' code paths.
    await load({ targets, perRound: 50, rounds: 1, concurrency: 10 });
    // Then quiet for a moment: the idle phase measures a bot at rest, not its start-up work (warm-ups, first recurring jobs).
    await new Promise((r) => setTimeout(r, 3_000));
    const pinnedOnZero = bare.info.tid === undefined ? [] : [bare.info.tid];
    if (PIN_ACKS) pinAcks(pinnedOnZero);
    const idle = await phase();

    const req: ChartLoad = {
      botUrl: `${url}/slack/events`, signingSecret, responseUrlBase: `${sink.info.url}/chart-response`, loops: CHART_LOOPS,
      texts: ['weekly-active-instances weeks=13', 'weekly-active-instances weeks=12', 'weekly-active-instances weeks=11'], uploads: uploadsOut,
    };
    const loadWorker = new Worker(new URL('./chart-load-worker.js', import.meta.url), { workerData: req, transferList: [uploadsOut] });
    chartLoad = loadWorker;
    // The chart loops say 'warm' once every loop has delivered 3 charts (worker thread started, results cached), then report when stopped.
    let warm!: () => void;
    const warmed = new Promise<void>((resolve) => (warm = resolve));
    const report = new Promise<ChartLoadReport>((resolve, reject) => {
      loadWorker.on('message', (m: unknown) => (m === 'warm' ? warm() : resolve(m as ChartLoadReport)));
      loadWorker.once('error', reject);
    });
    report.catch(() => {}); // awaited below: failing earlier must not end the process as an unhandled rejection
    await Promise.race([warmed, report]);
    if (PIN_ACKS) pinAcks(pinnedOnZero);
    loadWorker.postMessage('measure');
    const started = performance.now();
    const busy = await phase();
    const seconds = (performance.now() - started) / 1000;
    loadWorker.postMessage('stop');
    const delivered = await report;
    const chartMs = summarize(delivered.latencies);

    const line = (name: string, s: ReturnType<typeof summarize>) => `${name} (n=${s.n}): p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`;
    if (PIN_ACKS) console.log('pinned (BENCH_PIN_ACKS=1): the bot\'s event loop, bare Bolt and the load generator on CPU 0; chart workers, chart loops, the minimal Slack, DuckDB and libuv on CPU 1');
    console.log(`chart worker threads: ${defaultChartThreads()}; chart loops: ${CHART_LOOPS}; requests one at a time, ${ROUNDS.pauseMs} ms apart, alternating bot and bare Bolt in rounds of ${ROUNDS.perRound}`);
    console.log(line('ack /telemetry acme, idle', idle.bot));
    console.log(line('ack bare Bolt no-op, idle', idle.bare));
    console.log(line(`ack /telemetry acme, while charts render`, busy.bot));
    console.log(line(`ack bare Bolt no-op, while charts render`, busy.bare));
    console.log(`charts delivered meanwhile: ${chartMs.n} in ${seconds.toFixed(1)} s (${(chartMs.n / seconds).toFixed(1)}/s), /query → upload p50 ${ms(chartMs.p50)}, p90 ${ms(chartMs.p90)}${delivered.failures.length ? `; ${delivered.failures.length} failed (${delivered.failures[0]})` : ''}`);
    console.log(`bot event-loop delay: idle p99 ${ms(idle.loopP99)}, max ${ms(idle.loopMax)}; while charts render p99 ${ms(busy.loopP99)}, max ${ms(busy.loopMax)}`);
    const gcLine = (p: typeof busy) => {
      if (p.collections.length === 0) return 'none';
      const pauses = summarize(p.collections.map((c) => c.ms));
      const overlapping = p.slow.overlapped ? ` (the longest ${ms(p.slow.longest)})` : '';
      return `${p.collections.length} collections (p50 ${ms(pauses.p50)}, max ${ms(pauses.max)}); ${p.slow.overlapped} of the ${p.slow.slowest} slowest acks overlapped one${overlapping}`;
    };
    console.log(`bot thread's garbage collections: idle ${gcLine(idle)}; while charts render ${gcLine(busy)}`);
    console.log(`ack p99 while charts render: ${ms(busy.bot.p99)} (target < 40 ms), ${(busy.bot.p99 / idle.bot.p99).toFixed(2)}× the idle p99 (target ≤ 2×); bare Bolt in the same phase: ${ms(busy.bare.p99)}`);
  } finally {
    if (chartLoad) await chartLoad.terminate();
    await bare.stop();
    await bot.stop();
    await charts.close();
    await Promise.allSettled([warehouse.close(), store.close()]);
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
