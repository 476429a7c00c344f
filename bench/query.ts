/**
 * `/query` benchmarks:
 * 1. Chart render: p50 of an 800×400 line chart (PNG at 2×) with 2 series of
 *    90 points, after a warm-up; target under 30 ms.
 * 2. Memory: RSS growth over 2,000 such renders after 600 warm-up ones; target under 20 MB.
 * 3. `/query` end to end on the embedded warehouse (1M pings): the heaviest
 *    shipped query (largest dry-run estimate), from the signed command to the
 *    upload landing in the Slack stand-in, cold (fresh run) and cached.
 */
import path from 'node:path';
import { performance as perf } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createChartRenderer, type ChartSpec } from '../src/charts/renderer.js';
import { formatDateLabels } from '../src/charts/spec.js';
import { loadCatalog } from '../src/catalog/catalog.js';
import { startTestBot } from '../test/support/harness.js';
import { summarize, ms } from './stats.js';

const days = Array.from({ length: 90 }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)));
const spec: ChartSpec = {
  type: 'line',
  title: 'Weekly active instances',
  subtitle: 'Weeks: 13 · Hosting: All hosting',
  xLabel: 'Day (UTC)',
  yLabel: 'Active instances',
  labels: formatDateLabels(days),
  series: [
    { label: 'managed', data: days.map((_, i) => 1200 + Math.round(300 * Math.sin(i / 7)) + i * 11) },
    { label: 'self-hosted', data: days.map((_, i) => 24_000 - i * 37 + Math.round(900 * Math.cos(i / 5))) },
  ],
};

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
// `npm run bench` runs without --expose-gc: the flag can still be turned on, and gc() read from a fresh context.
setFlagsFromString('--expose-gc');
const gcFn = runInNewContext('gc') as (() => void) | undefined;
const gc = () => gcFn?.();

async function chartRender(): Promise<void> {
  const renderer = createChartRenderer();
  for (let i = 0; i < 300; i++) {
    await renderer.render(spec);
    await tick();
  }
  const samples: number[] = [];
  const elu = perf.eventLoopUtilization();
  let bytes = 0;
  for (let i = 0; i < 300; i++) {
    const started = performance.now();
    bytes = (await renderer.render(spec)).length;
    samples.push(performance.now() - started);
    await tick();
  }
  const mainThreadMs = perf.eventLoopUtilization(elu).active / samples.length;
  const s = summarize(samples);
  console.log(`chart render 800×400 line, 2 series × 90 points, PNG 1600×800 (n=${s.n}): p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)} (target p50 < 30 ms); main-thread time ${ms(mainThreadMs)} a chart; ${(bytes / 1024).toFixed(1)} KB`);

  // As in the bot, each render is its own turn of the event loop (native buffers are released between turns).
  const settle = async () => {
    gc();
    await tick();
    await new Promise((r) => setTimeout(r, 100));
  };
  await settle();
  const before = process.memoryUsage().rss;
  let peak = before;
  for (let i = 0; i < 2000; i++) {
    await renderer.render(spec);
    await tick();
    if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  await settle();
  const after = process.memoryUsage().rss;
  console.log(`chart render RSS growth over 2,000 renders: ${mb(after - before)} (${mb(before)} → ${mb(after)}, peak ${mb(peak)}; target < 20 MB)`);
  await renderer.close();
}

async function endToEnd(): Promise<void> {
  const t = await startTestBot();
  try {
    // The heaviest shipped query: the largest dry-run estimate with its defaults.
    const catalog = loadCatalog(path.resolve('queries'));
    let heaviest = { name: '', text: '', bytes: -1 };
    for (const q of catalog.queries) {
      const text = q.params.some((p) => p.kind === 'customer') ? `${q.name} customer=acme` : q.name;
      const answer = await t.bot.services.queries.command(text);
      if (answer.kind !== 'ready') continue;
      const { bytesProcessed } = await t.warehouse.dryRun(q.duckdbSql ?? q.sql, answer.params.bound);
      if (bytesProcessed > heaviest.bytes) heaviest = { name: q.name, text, bytes: bytesProcessed };
    }
    const once = async (text: string): Promise<number> => {
      const before = t.standin.callsTo('files.completeUploadExternal').length + t.standin.callsTo('chat.postMessage').length;
      const started = performance.now();
      await t.client.command({ command: '/query', text, userId: 'U0REGULAR', channelId: 'C0ANALYTIC' });
      await t.standin.waitFor(() => t.standin.callsTo('files.completeUploadExternal').length + t.standin.callsTo('chat.postMessage').length > before, { timeoutMs: 60_000 });
      return performance.now() - started;
    };
    // Cold: a different weeks value each time, so nothing is cached; then the cached answer to the same question.
    const cold: number[] = [];
    const cached: number[] = [];
    const query = catalog.get(heaviest.name)!;
    const weeks = query.params.find((p) => p.kind === 'int');
    for (let i = 0; i < 6; i++) {
      const text = weeks && weeks.kind === 'int' ? `${heaviest.text} ${weeks.name}=${weeks.max - i}` : heaviest.text;
      cold.push(await once(text));
      for (let j = 0; j < 3; j++) cached.push(await once(text));
    }
    const c = summarize(cold);
    const h = summarize(cached);
    console.log(`/query ${heaviest.name} end to end, 1M-row embedded warehouse (${mb(heaviest.bytes)} scanned): cold p50 ${ms(c.p50)}, max ${ms(c.max)} (n=${c.n})`);
    console.log(`/query ${heaviest.name} end to end, cached: p50 ${ms(h.p50)}, max ${ms(h.max)} (n=${h.n})`);
  } finally {
    await t.stop();
  }
}

export async function run(): Promise<void> {
  await chartRender();
  await endToEnd();
}
