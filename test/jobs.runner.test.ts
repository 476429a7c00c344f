/**
 * The job runner on both stores (embedded journal; Firestore on the
 * emulator): each job runs once, its outcome commits with its completion,
 * failures retry with backoff and end visibly, recurring work moves on,
 * claims of a dead runner are taken over, and two runners never run one job
 * twice.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store, StoreTx } from '../src/ports/store.js';
import { silentLogger } from '../src/logger.js';
import { DeferJob, JobRunner, PermanentJobError, UNKNOWN_KIND_GRACE_MS, UNKNOWN_KIND_SET_ASIDE_MS, type JobKind } from '../src/jobs/runner.js';
import { JOBS, enqueue, wake, type JobDoc, type JobSpec } from '../src/jobs/model.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { NOTICE_JOB, NOTICE_JOB_2, noticeJob } from '../src/ports/notices.js';
import { drain } from './support/jobs.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A clock the test moves. */
function clock(start = Date.parse('2026-11-30T09:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms), at: () => t };
}

function runnerContract(name: string, makeStore: () => Promise<Store>, skip?: string) {
  describe.skipIf(skip !== undefined)(skip ? `${name} (skipped: ${skip})` : name, () => {
    let store: Store;
    let c: ReturnType<typeof clock>;
    const runners: JobRunner[] = [];
    const runner = (opts: { holder?: string; leaseMs?: number; concurrency?: number } = {}) => {
      const r = new JobRunner({ store, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000, ...opts });
      runners.push(r);
      return r;
    };
    /** A runner with a `slow:1` job due that holds its run open until `release()`, and a `say` kind that records its word. */
    const slowAndSay = async () => {
      const r = runner();
      const seen: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      r.register('slow', { handler: async () => { started(); await gate; } });
      r.register('say', { handler: async (ctx) => void seen.push(String(ctx.payload['word'])) });
      await add({ key: 'slow:1', kind: 'slow', payload: {} });
      return { r, seen, release, running };
    };
    /** A runner whose process dies at `die()`: from then on its store answers nothing (no renewal, no outcome lands). */
    const mortal = (opts: { holder: string; leaseMs: number }) => {
      let dead = false;
      const itsStore = new Proxy(store, {
        get(target, name) {
          const value = Reflect.get(target, name, target) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => (dead ? Promise.reject(new Error('the process is gone')) : (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      });
      const r = new JobRunner({ store: itsStore, logger: silentLogger, now: c.now, random: () => 0.5, ...opts });
      runners.push(r);
      return { r, die: () => ((dead = true), void r.stop(0)) };
    };
    /** The store as the runner sees it, running a hook set with `afterNextListing` once its next listing has read and before it answers. */
    const listingHook = () => {
      let hook: (() => Promise<void>) | undefined;
      const hooked = new Proxy(store, {
        get(target, name) {
          if (name === 'list') {
            return async (...args: Parameters<Store['list']>) => {
              const found = await target.list(...args);
              const then = hook;
              hook = undefined;
              await then?.();
              return found;
            };
          }
          const value = Reflect.get(target, name, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { store: hooked, afterNextListing: (then: () => Promise<void>) => void (hook = then), armed: () => hook !== undefined };
    };
    /** The store as it is, counting the jobs its listings return (each one a billed read on Firestore). */
    const countingReads = () => {
      let read = 0;
      const counted: Store = Object.assign(Object.create(store) as Store, {
        list: (async (...args: Parameters<Store['list']>) => {
          const found = await store.list(...args);
          read += found.length;
          return found;
        }) as Store['list'],
      });
      return { counted, reads: () => read };
    };
    const job = async (key: string) => (await store.get<JobDoc>(JOBS, key))?.data;
    const add = (spec: JobSpec) => store.runTransaction((tx) => enqueue(tx, spec, c.at()));

    beforeEach(async () => {
      store = await makeStore();
      c = clock();
    });
    afterEach(async () => {
      await Promise.all(runners.splice(0).map((r) => r.stop()));
      await store.close();
    });

    it('runs a due job once, records it done, and leaves a job due later alone', async () => {
      const r = runner();
      const seen: string[] = [];
      r.register('say', { handler: async (ctx) => void seen.push(`${ctx.payload['word']}#${ctx.attempt}`) });
      await add({ key: 'say:now', kind: 'say', payload: { word: 'now' } });
      await add({ key: 'say:later', kind: 'say', payload: { word: 'later' }, runAt: c.at() + 60_000 });
      expect(await drain(r)).toBe(1);
      expect(seen).toEqual(['now#1']);
      expect(await job('say:now')).toMatchObject({ state: 'done', runAt: null, attempts: 1, holder: null });
      expect(await job('say:later')).toMatchObject({ state: 'pending', attempts: 0 });
      c.advance(60_000);
      await drain(r);
      expect(seen).toEqual(['now#1', 'later#1']);
    });

    it('tells a go put back (DeferJob) when the go it was put back from was due; a go after a failure is no put-back', async () => {
      // A notice put back for its channel's turn posted nothing: it is as much a repeat as the go it was put back from.
      const r = runner();
      const seen: Array<[number, number, number | undefined]> = [];
      r.register('paced', {
        handler: async (ctx) => {
          seen.push([ctx.attempt, ctx.dueAt, ctx.putBackFrom]);
          if (seen.length <= 2) throw new DeferJob(c.at() + 5_000);
          if (seen.length === 3) throw new Error('Slack was down');
          return {};
        },
        retry: { maxAttempts: 3, baseMs: 1_000, maxMs: 1_000 },
      });
      const first = c.at();
      await add({ key: 'paced:1', kind: 'paced', payload: {} });
      await drain(r);
      expect(await job('paced:1')).toMatchObject({ state: 'pending', attempts: 0, putBackFrom: first });
      c.advance(5_000);
      await drain(r);
      c.advance(5_000);
      await drain(r);
      c.advance(60_000);
      await drain(r);
      expect(seen).toEqual([[1, first, undefined], [1, first + 5_000, first], [1, first + 10_000, first], [2, expect.any(Number), undefined]]);
      expect(await job('paced:1')).toMatchObject({ state: 'done', attempts: 2 });
      expect((await job('paced:1'))?.putBackFrom ?? null).toBeNull();
    });

    it('enqueues a key once: a repeated delivery or double click does nothing more', async () => {
      const r = runner();
      let runs = 0;
      r.register('once', { handler: async () => void runs++ });
      await add({ key: 'once:1', kind: 'once', payload: {} });
      await add({ key: 'once:1', kind: 'once', payload: {} });
      await drain(r);
      await add({ key: 'once:1', kind: 'once', payload: {} });
      await drain(r);
      expect(runs).toBe(1);
    });

    it('coalesces a job that brings something up to date: once while waiting, once more if asked while it runs, anew after', async () => {
      const r = runner();
      const rendered: number[] = [];
      let version = 1;
      let during: (() => Promise<void>) | undefined;
      r.register('card', {
        handler: async () => {
          rendered.push(version);
          await during?.();
        },
      });
      const card = { key: 'card:r1', kind: 'card', payload: {}, coalesce: true };
      await add(card);
      await add(card);
      await drain(r);
      expect(rendered).toEqual([1]);
      // Asked again while it runs (the state changed meanwhile): it runs once more, with the new state.
      during = async () => {
        during = undefined;
        version = 2;
        await add(card);
      };
      await add(card);
      await drain(r);
      expect(rendered).toEqual([1, 1, 2]);
      expect(await job('card:r1')).toMatchObject({ state: 'done', again: false });
    });

    it('wakes a job that waits for something: due now while it waits, run again at once when woken as it runs (however it asked to wait)', async () => {
      const r = runner();
      const seen: number[] = [];
      let during: (() => Promise<void>) | undefined;
      r.register('follow', {
        handler: async () => {
          seen.push(c.at());
          await during?.();
          return { again: new Date(c.at() + 60_000) };
        },
      });
      await add({ key: 'follow:1', kind: 'follow', payload: {} });
      await drain(r);
      expect(seen).toHaveLength(1);
      expect(await job('follow:1')).toMatchObject({ state: 'pending', runAt: c.at() + 60_000 });
      // Waiting: woken, it is due now.
      expect(await store.runTransaction((tx) => wake(tx, 'follow:1', c.at()))).toBe(true);
      await drain(r);
      expect(seen).toHaveLength(2);
      // Woken while it runs: it runs once more at once, not after the minute it asked for.
      during = async () => {
        during = undefined;
        expect(await store.runTransaction((tx) => wake(tx, 'follow:1', c.at()))).toBe(true);
      };
      c.advance(60_000);
      await drain(r);
      expect(seen).toHaveLength(4);
      expect(await job('follow:1')).toMatchObject({ state: 'pending', again: false, runAt: c.at() + 60_000 });
      // Nothing pending to wake: false, and nothing is written.
      expect(await store.runTransaction((tx) => wake(tx, 'follow:none', c.at()))).toBe(false);
      expect(await job('follow:none')).toBeUndefined();
    });

    it('brings a job that brings something up to date forward when asked for again while it waits for later (a retry\'s pause, a resume hours away)', async () => {
      const r = runner();
      let attempts = 0;
      let version = 1;
      const seen: number[] = [];
      r.register('card', {
        handler: async () => {
          attempts++;
          seen.push(version);
          if (attempts <= 2) throw new PermanentJobError('channel_not_found');
        },
        // Tried again an hour after it gives up; a job that is not resumed is failed for good.
        resumeAt: (ctx) => (ctx.payload['resume'] ? new Date(ctx.now().getTime() + 3_600_000) : undefined),
      });
      const card = { key: 'card:r2', kind: 'card', payload: { resume: true }, coalesce: true };
      await add(card);
      await drain(r);
      expect(await job('card:r2')).toMatchObject({ state: 'pending', runAt: c.at() + 3_600_000 });
      // The request changed: its card is due now, with the new state, not in an hour.
      version = 2;
      await add(card);
      expect(await job('card:r2')).toMatchObject({ state: 'pending', runAt: c.at() });
      await drain(r);
      expect(seen).toEqual([1, 2]);
      // Asked for later than it waits: it keeps its time.
      const due = (await job('card:r2'))!.runAt!;
      await add({ ...card, runAt: due + 60_000 });
      expect((await job('card:r2'))!.runAt).toBe(due);
      c.advance(3_600_000);
      await drain(r);
      expect(seen).toEqual([1, 2, 2]);
      expect(await job('card:r2')).toMatchObject({ state: 'done' });
      // Not for a job that does not bring anything up to date: a second enqueue changes nothing.
      await add({ key: 'once:r2', kind: 'card', payload: {}, runAt: c.at() + 60_000 });
      await add({ key: 'once:r2', kind: 'card', payload: {} });
      expect((await job('once:r2'))!.runAt).toBe(c.at() + 60_000);
    });

    it('runs a job asked for again while it ran once more after it gives up, with the new state, and records the failure', async () => {
      const r = runner();
      const rendered: number[] = [];
      let version = 1;
      r.register('card', {
        handler: async () => {
          rendered.push(version);
          if (version === 1) {
            // The state changes while the card is edited, and the edit then fails for good.
            version = 2;
            await add(card);
            throw new PermanentJobError('message_not_found');
          }
        },
        onGiveUp: (_ctx, failure) => (tx) => void tx.put('cards', 'r1', { error: failure.message }),
      });
      const card = { key: 'card:r1', kind: 'card', payload: {}, coalesce: true };
      await add(card);
      await drain(r);
      expect(rendered).toEqual([1, 2]);
      expect(await job('card:r1')).toMatchObject({ state: 'done', again: false, attempts: 1 });
      expect((await store.get('cards', 'r1'))?.data).toEqual({ error: 'message_not_found' });
      expect((await store.recentAudit(10)).filter((e) => e.action === 'job.failed' && e.subject === 'card:r1')).toHaveLength(1);
    });

    it('runs every job enqueued and kicked while a run is under way, once each', async () => {
      const { r, seen, release, running } = await slowAndSay();
      r.kick();
      await running;
      // Kicked one by one while the slow job holds the run open (no poll timer: only that run and the runs kicked can run them).
      const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
      for (const word of words) {
        await add({ key: `say:${word}`, kind: 'say', payload: { word } });
        r.kick();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      release();
      // Watched without kicking (settled() would kick).
      const states = async () => Promise.all(words.map(async (word) => (await job(`say:${word}`))?.state));
      await vi.waitFor(async () => expect(await states()).toEqual(words.map(() => 'done')), { timeout: 15_000, interval: 20 });
      expect([...seen].sort()).toEqual([...words].sort());
      expect(await job('slow:1')).toMatchObject({ state: 'done' });
    });

    it('runs a job kicked while a slow job holds the run open, without waiting for that job to end', async () => {
      // A slow job (a query, a vendor taking its time) holds only its own worker: a card a click enqueues meanwhile
      // goes out now, not once that job has ended and the next run starts.
      const { r, seen, release, running } = await slowAndSay();
      r.kick();
      await running;
      await add({ key: 'say:click', kind: 'say', payload: { word: 'click' } });
      r.kick();
      try {
        await vi.waitFor(async () => expect(await job('say:click')).toMatchObject({ state: 'done' }), { timeout: 10_000, interval: 20 });
        expect(seen).toEqual(['click']);
        expect(await job('slow:1')).toMatchObject({ state: 'pending' });
      } finally {
        release();
      }
      await vi.waitFor(async () => expect(await job('slow:1')).toMatchObject({ state: 'done' }), { timeout: 10_000, interval: 20 });
    });

    it('runs a job put back for a moment while a slow job holds the run open, without waiting for that job to end', async () => {
      // A run put back for its channel's turn falls due with nothing to wake the run: its free workers look again.
      const { r, seen, release, running } = await slowAndSay();
      let turns = 0;
      r.register('turn', { handler: async () => {
        if (++turns === 1) throw new DeferJob(c.at() + 100);
        seen.push('turn');
      } });
      await add({ key: 'turn:1', kind: 'turn', payload: {} });
      r.start(300);
      try {
        await running;
        await vi.waitFor(() => expect(turns).toBe(1), { timeout: 5_000, interval: 20 });
        c.advance(200);
        await vi.waitFor(() => expect(seen).toEqual(['turn']), { timeout: 10_000, interval: 20 });
        expect(await job('slow:1')).toMatchObject({ state: 'pending' });
      } finally {
        release();
      }
      await vi.waitFor(async () => expect(await job('slow:1')).toMatchObject({ state: 'done' }), { timeout: 10_000, interval: 20 });
    });

    it('runs a job kicked after the run under way last looked for due jobs', async () => {
      // The store as the runner sees it: the run's next look for due jobs finds none, and then, before that run ends, a
      // job is enqueued and kicked. The kick must start a run of its own after this one.
      const { store: seen, afterNextListing } = listingHook();
      const r = new JobRunner({ store: seen, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000 });
      runners.push(r);
      const said: string[] = [];
      r.register('say', {
        handler: async (ctx) => {
          said.push(String(ctx.payload['word']));
          // Armed while the first job runs: the run's next look for due jobs comes after it.
          if (ctx.payload['word'] === 'first') {
            afterNextListing(async () => {
              await add({ key: 'say:late', kind: 'say', payload: { word: 'late' } });
              r.kick();
            });
          }
        },
      });
      await add({ key: 'say:first', kind: 'say', payload: { word: 'first' } });
      r.kick();
      // No poll timer, no settled() (it kicks): only that kick can run it.
      await vi.waitFor(async () => expect(await job('say:late')).toMatchObject({ state: 'done' }), { timeout: 5_000, interval: 20 });
      expect(said).toEqual(['first', 'late']);
    });

    it('runs a job kicked while a listing is out, as a slow job holds the run open: that listing coming back empty does not undo the kick', async () => {
      // The free workers' listing read the jobs before this one was enqueued, and comes back after its kick: they list
      // again rather than wait (until the slow job ends, or the rescan interval, 10 s) for a job the kick was for.
      const { store: held, afterNextListing, armed } = listingHook();
      const r = new JobRunner({ store: held, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000, concurrency: 2 });
      runners.push(r);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      r.register('slow', { handler: async () => { started(); await gate; } });
      const said: string[] = [];
      r.register('say', { handler: async (ctx) => void said.push(String(ctx.payload['word'])) });
      await add({ key: 'slow:1', kind: 'slow', payload: {} });
      r.kick();
      await running;
      // Let the free worker find nothing and wait.
      await new Promise((resolve) => setTimeout(resolve, 50));
      afterNextListing(async () => {
        await add({ key: 'say:late', kind: 'say', payload: { word: 'late' } });
        r.kick();
      });
      // A kick with nothing new wakes the free worker, whose listing is the one held open across the enqueue above.
      r.kick();
      try {
        await vi.waitFor(async () => expect(await job('say:late')).toMatchObject({ state: 'done' }), { timeout: 5_000, interval: 20 });
        expect(said).toEqual(['late']);
        expect(armed()).toBe(false);
        expect(await job('slow:1')).toMatchObject({ state: 'pending' });
      } finally {
        release();
      }
    });

    it('runs a job kicked while a tasks call waits for the run under way, even when that call\'s budget is spent by then', async () => {
      const { r, seen, release, running } = await slowAndSay();
      // A run whose slow job (a chart, a query) outlasts its budget.
      const first = r.runDue({ budgetMs: 50 });
      await running;
      // A /tasks/run with a short budget arrives, and waits for the run under way.
      const call = r.runDue({ budgetMs: 50 });
      // Past the first run's budget: its free workers no longer take work.
      await new Promise((resolve) => setTimeout(resolve, 60));
      // Someone clicks: the listener enqueues the work and kicks.
      await add({ key: 'say:click', kind: 'say', payload: { word: 'click' } });
      r.kick();
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      expect(await first).toMatchObject({ ran: 1 });
      // The call's own run has no budget left when its turn comes: it answers, having run nothing more.
      expect(await call).toMatchObject({ ran: 0 });
      // The click's work still runs now (no poll timer, no settled(), no further tasks call), not at the next scheduler call.
      await vi.waitFor(async () => expect(await job('say:click')).toMatchObject({ state: 'done' }), { timeout: 5_000, interval: 20 });
      expect(seen).toEqual(['click']);
    });

    it('commits the outcome with the completion: writes, audit and follow-up jobs', async () => {
      const r = runner();
      r.register('grant', {
        handler: async () => ({
          commit: async (tx, follow) => {
            tx.put('requests', 'r1', { granted: true });
            tx.audit({ actor: 'bot', action: 'request.granted', subject: 'r1' });
            await follow({ key: 'dm:r1', kind: 'dm', payload: { to: 'U1' } });
          },
        }),
      });
      const dms: string[] = [];
      r.register('dm', { handler: async (ctx) => void dms.push(String(ctx.payload['to'])) });
      await add({ key: 'grant:r1', kind: 'grant', payload: {} });
      await drain(r);
      expect((await store.get('requests', 'r1'))?.data).toEqual({ granted: true });
      expect((await store.recentAudit(5)).map((e) => e.action)).toContain('request.granted');
      expect(dms).toEqual(['U1']);
    });

    it('retries a retryable failure with backoff, then gives up visibly: onGiveUp commits, the audit log says so', async () => {
      const r = runner();
      let attempts = 0;
      const kind: JobKind = {
        handler: async () => {
          attempts++;
          throw Object.assign(new Error('Looker answered 503'), { retryable: true });
        },
        onGiveUp: (_ctx, failure) => (tx) => {
          tx.put('requests', 'r1', { grantError: failure.message });
        },
        retry: { maxAttempts: 3, baseMs: 1_000, maxMs: 60_000, jitter: 0 },
      };
      r.register('flaky', kind);
      await add({ key: 'flaky:r1', kind: 'flaky', payload: {} });
      await drain(r);
      expect(attempts).toBe(1);
      expect(await job('flaky:r1')).toMatchObject({ state: 'pending', runAt: c.at() + 1_000, lastError: 'Looker answered 503', holder: null });
      c.advance(999);
      await drain(r);
      expect(attempts).toBe(1);
      c.advance(1);
      await drain(r);
      expect(attempts).toBe(2);
      c.advance(2_000);
      await drain(r);
      expect(attempts).toBe(3);
      expect(await job('flaky:r1')).toMatchObject({ state: 'failed', runAt: null, lastError: 'Looker answered 503' });
      expect((await store.get('requests', 'r1'))?.data).toEqual({ grantError: 'Looker answered 503' });
      expect(await store.recentAudit(5)).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'job.failed', subject: 'flaky:r1' })]));
      c.advance(3_600_000);
      await drain(r);
      expect(attempts).toBe(3);
    });

    it('gives up at once on a refusal, and waits out a Retry-After', async () => {
      const r = runner();
      let refused = 0;
      r.register('refuse', {
        handler: async () => {
          refused++;
          throw new PermanentJobError('the Looker user is disabled');
        },
      });
      r.register('limited', {
        handler: async () => {
          throw Object.assign(new Error('rate limited'), { retryable: true, retryAfterMs: 7_000 });
        },
      });
      await add({ key: 'refuse:1', kind: 'refuse', payload: {} });
      await add({ key: 'limited:1', kind: 'limited', payload: {} });
      await drain(r);
      expect(refused).toBe(1);
      expect(await job('refuse:1')).toMatchObject({ state: 'failed', attempts: 1 });
      expect(await job('limited:1')).toMatchObject({ state: 'pending', runAt: c.at() + 7_000 });
    });

    it('ends a job whose give-up record cannot be committed (a payload an older version wrote), and the run goes on', async () => {
      const r = runner();
      const ran: string[] = [];
      r.register('grant', {
        handler: async () => {
          throw new PermanentJobError('the Looker user is disabled');
        },
        // As a kind's record reads what its payload names: a payload of an older shape names nothing it can read.
        onGiveUp: (ctx, failure) => async (tx) => {
          const id = ctx.payload['requestId'];
          if (typeof id !== 'string') throw new TypeError('requestId is not a string');
          tx.put('requests', id, { grantError: failure.message });
        },
      });
      r.register('dm', { handler: async (ctx) => void ran.push(ctx.key) });
      await add({ key: 'grant:old', kind: 'grant', payload: { id: 'la_1' } });
      await add({ key: 'dm:1', kind: 'dm', payload: {}, runAt: c.at() + 1 });
      c.advance(1);
      await expect(drain(r)).resolves.toBeGreaterThan(0);
      expect(ran).toEqual(['dm:1']);
      expect(await job('grant:old')).toMatchObject({ state: 'failed', runAt: null, holder: null, lastError: expect.stringContaining('the Looker user is disabled') });
      expect((await store.recentAudit(10)).filter((e) => e.action === 'job.failed' && e.subject === 'grant:old')).toHaveLength(1);
      // Never claimed again: it does not fail every later run.
      c.advance(3_600_000);
      expect((await r.runDue()).ran).toBe(0);
    });

    it('keeps the give-up record when the store fails the give-up itself: the job is given up again, with it, after its lease', async () => {
      // The store as it is, except that the first transaction writing the record fails (Firestore timed out).
      let failOnce = true;
      const flaky: Store = Object.assign(Object.create(store) as Store, {
        runTransaction: (<T>(body: (tx: StoreTx) => Promise<T>) =>
          store.runTransaction(async (tx) => {
            let recorded = false;
            const watched = new Proxy(tx, {
              get(target, prop) {
                if (prop === 'put') return (collection: string, id: string, data: never) => ((recorded ||= collection === 'requests'), target.put(collection, id, data));
                const v = (target as unknown as Record<string | symbol, unknown>)[prop];
                return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
              },
            });
            const out = await body(watched);
            if (recorded && failOnce) {
              failOnce = false;
              throw Object.assign(new Error('firestore: transaction failed: 4 DEADLINE_EXCEEDED'), { code: 'store_failed' });
            }
            return out;
          })) as Store['runTransaction'],
      });
      const r = new JobRunner({ store: flaky, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000, concurrency: 2 });
      runners.push(r);
      r.register('grant', {
        handler: async () => {
          throw new PermanentJobError('the Looker user is disabled');
        },
        onGiveUp: (_ctx, failure) => async (tx) => {
          tx.put('requests', 'la_2', { grantError: failure.message });
        },
      });
      await add({ key: 'grant:2', kind: 'grant', payload: {} });
      c.advance(1);
      await r.runDue();
      expect(failOnce).toBe(false);
      expect(await store.get('requests', 'la_2')).toBeNull();
      expect((await job('grant:2'))!.state).toBe('pending');
      c.advance(11_000);
      await drain(r);
      expect(await job('grant:2')).toMatchObject({ state: 'failed' });
      expect((await store.get('requests', 'la_2'))?.data).toEqual({ grantError: 'the Looker user is disabled' });
    });

    it('goes on with the other due jobs when the store fails one job\'s claim, and runs that job at a later run', async () => {
      // The store as it is, except that the first claim of one job fails (Firestore timed out, or lost a race 25 times).
      let failOnce = true;
      const flaky: Store = Object.assign(Object.create(store) as Store, {
        transition: ((...args: Parameters<Store['transition']>) => {
          if (args[1] === 'unlucky:1' && failOnce) {
            failOnce = false;
            return Promise.reject(Object.assign(new Error('firestore: transition jobs/unlucky:1 failed: 4 DEADLINE_EXCEEDED'), { code: 'store_failed' }));
          }
          return store.transition(...args);
        }) as Store['transition'],
      });
      const r = new JobRunner({ store: flaky, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000, concurrency: 2 });
      runners.push(r);
      const ran: string[] = [];
      r.register('work', { handler: async (ctx) => void ran.push(ctx.key) });
      await add({ key: 'unlucky:1', kind: 'work', payload: {} });
      for (let i = 1; i <= 6; i++) await add({ key: `work:${i}`, kind: 'work', payload: {}, runAt: c.at() + i });
      c.advance(10);
      const summary = await r.runDue();
      expect(summary).toMatchObject({ ran: 6, done: 6 });
      expect(ran.sort()).toEqual(['work:1', 'work:2', 'work:3', 'work:4', 'work:5', 'work:6']);
      expect(await job('unlucky:1')).toMatchObject({ state: 'pending', attempts: 0 });
      await drain(r);
      expect(ran).toContain('unlucky:1');
      expect(await job('unlucky:1')).toMatchObject({ state: 'done' });
    });

    it('runs recurring work again at its next time, and resumes it after it gives up instead of failing for good', async () => {
      const r = runner();
      const ran: number[] = [];
      let fail = false;
      r.register('check', {
        handler: async (ctx) => {
          if (fail) throw Object.assign(new Error('warehouse down'), { retryable: false });
          ran.push(ctx.dueAt);
          return { again: new Date(ctx.dueAt + 5_000) };
        },
        resumeAt: (ctx) => new Date(ctx.now().getTime() + 60_000),
      });
      const start = c.at();
      await add({ key: 'check', kind: 'check', payload: {}, runAt: start });
      await drain(r);
      c.advance(5_000);
      await drain(r);
      expect(ran).toEqual([start, start + 5_000]);
      fail = true;
      c.advance(5_000);
      await drain(r);
      expect(await job('check')).toMatchObject({ state: 'pending', runAt: c.at() + 60_000, lastError: 'warehouse down', attempts: 0 });
      fail = false;
      c.advance(60_000);
      await drain(r);
      expect(ran).toHaveLength(3);
    });

    it('schedules recurring work at start-up anew when it had ended (its interval set to 0, then back), and keeps a scheduled one\'s time', async () => {
      let intervalMs = 60_000;
      const runs: number[] = [];
      const startUp = () => {
        const r = runner();
        r.register('check', {
          handler: async (ctx) => {
            runs.push(ctx.now().getTime());
            // As the freshness check: with the interval at 0 it ends, and only a request asks for a check.
            return intervalMs > 0 ? { again: new Date(ctx.now().getTime() + intervalMs) } : {};
          },
        });
        return r;
      };
      const spec = () => ({ key: 'check', kind: 'check', payload: {}, runAt: c.at() + intervalMs });
      const first = startUp();
      await first.enqueue(spec());
      c.advance(60_000);
      await drain(first);
      expect(runs).toHaveLength(1);
      // A replica starting meanwhile leaves the scheduled check's time alone.
      c.advance(10_000);
      await startUp().enqueue(spec());
      expect(await job('check')).toMatchObject({ state: 'pending', runAt: c.at() + 50_000 });
      // Turned off (deployed with 0): the check due runs once more and ends.
      intervalMs = 0;
      c.advance(50_000);
      await drain(first);
      expect(await job('check')).toMatchObject({ state: 'done' });
      // Turned on again a day later: the new process schedules it, and it runs at its time.
      intervalMs = 60_000;
      c.advance(86_400_000);
      const again = startUp();
      await again.enqueue(spec());
      expect(await job('check')).toMatchObject({ state: 'pending', runAt: c.at() + 60_000, attempts: 0 });
      c.advance(60_000);
      await drain(again);
      expect(runs).toHaveLength(3);
    });

    it('brings recurring work forward at start-up when its interval was lowered, instead of waiting out the old one', async () => {
      const r = runner();
      const runs: number[] = [];
      r.register('sweep', { handler: async (ctx) => void runs.push(ctx.now().getTime()) });
      await r.enqueue({ key: 'sweep', kind: 'sweep', payload: {}, runAt: c.at() + 86_400_000 });
      c.advance(1_000);
      // Deployed again with a 5-minute interval.
      await runner().enqueue({ key: 'sweep', kind: 'sweep', payload: {}, runAt: c.at() + 300_000 });
      expect(await job('sweep')).toMatchObject({ state: 'pending', runAt: c.at() + 300_000, attempts: 0, holder: null });
      c.advance(300_000);
      await drain(r);
      expect(runs).toEqual([c.at()]);
    });

    it('takes over the claim of a runner that died mid-job once its lease ends, and keeps its late outcome out', async () => {
      const { r: dying, die } = mortal({ holder: 'dying', leaseMs: 5_000 });
      const survivor = runner({ holder: 'survivor', leaseMs: 5_000 });
      let release: () => void = () => {};
      const stuck = new Promise<void>((resolve) => (release = resolve));
      const outcomes: string[] = [];
      dying.register('work', {
        handler: async () => {
          await stuck; // the process "dies" here: it never finishes in time
          return { commit: (tx) => void tx.put('results', 'w', { by: 'dying' }) };
        },
      });
      survivor.register('work', { handler: async () => ({ commit: (tx) => void (outcomes.push('survivor'), tx.put('results', 'w', { by: 'survivor' })) }) });
      await add({ key: 'work:1', kind: 'work', payload: {} });
      const late = dying.runDue();
      await vi.waitFor(async () => expect(await job('work:1')).toMatchObject({ holder: 'dying', attempts: 1 }), { timeout: 5_000, interval: 25 });
      // It dies: no more renewals of its claim.
      die();
      await drain(survivor);
      expect(outcomes).toEqual([]); // still leased
      c.advance(5_001);
      await drain(survivor);
      expect(outcomes).toEqual(['survivor']);
      release();
      await late;
      expect((await store.get('results', 'w'))?.data).toEqual({ by: 'survivor' });
      expect(await job('work:1')).toMatchObject({ state: 'done', attempts: 2 });
    });

    it('keeps renewing the claim of a job still running while it stops (the shutdown\'s grace), so no other runner runs it too', async () => {
      // A lease shorter than the configuration allows (JOBS_LEASE_SECONDS is at least 10), renewed every third of it.
      const stopping = runner({ holder: 'stopping', leaseMs: 1_000 });
      const other = runner({ holder: 'other' });
      const runs: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      stopping.register('slow', { handler: async () => { runs.push('stopping'); await gate; } });
      other.register('slow', { handler: async () => void runs.push('other') });
      await add({ key: 'slow:1', kind: 'slow', payload: {} });
      const run = stopping.runDue();
      await vi.waitFor(async () => expect(await job('slow:1')).toMatchObject({ holder: 'stopping' }), { timeout: 5_000, interval: 20 });
      // SIGTERM: the job gets the grace to finish; meanwhile its first lease ends.
      const stopped = stopping.stop(10_000);
      c.advance(5_000);
      await vi.waitFor(async () => expect((await job('slow:1'))?.runAt).toBeGreaterThan(c.at()), { timeout: 3_000, interval: 20 });
      await drain(other);
      release();
      await Promise.all([run, stopped]);
      expect(runs).toEqual(['stopping']);
      expect(await job('slow:1')).toMatchObject({ state: 'done', attempts: 1 });
    });

    it('two runners on one store run each of 40 jobs exactly once', async () => {
      const a = runner({ holder: 'a' });
      const b = runner({ holder: 'b' });
      const runs = new Map<string, string[]>();
      for (const [name, r] of [['a', a], ['b', b]] as const) {
        r.register('count', {
          handler: async (ctx) => {
            runs.set(ctx.key, [...(runs.get(ctx.key) ?? []), name]);
            await new Promise((res) => setTimeout(res, 5));
          },
        });
      }
      for (let i = 0; i < 40; i++) await add({ key: `count:${i}`, kind: 'count', payload: {} });
      await Promise.all([drain(a), drain(b)]);
      expect(runs.size).toBe(40);
      expect([...runs.values()].every((by) => by.length === 1)).toBe(true);
    });

    it('a run asked for while one is under way counts its budget from the call, not from when its turn comes', async () => {
      const r = runner();
      r.register('slow', { handler: () => new Promise((res) => setTimeout(res, 150)) });
      for (let i = 0; i < 12; i++) await add({ key: `slow:${i}`, kind: 'slow', payload: {} });
      const first = r.runDue({ budgetMs: 200 });
      const second = await r.runDue({ budgetMs: 50 }); // its 50 ms pass while the first run finishes what it started
      expect(second).toMatchObject({ ran: 0, more: true });
      expect((await first).ran).toBeLessThan(12);
      await drain(r);
    });

    it('stops within its budget and says more is due', async () => {
      const r = runner();
      r.register('slow', { handler: () => new Promise((res) => setTimeout(res, 40)) });
      for (let i = 0; i < 20; i++) await add({ key: `slow:${i}`, kind: 'slow', payload: {} });
      const summary = await r.runDue({ budgetMs: 50 });
      expect(summary.more).toBe(true);
      expect(summary.ran).toBeLessThan(20);
      await drain(r);
      expect((await store.list<JobDoc>(JOBS)).every((d) => d.data.state === 'done')).toBe(true);
    });

    it('leaves a job it has no handler for to a runner that has one', async () => {
      const r = runner();
      await add({ key: 'unknown:1', kind: 'unknown', payload: {} });
      expect((await r.runDue()).ran).toBe(0);
      expect(await job('unknown:1')).toMatchObject({ state: 'pending', attempts: 0 });
    });

    it('leaves a notice of a type added later to a runner that knows it: an older one, with no handler for its kind, does not end it unsent', async () => {
      const older = runner();
      older.register(NOTICE_JOB, { handler: async () => undefined }); // an older version's: it knows no later type, and would send nothing
      const later = noticeJob({ type: 'rerun.ask_failed', sourceId: 'hubspot', userId: 'U1', at: '2026-12-06T00:00:00.000Z' });
      expect(later.kind).toBe(NOTICE_JOB_2);
      expect(noticeJob({ type: 'rerun.asked', sourceId: 'hubspot', userId: 'U1', at: '2026-12-06T00:00:00.000Z' }).kind).toBe(NOTICE_JOB);
      await add(later);
      expect((await older.runDue()).ran).toBe(0);
      expect(await job(later.key)).toMatchObject({ state: 'pending', attempts: 0 });
    });

    it('runs the due jobs listed behind more than a listing of jobs of a kind it has no handler for, and ends those after an hour', async () => {
      const r = runner();
      const seen: string[] = [];
      r.register('real', { handler: async (ctx) => void seen.push(ctx.key) });
      // More than one listing's worth of an old kind (renamed away), due before the real jobs.
      for (let i = 0; i < 120; i++) await add({ key: `removed:${i}`, kind: 'removed', payload: {}, runAt: c.at() - 1_000 + i });
      await add({ key: 'real:1', kind: 'real', payload: {} });
      await add({ key: 'real:2', kind: 'real', payload: {} });
      const summary = await r.runDue();
      // Within the grace of a rolling deploy the old kind is left alone, and the jobs due behind it run now, not in an hour.
      expect(seen.sort()).toEqual(['real:1', 'real:2']);
      expect(summary).toMatchObject({ ran: 2, done: 2 });
      expect(await job('removed:0')).toMatchObject({ state: 'pending' });
      c.advance(UNKNOWN_KIND_GRACE_MS);
      await drain(r);
      expect(seen.sort()).toEqual(['real:1', 'real:2']);
      expect(await job('removed:0')).toMatchObject({ state: 'failed', runAt: null, lastError: expect.stringContaining('kind "removed"') });
      expect((await store.list<JobDoc>(JOBS)).filter((d) => d.data.state === 'pending')).toEqual([]);
      expect((await store.recentAudit(200)).filter((e) => e.action === 'job.failed' && e.subject.startsWith('removed:'))).toHaveLength(120);
    });

    it('reads each due job it cannot take once per run, not again at every listing', async () => {
      const { counted, reads } = countingReads();
      const r = new JobRunner({ store: counted, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000 });
      runners.push(r);
      const seen: string[] = [];
      r.register('real', { handler: async (ctx) => void seen.push(ctx.key) });
      // Three listings' worth of a kind renamed away in a deploy, due before the real jobs.
      for (let i = 0; i < 150; i++) await add({ key: `renamed:${i}`, kind: 'renamed', payload: {}, runAt: c.at() - 1_000 + i });
      await add({ key: 'real:1', kind: 'real', payload: {} });
      await add({ key: 'real:2', kind: 'real', payload: {} });
      expect(await r.runDue()).toMatchObject({ ran: 2, done: 2, more: false });
      expect(seen.sort()).toEqual(['real:1', 'real:2']);
      // Listed from the start at every listing, they were read 50 + 100 + 150 + 152 + 150 = 602 times (about U²/50 for U of them).
      expect(reads()).toBe(152);
    });

    it('runs a job committed late, due before the last job a long run read, within a poll interval, not after that run', async () => {
      const r = runner({ concurrency: 1 });
      // The poll interval (a minute of the test's clock); the timer itself does not fire while the test runs.
      r.start(60_000);
      const ran: Array<[string, number]> = [];
      let committedAt = 0;
      r.register('work', {
        handler: async (ctx) => {
          ran.push([ctx.key, c.at()]);
          if (ctx.key === 'work:0') {
            // Due before everything the run has listed: enqueued at that time, its transaction committed only now.
            await add({ key: 'late:1', kind: 'work', payload: {}, runAt: c.at() - 5_000 });
            committedAt = c.at();
          }
          // Steady load: each job takes 5 s, and the run goes on for over three minutes.
          c.advance(5_000);
        },
      });
      for (let i = 0; i < 40; i++) await add({ key: `work:${i}`, kind: 'work', payload: {}, runAt: c.at() - 1_000 + i });
      const summary = await r.runDue({ budgetMs: 60_000 });
      expect(summary).toMatchObject({ ran: 41, done: 41, more: false });
      const late = ran.find(([k]) => k === 'late:1');
      expect(late?.[1]).toBeDefined();
      expect(late![1] - committedAt).toBeLessThanOrEqual(60_000);
      // Listing from the start again took nothing twice.
      expect(new Set(ran.map(([k]) => k)).size).toBe(41);
    });

    it('sets a due job of a kind it has no handler for aside, so that polls do not read it again every time, and a runner that knows the kind still runs it', async () => {
      const { counted, reads } = countingReads();
      const older = new JobRunner({ store: counted, logger: silentLogger, now: c.now, random: () => 0.5, leaseMs: 10_000, holder: 'older' });
      runners.push(older);
      // More than a listing's worth of jobs of a kind a newer version brought (a rolling deploy).
      const dueAt = c.at() - 1_000;
      for (let i = 0; i < 60; i++) await add({ key: `newer:${i}`, kind: 'newer', payload: {}, runAt: dueAt });
      // Ten minutes of polls, one every 10 s (JOBS_POLL_MS on Firestore).
      for (let poll = 0; poll < 60; poll++) {
        expect((await older.runDue()).ran).toBe(0);
        c.advance(10_000);
      }
      // Read at every poll, that was 60 reads each (3,600); set aside for as long as it has waited (30 s, 31 s, 71 s, 151 s, 311 s), 5 each.
      expect(reads()).toBe(60 * 5);
      expect(await job('newer:0')).toMatchObject({ state: 'pending', attempts: 0, unknownKindSince: dueAt });
      // The newer version comes up: each job runs once, when it is next due, as due when it first was.
      const newer = runner({ holder: 'newer' });
      const ran: Array<[string, number]> = [];
      newer.register('newer', { handler: async (ctx) => void ran.push([ctx.key, ctx.dueAt]) });
      c.advance(UNKNOWN_KIND_SET_ASIDE_MS.max);
      await drain(newer);
      expect(ran).toHaveLength(60);
      expect(new Set(ran.map(([k]) => k)).size).toBe(60);
      expect(ran.every(([, at]) => at === dueAt)).toBe(true);
      expect(await job('newer:0')).toMatchObject({ state: 'done', attempts: 1, unknownKindSince: null });
    });

    it('keeps running due jobs on its other workers while one job takes its time, past a listing from the start', async () => {
      const r = runner({ concurrency: 2 });
      // A poll interval of 10 s of the test's clock: the quick jobs pass it many times over while the slow one runs.
      r.start(10_000);
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const ran: string[] = [];
      r.register('slow', { handler: () => gate });
      r.register('quick', {
        handler: async (ctx) => {
          ran.push(ctx.key);
          c.advance(5_000);
        },
      });
      await add({ key: 'slow:0', kind: 'slow', payload: {}, runAt: c.at() - 2_000 });
      for (let i = 0; i < 30; i++) await add({ key: `quick:${i}`, kind: 'quick', payload: {}, runAt: c.at() - 1_000 + i });
      const run = r.runDue({ budgetMs: 60_000 });
      // Before, every worker stopped at the listing from the start and waited for the slow one: 2 quick jobs ran.
      await vi.waitFor(() => expect(ran).toHaveLength(30), { timeout: 10_000, interval: 20 });
      release();
      expect(await run).toMatchObject({ ran: 31, done: 31, more: false });
    });

    it('runs a job set aside by a runner that did not know its kind at once when a runner that knows it starts, or when it is asked for again', async () => {
      const older = runner({ holder: 'older' });
      const dueAt = c.at() - 1_000;
      await add({ key: 'newer:a', kind: 'newer', payload: {}, runAt: dueAt });
      await add({ key: 'newer:b', kind: 'newer', payload: {}, runAt: dueAt, coalesce: true });
      await add({ key: 'other:c', kind: 'other', payload: {}, runAt: dueAt });
      expect((await older.runDue()).ran).toBe(0);
      expect((await job('newer:a'))?.runAt).toBeGreaterThan(c.at());
      // Asked for again (the same key): due now, not after the set-aside.
      await add({ key: 'newer:b', kind: 'newer', payload: {}, coalesce: true });
      expect(await job('newer:b')).toMatchObject({ runAt: c.at(), unknownKindSince: dueAt });
      const newer = runner({ holder: 'newer' });
      const ran: Array<[string, number]> = [];
      newer.register('newer', { handler: async (ctx) => void ran.push([ctx.key, ctx.dueAt]) });
      // Only the kinds it knows: 'other' stays set aside.
      expect(await newer.resumeSetAside()).toBe(1);
      await drain(newer);
      expect(ran.sort()).toEqual([['newer:a', dueAt], ['newer:b', dueAt]]);
      expect((await job('other:c'))?.runAt).toBeGreaterThan(c.at());
    });

    it('ends a job that keeps stopping its process (no outcome, no failure recorded) after its attempts, visibly', async () => {
      const given: string[] = [];
      let release: () => void = () => {};
      const never = new Promise<void>((resolve) => (release = resolve));
      await add({ key: 'poison:1', kind: 'poison', payload: {} });
      // Each attempt "kills the process": it claims, then never finishes; the next runner takes the claim after its lease.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const { r: dying, die } = mortal({ holder: `dying${attempt}`, leaseMs: 5_000 });
        dying.register('poison', { handler: () => never, retry: { maxAttempts: 3 } });
        void dying.runDue();
        await vi.waitFor(async () => expect(await job('poison:1')).toMatchObject({ holder: `dying${attempt}`, attempts: attempt }), { timeout: 5_000, interval: 25 });
        die();
        c.advance(5_001);
      }
      // Asked for again meanwhile (a coalesced card edit): a job that kills its process is not started over for it.
      await store.transition('jobs', 'poison:1', () => true, () => ({ again: true }));
      const last = runner({ holder: 'last' });
      let ran = false;
      last.register('poison', {
        handler: async () => void (ran = true),
        retry: { maxAttempts: 3 },
        onGiveUp: (_ctx, failure) => (tx) => void (given.push(failure.message), tx.put('results', 'poison', { gaveUp: true })),
      });
      await drain(last);
      expect(ran).toBe(false);
      expect(given).toEqual([expect.stringContaining('started 3 times and never finished')]);
      expect(await job('poison:1')).toMatchObject({ state: 'failed', attempts: 4 });
      expect((await store.recentAudit(50)).filter((e) => e.action === 'job.failed' && e.subject === 'poison:1')).toHaveLength(1);
      release(); // the "dead" processes' handlers end; their outcomes are kept out
      await new Promise((r) => setTimeout(r, 50));
      expect(await job('poison:1')).toMatchObject({ state: 'failed' });
    });

    it('a job whose outcome cannot be recorded says why, and ends after its attempts instead of running for ever', async () => {
      const r = runner({ leaseMs: 5_000 });
      let runs = 0;
      r.register('unrecordable', {
        handler: async () => {
          runs++;
          return { commit: () => Promise.reject(new Error('the value cannot be stored')) };
        },
        retry: { maxAttempts: 2 },
      });
      await add({ key: 'unrecordable:1', kind: 'unrecordable', payload: {} });
      await drain(r);
      expect(runs).toBe(1);
      expect(await job('unrecordable:1')).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/^its outcome could not be recorded: .*the value cannot be stored$/) });
      for (let i = 0; i < 4; i++) {
        c.advance(5_001);
        await drain(r);
      }
      expect(runs).toBe(2);
      expect(await job('unrecordable:1')).toMatchObject({ state: 'failed', lastError: expect.stringContaining('never finished') });
    });
  });
}

