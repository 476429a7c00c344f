/**
 * `/telemetry` benchmarks (issue 2):
 * 1. Ack latency through the real HTTP receiver with signature checks, while
 *    the lookups each request triggers run, beside a bare Bolt app with one
 *    no-op command; 600 requests each at concurrency 10, alternating in rounds
 *    of 60. The bot runs in this thread; the bare app and the load generator
 *    each run in their own thread, so neither shares the bot's event loop.
 * 2. Time from request to reply (the response_url post) for `/telemetry acme`
 *    on the embedded 1M-row warehouse.
 */
import { Worker } from 'node:worker_threads';
import { startTestBot } from '../test/support/harness.js';
import { summarize, ms } from './stats.js';
import type { LoadRequest } from './load-worker.js';

function startBare(apiUrl: string): Promise<{ url: string; signingSecret: string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bare-worker.js', import.meta.url), { workerData: { apiUrl } });
    worker.once('error', reject);
    worker.once('message', (m: { url: string; signingSecret: string }) =>
      resolve({ ...m, stop: () => new Promise((done) => { worker.once('exit', () => done()); worker.postMessage('stop'); }) }),
    );
  });
}

function load(req: LoadRequest): Promise<Record<string, number[]>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: req });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

export async function run(): Promise<void> {
  const t = await startTestBot();
  const bare = await startBare(`${t.standin.url}/api/`);
  try {
    await t.standin.runCommand(t.client, { command: '/telemetry', text: 'acme', userId: 'U0REGULAR', channelId: 'C0ANALYTIC' });
    const responseUrlBase = `${t.standin.url}/response`;
    const targets = [
      { name: 'telemetry', botUrl: `${t.url}/slack/events`, signingSecret: t.signingSecret, responseUrlBase, command: '/telemetry', text: 'acme' },
      { name: 'bare', botUrl: `${bare.url}/slack/events`, signingSecret: bare.signingSecret, responseUrlBase, command: '/noop', text: '' },
    ];
    const drained = async (sent: number) => t.standin.waitFor(() => t.standin.responses.length >= sent, { timeoutMs: 120_000 });
    // Warm-up round, not measured.
    await load({ targets, perRound: 50, rounds: 1, concurrency: 10 });
    await drained(51);
    const results = await load({ targets, perRound: 60, rounds: 10, concurrency: 10 });
    const drainStarted = performance.now();
    await drained(51 + 600);
    const drainMs = performance.now() - drainStarted;
    const bot = summarize(results.telemetry!);
    const base = summarize(results.bare!);
    console.log(`ack /telemetry acme (n=${bot.n}, concurrency 10): p50 ${ms(bot.p50)}, p90 ${ms(bot.p90)}, p99 ${ms(bot.p99)}, max ${ms(bot.max)} (target p99 < 100 ms)`);
    console.log(`ack bare Bolt no-op (n=${base.n}, concurrency 10): p50 ${ms(base.p50)}, p90 ${ms(base.p90)}, p99 ${ms(base.p99)}, max ${ms(base.max)}`);
    console.log(`ack p90 ratio telemetry/bare: ${(bot.p90 / base.p90).toFixed(2)}× (target ≤ 1.25×)`);
    console.log(`replies still being sent after the load ended: drained in ${ms(drainMs)}`);

    const replyMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const ack = await t.client.command({ command: '/telemetry', text: 'acme', userId: 'U0REGULAR', channelId: 'C0ANALYTIC' });
      const id = ack.responseUrl.split('/').pop();
      await t.standin.waitFor(() => t.standin.responses.some((r) => r.id === id), { timeoutMs: 10_000 });
      replyMs.push(performance.now() - started);
    }
    const reply = summarize(replyMs);
    console.log(`request → reply /telemetry acme, 1M-row embedded warehouse (n=${reply.n}, one at a time): p50 ${ms(reply.p50)}, p90 ${ms(reply.p90)}, p99 ${ms(reply.p99)} (target p50 < 50 ms)`);
  } finally {
    await bare.stop();
    await t.stop();
  }
}
