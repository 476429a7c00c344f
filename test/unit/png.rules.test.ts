/**
 * The chart PNG writer (src/charts/png.ts), checked against the PNG
 * specification (W3C PNG, 2nd edition) by reading the file back chunk by
 * chunk, and against an independent decoder (Skia's, through
 * `@napi-rs/canvas`): the signature, IHDR for 8-bit RGB, CRCs over type and
 * data, one zlib stream at zlib's fastest level, a row the same as the one above
 * as filter Up (all zeros) and any other as filter None with the pixels as
 * given, rows read from the canvas in bands of about 100 KB, and a refusal
 * (not a wrong file) for pixels that are not opaque.
 */
import { describe, expect, it } from 'vitest';
import { crc32, inflateSync } from 'node:zlib';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { encodeOpaquePng } from '../../src/charts/png.js';

type Chunk = { type: string; data: Buffer };

/** The chunks of a PNG file, each CRC checked. */
function chunksOf(png: Buffer): Chunk[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  return chunks;
}

/** A width×height image whose pixel (x, y) has a colour of its own; alpha 255. */
function pattern(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba.set([(x * 37 + y) & 0xff, (y * 53 + x * 3) & 0xff, (x * y + 11) & 0xff, 255], i);
    }
  }
  return rgba;
}

/** A reader over whole RGBA pixels that records each band asked for. */
function reader(rgba: Uint8Array, width: number) {
  const bands: Array<[number, number]> = [];
  const read = (y: number, rows: number) => {
    bands.push([y, rows]);
    return rgba.subarray(y * width * 4, (y + rows) * width * 4);
  };
  return { read, bands };
}

/** The RGB rows the file holds, each with its filter type byte first. */
function rowsOf(png: Buffer): Buffer {
  return inflateSync(Buffer.concat(chunksOf(png).filter((c) => c.type === 'IDAT').map((c) => c.data)));
}

describe('the file', () => {
  it('is a signature, IHDR for 8-bit RGB of the size, one IDAT and IEND, in that order', () => {
    const { read } = reader(pattern(7, 5), 7);
    const chunks = chunksOf(encodeOpaquePng(7, 5, read));
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0]!.data;
    expect(ihdr.length).toBe(13);
    expect(ihdr.readUInt32BE(0)).toBe(7);
    expect(ihdr.readUInt32BE(4)).toBe(5);
    // Bit depth 8, colour type 2 (truecolour), compression 0, filter method 0, no interlace.
    expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    expect(chunks[2]!.data.length).toBe(0);
  });

  it("holds one zlib stream compressed at zlib's fastest level", () => {
    const { read } = reader(pattern(4, 4), 4);
    const idat = chunksOf(encodeOpaquePng(4, 4, read))[1]!.data;
    // CMF 0x78 (deflate, 32 KB window); FLG 0x01: FLEVEL 0, "fastest" (zlib level 1; RFC 1950), check bits making 0x7801 a multiple of 31.
    expect([idat[0], idat[1]]).toEqual([0x78, 0x01]);
    // Level 0 (stored) writes the same header: the first deflate block must be compressed (BTYPE 01 or 10; RFC 1951 3.2.3).
    expect((idat[2]! >> 1) & 3).not.toBe(0);
  });

  it('holds every row unlike the one above as filter None and the pixels as RGB, exactly as given', () => {
    const width = 6;
    const height = 4;
    const rgba = pattern(width, height);
    const rows = rowsOf(encodeOpaquePng(width, height, reader(rgba, width).read));
    expect(rows.length).toBe(height * (1 + width * 3));
    for (let y = 0; y < height; y++) {
      const row = rows.subarray(y * (1 + width * 3), (y + 1) * (1 + width * 3));
      expect(row[0], `filter type of row ${y}`).toBe(0);
      const expected: number[] = [];
      for (let x = 0; x < width; x++) expected.push(...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 3));
      expect([...row.subarray(1)], `row ${y}`).toEqual(expected);
    }
  });

  it('decodes in another decoder (Skia) to the same pixels, opaque', async () => {
    const width = 9;
    const height = 6;
    const rgba = pattern(width, height);
    const image = await loadImage(encodeOpaquePng(width, height, reader(rgba, width).read));
    expect([image.width, image.height]).toEqual([width, height]);
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    expect([...ctx.getImageData(0, 0, width, height).data]).toEqual([...rgba]);
  });

  it('comes out right for one size after another (the row buffer is kept between charts)', () => {
    for (const [w, h] of [[3, 2], [5, 3], [3, 2], [2, 3]] as const) {
      const rgba = pattern(w, h);
      const rows = rowsOf(encodeOpaquePng(w, h, reader(rgba, w).read));
      expect(rows.length).toBe(h * (1 + w * 3));
      expect(rows[rows.length - 1]).toBe(rgba[rgba.length - 2]);
      expect(rows[1]).toBe(rgba[0]);
    }
  });
});

