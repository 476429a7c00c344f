/**
 * Load generator for the ack benchmark, in its own thread so its work does not
 * share the event loop with the servers it measures. Sends signed slash
 * commands over keep-alive connections at a fixed concurrency and reports each
 * request's ack latency (until the HTTP response is complete).
 */
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { signSlackRequest } from '../src/slack-standin/signing.js';

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

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
// Unique across load workers: each reply is counted by its response_url.
const runId = randomBytes(4).toString('hex');
let seq = 0;

function send(t: LoadTarget): Promise<number> {
  const body = new URLSearchParams({
    token: 'bench', team_id: 'T0BENCH', team_domain: 'bench', channel_id: 'C0ANALYTIC', channel_name: 'analytics',
    user_id: 'U0REGULAR', user_name: 'riley', command: t.command, text: t.text, api_app_id: 'A0BENCH',
    is_enterprise_install: 'false', response_url: `${t.responseUrlBase}/${runId}-${++seq}`, trigger_id: `${Date.now()}.1.bench`,
  }).toString();
  const url = new URL(t.botUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...signSlackRequest(t.signingSecret, body) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${t.name}: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runBatch(t: LoadTarget, count: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        latencies.push(await send(t));
      }
    }),
  );
  return latencies;
}

const req = workerData as LoadRequest;
const results: Record<string, number[]> = Object.fromEntries(req.targets.map((t) => [t.name, []]));
for (let round = 0; round < req.rounds; round++) {
  for (const t of req.targets) results[t.name]!.push(...(await runBatch(t, req.perRound, req.concurrency)));
}
parentPort!.postMessage(results);
