/**
 * The Store contract: one suite, run against the embedded store and against
 * Firestore (the real emulator), plus what only one adapter can show: the
 * embedded store surviving a restart, Firestore replicas racing each other.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DocumentReference, Firestore, Timestamp, Transaction } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { journalSize, openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { EXPIRE_FIELD, isClosedTransaction, openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store, StoreDoc } from '../src/ports/store.js';
import { firestoreAvailable } from './support/firestore-emulator.js';

// Long enough that a busy machine (a write to the emulator taking 100 ms and more) does not let a
// key or lease expire between two calls meant to meet it unexpired: with 200 ms, a run beside a
// busy loop saw the second createOnce on Firestore find the first already expired.
const TTL = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the contract against stores from `makeStore` (a fresh, empty store per test). */
function storeContract(name: string, makeStore: () => Promise<Store>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(skipReason ? `${name} (skipped: ${skipReason})` : name, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('gets, puts (new version each write) and deletes', async () => {
      expect(await store.get('things', 'a')).toBeNull();
      const first = await store.put('things', 'a', { name: 'Acme', n: 1, nested: { x: [1, 2] }, none: null });
      expect(first).toMatchObject({ id: 'a', data: { name: 'Acme', n: 1, nested: { x: [1, 2] }, none: null } });
      expect(await store.get('things', 'a')).toEqual(first);

      const second = await store.put('things', 'a', { name: 'Acme Corp' });
      expect(second.version).not.toBe(first.version);
      expect(await store.get('things', 'a')).toEqual(second);

      await store.delete('things', 'a');
      expect(await store.get('things', 'a')).toBeNull();
      await store.delete('things', 'a'); // deleting nothing is fine
    });

    // Some keys hold what a request carried: a view's ID (Slack promises no format; a forged one is anything).
    // On Firestore a `/` once named a document in a subcollection (one the jobs runner never lists) or none at all.
    it.each([['a slash', 'V1/x'], ['two slashes', 'V1/x/y'], ['a dot', '.'], ['two dots', '..'], ['a reserved name', '__V__'], ['a name every object has', '__proto__'], ['more than 1,500 bytes', 'é'.repeat(1000)], ['nothing', ''], ['half a surrogate pair', 'V\ud800x']])(
      'keeps a document under any key, %s too, apart from every other',
      async (_, id) => {
        expect(await store.get('keys', id)).toBeNull();
        const put = await store.put('keys', id, { n: 1 });
        expect(put).toMatchObject({ id, data: { n: 1 } });
        expect(await store.get('keys', id)).toMatchObject({ id, data: { n: 1 } });
        expect(await store.get('keys', `${id}x`)).toBeNull();
        // Another half of a pair is another key (as UTF-8, each would be U+FFFD).
        expect(await store.get('keys', `${id}\ud801`)).toBeNull();
        expect(await store.get('keys', 'V\ud801x')).toBeNull();
        await store.runTransaction(async (tx) => {
          expect((await tx.get('keys', id))?.data).toEqual({ n: 1 });
          tx.put('keys', id, { n: 2 });
        });
        expect(await store.list('keys')).toHaveLength(1);
        expect(await store.transition<{ n: number }>('keys', id, () => true, (c) => ({ n: c.n + 1 }))).toMatchObject({ ok: true, doc: { id, data: { n: 3 } } });
        expect(await store.createOnce('once', id)).toBe(true);
        expect(await store.createOnce('once', id)).toBe(false);
        expect(await store.acquireLease(id, 'me', TTL)).toBe(true);
        expect(await store.acquireLease(id, 'another', TTL)).toBe(false);
        await store.releaseLease(id, 'me');
        await store.delete('keys', id);
        expect(await store.get('keys', id)).toBeNull();
      },
    );

    it('lists with where, orderBy and limit', async () => {
      await store.put('reqs', 'r1', { team: 'sales', rank: 3 });
      await store.put('reqs', 'r2', { team: 'eng', rank: 1 });
      await store.put('reqs', 'r3', { team: 'sales', rank: 2 });
      await store.put('reqs', 'r4', { team: 'sales', rank: 4 });
      await store.put('other', 'x', { team: 'sales', rank: 0 });

      const ids = (docs: { id: string }[]) => docs.map((d) => d.id);
      expect(ids(await store.list('reqs')).sort()).toEqual(['r1', 'r2', 'r3', 'r4']);
      expect(ids(await store.list('reqs', { where: { field: 'team', equals: 'sales' } })).sort()).toEqual(['r1', 'r3', 'r4']);
      expect(ids(await store.list('reqs', { orderBy: { field: 'rank' } }))).toEqual(['r2', 'r3', 'r1', 'r4']);
      expect(ids(await store.list('reqs', { orderBy: { field: 'rank', direction: 'desc' }, limit: 2 }))).toEqual(['r4', 'r1']);
      expect(
        ids(await store.list('reqs', { where: { field: 'team', equals: 'sales' }, orderBy: { field: 'rank' }, limit: 2 })),
      ).toEqual(['r3', 'r1']);
      const [one] = await store.list('reqs', { where: { field: 'rank', equals: 1 } });
      expect(one).toEqual(await store.get('reqs', 'r2'));
      expect(await store.list('empty')).toEqual([]);
    });

    it('createOnce: true, then false', async () => {
      expect(await store.createOnce('once', 'k', { by: 'u1' })).toBe(true);
      expect(await store.createOnce('once', 'k', { by: 'u2' })).toBe(false);
      expect((await store.get('once', 'k'))?.data).toMatchObject({ by: 'u1' });
    });

    it('createOnce: true again after the ttl expires', async () => {
      expect(await store.createOnce('once', 'ttl', {}, { ttlMs: TTL })).toBe(true);
      expect(await store.createOnce('once', 'ttl', {}, { ttlMs: TTL })).toBe(false);
      await sleep(TTL + 100);
      expect(await store.createOnce('once', 'ttl', { again: true }, { ttlMs: TTL })).toBe(true);
      expect(await store.createOnce('once', 'ttl', {}, { ttlMs: TTL })).toBe(false);
      expect((await store.get('once', 'ttl'))?.data).toMatchObject({ again: true });
    });

    it('createOnce: 20 concurrent callers, exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.createOnce('once', 'race', { i })));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('transition: not_found, precondition_failed, ok', async () => {
      type Req = { state: string; by?: string };
      const open = (r: Req) => r.state === 'open';
      expect(await store.transition<Req>('reqs', 'nope', open, () => ({ state: 'approved' }))).toEqual({
        ok: false,
        reason: 'not_found',
      });

      const created = await store.put<Req>('reqs', 'r', { state: 'open' });
      const ok = await store.transition<Req>('reqs', 'r', open, () => ({ state: 'approved', by: 'U1' }));
      expect(ok.ok).toBe(true);
      if (!ok.ok) return;
      expect(ok.doc.data).toEqual({ state: 'approved', by: 'U1' });
      expect(ok.doc.version).not.toBe(created.version);
      expect(await store.get('reqs', 'r')).toEqual(ok.doc);

      const failed = await store.transition<Req>('reqs', 'r', open, () => ({ state: 'denied' }));
      expect(failed).toEqual({ ok: false, reason: 'precondition_failed', current: ok.doc });
    });

    it('transition: 20 concurrent approvals of one open request, exactly one succeeds', async () => {
      type Req = { state: string; approver?: string };
      await store.put<Req>('reqs', 'hot', { state: 'open' });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transition<Req>('reqs', 'hot', (r) => r.state === 'open', () => ({ state: 'approved', approver: `U${i}` })),
        ),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'precondition_failed')).toHaveLength(19);
      const winner = winners[0];
      expect((await store.get('reqs', 'hot'))?.data).toEqual(winner?.ok ? winner.doc.data : undefined);
    });

    it('transition: 20 concurrent increments lose none (each decides again on what the others wrote)', async () => {
      await store.put<{ n: number }>('reqs', 'counter', { n: 0 });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.transition<{ n: number }>('reqs', 'counter', () => true, (c) => ({ n: c.n + 1 }))));
      expect(results.every((r) => r.ok)).toBe(true);
      expect((await store.get<{ n: number }>('reqs', 'counter'))?.data).toEqual({ n: 20 });
    });

    it('transition: a field set to undefined is gone, a dotted key is one field, nested maps are replaced whole', async () => {
      type Doc = { state: string; note?: string; 'a.b'?: number; map?: { x?: number; y?: number } };
      await store.put<Doc>('reqs', 'shape', { state: 'open', note: 'n', 'a.b': 1, map: { x: 1, y: 2 } });
      const res = await store.transition<Doc>('reqs', 'shape', () => true, () => ({ state: 'done', note: undefined, 'a.b': 2, map: { y: 3 } }));
      expect(res.ok && res.doc.data).toEqual({ state: 'done', 'a.b': 2, map: { y: 3 } });
      expect((await store.get<Doc>('reqs', 'shape'))?.data).toEqual({ state: 'done', 'a.b': 2, map: { y: 3 } });
    });

    it('leases: acquire, refuse another holder, renew, expire, release', async () => {
      expect(await store.acquireLease('alerts', 'a', TTL)).toBe(true);
      expect(await store.acquireLease('alerts', 'b', TTL)).toBe(false);
      expect(await store.acquireLease('alerts', 'a', TTL)).toBe(true); // renewal
      await sleep(TTL + 100);
      expect(await store.acquireLease('alerts', 'b', TTL)).toBe(true);
      expect(await store.acquireLease('alerts', 'a', TTL)).toBe(false);

      await store.releaseLease('alerts', 'a'); // not the holder: no effect
      expect(await store.acquireLease('alerts', 'c', 10_000)).toBe(false);
      await store.releaseLease('alerts', 'b');
      expect(await store.acquireLease('alerts', 'c', 10_000)).toBe(true);
      expect(await store.acquireLease('other', 'a', 10_000)).toBe(true); // leases are independent
    });

    it('runTransaction: writes, deletes and audit entries commit together', async () => {
      await store.put('reqs', 'gone', { state: 'old' });
      const result = await store.runTransaction(async (tx) => {
        const missing = await tx.get('reqs', 'new');
        tx.put('reqs', 'new', { state: 'open', sawBefore: missing === null });
        tx.put('jobs', 'j1', { kind: 'notify', runAt: 5 });
        tx.delete('reqs', 'gone');
        tx.audit({ actor: 'U1', action: 'req.created', subject: 'new', after: { state: 'open' } });
        return 'committed';
      });
      expect(result).toBe('committed');
      expect((await store.get('reqs', 'new'))?.data).toEqual({ state: 'open', sawBefore: true });
      expect((await store.get('jobs', 'j1'))?.data).toEqual({ kind: 'notify', runAt: 5 });
      expect(await store.get('reqs', 'gone')).toBeNull();
      expect(await store.recentAudit(5)).toMatchObject([{ actor: 'U1', action: 'req.created', subject: 'new' }]);
    });

    it('runTransaction: a body that throws writes nothing', async () => {
      await store.put('reqs', 'r', { state: 'open' });
      await expect(
        store.runTransaction(async (tx) => {
          tx.put('reqs', 'r', { state: 'approved' });
          tx.put('jobs', 'grant', { kind: 'grant' });
          tx.audit({ actor: 'U1', action: 'req.approved', subject: 'r' });
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect((await store.get('reqs', 'r'))?.data).toEqual({ state: 'open' });
      expect(await store.get('jobs', 'grant')).toBeNull();
      expect(await store.recentAudit(5)).toEqual([]);
    });

    it('runTransaction: 20 concurrent read-modify-writes lose no update', async () => {
      await store.put('counters', 'c', { n: 0 });
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.runTransaction(async (tx) => {
            const cur = await tx.get<{ n: number }>('counters', 'c');
            tx.put('counters', 'c', { n: (cur?.data.n ?? 0) + 1 });
          }),
        ),
      );
      expect((await store.get<{ n: number }>('counters', 'c'))?.data.n).toBe(20);
    });

    it('runTransaction: a list in the transaction sees what committed before it, filtered; with a document every writer touches, 20 concurrent adders count one at a time', async () => {
      // At most 5 items per owner, whatever the concurrency (the subscriptions' limit).
      const added = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.runTransaction(async (tx) => {
            await tx.get('item_gate', 'all');
            const mine = await tx.list('items', { where: { field: 'owner', equals: 'ana' }, orderBy: { field: 'n' }, limit: 10 });
            if (mine.length >= 5) return false;
            tx.put('item_gate', 'all', { last: i });
            tx.put('items', `i${i}`, { owner: 'ana', n: i });
            return true;
          }),
        ),
      );
      expect(added.filter(Boolean)).toHaveLength(5);
      expect(await store.list('items', { where: { field: 'owner', equals: 'ana' } })).toHaveLength(5);
      expect(await store.runTransaction((tx) => tx.list('items', { where: { field: 'owner', equals: 'bo' } }))).toEqual([]);
    });

    it('lists by a range of one field, ordered by it, matching only values of its type', async () => {
      await store.put('jobs', 'a', { runAt: 30 });
      await store.put('jobs', 'b', { runAt: 10 });
      await store.put('jobs', 'c', { runAt: null });
      await store.put('jobs', 'd', { runAt: 20 });
      await store.put('jobs', 'e', { runAt: '15' });
      await store.put('jobs', 'f', {});
      const ids = (docs: { id: string }[]) => docs.map((d) => d.id);
      expect(ids(await store.list('jobs', { where: { field: 'runAt', op: '<=', value: 20 }, orderBy: { field: 'runAt' } }))).toEqual(['b', 'd']);
      expect(ids(await store.list('jobs', { where: { field: 'runAt', op: '<', value: 20 }, orderBy: { field: 'runAt' } }))).toEqual(['b']);
      expect(ids(await store.list('jobs', { where: { field: 'runAt', op: '>', value: 10 }, orderBy: { field: 'runAt', direction: 'desc' }, limit: 1 }))).toEqual(['a']);
      expect(ids(await store.list('jobs', { where: { field: 'runAt', op: '>=', value: 30 } }))).toEqual(['a']);
    });

    it('pages on after a cursor: the field\'s value, then the document ID, in the order\'s direction', async () => {
      for (const [id, runAt] of [['a', 20], ['b', 10], ['c', 20], ['d', 20], ['e', 30], ['f', 40]] as const) await store.put('jobs', id, { runAt });
      const ids = (docs: { id: string }[]) => docs.map((d) => d.id);
      const due = { field: 'runAt', op: '<=', value: 30 } as const;
      expect(ids(await store.list('jobs', { where: due, orderBy: { field: 'runAt' } }))).toEqual(['b', 'a', 'c', 'd', 'e']);
      // Ties at the cursor's value: only the IDs after the cursor's.
      expect(ids(await store.list('jobs', { where: due, orderBy: { field: 'runAt' }, startAfter: { value: 20, id: 'a' }, limit: 2 }))).toEqual(['c', 'd']);
      expect(ids(await store.list('jobs', { where: due, orderBy: { field: 'runAt' }, startAfter: { value: 20, id: 'd' } }))).toEqual(['e']);
      expect(ids(await store.list('jobs', { where: due, orderBy: { field: 'runAt' }, startAfter: { value: 30, id: 'e' } }))).toEqual([]);
      // Descending, ties descend too.
      expect(ids(await store.list('jobs', { orderBy: { field: 'runAt', direction: 'desc' } }))).toEqual(['f', 'e', 'd', 'c', 'a', 'b']);
      expect(ids(await store.list('jobs', { orderBy: { field: 'runAt', direction: 'desc' }, startAfter: { value: 20, id: 'd' } }))).toEqual(['c', 'a', 'b']);
    });

    it('keeps a numeric expiresAt as written (a TTL copy, where the store needs one, stays out of sight)', async () => {
      const put = await store.put('once', 'x', { by: 'u1', expiresAt: 1_900_000_000_000 });
      expect(put.data).toEqual({ by: 'u1', expiresAt: 1_900_000_000_000 });
      expect((await store.get('once', 'x'))?.data).toEqual({ by: 'u1', expiresAt: 1_900_000_000_000 });
      expect((await store.list('once'))[0]?.data).toEqual({ by: 'u1', expiresAt: 1_900_000_000_000 });
    });

    it('audit: recentAudit(n) is the newest n, before/after preserved', async () => {
      expect(await store.recentAudit(5)).toEqual([]);
      await store.audit({ actor: 'U1', action: 'req.created', subject: 'r1', after: { state: 'open' } });
      await store.audit({
        actor: 'U2',
        action: 'req.approved',
        subject: 'r1',
        before: { state: 'open' },
        after: { state: 'approved', roles: ['view'] },
      });
      await store.audit({ actor: 'bot', action: 'req.applied', subject: 'r1', at: '2999-01-01T00:00:00.000Z' });

      const recent = await store.recentAudit(2);
      expect(recent).toHaveLength(2);
      expect(recent[0]).toEqual({
        actor: 'bot',
        action: 'req.applied',
        subject: 'r1',
        before: null,
        after: null,
        at: '2999-01-01T00:00:00.000Z',
      });
      expect(recent[1]).toMatchObject({
        actor: 'U2',
        action: 'req.approved',
        before: { state: 'open' },
        after: { state: 'approved', roles: ['view'] },
      });
      expect(Date.parse(recent[1]?.at ?? '')).not.toBeNaN();

      const all = await store.recentAudit(10);
      expect(all.map((e) => e.action)).toEqual(['req.applied', 'req.approved', 'req.created']);
      expect(all[2]).toMatchObject({ before: null, after: { state: 'open' } });
    });

    it('audit: recentAudit(n, { atOrBefore }) is the newest n not after that time', async () => {
      for (const [action, at] of [['a', '2030-01-01T00:00:00.000Z'], ['b', '2030-01-02T00:00:00.000Z'], ['c', '2030-01-02T00:00:00.000Z'], ['d', '2030-01-03T00:00:00.000Z']] as const) {
        await store.audit({ actor: 'U1', action, subject: 's', at });
      }
      const actions = async (n: number, atOrBefore: string) => (await store.recentAudit(n, { atOrBefore })).map((e) => e.action);
      // Entries of one millisecond: the later written first, as without the bound.
      expect(await actions(5, '2030-01-02T00:00:00.000Z')).toEqual(['c', 'b', 'a']);
      expect(await actions(1, '2030-01-02T12:00:00.000Z')).toEqual(['c']);
      expect(await actions(5, '2029-12-31T23:59:59.999Z')).toEqual([]);
      expect((await store.recentAudit(2)).map((e) => e.action)).toEqual(['d', 'c']);
    });
  });
}

