/**
 * `/telemetry` benchmarks:
 * 1. Ack latency through the real HTTP receiver with signature checks, while
 *    the lookups each request triggers run, beside a bare Bolt app with one
 *    no-op command; 600 requests each at concurrency 10, alternating in rounds
 *    of 60. The bot runs in this thread; the bare app, the load generator and
 *    a minimal Slack (Web API + response_url sink) each run in their own
 *    thread, so none of their work is counted as the bot's.
 * 2. Time from request to reply (the response_url post) for `/telemetry acme`
 *    on the embedded 1M-row warehouse.
 * 3. The customer index at 50,000 customers (ten times a large customer list):
 *    building it (every refresh of the list), and matching a name, a typo and
 *    a text that names no one. All of it runs on the event loop, between acks.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { createBot } from '../src/app.js';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { BotClient } from '../src/slack-standin/bot-client.js';
import { freshDataDir } from '../test/support/harness.js';
import { CustomerIndex, type CustomerName } from '../src/domain/customer-match.js';
import { summarize, ms } from './stats.js';
import { load, sinkReplies, thread } from './threads.js';

export async function run(): Promise<void> {
  const sink = await thread<{ url: string }>('./sink-worker.js');
  const { count: repliesSoFar, replyOf } = sinkReplies(sink);

  const dataDir = await freshDataDir();
  const signingSecret = randomBytes(16).toString('hex');
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-bench-telemetry', SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: `${sink.info.url}/api/`,
    DATA_DIR: dataDir, ANALYTICS_CHANNEL: 'C0ANALYTIC',
  });
  const warehouse = await openEmbeddedWarehouse({ dataDir, timeoutMs: config.queryTimeoutMs });
  const store = await openEmbeddedStore(dataDir);
  const bot = await createBot(config, silentLogger, { warehouse, store });
  const { url } = await bot.start(0, '127.0.0.1');
  const bare = await thread<{ url: string; signingSecret: string }>('./bare-worker.js', { apiUrl: `${sink.info.url}/api/` });
  const responseUrlBase = `${sink.info.url}/response`;
  const client = new BotClient({ botUrl: `${url}/slack/events`, signingSecret, responseUrlBase });
  const acme = async () => {
    const ack = await client.command({ command: '/telemetry', text: 'acme', userId: 'U0REGULAR', channelId: 'C0ANALYTIC' });
    await replyOf(ack.responseUrl.split('/').pop()!);
  };
  try {
    await acme();
    const targets = [
      { name: 'telemetry', botUrl: `${url}/slack/events`, signingSecret, responseUrlBase, command: '/telemetry', text: 'acme' },
      { name: 'bare', botUrl: `${bare.info.url}/slack/events`, signingSecret: bare.info.signingSecret, responseUrlBase, command: '/noop', text: '' },
    ];
    const drained = async (count: number) => {
      while (repliesSoFar() < count) await new Promise((r) => setTimeout(r, 20));
    };
    // Warm-up round, not measured.
    await load({ targets, perRound: 50, rounds: 1, concurrency: 10 });
    await drained(51);
    const { latencies: results } = await load({ targets, perRound: 60, rounds: 10, concurrency: 10 });
    const drainStarted = performance.now();
    await drained(651);
    const drainMs = performance.now() - drainStarted;
    const bot = summarize(results.telemetry!);
    const base = summarize(results.bare!);
    console.log(`ack /telemetry acme (n=${bot.n}, concurrency 10): p50 ${ms(bot.p50)}, p90 ${ms(bot.p90)}, p99 ${ms(bot.p99)}, max ${ms(bot.max)} (target p99 < 100 ms)`);
    console.log(`ack bare Bolt no-op (n=${base.n}, concurrency 10): p50 ${ms(base.p50)}, p90 ${ms(base.p90)}, p99 ${ms(base.p99)}, max ${ms(base.max)}`);
    console.log(`ack p90 ratio telemetry/bare: ${(bot.p90 / base.p90).toFixed(2)}× (target ≤ 1.25×)`);
    console.log(`lookups still replying after the load ended: drained in ${ms(drainMs)}`);

    const replyMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await acme();
      replyMs.push(performance.now() - started);
    }
    const reply = summarize(replyMs);
    console.log(`request → reply /telemetry acme, 1M-row embedded warehouse (n=${reply.n}, one at a time): p50 ${ms(reply.p50)}, p90 ${ms(reply.p90)}, p99 ${ms(reply.p99)} (target p50 < 50 ms)`);
    customerIndexAtScale();
  } finally {
    await bare.stop();
    await bot.stop();
    await Promise.allSettled([warehouse.close(), store.close()]);
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Main-thread time of the customer index at 50,000 customers; each text is new (an index keeps its last answers). */
function customerIndexAtScale(): void {
  const words = ['acme', 'globex', 'initech', 'umbrella', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne', 'soylent', 'hooli', 'vandelay', 'nestlé', 'zürich', 'são', 'kraków'];
  const customers: CustomerName[] = Array.from({ length: 50_000 }, (_, i) => {
    const a = words[i % words.length]!;
    const b = words[Math.floor(i / words.length) % words.length]!;
    return { customerId: `c${i}`, name: `${a[0]!.toUpperCase()}${a.slice(1)} ${b} ${i} Inc`, aliases: [`${a}${i}`], domain: `${a}${i}.com` };
  });
  const builds: number[] = [];
  let index = new CustomerIndex(customers);
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    index = new CustomerIndex(customers);
    builds.push(performance.now() - started);
  }
  const timed = (texts: string[]) => summarize(texts.map((text) => {
    const started = performance.now();
    index.match(text);
    return performance.now() - started;
  }));
  const n = 20;
  // Names as typed, and with a letter of the first word left out (`Globex hooli 1017 Inc`, `globx hooli 1017 Inc`).
  const picked = Array.from({ length: n }, (_, i) => customers[1_000 + i * 2_417]!.name);
  const named = timed(picked);
  const typo = timed(picked.map((name) => name.toLowerCase().replace(/^(\S*)\S(\s)/, '$1$2')));
  const none = timed(Array.from({ length: n }, (_, i) => `nothing here ${i}`));
  const b = summarize(builds);
  console.log(`customer index, 50,000 customers: build p50 ${ms(b.p50)}, max ${ms(b.max)}`);
  console.log(`customer match, 50,000 customers (n=${n} each, new texts): name p50 ${ms(named.p50)}, typo p50 ${ms(typo.p50)}, no match p50 ${ms(none.p50)}, max of all ${ms(Math.max(named.max, typo.max, none.max))}`);
}
