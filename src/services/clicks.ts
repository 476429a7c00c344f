/**
 * Clicks that take effect once: a double click on Share, Refresh, Run or
 * Download CSV, or Slack delivering the same click twice, does one thing. The
 * first click within `ttlMs` wins, across replicas (a once-key in the store).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store, StoreDoc, StoreTx } from '../ports/store.js';
import { toCodedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { JOBS } from '../jobs/model.js';

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

/** A click held by {@link holdClick}: for its hold, and while the job it asked for is pending. */
interface HeldClick extends StoreDoc {
  token?: string;
  expiresAt?: number;
  job?: string;
}

/**
 * For a click whose work is a job recorded in `tx` (a `/query` delivery): this click's name when the button is
 * free, null when a click holds it, for its hold or past it while the job that click asked for is still pending
 * (waiting out Slack's rate limit, or the lease of a process that died). Reads only: the hold itself is
 * {@link holdClick}, in the same transaction as the job, so a process killed between the two cannot leave the
 * button held with nothing on its way.
 */
export async function freeClick(tx: StoreTx, scope: string): Promise<string | null> {
  const id = idOf(scope);
  const held = (await tx.get<HeldClick>(CLICKS, id))?.data;
  if (held && (held.expiresAt ?? Infinity) > Date.now()) return null;
  if (held?.job && (await tx.get<{ state?: string }>(JOBS, held.job))?.data.state === 'pending') return null;
  return `${id}:${randomBytes(8).toString('hex')}`;
}

/** Holds the button for `click` (from {@link freeClick}) for `ttlMs`, and while `job` is pending; after the transaction's reads. */
export function holdClick(tx: StoreTx, click: string, scope: string, ttlMs: number, job: string): void {
  const [id = '', token] = click.split(':');
  tx.put<HeldClick & { scope: string }>(CLICKS, id, { scope: scope.slice(0, 200), token, job, expiresAt: Date.now() + ttlMs });
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
