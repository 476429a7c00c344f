/**
 * Charts as PNG, drawn off the main thread: Chart.js on `@napi-rs/canvas`
 * with the bundled DejaVu Sans font, in a small pool of worker threads
 * (`chart-worker.ts`, `worker-pool.ts`), so a chart never holds up an ack.
 * The pool starts its first thread on the first chart, at most one thread per
 * core beyond the main thread's; a thread that crashes fails only the chart it
 * was drawing and is replaced. `close()` stops the threads.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ChartRenderError } from '../errors.js';
import { createWorkerPool } from './worker-pool.js';
import { localeNumber } from '../format.js';

export type RenderedChartType = 'line' | 'bar' | 'stacked-bar' | 'pie';

/** What to draw: category labels on x (already formatted) and one or more numeric series. */
export interface ChartSpec {
  type: RenderedChartType;
  title: string;
  /** Shown under the title, e.g. the parameters. */
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  labels: string[];
  series: Array<{ label: string; data: Array<number | null> }>;
  /** CSS pixels; the PNG is `density` times larger. Default 800×400. */
  width?: number;
  height?: number;
}

export interface ChartRenderer {
  /** Renders a PNG in a worker thread; rejects with a `ChartRenderError` when it cannot. */
  render(spec: ChartSpec): Promise<Buffer>;
  /** Device pixels per CSS pixel of every PNG. */
  readonly density: number;
  /** Stops the worker threads once the charts under way are done; later renders are refused. */
  close(): Promise<void>;
}

export interface ChartRendererOptions {
  /** Device pixels per CSS pixel. Default 2. */
  density?: number;
  /** Worker threads at most. Default: one per core but one (the main thread's), between 1 and 4. */
  threads?: number;
  /** Old-generation heap limit of each worker thread, in MB: a runaway chart ends its thread, not the bot. Default 128. */
  workerHeapMb?: number;
  /** A chart taking longer fails and its thread is replaced. Default 30 s. */
  timeoutMs?: number;
}

export const CHART_FONT_FAMILY = 'DejaVu Sans';

/**
 * Longer x labels, slice and series names are drawn cut with an ellipsis (the spec keeps x labels whole, for the
 * alt text): Chart.js gives a label the room it asks for, and one x label of 1,000 characters left no room for the
 * plot (the PNG was blank but for its title); at 45°, thirty of 40 characters took half the chart.
 */
export const MAX_CHART_LABEL = 24;

/** "12,345", "1.5M": thousands separators, compact above a million. */
export function formatNumber(value: number): string {
  // Beyond a billion millions, digits in full took the plot's width (1e308 is 300 of them): an exponent instead.
  if (Math.abs(value) >= 1e15) return value.toPrecision(3);
  if (Math.abs(value) >= 10_000_000) return `${localeNumber(value / 1_000_000, 1)}M`;
  return localeNumber(value, 2);
}

/** The default pool size on this machine. */
export function defaultChartThreads(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/**
 * The worker script. Compiled, it sits beside this module (`dist/src/charts/`).
 * Run from the TypeScript sources (vitest), a worker thread cannot load `.ts`,
 * so the compiled one under `dist/` is used, as long as it is not older than
 * the sources it is built from (`npm test` builds first).
 */
export function chartWorkerUrl(): URL {
  const beside = new URL('./chart-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/src/charts/chart-worker.js', import.meta.url);
  const builtPath = fileURLToPath(built);
  if (!existsSync(builtPath)) throw new ChartRenderError(`the chart worker is not built (${builtPath} is missing): run \`npm run build\``);
  const builtAt = statSync(builtPath).mtimeMs;
  for (const source of ['./chart-worker.ts', './draw.ts', './png.ts', './renderer.ts', './worker-pool.ts']) {
    const sourcePath = fileURLToPath(new URL(source, import.meta.url));
    if (existsSync(sourcePath) && statSync(sourcePath).mtimeMs > builtAt) {
      throw new ChartRenderError(`the built chart worker is older than ${sourcePath}: run \`npm run build\``);
    }
  }
  return built;
}

/** Builds the renderer. No thread starts until the first chart. */
export function createChartRenderer(options: ChartRendererOptions = {}): ChartRenderer {
  const density = options.density ?? 2;
  const heapMb = options.workerHeapMb ?? 128;
  let workerUrl: URL | undefined;
  const pool = createWorkerPool<ChartSpec, Uint8Array>({
    name: 'chart',
    size: options.threads ?? defaultChartThreads(),
    timeoutMs: options.timeoutMs ?? 30_000,
    spawn: () => new Worker((workerUrl ??= chartWorkerUrl()), {
      workerData: { density },
      // A small young generation: the pixels read for each PNG die young, and are freed within a chart or two rather than
      // piling up to tens of MB of RSS before the next collection (measured: the same RSS as Skia's encoder, at 4 MB).
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 4 },
    }),
  });
  return {
    density,
    async render(spec: ChartSpec): Promise<Buffer> {
      try {
        const png = await pool.run(spec);
        return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
      } catch (err) {
        throw new ChartRenderError(err instanceof Error ? err.message : String(err), { cause: err });
      }
    },
    close: () => pool.close(),
  };
}
