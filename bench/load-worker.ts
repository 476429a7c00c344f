/**
 * Load generator for the ack benchmark, in its own thread so its work does not
 * share the event loop with the servers it measures. Sends signed slash
 * commands at a fixed concurrency and reports each request's ack latency.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BotClient } from '../src/slack-standin/bot-client.js';

export interface LoadTarget {
  name: string;
  botUrl: string;
  signingSecret: string;
  responseUrlBase: string;
  command: string;
  text: string;
}

export interface LoadRequest {
  targets: LoadTarget[];
  /** Requests per target in each round; targets alternate round by round. */
  perRound: number;
  rounds: number;
  concurrency: number;
}

async function runBatch(client: BotClient, t: LoadTarget, count: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const started = performance.now();
      const ack = await client.command({ command: t.command, text: t.text, userId: 'U0REGULAR', channelId: 'C0ANALYTIC' });
      if (ack.status !== 200) throw new Error(`${t.name}: HTTP ${ack.status}`);
      latencies.push(performance.now() - started);
    }
  });
  await Promise.all(workers);
  return latencies;
}

const req = workerData as LoadRequest;
const clients = req.targets.map((t) => new BotClient({ botUrl: t.botUrl, signingSecret: t.signingSecret, responseUrlBase: t.responseUrlBase }));
const results: Record<string, number[]> = Object.fromEntries(req.targets.map((t) => [t.name, []]));
for (let round = 0; round < req.rounds; round++) {
  for (const [i, t] of req.targets.entries()) {
    results[t.name]!.push(...(await runBatch(clients[i]!, t, req.perRound, req.concurrency)));
  }
}
parentPort!.postMessage(results);
