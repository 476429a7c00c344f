/**
 * A store for tests whose chosen methods fail the way an outage does, or are slow.
 */
import { StoreError } from '../../src/errors.js';
import type { Store } from '../../src/ports/store.js';

/** The embedded store, with chosen methods failing the way a store outage does, or slow. */
export function faultyStore(real: Store, failing: Set<string>, slow: Map<string, number> = new Map()): Store {
  return new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (failing.has(String(prop))) return Promise.reject(new StoreError(`embedded store: ${String(prop)} failed: disk I/O error at /var/lib/x.json`));
        const delay = slow.get(String(prop));
        if (delay) return new Promise((r) => setTimeout(r, delay)).then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
