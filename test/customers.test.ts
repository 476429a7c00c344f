/**
 * The shared customer list: read once for every use case that matches
 * customer names, single-flight, refreshed in the background when old.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerList } from '../src/services/customers.js';
import { silentLogger } from '../src/logger.js';
import type { QueryResult, Warehouse } from '../src/ports/warehouse.js';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { freshDataDir, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';

const isCustomerList = (sql: string) => /FROM \{\{customers\}\}\s*$/.test(sql.trim());

/** Wraps a warehouse, counting customer-list reads; `fail` makes them throw. */
function counting(real: Warehouse, state: { reads: number; fail: boolean }): Warehouse {
  return {
    kind: real.kind,
    async query(sql, params, options): Promise<QueryResult> {
      if (isCustomerList(sql)) {
        state.reads++;
        if (state.fail) throw new Error('warehouse down');
      }
      return real.query(sql, params, options);
    },
    dryRun: (sql, params, options) => real.dryRun(sql, params, options),
    tableFreshness: (tables) => real.tableFreshness(tables),
    close: () => real.close(),
  };
}

describe('CustomerList', () => {
  let real: Warehouse;
  beforeAll(async () => {
    real = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 20_000 });
  }, 120_000);
  afterAll(async () => real?.close());

  it('reads once for many concurrent callers, and again only after its TTL, serving the old list meanwhile', async () => {
    const state = { reads: 0, fail: false };
    const list = new CustomerList({ warehouse: counting(real, state), logger: silentLogger, ttlMs: 50 });
    const indexes = await Promise.all(Array.from({ length: 10 }, () => list.current()));
    expect(state.reads).toBe(1);
    expect(new Set(indexes).size).toBe(1);
    expect(indexes[0]!.size).toBeGreaterThan(1000);
    await new Promise((r) => setTimeout(r, 80));
    const stale = await list.current();
    expect(stale).toBe(indexes[0]);
    expect(state.reads).toBe(2);
  });

  it('keeps serving the old list when a refresh fails, and retries a failed first load', async () => {
    const state = { reads: 0, fail: true };
    const list = new CustomerList({ warehouse: counting(real, state), logger: silentLogger, ttlMs: 50 });
    await expect(list.current()).rejects.toThrow('warehouse down');
    state.fail = false;
    const first = await list.current();
    state.fail = true;
    await new Promise((r) => setTimeout(r, 80));
    expect(await list.current()).toBe(first);
    await new Promise((r) => setTimeout(r, 20));
    expect(await list.current()).toBe(first);
  });
});

describe('one customer list for /telemetry and /query', () => {
  const state = { reads: 0, fail: false };
  let t: TestBot;
  beforeAll(async () => {
    const real = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 20_000 });
    t = await startTestBot({ warehouse: counting(real, state) });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await t?.warehouse.close();
  });

  it('reads the customers table once for both commands', async () => {
    const user = StandinDefaults.users.regular;
    const channel = StandinDefaults.channel;
    const telemetry = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'acme', userId: user, channelId: channel });
    expect(JSON.stringify(telemetry.replies)).toContain('Telemetry: Acme Corp');
    const query = await t.standin.runCommand(t.client, { command: '/query', text: 'customer-pings-per-day customer=acme', userId: user, channelId: channel, timeoutMs: 20_000 });
    expect(JSON.stringify(query.replies)).toContain('Acme Corp');
    expect(state.reads).toBe(1);
  });
});
