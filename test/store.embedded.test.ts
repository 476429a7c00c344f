/**
 * The embedded store's journal when the disk misbehaves: short writes, a full
 * disk (ENOSPC part-way through a line), a failing fsync, a failed undo, a
 * failed fold, and a journal damaged in the middle. The faults are injected
 * through the store's `wrapJournal` seam, around the real file handle.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openEmbeddedStore, type JournalFile } from '../src/adapters/store/embedded.js';
import type { Store } from '../src/ports/store.js';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'analytics-bot-embedded-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const opened: Store[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const errno = (code: string, what: string) => Object.assign(new Error(`${code}: ${what}`), { code });

/** Faults the next journal operations meet; change them between calls. */
interface Faults {
  /** Most bytes one write takes (the kernel's short write). */
  maxChunk?: number;
  /** Bytes the disk still takes before every write fails with ENOSPC (undefined: no limit). */
  spaceLeft?: number;
  /** The next datasync fails with this. */
  datasyncError?: Error;
  /** Truncate fails with this. */
  truncateError?: Error;
}

function faulty(faults: Faults, calls = { writes: 0 }): (real: JournalFile) => JournalFile {
  return (real) => ({
    write: async (buffer, offset, length) => {
      calls.writes++;
      let n = Math.min(length, faults.maxChunk ?? length);
      if (faults.spaceLeft !== undefined) {
        if (faults.spaceLeft === 0) throw errno('ENOSPC', 'no space left on device, write');
        n = Math.min(n, faults.spaceLeft);
      }
      const { bytesWritten } = await real.write(buffer, offset, n);
      if (faults.spaceLeft !== undefined) faults.spaceLeft -= bytesWritten;
      return { bytesWritten };
    },
    datasync: async () => {
      const err = faults.datasyncError;
      faults.datasyncError = undefined;
      if (err) throw err;
      await real.datasync();
    },
    sync: () => real.sync(),
    truncate: async (length) => {
      if (faults.truncateError) throw faults.truncateError;
      await real.truncate(length);
    },
    stat: () => real.stat(),
    close: () => real.close(),
  });
}

async function open(dir: string, faults?: Faults, calls?: { writes: number }, compactBytes?: number): Promise<Store> {
  const store = await openEmbeddedStore(dir, { ...(faults ? { wrapJournal: faulty(faults, calls) } : {}), ...(compactBytes ? { compactBytes } : {}) });
  opened.push(store);
  return store;
}
async function close(store: Store): Promise<void> {
  opened.splice(opened.indexOf(store), 1);
  await store.close();
}
const ids = async (store: Store, collection = 'c') => (await store.list(collection)).map((d) => d.id).sort();
const journal = (dir: string) => path.join(dir, 'store', 'journal.jsonl');
const pad = 'x'.repeat(500);

