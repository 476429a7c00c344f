/**
 * Answers reused for a while, for display (App Home is drawn often, and each lookup counts against
 * Slack's rate limits). An answer is kept for `ttlMs` from when it was asked; one that failed (rejected, or
 * `failed(value)`) is not kept, so the next asks again. At most `maxEntries` keys are kept (past that,
 * all are dropped). Decisions never use it: they ask on every click.
 */
export function memoFor<V>(
  load: (key: string) => Promise<V>,
  opts: { ttlMs: number; maxEntries?: number; failed?: (value: V) => boolean; clock?: () => number },
): (key: string) => Promise<V> {
  const clock = opts.clock ?? Date.now;
  const maxEntries = opts.maxEntries ?? 500;
  const cache = new Map<string, { at: number; value: Promise<V> }>();
  return async (key) => {
    const at = clock();
    let entry = cache.get(key);
    if (!entry || at - entry.at > opts.ttlMs) {
      if (cache.size >= maxEntries) cache.clear();
      entry = { at, value: load(key) };
      cache.set(key, entry);
    }
    const mine = entry;
    const forget = () => {
      if (cache.get(key) === mine) cache.delete(key);
    };
    try {
      const value = await mine.value;
      if (opts.failed?.(value)) forget();
      return value;
    } catch (err) {
      forget();
      throw err;
    }
  };
}
