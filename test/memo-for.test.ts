import { describe, expect, it } from 'vitest';
import { memoFor } from '../src/memo-for.js';

describe('memoFor', () => {
  it('reuses an answer for its time, asks again after, and keeps no failure', async () => {
    let now = 0;
    const asked: string[] = [];
    let fail = false;
    const memo = memoFor(async (key: string) => {
      asked.push(key);
      if (fail) throw new Error('down');
      return key === 'none' ? 'unknown' : `${key}!`;
    }, { ttlMs: 100, maxEntries: 2, failed: (v) => v === 'unknown', clock: () => now });
    expect(await memo('a')).toBe('a!');
    expect(await memo('a')).toBe('a!');
    expect(asked).toEqual(['a']);
    now = 101;
    expect(await memo('a')).toBe('a!');
    expect(asked).toEqual(['a', 'a']);
    // A failed answer (by `failed`, or rejected) is not kept.
    expect(await memo('none')).toBe('unknown');
    expect(await memo('none')).toBe('unknown');
    expect(asked.filter((k) => k === 'none')).toHaveLength(2);
    fail = true;
    await expect(memo('b')).rejects.toThrow('down');
    fail = false;
    expect(await memo('b')).toBe('b!');
    // Past maxEntries, all are dropped: 'a' is asked again.
    expect(await memo('c')).toBe('c!');
    const before = asked.length;
    expect(await memo('a')).toBe('a!');
    expect(asked.length).toBe(before + 1);
  });
});
