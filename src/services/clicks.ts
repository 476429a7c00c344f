/**
 * Clicks that take effect once: a double click on Share, Refresh or Download
 * CSV, or Slack delivering the same click twice, does one thing. The first
 * click within `ttlMs` wins, across replicas (a once-key in the store).
 */
import { createHash } from 'node:crypto';
import type { Store } from '../ports/store.js';

const CLICKS = 'clicks';

export class Clicks {
  constructor(private readonly store: Store) {}

  /** True for the first click on `scope` within `ttlMs`, false for the others. */
  first(scope: string, ttlMs: number): Promise<boolean> {
    const id = createHash('sha256').update(scope).digest('hex').slice(0, 40);
    return this.store.createOnce(CLICKS, id, { scope: scope.slice(0, 200) }, { ttlMs });
  }
}
