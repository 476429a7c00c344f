/**
 * Load generator for the ack benchmark, in its own thread so its work does not
 * share the event loop with the servers it measures. Sends signed slash
 * commands over keep-alive connections at a fixed concurrency and reports each
 * request's ack latency (until the HTTP response is complete) and when it was
 * sent, as a wall-clock time every thread of the process can compare.
 */
import { Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { sendSlashCommand } from './slash-command.js';

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
  /** Each connection waits this long after an ack before its next request (default 0: back to back). */
  pauseMs?: number;
}

/** By target name, in the order sent: each request's ack latency (ms) and when it was sent (ms since the epoch, sub-millisecond). */
export interface LoadResult {
  latencies: Record<string, number[]>;
  sentAt: Record<string, number[]>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
// Unique across load workers: each reply is counted by its response_url.
const runId = randomBytes(4).toString('hex');
let seq = 0;

function send(t: LoadTarget): Promise<number> {
  return sendSlashCommand(agent, { ...t, channelId: 'C0ANALYTIC', responseUrl: `${t.responseUrlBase}/${runId}-${++seq}` });
}

const req = workerData as LoadRequest;
const result: LoadResult = {
  latencies: Object.fromEntries(req.targets.map((t) => [t.name, []])),
  sentAt: Object.fromEntries(req.targets.map((t) => [t.name, []])),
};

async function runBatch(t: LoadTarget, count: number, concurrency: number, pauseMs: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const sentAt = performance.timeOrigin + performance.now();
        const latency = await send(t);
        result.latencies[t.name]!.push(latency);
        result.sentAt[t.name]!.push(sentAt);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
}

for (let round = 0; round < req.rounds; round++) {
  for (const t of req.targets) await runBatch(t, req.perRound, req.concurrency, req.pauseMs ?? 0);
}
parentPort!.postMessage(result);
