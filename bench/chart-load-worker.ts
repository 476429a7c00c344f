/**
 * Chart load for the ack benchmark, in its own thread: `loops` loops, each
 * sending a signed `/query` for a chart in a channel of its own and waiting
 * until the minimal Slack reports that channel's upload, then the next.
 * Runs until told 'stop'; then reports how many charts were delivered and
 * each one's time from command to upload.
 */
import { Agent } from 'node:http';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { sendSlashCommand } from './slash-command.js';

export interface ChartLoad {
  botUrl: string;
  signingSecret: string;
  /** A response_url base the sink answers without reporting (errors only land there). */
  responseUrlBase: string;
  loops: number;
  /** `/query` texts, taken in turn by each loop. */
  texts: string[];
  /** Where the minimal Slack posts the channel of each completed upload. */
  uploads: MessagePort;
}

export interface ChartLoadReport {
  /** Command → upload, of each chart delivered after 'measure'. */
  latencies: number[];
  /** Charts delivered in all. */
  delivered: number;
  /** Commands that failed or whose chart never came. */
  failures: string[];
}

const req = workerData as ChartLoad;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const waiting = new Map<string, () => void>();
req.uploads.on('message', (channel: string) => {
  const done = waiting.get(channel);
  waiting.delete(channel);
  done?.();
});

let stopping = false;
let measuring = false;
let delivered = 0;
const latencies: number[] = [];
const failures: string[] = [];

async function loop(n: number): Promise<void> {
  const channelId = `C0CHART${n}`;
  let seq = 0;
  while (!stopping) {
    const text = req.texts[(n + seq) % req.texts.length]!;
    const uploaded = new Promise<void>((resolve) => waiting.set(channelId, resolve));
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await sendSlashCommand(agent, { name: 'chart', botUrl: req.botUrl, signingSecret: req.signingSecret, command: '/query', text, channelId, responseUrl: `${req.responseUrlBase}/${n}-${++seq}` });
      await Promise.race([
        uploaded,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no chart uploaded in ${channelId} 60 s after /query ${text}`)), 60_000))),
      ]);
    } catch (err) {
      // A keep-alive connection reset, or a chart that never came: counted, and the loop goes on.
      failures.push(err instanceof Error ? err.message : String(err));
      waiting.delete(channelId);
      continue;
    } finally {
      clearTimeout(timer);
    }
    delivered++;
    if (measuring) latencies.push(performance.now() - started);
    if (delivered === req.loops * 3) parentPort!.postMessage('warm');
  }
}

parentPort!.on('message', (m) => {
  if (m === 'measure') measuring = true;
  if (m === 'stop') stopping = true;
});
await Promise.all(Array.from({ length: req.loops }, (_, n) => loop(n)));
parentPort!.postMessage({ latencies, delivered, failures } satisfies ChartLoadReport);
agent.destroy();
req.uploads.close();