describe('embedded store journal: failed writes', () => {
  it('writes the whole line when the file takes it a few bytes at a time (short writes)', async () => {
    const dir = await tempDir();
    const calls = { writes: 0 };
    const store = await open(dir, { maxChunk: 100 }, calls);
    for (let i = 0; i < 5; i++) await store.put('c', `d${i}`, { i, pad });
    await store.runTransaction(async (tx) => {
      tx.put('c', 'd5', { i: 5, pad });
      tx.audit({ actor: 'U1', action: 'a.five', subject: 'd5' });
    });
    await close(store);

    const again = await open(dir);
    expect(await ids(again)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    expect((await again.get('c', 'd3'))?.data).toEqual({ i: 3, pad });
    expect((await again.recentAudit(5)).map((e) => e.action)).toEqual(['a.five']);
    expect((await readFile(journal(dir), 'utf8')).split('\n')).toHaveLength(7); // six lines, each ending in a newline
    expect(calls.writes).toBeGreaterThan(6 * 5); // each line took several writes
  });

  it('a full disk part-way through a line: that commit fails and changes nothing; once space is back, later commits survive a reopen', async () => {
    const dir = await tempDir();
    const faults: Faults = {};
    const store = await open(dir, faults);
    for (let i = 0; i < 3; i++) await store.put('c', `d${i}`, { i, pad });
    const d1 = await store.get('c', 'd1');
    const journalBefore = await readFile(journal(dir));

    faults.spaceLeft = 200; // part of the next line fits, then ENOSPC
    await expect(store.put('c', 'd3', { i: 3, pad })).rejects.toThrow(/journal\.jsonl failed, nothing was committed: ENOSPC/);
    await expect(
      store.runTransaction(async (tx) => {
        tx.put('c', 'd1', { i: 'changed' });
        tx.delete('c', 'd0');
        tx.audit({ actor: 'U1', action: 'a.lost', subject: 'd1' });
      }),
    ).rejects.toThrow(/ENOSPC/);
    await expect(store.transition('c', 'd2', () => true, () => ({ i: 'moved' }))).rejects.toThrow(/ENOSPC/);
    // Nothing of the failed commits is seen, in memory or on disk.
    expect(await ids(store)).toEqual(['d0', 'd1', 'd2']);
    expect(await store.get('c', 'd1')).toEqual(d1);
    expect((await store.get('c', 'd2'))?.data).toEqual({ i: 2, pad });
    expect(await store.recentAudit(5)).toEqual([]);
    expect(await readFile(journal(dir))).toEqual(journalBefore);

    faults.spaceLeft = undefined; // the operator frees space
    for (let i = 20; i < 25; i++) await store.put('c', `d${i}`, { i, pad });
    await store.audit({ actor: 'U1', action: 'a.after', subject: 'd24' });
    const d24 = await store.get('c', 'd24');
    await close(store);

    const again = await open(dir);
    expect(await ids(again)).toEqual(['d0', 'd1', 'd2', 'd20', 'd21', 'd22', 'd23', 'd24']);
    expect(await again.get('c', 'd24')).toEqual(d24);
    expect((await again.recentAudit(5)).map((e) => e.action)).toEqual(['a.after']);
  });

  it('a failing fsync: the commit fails, and its line is taken back out of the journal', async () => {
    const dir = await tempDir();
    const faults: Faults = {};
    const store = await open(dir, faults);
    await store.put('c', 'kept', { ok: true });
    faults.datasyncError = errno('EIO', 'i/o error, fdatasync');
    await expect(store.put('c', 'failed', { ok: false })).rejects.toThrow(/EIO/);
    expect(await store.get('c', 'failed')).toBeNull();
    await store.put('c', 'later', { ok: true });
    await close(store);

    const again = await open(dir);
    expect(await ids(again)).toEqual(['kept', 'later']);
  });

  it('when the failed line cannot be taken back out either, refuses every later write instead of acknowledging it', async () => {
    const dir = await tempDir();
    const faults: Faults = {};
    const store = await open(dir, faults);
    await store.put('c', 'd0', { i: 0, pad });
    faults.spaceLeft = 100;
    faults.truncateError = errno('EIO', 'i/o error, ftruncate');
    await expect(store.put('c', 'd1', { i: 1, pad })).rejects.toThrow(/truncating it back .* failed too .*refusing further writes/);
    faults.spaceLeft = undefined;
    faults.truncateError = undefined;
    await expect(store.put('c', 'd2', { i: 2 })).rejects.toThrow(/refusing further writes/);
    await expect(store.createOnce('once', 'k')).rejects.toThrow(/refusing further writes/);
    await expect(store.audit({ actor: 'U1', action: 'a.refused', subject: 's' })).rejects.toThrow(/refusing further writes/);
    // Reads still answer, from the last acknowledged commit.
    expect(await ids(store)).toEqual(['d0']);
    expect(await store.createOnce('c', 'd0')).toBe(false); // writes nothing: answered
    await close(store);

    // The partial line is the journal's last: a reopen drops it, and starts clean.
    const again = await open(dir);
    expect(await ids(again)).toEqual(['d0']);
    await again.put('c', 'd3', { i: 3 });
    await close(again);
    expect(await ids(await open(dir))).toEqual(['d0', 'd3']);
  });

  it('a fold into the snapshot that fails does not fail the commit that asked for it (that commit is durable)', async () => {
    const dir = await tempDir();
    const store = await open(dir, undefined, undefined, 2_000);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    await mkdir(path.join(dir, 'store', 'snapshot.json')); // renaming onto a directory fails
    for (let i = 0; i < 10; i++) await store.put('c', `d${i}`, { i, pad });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/folding .*journal\.jsonl into snapshot\.json failed/));
    expect((await readdir(path.join(dir, 'store'))).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no half-written copies left
    await close(store);

    await rm(path.join(dir, 'store', 'snapshot.json'), { recursive: true });
    const again = await open(dir);
    expect(await ids(again)).toHaveLength(10);
  });
});

describe('embedded store journal: opening', () => {
  /** A journal of three puts (d1, d2, d3), written by the store. */
  async function threeLines(): Promise<{ dir: string; lines: string[] }> {
    const dir = await tempDir();
    const store = await open(dir);
    for (let i = 1; i <= 3; i++) await store.put('c', `d${i}`, { i });
    await close(store);
    const lines = (await readFile(journal(dir), 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    return { dir, lines };
  }

  it('refuses a journal with a damaged line in the middle, naming the file and line, and leaves the file as it is', async () => {
    const { dir, lines } = await threeLines();
    const damaged = [lines[0], '{"s":2,"w":[["c","d2",{"da', lines[2], ''].join('\n');
    await writeFile(journal(dir), damaged);
    const error = await openEmbeddedStore(dir).then(
      async (s) => {
        await s.close();
        return null;
      },
      (err: unknown) => err as Error,
    );
    expect(error, 'opening a journal damaged in the middle').toBeInstanceOf(Error);
    expect(error?.message).toContain(journal(dir));
    expect(error?.message).toMatch(/line 2 .*1 more line/);
    expect(await readFile(journal(dir), 'utf8')).toBe(damaged);
    // Refused, but not left locked: once repaired, it opens.
    await writeFile(journal(dir), [lines[0], lines[2], ''].join('\n'));
    expect(await ids(await open(dir))).toEqual(['d1', 'd3']);
  });

  it('refuses the shape an unchecked short write left: a partial line with the next one glued onto it, and valid lines after', async () => {
    const { dir, lines } = await threeLines();
    const glued = [lines[0], '{"s":2,"w":[["c","d2",{"data":{"i":' + lines[1], lines[2], ''].join('\n');
    await writeFile(journal(dir), glued);
    await expect(openEmbeddedStore(dir)).rejects.toThrow(/journal\.jsonl is damaged: line 2 /);
    expect(await readFile(journal(dir), 'utf8')).toBe(glued);
  });

  it('drops a torn last line, ending in a newline or not, and only that', async () => {
    for (const torn of ['{"s":4,"w":[["c","d4"', '\u0000\u0000\u0000\u0000', 'not json\n']) {
      const { dir, lines } = await threeLines();
      await writeFile(journal(dir), lines.join('\n') + torn);
      const store = await open(dir);
      expect(await ids(store)).toEqual(['d1', 'd2', 'd3']);
      expect(await readFile(journal(dir), 'utf8')).toBe(lines.join('\n'));
      await store.put('c', 'd5', { i: 5 });
      await close(store);
      expect(await ids(await open(dir))).toEqual(['d1', 'd2', 'd3', 'd5']);
    }
  });
});
