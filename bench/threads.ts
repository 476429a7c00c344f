/**
 * Threads the latency benchmarks run beside the bot, so their work is not
 * counted as the bot's: servers started from a worker script (the bare Bolt
 * app, the minimal Slack) and one-shot load generators.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { LoadRequest } from './load-worker.js';

export interface Threaded<T> {
  info: T;
  worker: Worker;
  stop(): Promise<void>;
}

/** Starts a worker script that posts its info once ready and exits on 'stop'. */
export function thread<T>(file: string, workerData?: unknown, transferList?: TransferListItem[]): Promise<Threaded<T>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(file, import.meta.url), { workerData, ...(transferList ? { transferList } : {}) });
    worker.once('error', reject);
    worker.once('message', (info: T) =>
      resolve({ info, worker, stop: () => new Promise((done) => { worker.once('exit', () => done()); worker.postMessage('stop'); }) }),
    );
  });
}

/** Runs the load generator once; its ack latencies by target name. */
export function load(req: LoadRequest): Promise<Record<string, number[]>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: req });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
