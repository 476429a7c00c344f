/**
 * Scheduled deliveries: 1,000 subscriptions due in the same minute on one
 * replica (the real receiver, job runner, embedded store and warehouse, the
 * Slack stand-in, and the bot's real posting pace of about one message a
 * second per channel with a burst of 3).
 * - Time from the due minute until every one is delivered (its run recorded).
 * - Warehouse runs: identical queries and parameters run once (the `/query`
 *   cache), so 1,000 deliveries of 7 distinct query-and-parameter sets make 7 runs.
 * - Slack posts per channel: the most in any one second, and the sustained
 *   rate, against Slack's documented one message per second per channel.
 *
 * The 1,000 are spread over 50 channels (20 each, as a busy workspace might
 * have): one channel alone would take 1,000 s at Slack's rate, whatever the bot.
 */
import type { Warehouse } from '../src/ports/warehouse.js';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { SLACK_POST_PACE } from '../src/slack/gateway.js';
import type { SubscriptionDraft } from '../src/services/subscriptions.js';
import { freshDataDir, startTestBot } from '../test/support/harness.js';

const SUBSCRIPTIONS = 1_000;
const CHANNELS = 50;
const OWNERS = 40;
const DUE = Date.parse('2026-12-01T09:00:00Z');

/** Seven distinct query-and-parameter sets, and a mix of formats as people pick them. */
const QUERIES: Array<{ query: string; params: Record<string, string> }> = [
  { query: 'weekly-active-instances', params: { weeks: '8' } },
  { query: 'weekly-active-instances', params: { weeks: '4' } },
  { query: 'instances-by-telemetry-level', params: { weeks: '8' } },
  { query: 'instances-by-hosting', params: {} },
  { query: 'top-customers-by-active-users', params: { limit: '10' } },
  { query: 'version-adoption', params: {} },
  { query: 'user-event-volume', params: {} },
];
const FORMATS = ['chart', 'chart', 'chart', 'chart', 'table', 'table', 'table', 'csv', 'csv', 'chart_csv'];

/** Counts the warehouse's query runs and dry runs (the cost cap's estimate). */
function counting(inner: Warehouse): { warehouse: Warehouse; counts: { runs: number; dryRuns: number } } {
  const counts = { runs: 0, dryRuns: 0 };
  const warehouse = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'query' && typeof value === 'function') return (...args: unknown[]) => (counts.runs++, (value as (...a: unknown[]) => unknown).apply(target, args));
      if (prop === 'dryRun' && typeof value === 'function') return (...args: unknown[]) => (counts.dryRuns++, (value as (...a: unknown[]) => unknown).apply(target, args));
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { warehouse, counts };
}

