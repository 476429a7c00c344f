/**
 * The chart's PNG, written in the chart worker thread from the canvas's pixels.
 *
 * Skia's encoder (`canvas.encodeSync('png')`) compresses at zlib level 6 after
 * trying every row filter on every row: measured here, 35 to 50 ms for a
 * 1600×800 chart, most of the chart's time. A chart is flat colour on white,
 * and two filters say nearly all of it: a row the same as the one above is
 * written as "Up" (all zeros), any other row as it is ("None"). RGB, with no
 * alpha channel to store, at zlib level 1: about a quarter of Skia's time, for
 * files of about Skia's size (measured at 800×400: line 0.94 of Skia's, bar and
 * stacked bar 1.04, pie 1.14; level 4 would be a fifth smaller, and the whole
 * chart 22–36 ms instead of 17–25, which its p50 cannot spare). Deflate and the CRC are
 * Node's zlib (`crc32` needs Node 20.15, as package.json's engines say); this
 * module lays out the rows and the chunks.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = chunk('IEND', Buffer.alloc(0));

function chunk(type: 'IHDR' | 'IDAT' | 'IEND', data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4);
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * The row buffer, kept for the next chart of the same size: a chart thread
 * draws one size over and over, and 4 MB of fresh memory a chart is page
 * faults and garbage. Safe to share: encoding is synchronous. Kept only up to
 * 8 MB (an 800×400 chart at 2× needs 3.8 MB): the largest chart, 4000×4000,
 * would otherwise hold 48 MB for the life of the thread.
 */
let kept = Buffer.alloc(0);
const KEEP_AT_MOST = 8_000_000;

/**
 * Pixels are read from the canvas a band of rows at a time, about 100 KB each:
 * a 5 MB copy of the whole canvas a chart is garbage the thread's GC leaves
 * lying for a while, tens of MB of RSS on a 512 MiB instance.
 */
const BAND_BYTES = 100_000;

/** The row filters used (PNG filter method 0): a row as it is, and a row as its difference from the row above. */
const FILTER_NONE = 0;
const FILTER_UP = 2;

/** The last row written as it is, to tell whether the next is the same. */
let previous = Buffer.alloc(0);

/**
 * Encodes opaque pixels as an 8-bit RGB PNG. `read(y, rows)` gives `rows` rows
 * from row `y` as RGBA, 4 bytes a pixel (a canvas's `getImageData`). Pixels
 * that are not all opaque are refused rather than written wrong: the file
 * would lose their transparency.
 */
export function encodeOpaquePng(width: number, height: number, read: (y: number, rows: number) => Uint8Array | Uint8ClampedArray): Buffer {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`not a size: ${width}×${height}`);
  const stride = width * 3 + 1;
  // Stryker disable next-line all: keeping the buffer saves time only; a new one each time writes the same bytes.
  const rows = kept.length === stride * height ? kept : Buffer.allocUnsafe(stride * height);
  // Stryker disable next-line all: as above, what is kept changes no byte written.
  if (rows.length <= KEEP_AT_MOST) kept = rows;
  // Stryker disable next-line all: keeping the buffer saves time only; the first row of a chart is never compared with it.
  if (previous.length !== width * 3) previous = Buffer.allocUnsafe(width * 3);
  let out = 0;
  let alpha = 255;
  const band = Math.max(1, Math.floor(BAND_BYTES / (width * 4)));
  for (let top = 0; top < height; top += band) {
    const n = Math.min(band, height - top);
    const rgba = read(top, n);
    if (rgba.length !== width * n * 4) throw new Error(`expected ${width}×${n} RGBA pixels (${width * n * 4} bytes), got ${rgba.length} bytes`);
    for (let at = 0, y = 0; y < n; y++) {
      const filter = out++;
      const start = out;
      for (let x = 0; x < width; x++, at += 4) {
        rows[out++] = rgba[at]!;
        rows[out++] = rgba[at + 1]!;
        rows[out++] = rgba[at + 2]!;
        alpha &= rgba[at + 3]!;
      }
      if (top + y > 0 && rows.subarray(start, out).equals(previous)) {
        rows[filter] = FILTER_UP;
        rows.fill(0, start, out);
      } else {
        rows[filter] = FILTER_NONE;
        rows.copy(previous, 0, start, out);
      }
    }
  }
  if (alpha !== 255) throw new Error('the chart has pixels that are not opaque: it must be drawn on an opaque background');
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 2; // colour type: RGB
  // header[10..12]: compression 0 (deflate), filter method 0, no interlace.
  // Level 1, zlib's fastest: measured on the benchmark's chart, 17–25 ms a chart against 22–36 ms at level 4 (same hour, interleaved), for 87 KB against 68 KB.
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 1 })), IEND]);
}
