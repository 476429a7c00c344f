/**
 * Charts: drawn in worker threads, the PNGs decode, have the 2× size, are not
 * blank, and carry text in the bundled font (which the worker loads: no system
 * fonts needed). A chart that crashes its worker fails alone; a closed renderer
 * refuses; the compiled renderer finds its worker under dist/. Plus the pivot
 * from rows to series and the CSV export.
 *
 * The worker threads run the compiled worker (dist/src/charts/chart-worker.js):
 * `npm test` builds first; a bare vitest run on a stale build fails saying so.
 */
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { MAX_CHART_LABEL, createChartRenderer, formatNumber, type ChartRenderer, type ChartRendererOptions, type ChartSpec } from '../src/charts/renderer.js';
import { chartSpecFor, formatDateLabels, toCsv } from '../src/charts/spec.js';
import type { DisplaySpec } from '../src/catalog/catalog.js';

const renderer = createChartRenderer();
afterAll(() => renderer.close());

/** A renderer of the test's own, one thread unless told, closed when the test ends. */
function ownRenderer(options: ChartRendererOptions = {}): ChartRenderer {
  const own = createChartRenderer({ threads: 1, ...options });
  onTestFinished(() => own.close());
  return own;
}

async function decode(png: Buffer) {
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  const colors = new Set<number>();
  let nonWhite = 0;
  let opaque = true;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] !== 255) opaque = false;
    const c = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    colors.add(c);
    if (c !== 0xffffff) nonWhite++;
  }
  /** Non-white pixels in a band of rows (device pixels). */
  const inkIn = (y0: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      if (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200) n++;
    }
    return n;
  };
  return { width: image.width, height: image.height, colors: colors.size, nonWhite, opaque, inkIn };
}

const days = Array.from({ length: 90 }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)));
const lineSpec: ChartSpec = {
  type: 'line',
  title: 'Weekly active instances',
  subtitle: 'Weeks: 12',
  xLabel: 'Day',
  yLabel: 'Instances',
  labels: formatDateLabels(days),
  series: [
    { label: 'managed', data: days.map((_, i) => 1000 + i * 37) },
    { label: 'self-hosted', data: days.map((_, i) => 25_000 - i * 90) },
  ],
};

