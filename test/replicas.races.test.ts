/**
 * Two replicas (two bots, as Cloud Run runs them) on one Firestore store, one Slack stand-in and one
 * warehouse: a run on one replica racing a change made on the other (an alert's condition edited while
 * it goes off), and two admins' or BizOps' decisions on the same request at once, each taken once.
 */
import { rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBots, freshDataDir, StandinDefaults, type TestBot } from './support/harness.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { catalogWithCustomerCount } from './support/catalog-dir.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { SlackStandin, type StandinUser } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { subscriptionRef } from '../src/services/subscriptions.js';
import type { Store } from '../src/ports/store.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const BLAKE = StandinDefaults.users.bizops;
const ALEX = StandinDefaults.users.lookerAdmin;
const users: StandinUser[] = [
  { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com', tz: 'America/New_York' },
  { id: BLAKE, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
  { id: ALEX, name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
];
const channels = [{ id: CHANNEL, name: 'analytics' }];

const catalogDir = () => catalogWithCustomerCount('replicas-races-queries-');

const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });

const firestore = firestoreAvailable();
describe.skipIf(!firestore.available)(`two replicas on one Firestore${firestore.available ? '' : ` (skipped: ${firestore.reason})`}`, () => {
  let standin: SlackStandin;
  let warehouse: EmbeddedWarehouse;
  let dir: string;
  let queries: string;
  let stores: Store[];
  let bots: TestBot[] = [];

  beforeAll(async () => {
    queries = await catalogDir();
    dir = await freshDataDir();
    standin = new SlackStandin({ users, channels });
    await standin.start();
    warehouse = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
    const prefix = `races${randomUUID().slice(0, 6)}_`;
    stores = [0, 1].map(() => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }));
    const env = { QUERIES_DIR: queries, FRESHNESS_CHECK_INTERVAL_MS: '0', JOBS_POLL_MS: '100' };
    bots = await startTestBots(stores.map((store) => ({ env, standin, store, warehouse })));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(bots.map((b) => b.stop()));
    await Promise.all((stores ?? []).map((s) => s.close()));
    await warehouse?.close();
    await standin?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (queries) await rm(queries, { recursive: true, force: true });
  });

  const drainAll = async () => {
    await Promise.all(bots.map((b) => b.drain()));
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all(bots.map((b) => b.drain()));
  };

  it('an alert that goes off on one replica while its condition is edited on the other is closed in its thread, not left promising a Resolved', { timeout: 90_000 }, async () => {
    const conn = await warehouse.connection();
    const count = Number((await conn.runAndReadAll('SELECT COUNT(*) AS n FROM customers')).getRowObjects()[0]!['n']);
    const draft = (value: number) => ({ kind: 'alert' as const, query: 'customer-count', params: {}, channel: CHANNEL, schedule: { kind: 'cron', cron: '0 * * * *' }, condition: { column: 'customers', op: 'above', value: String(value) } });
    // Days back: the stand-in stamps messages with real time, and runs look for their posts from their due time on.
    for (const b of bots) b.setTime(Date.now() - 2 * 86_400_000);
    const subsA = bots[0]!.bot.services.subscriptions;
    const made = await subsA.create(RILEY, draft(count - 1), `races-${randomUUID()}`);
    if (!made.ok) throw new Error(JSON.stringify(made));
    const sub = made.subscription;
    const fired = () => standin.conversation(CHANNEL).filter((m) => /Alert: Customers/.test(text(m)) && JSON.stringify(m.blocks ?? []).includes(subscriptionRef(sub.id)));
    // The run posts the alert, then its chart in the thread: the chart's upload is held there.
    const hold = standin.holdNext('files.getUploadURLExternal');
    for (const b of bots) b.setTime(sub.nextRunAt! + 5_000);
    const running = bots[1]!.drain();
    await hold.arrived;
    expect(fired()).toHaveLength(1);
    const alert = fired()[0]!;
    // Meanwhile, on the other replica, its owner raises the threshold past the value: a new check, which never held.
    const edited = await subsA.update(sub.id, RILEY, draft(count + 1000));
    expect(edited).toMatchObject({ ok: true, subscription: { alertState: 'ok', firedMessage: null } });
    hold.release();
    await running;
    await drainAll();
    expect(await subsA.get(sub.id)).toMatchObject({ alertState: 'ok', firedMessage: null });
    // The alert in the channel said "I post again when it no longer holds": nothing will (the alert no longer checks
    // that condition), so it must be told it is closed, as an edit of an alert that had gone off is.
    expect(text(alert)).toContain('I post again when it no longer holds');
    const thread = standin.conversation(CHANNEL).filter((m) => m.thread_ts === alert.ts && m.ts !== alert.ts);
    expect(thread.filter((m) => /edited this alert/.test(text(m))).map((m) => text(m))).toEqual([expect.stringContaining('this one is closed, and no Resolved will follow here')]);
    conn.closeSync();
    await subsA.remove(sub.id, RILEY);
  });
  it('decides a Looker request once when one admin approves on one replica and another denies on the other at once', { timeout: 90_000 }, async () => {
    for (const b of bots) b.setTime(Date.now());
    const la = (i: number) => bots[i]!.bot.services.lookerAccess;
    const submitted = await la(0).submit({ viewId: `V${randomUUID().slice(0, 8).toUpperCase()}`, request: { requesterId: RILEY, subjectId: RILEY, email: 'riley@example.com', team: 'engineering', level: 'develop', reason: 'two admins at once', durationDays: 7 } });
    if (submitted.kind !== 'created') throw new Error(JSON.stringify(submitted));
    const id = submitted.request.id;
    await drainAll();
    const card = await standin.waitFor(() => standin.conversation(CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(id)), { timeoutMs: 20_000 });
    const outcomes = await Promise.all([
      la(0).decide({ requestId: id, deciderId: ALEX, decision: 'approve' }),
      la(1).decide({ requestId: id, deciderId: ALEX, decision: 'deny', reason: 'no' }),
    ]);
    expect(outcomes.filter((o) => o.kind === 'decided')).toHaveLength(1);
    await drainAll();
    await new Promise((r) => setTimeout(r, 1_000));
    await drainAll();
    const final = (await la(0).get(id))!;
    const audit = (await stores[0]!.recentAudit(200)).filter((e) => e.subject === id).map((e) => e.action);
    expect(audit.filter((a) => a === 'looker_access.approved' || a === 'looker_access.denied')).toHaveLength(1);
    const cardNow = standin.message(CHANNEL, card.ts)!;
    expect(text(cardNow)).toMatch(final.status === 'denied' ? /[Dd]enied/ : /[Aa]pproved|[Gg]rant/);
    expect(JSON.stringify(cardNow.blocks ?? [])).not.toMatch(/looker_access_(approve|deny)"/);
  });

  it('decides a pipeline request once per decision when Accept and Mark live are clicked on two replicas at once', { timeout: 90_000 }, async () => {
    const pr = (i: number) => bots[i]!.bot.services.pipelineRequests;
    const made = await pr(0).create(`V${randomUUID().slice(0, 8).toUpperCase()}`, RILEY, { source: 'hubspot', objects: `race_${randomUUID().slice(0, 6)}`, destination: 'race', frequency: 'daily', owner: RILEY, why: 'two replicas at once' } as never);
    if (!made.created) throw new Error(JSON.stringify(made));
    const id = made.request.id;
    await drainAll();
    const card = await standin.waitFor(() => standin.conversation(CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(id)), { timeoutMs: 20_000 });
    const outcomes = await Promise.all([pr(0).decide(id, { kind: 'accept' }, BLAKE), pr(1).decide(id, { kind: 'live' }, BLAKE)]);
    await drainAll();
    await new Promise((r) => setTimeout(r, 1_000));
    await drainAll();
    const final = (await pr(0).get(id))!;
    const decided = outcomes.filter((o) => o.ok).length;
    const audit = (await stores[0]!.recentAudit(200)).filter((e) => e.subject === id).map((e) => e.action).filter((a) => a !== 'pipeline_request.created');
    expect(audit).toHaveLength(decided);
    expect(final.status).toBe('live');
    expect(text(standin.message(CHANNEL, card.ts))).toMatch(/[Ll]ive/);
  });

  it('an alert that resolves on one replica while its condition is edited on the other: its Resolved, and a closing note that promises none away', { timeout: 90_000 }, async () => {
    const conn = await warehouse.connection();
    const count = Number((await conn.runAndReadAll('SELECT COUNT(*) AS n FROM customers')).getRowObjects()[0]!['n']);
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('race-resolve', 'Race')`);
    const draft = (value: number) => ({ kind: 'alert' as const, query: 'customer-count', params: {}, channel: CHANNEL, schedule: { kind: 'cron', cron: '0 * * * *' }, condition: { column: 'customers', op: 'above', value: String(value) } });
    for (const b of bots) b.setTime(Date.now() - 3 * 86_400_000);
    const subsA = bots[0]!.bot.services.subscriptions;
    const made = await subsA.create(RILEY, draft(count), `races-${randomUUID()}`);
    if (!made.ok) throw new Error(JSON.stringify(made));
    const sub = made.subscription;
    for (const b of bots) b.setTime(sub.nextRunAt! + 5_000);
    await drainAll();
    const alert = (await subsA.get(sub.id))!.firedMessage!;
    expect(alert).toBeTruthy();
    // The condition stops holding; replica B's run claims the Resolved and posts it (held there) as A's edit is saved.
    await conn.run(`DELETE FROM customers WHERE customer_id = 'race-resolve'`);
    await new Promise((r) => setTimeout(r, 1_100));
    const hold = standin.holdNext('chat.postMessage');
    for (const b of bots) b.setTime((await subsA.get(sub.id))!.nextRunAt! + 5_000);
    const running = bots[1]!.drain();
    await hold.arrived;
    expect(await subsA.update(sub.id, RILEY, draft(count + 1000))).toMatchObject({ ok: true });
    hold.release();
    await running;
    await drainAll();
    const thread = standin.conversation(CHANNEL).filter((m) => m.thread_ts === alert.ts && m.ts !== alert.ts).map((m) => text(m));
    // One Resolved (the run's), and the edit's note: closed, without "no Resolved will follow" beside that Resolved.
    expect(thread.filter((t) => /Resolved: Customers/.test(t))).toHaveLength(1);
    const closing = thread.filter((t) => /edited this alert/.test(t));
    expect(closing).toHaveLength(1);
    expect(closing[0]).toContain('this one is closed.');
    expect(closing[0]).not.toContain('no Resolved will follow');
    conn.closeSync();
    await subsA.remove(sub.id, RILEY);
  });
});