runnerContract('job runner on the embedded store', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobs-'));
  dirs.push(dir);
  return openEmbeddedStore(dir);
});

const firestore = firestoreAvailable();
runnerContract(
  'job runner on Firestore (emulator)',
  async () => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: `j${randomUUID().slice(0, 8)}_` }),
  firestore.available ? undefined : firestore.reason,
);

describe('after a restart of the embedded store', () => {
  // A job that has ended (done, or given up) is what makes its key run once. Its deletion time is read by the wall
  // clock (the embedded store drops what is past it when it opens, as Firestore's TTL policy deletes it): stamped
  // from a runner clock days behind, it was past as soon as it was written, and the same key recorded again ran again.
  it.each([
    ['a finished job for its week', 8, async () => {}],
    ['a job that gave up for its four weeks', 30, async () => { throw new PermanentJobError('refused for good'); }],
  ] as const)('keeps %s by the wall clock on a runner clock %i days behind: the same key is not run again', async (_, days, outcome) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jobs-behind-'));
    dirs.push(dir);
    const c = clock(Date.now() - days * 86_400_000);
    let ran = 0;
    const runOnce = async () => {
      const store = await openEmbeddedStore(dir);
      const r = new JobRunner({ store, logger: silentLogger, now: c.now });
      r.register('work', { handler: async () => { ran++; await outcome(); } });
      await store.runTransaction((tx) => enqueue(tx, { key: 'work:once', kind: 'work', payload: {} }, c.at()));
      await drain(r);
      await r.stop();
      await store.close();
    };
    await runOnce();
    expect(ran).toBe(1);
    await runOnce();
    expect(ran).toBe(1);
  });

  it('makes the claims of the dead process due at once instead of after their lease', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jobs-restart-'));
    dirs.push(dir);
    const c = clock();
    const first = await openEmbeddedStore(dir);
    await first.runTransaction((tx) => enqueue(tx, { key: 'work:1', kind: 'work', payload: {} }, c.at()));
    // Claimed by a process that then died (its lease runs for another hour).
    await first.transition<JobDoc>(JOBS, 'work:1', () => true, () => ({ holder: 'dead-process', attempts: 1, runAt: c.at() + 3_600_000 }));
    await first.close();
    const store = await openEmbeddedStore(dir);
    const r = new JobRunner({ store, logger: silentLogger, now: c.now });
    let ran = 0;
    r.register('work', { handler: async () => void ran++ });
    expect(await r.releaseAbandonedClaims()).toBe(1);
    await drain(r);
    expect(ran).toBe(1);
    await r.stop();
    await store.close();
  });
});
