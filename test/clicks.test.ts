/**
 * A `/query` button's hold and its delivery's job (src/services/clicks.ts): written in one transaction, held for
 * its time and while the job is pending, on the embedded store (reopened, which deletes what its TTL says is
 * past) and on Firestore with two replicas racing.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store } from '../src/ports/store.js';
import { enqueue, JOBS } from '../src/jobs/model.js';
import { freeClick, holdClick, HOLD_WHILE_PENDING_MS } from '../src/services/clicks.js';
import { freshDataDir } from './support/harness.js';
import { firestoreAvailable } from './support/firestore-emulator.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A click on `scope` asking for job `job`: true when it took the button (and recorded the job), as requestDelivery does. */
const click = (store: Store, scope: string, job: string, holdMs: number) =>
  store.runTransaction(async (tx) => {
    const name = await freeClick(tx, scope);
    if (!name) return false;
    if (!(await enqueue(tx, { key: job, kind: 'test.deliver', payload: {} }))) return false;
    holdClick(tx, name, scope, holdMs, job);
    return true;
  });

const finish = (store: Store, job: string) => store.runTransaction(async (tx) => {
  const doc = await tx.get<Record<string, unknown>>(JOBS, job);
  tx.put(JOBS, job, { ...doc!.data, state: 'done' });
});

const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('a /query button held by its delivery (embedded store)', () => {
  it('holds past its time while the delivery is pending, across a reopen of the store; frees it once the delivery is done', async () => {
    const dir = await freshDataDir();
    let store = await openEmbeddedStore(dir);
    expect(await click(store, 'refresh:C1:1.1:x', 'job-1', 300)).toBe(true);
    expect(await click(store, 'refresh:C1:1.1:x', 'job-2', 300)).toBe(false);
    await sleep(400);
    // Past its 300 ms, the first delivery still pending (waiting out Slack's Retry-After, or a dead process's lease),
    // and the store reopened meanwhile (it deletes what is past its expiresAt): still held.
    await store.close();
    store = await openEmbeddedStore(dir);
    opened.push(store);
    expect(await click(store, 'refresh:C1:1.1:x', 'job-2', 300)).toBe(false);
    expect(await store.get(JOBS, 'job-2')).toBeNull();
    await finish(store, 'job-1');
    expect(await click(store, 'refresh:C1:1.1:x', 'job-2', 300)).toBe(true);
    // Another button is another hold.
    expect(await click(store, 'csv:C1:1.1:x', 'job-3', 300)).toBe(true);
  });

  it('holds for its time though its delivery is done (a second Download CSV is told the file is there)', async () => {
    const store = await openEmbeddedStore(await freshDataDir());
    opened.push(store);
    expect(await click(store, 'csv:C1:1.1:x', 'job-1', 60_000)).toBe(true);
    await finish(store, 'job-1');
    expect(await click(store, 'csv:C1:1.1:x', 'job-2', 60_000)).toBe(false);
  });

  it('lets a delivery pending for longer than any should no longer hold its button', async () => {
    const store = await openEmbeddedStore(await freshDataDir());
    opened.push(store);
    expect(await click(store, 'run:C1:1.1:x', 'job-1', 20_000)).toBe(true);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + HOLD_WHILE_PENDING_MS - 1_000);
      expect(await click(store, 'run:C1:1.1:x', 'job-2', 20_000)).toBe(false);
      vi.setSystemTime(Date.now() + 2_000);
      // job-1 is still pending: stuck, set aside, or waiting out a long Retry-After; the button is free again.
      expect((await store.get<{ state: string }>(JOBS, 'job-1'))?.data.state).toBe('pending');
      expect(await click(store, 'run:C1:1.1:x', 'job-2', 20_000)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

const firestore = firestoreAvailable();
describe.skipIf(!firestore.available)('a /query button held by its delivery (Firestore, two replicas)', () => {
  it('takes one of 20 clicks at once, and records one delivery', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}_`;
    const replicas = [0, 1].map(() => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }));
    opened.push(...replicas);
    const took = await Promise.all(Array.from({ length: 20 }, (_, i) => click(replicas[i % 2]!, 'refresh:C1:1.1:x', `job-${i}`, 20_000)));
    expect(took.filter(Boolean)).toHaveLength(1);
    expect(await replicas[0]!.list(JOBS)).toHaveLength(1);
  });
});
