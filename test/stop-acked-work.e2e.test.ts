/**
 * SIGTERM (Cloud Run scaling in, or a new revision taking the traffic) just after a slash command was acked:
 * the answer the person waits for is work that runs after the ack. The stop's grace (8 s, README "The
 * container") is for what runs, so the answer still goes before the process exits.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDataDir, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import type { Warehouse } from '../src/ports/warehouse.js';

let t: TestBot;
let slow = false;
let inner: Warehouse;

beforeAll(async () => {
  inner = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 30_000 });
  // A warehouse that takes 1.5 s per query once `slow` is set (BigQuery on a cold cache).
  const warehouse = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        if (slow) await new Promise((r) => setTimeout(r, 1_500));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  t = await startTestBot({ warehouse });
}, 120_000);

afterAll(async () => {
  await inner?.close();
});

it('answers an acked /telemetry before the stop returns, within the grace', async () => {
  slow = true;
  const before = t.standin.responses.length;
  const ack = await t.client.command({ command: '/telemetry', text: 'globex', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel });
  expect(ack.status).toBe(200);
  await t.stop();
  // The card, through the command's response_url, not an apology: the lookup was let finish.
  expect(JSON.stringify(t.standin.responses.slice(before).map((r) => r.body))).toMatch(/Globex/);
}, 60_000);
