/**
 * Clicks that take effect once: a double click on Share, Refresh, Run or
 * Download CSV, or Slack delivering the same click twice, does one thing,
 * across replicas (a hold in the store). A click whose work is done in the
 * listener ({@link Clicks.once}: Share, Show as table, the audit export) holds
 * for its time; one whose work is a job (`/query`'s Refresh, Run and Download
 * CSV: {@link freeClick}, {@link holdClick}) is held in the job's transaction,
 * and while the job is pending.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expiresIn, isExpired, type Store, type StoreDoc, type StoreTx } from '../ports/store.js';
import { toCodedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { JOBS } from '../jobs/model.js';

const CLICKS = 'clicks';

const idOf = (scope: string) => createHash('sha256').update(scope).digest('hex').slice(0, 40);

/** A click's name (`id:token`, as {@link freeClick} and {@link Clicks.once} give it): its hold's document, and its token. */
function partsOf(click: string): { id: string; token: string | undefined } {
  const [id = '', token] = click.split(':');
  return { id, token };
}

/**
 * Forgets a click whose work was recorded but then came to nothing (a delivery that gave up, or ended telling
 * the person why): clicking again works at once, not after its hold. `click`: its name, from {@link freeClick} (or
 * what {@link Clicks.once} gave its work). Only that click is forgotten: a later one on the same button (after this
 * one's hold ran out) is kept.
 */
export async function forgetClick(tx: StoreTx, click: string): Promise<void> {
  const { id, token } = partsOf(click);
  const held = await tx.get<{ token?: string }>(CLICKS, id);
  if (held && token && held.data.token === token) tx.delete(CLICKS, id);
}

/**
 * A hold whose work is a job (a `/query` button's delivery, a typed question's): it holds until `holdUntil`, and
 * past it while that job is pending (waiting out Slack's Retry-After, or the lease of a process that died), until
 * `expiresAt`, when the store may delete it (its TTL). A hold without `holdUntil` (a click held by
 * {@link Clicks.once}) holds until `expiresAt`.
 */
export interface JobHold extends StoreDoc {
  job?: string;
  holdUntil?: number;
  expiresAt: number;
}

/** How long, at most, a job still pending holds what asked for it: a delivery retrying Slack's failures ends sooner. */
export const HOLD_WHILE_PENDING_MS = 5 * 60_000;

/**
 * Whether `hold` (read in the transaction `tx`) holds now; reads the job it names only past its `holdUntil`. Both
 * times are on the wall clock, as the store's deletion of the hold at `expiresAt` is.
 */
export async function holds(tx: StoreTx, hold: JobHold | undefined): Promise<boolean> {
  const now = Date.now();
  if (!hold || !(hold.expiresAt > now)) return false;
  if ((hold.holdUntil ?? hold.expiresAt) > now) return true;
  return hold.job !== undefined && (await tx.get<{ state?: string }>(JOBS, hold.job))?.data.state === 'pending';
}

/** A hold for `job` from now: for `holdMs`, and while the job is pending up to {@link HOLD_WHILE_PENDING_MS}. */
export function holdFor(job: string, holdMs: number): JobHold {
  return { job, holdUntil: Date.now() + holdMs, expiresAt: expiresIn(Math.max(holdMs, HOLD_WHILE_PENDING_MS)) };
}

/**
 * For a click whose work is a job recorded in `tx` (a `/query` delivery): this click's name when the button is
 * free, null when a click holds it ({@link holds}). Reads only: the hold itself is {@link holdClick}, in the same
 * transaction as the job, so a process killed between the two cannot leave the button held with nothing on its way.
 */
export async function freeClick(tx: StoreTx, scope: string): Promise<string | null> {
  const id = idOf(scope);
  if (await holds(tx, (await tx.get<JobHold>(CLICKS, id))?.data)) return null;
  return `${id}:${randomBytes(8).toString('hex')}`;
}

/** Holds the button for `click` (from {@link freeClick}) for `holdMs`, and while `job` is pending; after the transaction's reads. */
export function holdClick(tx: StoreTx, click: string, scope: string, holdMs: number, job: string): void {
  const { id, token } = partsOf(click);
  tx.put<JobHold>(CLICKS, id, { scope: scope.slice(0, 200), token, ...holdFor(job, holdMs) });
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

  /**
   * Holds `click` (what {@link once} gave its work, on `scope`) for `ttlMs` from now, before its work takes effect:
   * a Share held for minutes while it looks the card up (a process dying then leaves it held that long, not a day)
   * is held for a day before it posts, so that, however slow, it posts once. True when this click holds the button
   * now (its hold still there, or run out with no other click since); false when another click has taken it. A
   * store failure is thrown: its work should not take effect.
   */
  async keep(scope: string, click: string, ttlMs: number): Promise<boolean> {
    const { id, token } = partsOf(click);
    return this.store.runTransaction(async (tx) => {
      const held = await tx.get<{ token?: string }>(CLICKS, id);
      if (held && held.data.token !== token && !isExpired(held.data)) return false;
      tx.put(CLICKS, id, { scope: scope.slice(0, 200), token, expiresAt: expiresIn(ttlMs) });
      return true;
    });
  }
}
