/**
 * A chart worker thread: draws the specs the renderer's pool sends, one at a
 * time, and answers with the PNG bytes or the error's message. Started by
 * `renderer.ts` (never imported): Chart.js, the canvas and the bundled font
 * load here, not in the bot's main thread. The thread runs at a lower
 * priority than the event loop (Linux).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createChartDrawer } from './draw.js';
import type { ChartSpec } from './renderer.js';
import type { WorkerReply } from './worker-pool.js';

const port = parentPort;
if (!port) throw new Error('chart-worker.js runs as a worker thread started by the chart renderer');
const { density } = workerData as { density: number };
const draw = createChartDrawer(density);

/**
 * Charts are work after an ack: the event loop that acks should win the CPU
 * when both want it (on 2 cores, a 40 ms chart otherwise delays the acks that
 * arrive meanwhile). On Linux a thread's nice value is its own, so this lowers
 * this thread only; elsewhere it would lower the whole process, so it is not done.
 */
/** How much lower: 10 steps of nice, about a tenth of the CPU share when both want it. */
const CHART_THREAD_NICER = 10;
if (process.platform === 'linux') {
  try {
    setPriority(Math.min(19, getPriority() + CHART_THREAD_NICER));
  } catch {
    // Not allowed here (some sandboxes): charts then share the CPU evenly, as before.
  }
}

async function answer({ id, task }: { id: number; task: ChartSpec }): Promise<void> {
  let reply: WorkerReply<Uint8Array>;
  try {
    const png = await draw(task);
    reply = { id, ok: true, result: png };
  } catch (err) {
    reply = { id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  port!.postMessage(reply);
}

port.on('message', (message: { id: number; task: ChartSpec }) => void answer(message));
