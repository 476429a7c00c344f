/**
 * Clicks that take effect once: a double click on Share, Refresh, Run or
 * Download CSV, or Slack delivering the same click twice, does one thing. The
 * first click within `ttlMs` wins, across replicas (a once-key in the store).
 */
import { createHash } from 'node:crypto';
import type { Store } from '../ports/store.js';
import { toCodedError } from '../errors.js';
import type { Logger } from '../logger.js';

const CLICKS = 'clicks';

const idOf = (scope: string) => createHash('sha256').update(scope).digest('hex').slice(0, 40);

/** What {@link Clicks.once} did: ran the work (and what it returned), or nothing, as a repeat. */
export type Once<T> = { repeated: false; value: T } | { repeated: true };

export class Clicks {
  constructor(
    private readonly store: Store,
    private readonly logger?: Logger,
  ) {}

  /**
   * Runs `work` for the first click on `scope` within `ttlMs`; the others are
   * repeats and run nothing. When `work` throws, it took no effect: the click
   * is forgotten, so that clicking again works, and the error is rethrown.
   * Work that may have taken effect before it failed (a post Slack did not
   * confirm) belongs after `once`, not in it.
   */
  async once<T>(scope: string, ttlMs: number, work: () => Promise<T>): Promise<Once<T>> {
    if (!(await this.store.createOnce(CLICKS, idOf(scope), { scope: scope.slice(0, 200) }, { ttlMs }))) return { repeated: true };
    try {
      return { repeated: false, value: await work() };
    } catch (err) {
      await this.store.delete(CLICKS, idOf(scope)).catch((e: unknown) => this.logger?.warn('could not forget a click whose work failed', { err: toCodedError(e) }));
      throw err;
    }
  }
}
