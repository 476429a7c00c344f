/**
 * Drawing a chart: Chart.js on a `@napi-rs/canvas` canvas, then the pixels
 * written as PNG by `png.ts` (a quarter of the time of Skia's own encoder, which
 * still writes the largest charts; see there). Runs only inside the chart worker threads
 * (`chart-worker.ts`), one chart at a time, at a lower priority than the event
 * loop; the bot's main thread never loads Chart.js or the canvas. The first
 * drawer in a thread registers Chart.js' components and the bundled DejaVu
 * Sans font, so text renders the same on a machine with no fonts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, GlobalFonts, type Canvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type ChartDataset } from 'chart.js';
import { encodeOpaquePng } from './png.js';
import { CHART_FONT_FAMILY, MAX_CHART_LABEL, formatNumber, type ChartSpec } from './renderer.js';
import { cutText } from '../format.js';

/** Charts up to this many pixels are written by png.ts (twice the default 800×400 chart at 2×); larger ones by Skia. */
const OWN_PNG_MAX_PIXELS = 2 * 1600 * 800;

/** Colour-blind-friendly (Okabe–Ito, then Tableau) series colours. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000', '#4E79A7', '#F28E2B', '#59A14F', '#B07AA1'];

let registered = false;

/** Registers the bundled font files (400 and 700, upright) under one family; returns how many were registered. */
function registerBundledFont(): number {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('@fontsource/dejavu-sans/package.json')), 'files');
  const files = readdirSync(dir).filter((f) => /latin-(400|700)-normal\.woff2$/.test(f));
  let n = 0;
  for (const f of files) if (GlobalFonts.register(readFileSync(path.join(dir, f)), CHART_FONT_FAMILY)) n++;
  return n;
}

/** Draws specs as PNGs at `density` device pixels per CSS pixel; registers Chart.js and the font (once per thread). */
export function createChartDrawer(density: number): (spec: ChartSpec) => Promise<Buffer> {
  if (!registered) {
    Chart.register(...registerables);
    // Fonts may be shared by the threads of a process: a second thread's registration can add nothing, and that is fine.
    if (registerBundledFont() === 0 && !GlobalFonts.has(CHART_FONT_FAMILY)) throw new Error('the bundled chart font (@fontsource/dejavu-sans) could not be registered');
    Chart.defaults.font.family = CHART_FONT_FAMILY;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = '#333333';
    registered = true;
  }

  // One canvas for every chart the drawer draws: a new canvas per chart is native memory the GC does not see, and
  // RSS climbs. A resize gives the canvas new pixels (and frees the old), so between charts it is kept at 1×1 and an
  // idle thread holds no canvas pixels (64 MB for a 2000×2000 chart at 2×; png.ts keeps its row buffer up to 8 MB).
  const canvas: Canvas = createCanvas(1, 1);

  return async (spec: ChartSpec): Promise<Buffer> => {
    const width = Math.min(Math.max(spec.width ?? 800, 100), 2000);
    const height = Math.min(Math.max(spec.height ?? 400, 100), 2000);
    // Chart.js' node platform takes the canvas size as the CSS size and scales it by devicePixelRatio: start from the CSS size.
    canvas.width = width;
    canvas.height = height;
    const pie = spec.type === 'pie';
    const stacked = spec.type === 'stacked-bar';
    const datasets: ChartDataset[] = spec.series.map((s, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      if (pie) {
        return { label: s.label, data: s.data, backgroundColor: spec.labels.map((_, j) => PALETTE[j % PALETTE.length]!), borderColor: '#ffffff', borderWidth: 1 } as ChartDataset;
      }
      if (spec.type === 'line') {
        return { label: s.label, data: s.data, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: spec.labels.length > 40 ? 0 : 2, tension: 0.2, spanGaps: true } as ChartDataset;
      }
      return { label: s.label, data: s.data, backgroundColor: color, borderWidth: 0 } as ChartDataset;
    });
    const tick = (v: string | number) => (typeof v === 'number' ? formatNumber(v) : v);
    const config: ChartConfiguration = {
      type: pie ? 'pie' : spec.type === 'line' ? 'line' : 'bar',
      data: { labels: spec.labels, datasets },
      options: {
        responsive: false,
        animation: false,
        devicePixelRatio: density,
        layout: { padding: 8 },
        plugins: {
          title: { display: true, text: spec.title, font: { size: 16, weight: 'bold' }, padding: { top: 4, bottom: spec.subtitle ? 2 : 8 } },
          subtitle: { display: Boolean(spec.subtitle), text: spec.subtitle ?? '', padding: { bottom: 8 } },
          legend: { display: pie || spec.series.length > 1, position: pie ? 'right' : 'top' },
          tooltip: { enabled: false },
        },
        ...(pie
          ? {}
          : {
              scales: {
                x: {
                  stacked,
                  title: { display: Boolean(spec.xLabel), text: spec.xLabel ?? '' },
                  ticks: {
                    autoSkip: true,
                    maxRotation: 45,
                    minRotation: 0,
                    // The category's label, cut (see MAX_CHART_LABEL).
                    callback(value) {
                      return cutText(String(this.getLabelForValue(Number(value))), MAX_CHART_LABEL);
                    },
                  },
                  grid: { display: false },
                },
                y: {
                  stacked,
                  beginAtZero: true,
                  title: { display: Boolean(spec.yLabel), text: spec.yLabel ?? '' },
                  ticks: { callback: tick },
                },
              },
            }),
      },
      plugins: [
        {
          // Chart.js clears to transparent; Slack shows PNGs on dark themes too.
          id: 'white-background',
          beforeDraw: (chart) => {
            const c = chart.ctx;
            c.save();
            c.globalCompositeOperation = 'destination-over';
            c.fillStyle = '#ffffff';
            c.fillRect(0, 0, chart.width, chart.height);
            c.restore();
          },
        },
      ],
    };
    // Chart.js types its canvas item as a DOM canvas; @napi-rs/canvas implements the part it uses.
    const item = canvas as unknown as HTMLCanvasElement;
    try {
      new Chart(item, config);
      // Chart.js clears the canvas on destroy: encode first. One spec at a time per thread, so the canvas is not redrawn meanwhile.
      // Above twice the default chart's pixels, Skia's encoder: it reads no copy of the pixels (64 MB at 4000×4000,
      // which the thread would hold until its next collections), and its filters save more on large flat charts.
      if (canvas.width * canvas.height > OWN_PNG_MAX_PIXELS) return canvas.encodeSync('png');
      // The white background makes every pixel opaque, as the RGB file needs (png.ts refuses a pixel that is not).
      const ctx = canvas.getContext('2d');
      return encodeOpaquePng(canvas.width, canvas.height, (y, rows) => ctx.getImageData(0, y, canvas.width, rows).data);
    } finally {
      // Also when drawing threw: the chart is registered on the canvas by then, and left there it would refuse every
      // later chart ("Canvas is already in use").
      Chart.getChart(item)?.destroy();
      canvas.width = 1;
      canvas.height = 1;
    }
  };
}
