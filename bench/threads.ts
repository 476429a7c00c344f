/**
 * Threads the latency benchmarks run beside the bot, so their work is not
 * counted as the bot's: servers started from a worker script (the bare Bolt
 * app, the minimal Slack) and one-shot load generators.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { LoadRequest, LoadResult } from './load-worker.js';

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

/** Runs the load generator once; its ack latencies and send times by target name. */
export function load(req: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: req });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** The response_url posts the minimal Slack reports, by ID, as they arrive. */
export interface SinkReplies {
  /** How many have arrived. */
  count(): number;
  /** When the post with this ID arrived (performance.now()), waiting up to `timeoutMs` for it; undefined if it did not come. */
  replyOf(id: string, timeoutMs?: number): Promise<number | undefined>;
}

export function sinkReplies(sink: Threaded<unknown>): SinkReplies {
  const replies = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  sink.worker.on('message', (id: unknown) => {
    if (typeof id !== 'string') return;
    replies.set(id, performance.now());
    waiters.get(id)?.();
  });
  return {
    count: () => replies.size,
    async replyOf(id, timeoutMs = Infinity) {
      if (!replies.has(id)) {
        await new Promise<void>((resolve) => {
          const timer = Number.isFinite(timeoutMs) ? setTimeout(resolve, timeoutMs) : undefined;
          waiters.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      waiters.delete(id);
      return replies.get(id);
    },
  };
}
