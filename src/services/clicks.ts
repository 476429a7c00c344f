/**
 * Clicks that take effect once: a double click on Share, Refresh, Run or
 * Download CSV, or Slack delivering the same click twice, does one thing. The
 * first click within `ttlMs` wins, across replicas (a once-key in the store).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store, StoreTx } from '../ports/store.js';
import { toCodedError } from '../errors.js';
import type { Logger } from '../logger.js';

const CLICKS = 'clicks';

const idOf = (scope: string) => createHash('sha256').update(scope).digest('hex').slice(0, 40);

/**
 * Forgets a click whose work was recorded but then came to nothing (a delivery that gave up, or ended telling
 * the person why): clicking again works at once, not after its hold. `click`: what {@link Clicks.once} gave its
 * work. Only that click is forgotten: a later one on the same button (after this one's hold ran out) is kept.
 */
export async function forgetClick(tx: StoreTx, click: string): Promise<void> {
  const [id = '', token] = click.split(':');
  const held = await tx.get<{ token?: string }>(CLICKS, id);
  if (held && token && held.data.token === token) tx.delete(CLICKS, id);
}

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
   * confirm) belongs after `once`, not in it. `work` is given this click's
   * name, for work it records to free the click when it comes to nothing ({@link forgetClick}).
   */
  async once<T>(scope: string, ttlMs: number, work: (click: string) => Promise<T>): Promise<Once<T>> {
    const id = idOf(scope);
    const token = randomBytes(8).toString('hex');
    if (!(await this.store.createOnce(CLICKS, id, { scope: scope.slice(0, 200), token }, { ttlMs }))) return { repeated: true };
    const click = `${id}:${token}`;
    try {
      return { repeated: false, value: await work(click) };
    } catch (err) {
      // This click only: work slower than the hold may fail after a later click took the button.
      await this.store.runTransaction((tx) => forgetClick(tx, click)).catch((e: unknown) => this.logger?.warn('could not forget a click whose work failed', { err: toCodedError(e) }));
      throw err;
    }
  }
}