// The chart thread draws at nice +10, so on a machine busy with anything else at normal priority it
// gets a small share of a core: beside two busy loops on the 2-core machine, the five 4000×4000 charts
// below outran the 30 s limit in a run of the whole suite and took 98 s in a run of this file, and the
// 1500×1000 ones 14 to 22 s. Time enough for that; none of these tests times anything.
describe('chart renderer', { timeout: 120_000 }, () => {
  it('renders an 800×400 line chart as a 1600×800 PNG with lines, colours and text', async () => {
    expect(renderer.density).toBe(2);
    const img = await decode(await renderer.render(lineSpec));
    expect([img.width, img.height]).toEqual([1600, 800]);
    expect(img.colors).toBeGreaterThan(50); // antialiased lines and text in two series colours
    expect(img.nonWhite).toBeGreaterThan(10_000);
    // The title is drawn at the top, centred: ink there means the font rendered.
    expect(img.inkIn(0, 40)).toBeGreaterThan(300);
  });

  it('draws nothing in the title band when there is no title text', async () => {
    const img = await decode(await renderer.render({ ...lineSpec, title: '', subtitle: '', series: [lineSpec.series[0]!] }));
    expect(img.inkIn(0, 12)).toBe(0);
  });

  it.each(['bar', 'stacked-bar', 'pie'] as const)('renders a %s chart', async (type) => {
    const img = await decode(await renderer.render({
      type, title: 'Instances by hosting', labels: ['cloud', 'managed', 'self-hosted'],
      series: type === 'pie' ? [{ label: 'Instances', data: [120, 300, 1400] }] : [{ label: 'a', data: [1, 2, 3] }, { label: 'b', data: [3, 2, 1] }],
    }));
    expect([img.width, img.height]).toEqual([1600, 800]);
    expect(img.colors).toBeGreaterThan(10);
    expect(img.nonWhite).toBeGreaterThan(20_000);
  });

  it.each([
    // [CSS size, colour type in IHDR]: up to twice the default chart's pixels, src/charts/png.ts writes RGB (2);
    // larger, Skia's encoder writes RGBA (6).
    [800, 400, 2],
    [1000, 640, 2],
    [1200, 700, 6],
    [1500, 1000, 6],
  ] as const)('writes a %s×%s chart of each type opaque, as PNG colour type %s', async (width, height, colourType) => {
    for (const type of ['line', 'bar', 'stacked-bar', 'pie'] as const) {
      const png = await renderer.render({ ...lineSpec, type, width, height });
      expect(png[25], type).toBe(colourType); // IHDR: signature 8, length 4, type 4, width 4, height 4, bit depth 1
      const img = await decode(png);
      expect([img.width, img.height]).toEqual([width * 2, height * 2]);
      expect(img.opaque, type).toBe(true);
      expect(img.inkIn(0, 40), type).toBeGreaterThan(300);
    }
  });

  it('draws charts asked for at once, each with its own bytes', async () => {
    const titles = ['One', 'Two', 'Three', 'Four'];
    const pngs = await Promise.all(titles.map((title) => renderer.render({ ...lineSpec, title })));
    expect(new Set(pngs.map((p) => p.toString('base64'))).size).toBe(4);
    for (const png of pngs) expect((await decode(png)).inkIn(0, 40)).toBeGreaterThan(300);
  });

  it('fails a chart that crashes its worker thread (out of memory) with a clear error, and draws the next one', async () => {
    const small = ownRenderer({ workerHeapMb: 32 });
    expect((await decode(await small.render(lineSpec))).width).toBe(1600);
    const labels = Array.from({ length: 1_000_000 }, (_, i) => `label ${i}`);
    const huge: ChartSpec = { type: 'line', title: 'Too much', labels, series: [{ label: 'x', data: labels.map((_, i) => i) }] };
    const failure = await small.render(huge).then(() => null, (err: unknown) => err);
    expect(failure).toMatchObject({ code: 'chart_render_failed' });
    expect(String((failure as Error).message)).toMatch(/^chart failed: its worker thread stopped while working on it \(.*memory limit.*\)/);
    const img = await decode(await small.render(lineSpec));
    expect([img.width, img.height]).toEqual([1600, 800]);
    expect(img.inkIn(0, 40)).toBeGreaterThan(300);
  });

  it.runIf(process.platform === 'linux')('draws at a lower priority than the event loop: its thread is niced, the main thread is not', async () => {
    const niceOf = async (tid: string) => {
      const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state is field 3, nice is field 19.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
    };
    const own = ownRenderer();
    const main = await niceOf(String(process.pid));
    const before = await readdir('/proc/self/task');
    await own.render({ type: 'bar', title: 'Niced', labels: ['a', 'b'], series: [{ label: 'n', data: [1, 2] }] });
    const added = (await readdir('/proc/self/task')).filter((t) => !before.includes(t));
    const nices = await Promise.all(added.map(niceOf));
    expect(nices).toContain(Math.min(19, main + 10));
    expect(await niceOf(String(process.pid))).toBe(main);
  });

  it('keeps no chart\'s pixels between charts: charts of many large sizes do not each keep 64 MB', async () => {
    const own = ownRenderer();
    const big = (height: number): ChartSpec => ({ ...lineSpec, width: 2000, height });
    await own.render(big(2000));
    const before = process.memoryUsage().rss;
    // Five more sizes, each a 4000×~4000 canvas at 2× (64 MB): a canvas kept per size would add over 300 MB.
    for (const height of [1990, 1980, 1970, 1960, 1950]) expect((await own.render(big(height))).readUInt32BE(20)).toBe(height * 2); // IHDR height
    expect(process.memoryUsage().rss - before).toBeLessThan(100e6); // measured ~38 MB; ~110 MB with two sizes kept, ~360 MB with one per size
  }, 300_000); // 98 s beside two busy loops (see above)

  it('draws the next chart after one that failed while drawing', async () => {
    const own = ownRenderer();
    // Not a spec the bot makes: a title Chart.js cannot read makes it throw in the middle of drawing.
    const broken = { ...lineSpec, title: { text: 'not a string' } } as unknown as ChartSpec;
    await expect(own.render(broken)).rejects.toMatchObject({ code: 'chart_render_failed' });
    const img = await decode(await own.render(lineSpec));
    expect([img.width, img.height]).toEqual([1600, 800]);
    expect(img.inkIn(0, 40)).toBeGreaterThan(300);
  });

  it('refuses charts once closed', async () => {
    const closing = createChartRenderer();
    await closing.render(lineSpec);
    await closing.close();
    await expect(closing.render(lineSpec)).rejects.toMatchObject({ code: 'chart_render_failed', message: expect.stringMatching(/closed/) });
  });

  it('runs from the compiled tree, and an idle worker does not keep the process alive', async () => {
    const built = pathToFileURL(path.resolve(import.meta.dirname, '../dist/src/charts/renderer.js')).href;
    // No close(): the process must still exit on its own once the chart is drawn.
    const script = `
      import { createChartRenderer } from ${JSON.stringify(built)};
      const png = await createChartRenderer().render({ type: 'bar', title: 'Built', labels: ['a', 'b'], series: [{ label: 'n', data: [1, 2] }] });
      console.log(png.readUInt32BE(16), png.readUInt32BE(20));
    `;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chart-built-'));
    try {
      await writeFile(path.join(dir, 'render.mjs'), script);
      const r = spawnSync(process.execPath, [path.join(dir, 'render.mjs')], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('1600 800');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('formats axis numbers with thousands separators', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(25_000_000)).toBe('25M');
    expect(formatNumber(0.5)).toBe('0.5');
  });

  it('writes huge axis numbers with an exponent, not hundreds of digits that leave no room for the plot', () => {
    expect(formatNumber(1e308)).toBe('1.00e+308');
    expect(formatNumber(-2.5e17)).toBe('-2.50e+17');
    expect(formatNumber(999e12)).toBe('999,000,000M');
  });

  it('draws the plot when an x label is 1,000 characters long (it took the whole chart, which came out blank)', async () => {
    const display: DisplaySpec = { type: 'bar', x: 'name', y: ['n'], series: undefined, xLabel: undefined, yLabel: undefined };
    const spec = chartSpecFor([{ name: 'L'.repeat(1000), n: 1 }, { name: 'b', n: 2 }], display, { title: 'Long names' });
    const image = await decode(await renderer.render(spec));
    // The bars alone are more than a tenth of the 1600×800 PNG; a blank chart has only its title's ink.
    expect(image.nonWhite).toBeGreaterThan(128_000);
  });
});

describe('rows to chart series', () => {
  const display: DisplaySpec = { type: 'stacked-bar', x: 'week', y: ['instances'], series: 'level', xLabel: 'Week', yLabel: undefined };

  it('pivots a series column, orders x by first appearance, fills gaps with 0 (bars) or null (lines)', () => {
    const rows = [
      { week: '2025-01-06', level: 'Full pings', instances: 5 },
      { week: '2025-01-06', level: 'Critical pings', instances: 2 },
      { week: '2025-01-13', level: 'Full pings', instances: 7 },
    ];
    const spec = chartSpecFor(rows, display, { title: 'T' });
    expect(spec.labels).toEqual(['Jan 6', 'Jan 13']);
    expect(spec.series).toEqual([
      { label: 'Critical pings', data: [2, 0] },
      { label: 'Full pings', data: [5, 7] },
    ]);
    expect(spec.yLabel).toBe('Instances');
    const line = chartSpecFor(rows, { ...display, type: 'line' }, { title: 'T' });
    expect(line.series[0]!.data).toEqual([2, null]);
  });

  it('makes one series per y column, and labels dates with the year when they span years', () => {
    const rows = [
      { day: '2024-12-31', events: 1000, active_users: 10 },
      { day: '2025-01-01', events: 1200, active_users: 12 },
    ];
    const spec = chartSpecFor(rows, { type: 'line', x: 'day', y: ['events', 'active_users'], series: undefined, xLabel: undefined, yLabel: undefined }, { title: 'T' });
    expect(spec.labels).toEqual(['Dec 31, 2024', 'Jan 1, 2025']);
    expect(spec.series.map((s) => s.label)).toEqual(['Events', 'Active users']);
  });

  it('labels pie slices with their value and share', () => {
    const spec = chartSpecFor([{ h: 'cloud', n: 1000 }, { h: 'managed', n: 3000 }], { type: 'pie', x: 'h', y: ['n'], series: undefined, xLabel: undefined, yLabel: undefined }, { title: 'T' });
    expect(spec.labels).toEqual(['cloud: 1,000 (25%)', 'managed: 3,000 (75%)']);
  });

  const one = (type: DisplaySpec['type']): DisplaySpec => ({ type, x: 'x', y: ['n'], series: undefined, xLabel: undefined, yLabel: undefined });

  it('draws no NaN or Infinity (FLOAT64 holds them), and says on the chart how many rows have no number', () => {
    const rows = [{ x: 'a', n: Number.NaN }, { x: 'b', n: Number.POSITIVE_INFINITY }, { x: 'c', n: 'NaN' }, { x: 'd', n: null }, { x: 'e', n: 5 }, { x: 'f', n: '15' }];
    const pie = chartSpecFor(rows, one('pie'), { title: 'T', subtitle: 'Weeks: 4' });
    expect(pie.series[0]!.data).toEqual([null, null, null, null, 5, 15]);
    expect(pie.labels.join(' ')).not.toMatch(/NaN|∞|Infinity/);
    expect(pie.labels.at(-1)).toBe('f: 15 (75%)');
    expect(pie.subtitle).toBe('Weeks: 4 · 4 rows without a number in N not drawn');
    // A sum past the largest double is no number either, and a line leaves its gap.
    const line = chartSpecFor([{ x: 'a', n: 1e308 }, { x: 'a', n: 1e308 }, { x: 'b', n: 1 }], one('line'), { title: 'T' });
    expect(line.series[0]!.data).toEqual([null, 1]);
  });

  it('says on the chart when it has nothing to draw, instead of a blank chart', () => {
    expect(chartSpecFor([{ x: 'a', n: null }, { x: 'b', n: Number.NaN }], one('bar'), { title: 'T' }).subtitle).toBe('Nothing to draw: no numbers in N');
    // The display names a column the query no longer returns.
    expect(chartSpecFor([{ x: 'a', count: 3 }], one('line'), { title: 'T', subtitle: 'Weeks: 4' }).subtitle).toBe('Weeks: 4 · Nothing to draw: no numbers in N');
    expect(chartSpecFor([{ x: 'a', n: 0 }, { x: 'b', n: 0 }], one('pie'), { title: 'T' }).subtitle).toBe('Nothing to draw: no positive numbers in N');
    expect(chartSpecFor([], one('bar'), { title: 'T' }).subtitle).toBe('Nothing to draw: no rows');
    // Zeros on bars are values: drawn, nothing said.
    expect(chartSpecFor([{ x: 'a', n: 0 }], one('bar'), { title: 'T' }).subtitle).toBeUndefined();
  });

  it('draws a pie with a negative slice as bars, saying so (a pie draws -50 as a slice of 50)', () => {
    const spec = chartSpecFor([{ x: 'a', n: 100 }, { x: 'b', n: -50 }], one('pie'), { title: 'T' });
    expect(spec.type).toBe('bar');
    expect(spec.labels).toEqual(['a', 'b']);
    expect(spec.series[0]!.data).toEqual([100, -50]);
    expect(spec.subtitle).toBe('Drawn as bars: a pie cannot show negative values');
  });

  it('cuts long series and slice names (x labels are cut where drawn), and keeps a NULL x apart from the text "null"', () => {
    const rows = [{ x: 'L'.repeat(1000), s: 'S'.repeat(500), n: 1 }, { x: null, s: 'b', n: 2 }, { x: 'null', s: 'b', n: 3 }];
    const spec = chartSpecFor(rows, { ...one('bar'), series: 's' }, { title: 'T' });
    expect(spec.labels).toEqual(['L'.repeat(1000), '(none)', 'null']);
    expect(spec.series.map((s) => s.label)).toEqual(['b', `${'S'.repeat(MAX_CHART_LABEL - 1)}…`]);
    expect(spec.series[0]!.data).toEqual([0, 2, 3]);
    expect(chartSpecFor([{ x: 'P'.repeat(100), n: 1 }], one('pie'), { title: 'T' }).labels).toEqual([`${'P'.repeat(MAX_CHART_LABEL - 1)}…: 1 (100%)`]);
    // Two series alike in their first characters stay two, each with its own values: only their labels are cut.
    const alike = chartSpecFor([{ x: 'a', s: `${'E'.repeat(30)} North`, n: 1 }, { x: 'a', s: `${'E'.repeat(30)} South`, n: 5 }], { ...one('bar'), series: 's' }, { title: 'T' });
    expect(alike.series.map((s) => [s.label, s.data])).toEqual([[`${'E'.repeat(MAX_CHART_LABEL - 1)}…`, [1]], [`${'E'.repeat(MAX_CHART_LABEL - 1)}…`, [5]]]);
  });

  it('sums series beyond ten into Other', () => {
    const rows = Array.from({ length: 15 }, (_, i) => ({ x: 'a', s: `v${i}`, y: i + 1 }));
    const spec = chartSpecFor(rows, { type: 'bar', x: 'x', y: ['y'], series: 's', xLabel: undefined, yLabel: undefined }, { title: 'T' });
    expect(spec.series).toHaveLength(10);
    expect(spec.series.at(-1)).toEqual({ label: 'Other', data: [1 + 2 + 3 + 4 + 5 + 6] });
  });
});

describe('CSV', () => {
  it('quotes, escapes and defuses formula-looking cells', () => {
    const csv = toCsv(['name', 'n', 'at'], [
      { name: 'Acme, "Corp"', n: 1234.5, at: new Date('2025-01-02T03:04:05Z') },
      { name: '=HYPERLINK("x")', n: -3, at: null },
    ]);
    expect(csv).toBe('name,n,at\r\n"Acme, ""Corp""",1234.5,2025-01-02T03:04:05.000Z\r\n"\'=HYPERLINK(""x"")",-3,\r\n');
  });
});
