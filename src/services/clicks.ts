/**
 * Clicks that take effect once: a double click on Share, Refresh or Download
 * CSV, or Slack delivering the same click twice, does one thing. The first
 * click within `ttlMs` wins, across replicas (a once-key in the store).
 */
import { createHash } from 'node:crypto';
import type { Store } from '../ports/store.js';

const CLICKS = 'clicks';

const idOf = (scope: string) => createHash('sha256').update(scope).digest('hex').slice(0, 40);

export class Clicks {
  constructor(private readonly store: Store) {}

  /** True for the first click on `scope` within `ttlMs`, false for the others. */
  first(scope: string, ttlMs: number): Promise<boolean> {
    return this.store.createOnce(CLICKS, idOf(scope), { scope: scope.slice(0, 200) }, { ttlMs });
  }

  /** Forgets a click that did nothing (its work failed before any effect), so that clicking again works. */
  forget(scope: string): Promise<void> {
    return this.store.delete(CLICKS, idOf(scope));
  }
}
