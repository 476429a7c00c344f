/**
 * A chart worker thread: draws the specs the renderer's pool sends, one at a
 * time, and answers with the PNG bytes or the error's message. Started by
 * `renderer.ts` (never imported): Chart.js, the canvas and the bundled font
 * load here, not in the bot's main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createChartDrawer } from './draw.js';
import type { ChartSpec } from './renderer.js';
import type { WorkerReply } from './worker-pool.js';

const port = parentPort;
if (!port) throw new Error('chart-worker.js runs as a worker thread started by the chart renderer');
const { density } = workerData as { density: number };
const draw = createChartDrawer(density);

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