// ── embedded ────────────────────────────────────────────────────────────────

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'analytics-bot-store-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

storeContract('embedded store', async () => openEmbeddedStore(await tempDir()));

describe('embedded store on disk', () => {
  // A key holds what a request carried (a forged view ID may be anything): `__proto__` was lost when the journal was
  // read back, so a once-key under it said "first time" again after a restart.
  it('keeps a document and a once-key under `__proto__` across a restart', async () => {
    const dir = await tempDir();
    const before = await openEmbeddedStore(dir);
    const doc = await before.put('reqs', '__proto__', { state: 'open' });
    expect(await before.createOnce('once', '__proto__')).toBe(true);
    await before.close();

    const after = await openEmbeddedStore(dir);
    expect(await after.get('reqs', '__proto__')).toEqual(doc);
    expect(await after.list('reqs')).toEqual([doc]);
    expect(await after.createOnce('once', '__proto__')).toBe(false);
    await after.close();
  });

  it('keeps documents, once-keys, leases and the audit log across a restart', async () => {
    const dir = await tempDir();
    const before = await openEmbeddedStore(dir);
    const doc = await before.put('reqs', 'r', { state: 'open', tags: ['a'] });
    await before.transition<StoreDoc>('reqs', 'r2', () => true, () => ({})); // not_found: writes nothing
    expect(await before.createOnce('once', 'k')).toBe(true);
    expect(await before.acquireLease('alerts', 'replica-1', 60_000)).toBe(true);
    await before.audit({ actor: 'U1', action: 'req.created', subject: 'r', after: { state: 'open' } });
    await before.close();

    const after = await openEmbeddedStore(dir);
    expect(await after.get('reqs', 'r')).toEqual(doc);
    expect(await after.get('reqs', 'r2')).toBeNull();
    expect(await after.createOnce('once', 'k')).toBe(false);
    expect(await after.acquireLease('alerts', 'replica-2', 60_000)).toBe(false);
    expect(await after.recentAudit(5)).toMatchObject([{ actor: 'U1', action: 'req.created', after: { state: 'open' } }]);
    await after.close();
  });

  it('drops a torn last journal line (a crash mid-write): that transaction is all gone, the others stay', async () => {
    const dir = await tempDir();
    const first = await openEmbeddedStore(dir);
    await first.runTransaction(async (tx) => {
      tx.put('reqs', 'r1', { state: 'approved' });
      tx.audit({ actor: 'U1', action: 'a.one', subject: 'r1' });
    });
    await first.close();
    await appendFile(path.join(dir, 'store', 'journal.jsonl'), '{"s":2,"w":[["reqs","r2",{"data":{"state":"app'); // crash mid-append

    const second = await openEmbeddedStore(dir);
    expect(await second.get('reqs', 'r2')).toBeNull();
    await second.audit({ actor: 'U3', action: 'a.three', subject: 's' });
    await second.close();

    const third = await openEmbeddedStore(dir);
    expect((await third.get('reqs', 'r1'))?.data).toEqual({ state: 'approved' });
    expect((await third.recentAudit(10)).map((e) => e.action)).toEqual(['a.three', 'a.one']);
    await third.close();
  });

  it('folds the journal into a snapshot when it grows, and reopens from both', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore(dir, { compactBytes: 2_000 });
    for (let i = 0; i < 40; i++) await store.put('reqs', `r${i}`, { i, pad: 'x'.repeat(50) });
    await store.audit({ actor: 'U1', action: 'a.last', subject: 's' });
    expect(await journalSize(dir)).toBeLessThan(2_000);
    await store.close();
    const again = await openEmbeddedStore(dir);
    expect((await again.list('reqs')).length).toBe(40);
    expect((await again.get('reqs', 'r39'))?.data).toEqual({ i: 39, pad: 'x'.repeat(50) });
    expect((await again.recentAudit(1))[0]?.action).toBe('a.last');
    await again.close();
  });

  it('deletes documents past their numeric expiresAt when it folds the journal, as a Firestore TTL policy would', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore(dir, { compactBytes: 2_000 });
    const past = Date.now() - 1_000;
    const future = Date.now() + 3_600_000;
    await store.put('jobs', 'finished', { state: 'done', expiresAt: past });
    await store.put('jobs', 'kept', { state: 'done', expiresAt: future });
    await store.put('reqs', 'dated', { expiresAt: new Date(past).toISOString() }); // not a number: not a TTL field
    expect(await store.get('jobs', 'finished')).not.toBeNull(); // until the journal is folded, like Firestore's lag
    for (let i = 0; i < 40; i++) await store.put('pad', `p${i}`, { pad: 'x'.repeat(50) });
    expect(await journalSize(dir)).toBeLessThan(2_000);
    expect(await store.get('jobs', 'finished')).toBeNull();
    expect((await store.list('jobs')).map((d) => d.id)).toEqual(['kept']);
    expect(await store.get('reqs', 'dated')).not.toBeNull();
    await store.close();
    const again = await openEmbeddedStore(dir);
    expect((await again.list('jobs')).map((d) => d.id)).toEqual(['kept']);
    expect(await again.get('reqs', 'dated')).not.toBeNull();
    await again.close();
  });

  it('drops documents past their numeric expiresAt when it opens, before any fold', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore(dir);
    await store.put('jobs', 'finished', { state: 'done', expiresAt: Date.now() + 150 });
    await store.put('jobs', 'kept', { state: 'done', expiresAt: Date.now() + 3_600_000 });
    await store.close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await openEmbeddedStore(dir);
    expect((await again.list('jobs')).map((d) => d.id)).toEqual(['kept']);
    await again.close();
  });

  it('drops audit entries older than AUDIT_KEEP_MS (400 days) when it opens and when it folds, as the TTL policy on Firestore\'s audit does', async () => {
    const dir = await tempDir();
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const store = await openEmbeddedStore(dir, { compactBytes: 3_000 });
    await store.audit({ actor: 'U1', action: 'a.old', subject: 's', at: ago(401) });
    await store.audit({ actor: 'U1', action: 'a.recent', subject: 's', at: ago(399) });
    await store.audit({ actor: 'U1', action: 'a.undated', subject: 's', at: 'not a date' }); // no expiry, as on Firestore
    expect((await store.recentAudit(5)).map((e) => e.action).sort()).toEqual(['a.old', 'a.recent', 'a.undated']); // until a fold, like Firestore's lag
    for (let i = 0; i < 40; i++) await store.put('pad', `p${i}`, { pad: 'x'.repeat(50) });
    expect(await journalSize(dir)).toBeLessThan(3_000);
    expect((await store.recentAudit(5)).map((e) => e.action).sort()).toEqual(['a.recent', 'a.undated']);
    await store.audit({ actor: 'U1', action: 'a.old.again', subject: 's', at: ago(500) });
    await store.close();
    const again = await openEmbeddedStore(dir);
    expect((await again.recentAudit(5)).map((e) => e.action).sort()).toEqual(['a.recent', 'a.undated']);
    await again.close();
  });

  it('imports the files of the earlier one-file-per-collection layout once', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'store'), { recursive: true });
    await writeFile(path.join(dir, 'store', 'reqs.json'), JSON.stringify({ r: { data: { state: 'open' }, version: 'v1' } }));
    // A month old, well within AUDIT_KEEP_MS (400 days): a fixed date would one day be older, and dropped on opening.
    const at = new Date(Date.now() - 30 * 86_400_000).toISOString();
    await writeFile(path.join(dir, 'store', 'audit.jsonl'), JSON.stringify({ actor: 'U1', action: 'old.one', subject: 's', before: null, after: null, at }) + '\n');
    const store = await openEmbeddedStore(dir);
    expect((await store.get('reqs', 'r'))?.data).toEqual({ state: 'open' });
    expect((await store.recentAudit(5)).map((e) => e.action)).toEqual(['old.one']);
    await store.put('reqs', 'r', { state: 'approved' });
    await store.close();
    const again = await openEmbeddedStore(dir);
    expect((await again.get('reqs', 'r'))?.data).toEqual({ state: 'approved' });
    await again.close();
  });

  it('refuses a second opener of the same directory, in this process or another, and says who holds it', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore(dir);
    await expect(openEmbeddedStore(dir)).rejects.toThrow(/in use by this process/);
    // Another process: the compiled store (npm test builds first).
    const compiled = new URL('../dist/src/adapters/store/embedded.js', import.meta.url);
    expect(existsSync(compiled), 'run npm run build first').toBe(true);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      const { openEmbeddedStore } = await import(${JSON.stringify(compiled.href)});
      try { await openEmbeddedStore(${JSON.stringify(dir)}); console.log('opened'); } catch (e) { console.log(e.message); }
    `], { encoding: 'utf8' });
    const out = child.stdout + child.stderr;
    expect(out).toContain(`in use by process ${process.pid}`);
    expect(out).toContain('DATA_DIR');
    await store.close();
    const reopened = await openEmbeddedStore(dir);
    await reopened.close();
  });

  it('takes over the lock of a process that died (kill -9)', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'store'), { recursive: true });
    // A pid no process has: what a killed bot leaves behind.
    await writeFile(path.join(dir, 'store', 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), at: new Date().toISOString() }));
    const store = await openEmbeddedStore(dir);
    await store.put('reqs', 'r', { ok: true });
    await store.close();
  });

  it("takes over a lock holding this process's own pid: a container's PID 1, killed and started again", async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'store'), { recursive: true });
    await writeFile(path.join(dir, 'store', 'LOCK'), JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
    const store = await openEmbeddedStore(dir);
    await store.put('reqs', 'r', { ok: true });
    await store.close();
  });

  it('takes over a lock whose pid another process has now (it started at another time), and refuses one whose process is the same', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'store'), { recursive: true });
    const lock = path.join(dir, 'store', 'LOCK');
    // The parent process is alive: the lock says it started at another time, so it is not the one that wrote it.
    await writeFile(lock, JSON.stringify({ pid: process.ppid, host: hostname(), at: new Date().toISOString(), started: '1' }));
    const store = await openEmbeddedStore(dir);
    await store.close();
    // The same parent, with its real start time: it holds the lock.
    const procStat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const started = procStat.slice(procStat.lastIndexOf(')') + 2).split(' ')[19];
    await writeFile(lock, JSON.stringify({ pid: process.ppid, host: hostname(), at: new Date().toISOString(), started }));
    await expect(openEmbeddedStore(dir)).rejects.toThrow(`in use by process ${process.ppid}.`);
  });

  it('refuses a lock from another host while it is renewed, and takes it over once it has not been for 30 s', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'store'), { recursive: true });
    const lock = path.join(dir, 'store', 'LOCK');
    // A container's PID 1 on a volume another container (another hostname) uses: this process may be PID 1 too.
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: 'other-container', at: new Date().toISOString() }));
    await expect(openEmbeddedStore(dir)).rejects.toThrow(/in use by process \d+ on other-container\..*start again in (29|30) s/);
    const longAgo = new Date(Date.now() - 31_000);
    await utimes(lock, longAgo, longAgo);
    const store = await openEmbeddedStore(dir);
    await store.put('reqs', 'r', { ok: true });
    await store.close();
  });

  it('renews its lock while it is open, so another host sees it alive', async () => {
    const dir = await tempDir();
    const store = await openEmbeddedStore(dir, { lockRenewMs: 20 });
    const lock = path.join(dir, 'store', 'LOCK');
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);
    await vi.waitFor(async () => expect((await stat(lock)).mtimeMs).toBeGreaterThan(Date.now() - 30_000), { timeout: 5_000, interval: 20 });
    await store.close();
    expect(existsSync(lock)).toBe(false);
  });

  it('removes what a process killed mid-write left: a snapshot copy half written, a lock half taken over', async () => {
    const dir = await tempDir();
    await openEmbeddedStore(dir).then((s) => s.close());
    const store = path.join(dir, 'store');
    await writeFile(path.join(store, `snapshot.json.4242.${randomUUID()}.tmp`), '{"seq":');
    await writeFile(path.join(store, `LOCK.${randomUUID()}.stale`), '{}');
    const reopened = await openEmbeddedStore(dir);
    expect((await readdir(store)).filter((f) => /\.(tmp|stale)$/.test(f))).toEqual([]);
    await reopened.close();
  });

  it('refuses a plain read inside its own transaction (it would wait for itself), when asked to check', async () => {
    const store = await openEmbeddedStore(await tempDir(), { checkNesting: true });
    await expect(store.runTransaction(() => store.get('reqs', 'r'))).rejects.toThrow(/inside a transaction/);
    await store.close();
  });
});

// ── Firestore (emulator) ────────────────────────────────────────────────────

const firestore = firestoreAvailable();
if (!firestore.available) console.warn(`Firestore store tests skipped: ${firestore.reason}`);
const PROJECT = 'analytics-bot-test';
const prefix = () => `t${randomUUID().slice(0, 8)}_`;

storeContract('firestore store', async () => openFirestoreStore({ projectId: PROJECT, collectionPrefix: prefix() }), firestore.reason);

describe.skipIf(!firestore.available)('firestore store, two replicas (separate clients)', () => {
  let replicas: Store[];
  beforeEach(() => {
    const shared = prefix();
    replicas = [0, 1].map(() => openFirestoreStore({ projectId: PROJECT, collectionPrefix: shared }));
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.close()));
  });
  // Each of the 20 callers uses one of the two clients, alternating.
  const replica = (i: number) => replicas[i % 2] as Store;

  it('createOnce across replicas: exactly one winner', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => replica(i).createOnce('once', 'race', { i })));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('transition across replicas: exactly one winner', async () => {
    type Req = { state: string; approver?: string };
    await replica(0).put<Req>('reqs', 'hot', { state: 'open' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        replica(i).transition<Req>('reqs', 'hot', (r) => r.state === 'open', () => ({ state: 'approved', approver: `U${i}` })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('a lease held by one replica is refused to the other', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => replica(i).acquireLease('alerts', `replica-${i % 2}`, 10_000)));
    const holders = new Set(results.flatMap((won, i) => (won ? [i % 2] : [])));
    expect(holders.size).toBe(1);
  });
});

describe.skipIf(!firestore.available)('firestore store, audit entries', () => {
  it('carry a timestamp _expireAt 400 days after they were written, for a TTL policy on the audit collection, written alone or in a transaction', async () => {
    const collectionPrefix = prefix();
    const store = openFirestoreStore({ projectId: PROJECT, collectionPrefix });
    const db = new Firestore({ projectId: PROJECT });
    try {
      await store.audit({ actor: 'U1', action: 'looker_access.approved', subject: 'la_1', at: '2026-11-30T09:00:00.000Z' });
      await store.runTransaction(async (tx) => {
        tx.audit({ actor: 'bot', action: 'job.failed', subject: 'grant:1', at: '2026-12-01T09:00:00.000Z' });
      });
      const snap = await db.collection(`${collectionPrefix}audit`).orderBy('at').get();
      const expiries = snap.docs.map((d) => (d.get(EXPIRE_FIELD) as Timestamp).toDate().toISOString());
      expect(expiries).toEqual(['2028-01-04T09:00:00.000Z', '2028-01-05T09:00:00.000Z']);
      // Read back as they were written, the expiry left out.
      expect((await store.recentAudit(1))[0]).toEqual({ actor: 'bot', action: 'job.failed', subject: 'grant:1', before: null, after: null, at: '2026-12-01T09:00:00.000Z' });
    } finally {
      await store.close();
      await db.terminate();
    }
  });
});

describe.skipIf(!firestore.available)('firestore store, a transaction closed under it', () => {
  let store: Store;
  beforeEach(() => {
    store = openFirestoreStore({ projectId: PROJECT, collectionPrefix: prefix() });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
  });
  /**
   * The error as CI recorded it, in grpc-js's shape, from the client's own
   * transaction read or commit. The emulator gives the same for a transaction
   * idle over 60 s (a minute is too long to wait for here).
   */
  const closed = () =>
    Object.assign(new Error('3 INVALID_ARGUMENT: Transaction is invalid or closed.'), {
      code: 3,
      details: 'Transaction is invalid or closed.',
      metadata: {},
    });

  it('runs it again from the start when a read is refused, and commits once', async () => {
    vi.spyOn(Transaction.prototype, 'get').mockRejectedValueOnce(closed());
    let runs = 0;
    const result = await store.runTransaction(async (tx) => {
      runs++;
      const seen = await tx.get<{ n: number }>('reqs', 'r');
      tx.put('reqs', 'r', { n: (seen?.data.n ?? 0) + 1 });
      return runs;
    });
    expect(result).toBe(2);
    expect((await store.get('reqs', 'r'))?.data).toEqual({ n: 1 });
  });

  it('gives up after three runs, with the server’s reason', async () => {
    vi.spyOn(Transaction.prototype, 'get').mockRejectedValue(closed());
    let runs = 0;
    await expect(
      store.runTransaction(async (tx) => {
        runs++;
        await tx.get('reqs', 'r');
      }),
    ).rejects.toThrow(/transaction failed: 3 INVALID_ARGUMENT: Transaction is invalid or closed/);
    expect(runs).toBe(3);
  });

  it('does not run it again when the commit is refused (a resent commit may have landed)', async () => {
    // commit() is the client's own step after the body (internal: not in its types).
    vi.spyOn(Transaction.prototype as unknown as { commit(): Promise<unknown> }, 'commit').mockRejectedValueOnce(closed());
    let runs = 0;
    await expect(
      store.runTransaction(async (tx) => {
        runs++;
        tx.put('reqs', 'r', { n: 1 });
      }),
    ).rejects.toThrow(/Transaction is invalid or closed/);
    expect(runs).toBe(1);
  });

  /** The client resends a create whose answer was lost; the resend meets the document the first one made. */
  const resentCreate = () => {
    const create = DocumentReference.prototype.create;
    return vi.spyOn(DocumentReference.prototype, 'create').mockImplementationOnce(async function (this: DocumentReference, data) {
      await create.call(this, data);
      throw Object.assign(new Error('6 ALREADY_EXISTS: Document already exists'), { code: 6, details: 'Document already exists' });
    });
  };

  it('createOnce whose create landed but whose answer was lost still wins: the key is not given to no one', async () => {
    resentCreate();
    expect(await store.createOnce('clicks', 'k1', { by: 'a' })).toBe(true);
    expect(await store.createOnce('clicks', 'k1', { by: 'b' })).toBe(false);
    expect((await store.get('clicks', 'k1'))?.data).toEqual({ by: 'a' });
  });

  it('an audit entry whose create landed but whose answer was lost is written once, without an error', async () => {
    resentCreate();
    await store.audit({ actor: 'U1', action: 'test.resent', subject: 's1' });
    expect((await store.recentAudit(20)).filter((e) => e.action === 'test.resent')).toHaveLength(1);
  });

  it('runs once when the argument is invalid for any other reason', async () => {
    const invalid = Object.assign(new Error('3 INVALID_ARGUMENT: Property "x" contains an invalid nested entity.'), {
      code: 3,
      details: 'Property "x" contains an invalid nested entity.',
    });
    vi.spyOn(Transaction.prototype, 'get').mockRejectedValue(invalid);
    let runs = 0;
    await expect(
      store.runTransaction(async (tx) => {
        runs++;
        await tx.get('reqs', 'r');
      }),
    ).rejects.toThrow(/invalid nested entity/);
    expect(runs).toBe(1);
  });
});

describe('isClosedTransaction', () => {
  it('knows the closed transaction by its code and words, in details or in the message', () => {
    expect(isClosedTransaction({ code: 3, details: 'Transaction is invalid or closed.' })).toBe(true);
    expect(isClosedTransaction(Object.assign(new Error('3 INVALID_ARGUMENT: Transaction is invalid or closed.'), { code: 3 }))).toBe(true);
    expect(isClosedTransaction({ code: 10, details: 'Transaction is invalid or closed.' })).toBe(false);
    expect(isClosedTransaction({ code: 3, details: 'transaction has expired' })).toBe(false);
    expect(isClosedTransaction(new Error('Transaction is invalid or closed.'))).toBe(false);
    expect(isClosedTransaction(null)).toBe(false);
    expect(isClosedTransaction('3 INVALID_ARGUMENT: Transaction is invalid or closed.')).toBe(false);
  });
});
