/** Racing work against a deadline: the value in time, 'late' after, a rejection passed on. */
import { describe, expect, it } from 'vitest';
import { settleBy } from '../../src/settle-by.js';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('settleBy', () => {
  it('gives the value of work that settles in time', async () => {
    expect(await settleBy(after(5, 42), Date.now() + 1_000)).toBe(42);
  });

  it("says 'late' at the deadline, and the work goes on", async () => {
    const work = after(200, 'done');
    const started = Date.now();
    expect(await settleBy(work, started + 30)).toBe('late');
    expect(Date.now() - started).toBeLessThan(180);
    expect(await work).toBe('done');
  });

  it("says 'late' at once for a deadline already past", async () => {
    expect(await settleBy(after(50, 1), Date.now() - 10)).toBe('late');
  });

  it('passes a rejection in time on', async () => {
    await expect(settleBy(Promise.reject(new Error('store down')), Date.now() + 1_000)).rejects.toThrow('store down');
  });
});