/** An image whose rows are copies of the `pattern` rows listed, e.g. [0, 0, 1] repeats row 0. */
function repeating(width: number, sourceRows: number[]): Uint8Array {
  const source = pattern(width, Math.max(...sourceRows) + 1);
  const rgba = new Uint8Array(width * sourceRows.length * 4);
  sourceRows.forEach((r, y) => rgba.set(source.subarray(r * width * 4, (r + 1) * width * 4), y * width * 4));
  return rgba;
}

/** Each row's filter type, and whether the rest of the row is all zeros. */
function filtersOf(png: Buffer, width: number): Array<[number, boolean]> {
  const rows = rowsOf(png);
  const out: Array<[number, boolean]> = [];
  for (let at = 0; at < rows.length; at += 1 + width * 3) out.push([rows[at]!, rows.subarray(at + 1, at + 1 + width * 3).every((b) => b === 0)]);
  return out;
}

describe('rows the same as the one above', () => {
  it('are written as filter Up, all zeros; the rest as filter None', () => {
    const rgba = repeating(5, [0, 0, 0, 1, 1, 0]);
    expect(filtersOf(encodeOpaquePng(5, 6, reader(rgba, 5).read), 5)).toEqual([[0, false], [2, true], [2, true], [0, false], [2, true], [0, false]]);
  });

  it('decode in Skia to the same pixels', async () => {
    const rgba = repeating(7, [2, 2, 0, 1, 1, 1, 2]);
    const image = await loadImage(encodeOpaquePng(7, 7, reader(rgba, 7).read));
    const canvas = createCanvas(7, 7);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    expect([...ctx.getImageData(0, 0, 7, 7).data]).toEqual([...rgba]);
  });

  it('are found across the bands the canvas is read in', () => {
    const width = 10_000; // 2 rows a band
    const rgba = repeating(width, [0, 0, 0, 0, 0]);
    expect(filtersOf(encodeOpaquePng(width, 5, reader(rgba, width).read), width).map(([f]) => f)).toEqual([0, 2, 2, 2, 2]);
  });

  it('never include the first row, even when it is the last row of the chart before', () => {
    encodeOpaquePng(4, 2, reader(repeating(4, [0, 1]), 4).read);
    expect(filtersOf(encodeOpaquePng(4, 2, reader(repeating(4, [1, 1]), 4).read), 4)).toEqual([[0, false], [2, true]]);
  });

  it('compare with the row above, not the first row written as it is', () => {
    expect(filtersOf(encodeOpaquePng(3, 4, reader(repeating(3, [0, 1, 0, 0]), 3).read), 3).map(([f]) => f)).toEqual([0, 0, 0, 2]);
  });
});

describe('reading the canvas', () => {
  it('reads rows in bands of about 100 KB, top to bottom, the last band what is left', () => {
    // 10,000 pixels a row is 40,000 bytes: 2 rows a band.
    const width = 10_000;
    const { read, bands } = reader(pattern(width, 5), width);
    encodeOpaquePng(width, 5, read);
    expect(bands).toEqual([[0, 2], [2, 2], [4, 1]]);
  });

  it('reads a small chart in one band', () => {
    const { read, bands } = reader(pattern(100, 40), 100);
    encodeOpaquePng(100, 40, read);
    expect(bands).toEqual([[0, 40]]);
  });

  it('reads one row at a time when a row alone is over 100 KB', () => {
    const width = 30_000;
    const { read, bands } = reader(pattern(width, 2), width);
    encodeOpaquePng(width, 2, read);
    expect(bands).toEqual([[0, 1], [1, 1]]);
  });
});

describe('refusals', () => {
  it.each([254, 128, 1, 0])('refuses pixels that are not opaque, even one (alpha %s), rather than drop their transparency', (alpha) => {
    const rgba = pattern(4, 3);
    rgba[(2 * 4 + 3) * 4 + 3] = alpha;
    expect(() => encodeOpaquePng(4, 3, reader(rgba, 4).read)).toThrow(/not opaque/);
  });

  it.each([47, 49])('refuses a band of the wrong length (%s bytes for 48)', (bytes) => {
    expect(() => encodeOpaquePng(4, 3, () => new Uint8Array(bytes))).toThrow(`expected 4×3 RGBA pixels (48 bytes), got ${bytes} bytes`);
  });

  it.each([
    [0, 3],
    [4, 0],
    [-1, 3],
    [2.5, 3],
    [4, Number.NaN],
  ])('refuses the size %s×%s', (width, height) => {
    expect(() => encodeOpaquePng(width, height, () => new Uint8Array(0))).toThrow(`not a size: ${width}×${height}`);
  });
});