export async function run(): Promise<void> {
  const owners = Array.from({ length: OWNERS }, (_, i) => ({ id: `U0OWNER${String(i).padStart(2, '0')}`, name: `owner${i}`, realName: `Owner ${i}`, email: `owner${i}@example.com`, tz: 'UTC' }));
  const channels = Array.from({ length: CHANNELS }, (_, i) => ({ id: `C0BENCH${String(i).padStart(2, '0')}`, name: `team-${i}` }));
  const dataDir = await freshDataDir();
  const { warehouse, counts } = counting(await openEmbeddedWarehouse({ dataDir, timeoutMs: 60_000 }));
  const t = await startTestBot({
    warehouse,
    env: { FRESHNESS_CHECK_INTERVAL_MS: '0', SUBSCRIPTIONS_PER_OWNER: '100', SUBSCRIPTIONS_MAX: String(SUBSCRIPTIONS), JOBS_POLL_MS: '3600000', ...(process.env.JOBS_CONCURRENCY ? { JOBS_CONCURRENCY: process.env.JOBS_CONCURRENCY } : {}) },
    standinOptions: { users: owners, channels },
    // Slack's pace, as in production (the tests post without it).
    botOptions: { postPace: SLACK_POST_PACE },
  });
  try {
    const subscriptions = t.bot.services.subscriptions;
    t.setTime(DUE - 3_600_000);
    const createStarted = performance.now();
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const { query, params } = QUERIES[i % QUERIES.length]!;
      const draft: SubscriptionDraft = {
        kind: 'delivery', query, params,
        channel: channels[i % CHANNELS]!.id,
        schedule: { kind: 'daily', time: '09:00', tz: 'UTC' },
        format: FORMATS[Math.floor(i / CHANNELS) % FORMATS.length]!,
      };
      const saved = await subscriptions.create(owners[i % OWNERS]!.id, draft, `bench-${i}`);
      if (!saved.ok) throw new Error(`subscription ${i} was not saved: ${JSON.stringify(saved)}`);
    }
    const createSeconds = (performance.now() - createStarted) / 1000;
    const before = { ...counts };
    t.standin.calls.length = 0;

    // The due minute: run what is due until every subscription has its 09:00 run recorded.
    t.setTime(DUE);
    const started = performance.now();
    const firstPosts: number[] = [];
    let delivered = 0;
    for (;;) {
      const summary = await t.bot.jobs.runDue({ budgetMs: 60_000 });
      const all = await subscriptions.listAll();
      delivered = all.filter((s) => s.lastRun?.dueAt === DUE && s.lastRun.outcome === 'delivered').length;
      if (delivered >= SUBSCRIPTIONS) break;
      if (performance.now() - started > 600_000) throw new Error(`only ${delivered} of ${SUBSCRIPTIONS} delivered after 10 minutes`);
      if (!summary.ran) {
        // The rest wait for their channel's turn: the runner's clock follows real time.
        await new Promise((r) => setTimeout(r, 250));
        t.setTime(DUE + (performance.now() - started));
      }
      if (!firstPosts.length && t.standin.calls.length) firstPosts.push(performance.now() - started);
    }
    const seconds = (performance.now() - started) / 1000;

    // What Slack saw: messages (posts and completed uploads) per channel, by the time they arrived.
    const posts = t.standin.calls.filter((c) => !c.error && (c.method === 'chat.postMessage' || c.method === 'files.completeUploadExternal'));
    const byChannel = new Map<string, number[]>();
    for (const c of posts) {
      const channel = String(c.args['channel'] ?? c.args['channel_id'] ?? '');
      byChannel.set(channel, [...(byChannel.get(channel) ?? []), c.at]);
    }
    let maxInSecond = 0;
    let slowestRate = 0;
    for (const times of byChannel.values()) {
      times.sort((a, b) => a - b);
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= 1000) j++;
        maxInSecond = Math.max(maxInSecond, i - j + 1);
      }
      // Sustained: after the burst allowance, posts per second over the rest.
      const burst = SLACK_POST_PACE.burst;
      if (times.length > burst + 1) slowestRate = Math.max(slowestRate, (times.length - burst - 1) / ((times.at(-1)! - times[burst]!) / 1000));
    }
    const apiCalls = t.standin.calls.length;
    console.log(`${SUBSCRIPTIONS.toLocaleString('en-US')} subscriptions due at the same minute (${CHANNELS} channels, ${QUERIES.length} distinct queries, formats chart/table/CSV/chart+CSV), one replica, Slack's pace ${SLACK_POST_PACE.perSecond}/s per channel with a burst of ${SLACK_POST_PACE.burst}:`);
    console.log(`  all delivered after ${seconds.toFixed(1)} s (${delivered} delivered, ${posts.length} messages in ${byChannel.size} channels; ${apiCalls} Web API calls, ${(apiCalls / seconds).toFixed(1)}/s in all)`);
    console.log(`  warehouse: ${counts.runs - before.runs} query runs for ${SUBSCRIPTIONS} deliveries (${QUERIES.length} distinct), ${counts.dryRuns - before.dryRuns} dry runs`);
    console.log(`  Slack posts per channel: at most ${maxInSecond} in any one second (the burst), sustained at most ${slowestRate.toFixed(2)}/s (Slack: about 1/s)`);
    console.log(`  (saving the 1,000 through the use case took ${createSeconds.toFixed(1)} s)`);
  } finally {
    await t.stop();
  }
}
