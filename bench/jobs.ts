/**
 * The job runner:
 * 1. Jobs run per second by one runner, 500 trivial jobs enqueued at once,
 *    on the embedded store (journal, fsync per commit) and on the Firestore
 *    emulator (when gcloud is installed): claim, run, complete = 2 commits each.
 * 2. A poll with nothing due while a week of finished jobs is kept (they
 *    stay 7 days, for their `expiresAt` TTL): 20,000 on the embedded store.
 *    Each poll lists the due jobs; this is what a busy bot's runner pays per kick.
 * 3. `POST /tasks/run` with nothing due: what Cloud Scheduler's minute costs
 *    (authenticated by the shared secret, through the bot's HTTP receiver).
 * The approval → granted time with the runner in between is in the
 * looker-access suite.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store } from '../src/ports/store.js';
import { silentLogger } from '../src/logger.js';
import { JobRunner } from '../src/jobs/runner.js';
import { enqueue, JOBS as JOBS_COLLECTION, type JobDoc } from '../src/jobs/model.js';
import { onPath, startFirestoreEmulator } from '../test/support/firestore-emulator.js';
import { startTestBot } from '../test/support/harness.js';
import { summarize, ms } from './stats.js';

const JOBS = 500;

async function throughput(store: Store, label: string): Promise<void> {
  const runner = new JobRunner({ store, logger: silentLogger, concurrency: 4 });
  runner.register('bench.noop', { handler: async () => ({}) });
  await store.runTransaction(async (tx) => {
    for (let i = 0; i < JOBS; i++) await enqueue(tx, { key: `bench:${i}`, kind: 'bench.noop', payload: { i } });
  });
  const started = performance.now();
  let ran = 0;
  for (;;) {
    const summary = await runner.runDue({ budgetMs: 120_000 });
    ran += summary.done;
    if (!summary.ran) break;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`jobs run by one runner, ${label}: ${Math.round(ran / seconds)} jobs/s (${ran} in ${seconds.toFixed(2)} s, 4 at a time)`);
  await runner.stop();
}

const KEPT = 20_000;

/** Nothing due, `KEPT` finished jobs in the store: the cost of one poll. */
async function pollWithFinishedJobs(store: Store): Promise<void> {
  const [done] = await store.list<JobDoc>(JOBS_COLLECTION, { where: { field: 'state', equals: 'done' }, limit: 1 });
  if (!done) throw new Error('bench: no finished job to copy');
  for (let i = 0; i < KEPT; i += 1_000) {
    await store.runTransaction(async (tx) => {
      for (let j = i; j < i + 1_000; j++) tx.put<JobDoc>(JOBS_COLLECTION, `kept:${j}`, { ...done.data, payload: { i: j } });
    });
  }
  const runner = new JobRunner({ store, logger: silentLogger, concurrency: 4 });
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const started = performance.now();
    const summary = await runner.runDue();
    if (summary.ran) throw new Error('bench: a job was due');
    if (i >= 10) samples.push(performance.now() - started);
  }
  await runner.stop();
  const s = summarize(samples);
  console.log(`a poll with nothing due, ${KEPT.toLocaleString('en-US')} finished jobs kept (embedded store): p50 ${ms(s.p50)}, p90 ${ms(s.p90)}`);
}

export async function run(): Promise<void> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-jobs-'));
  const embedded = await openEmbeddedStore(dir);
  await throughput(embedded, 'embedded store');
  await pollWithFinishedJobs(embedded);
  await embedded.close();
  await rm(dir, { recursive: true, force: true });

  if (process.env.FIRESTORE_EMULATOR_HOST || onPath('gcloud')) {
    const emulator = process.env.FIRESTORE_EMULATOR_HOST ? undefined : await startFirestoreEmulator();
    if (emulator) process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    const firestore = openFirestoreStore({ projectId: 'analytics-bot-bench', collectionPrefix: `b${randomUUID().slice(0, 6)}_` });
    try {
      await throughput(firestore, 'Firestore emulator');
    } finally {
      await firestore.close();
      if (emulator) {
        delete process.env.FIRESTORE_EMULATOR_HOST;
        await emulator.stop();
      }
    }
  } else {
    console.log('jobs run by one runner, Firestore emulator: skipped (gcloud is not installed)');
  }

  const secret = 'bench-tasks-secret-0123456789';
  const t = await startTestBot({ env: { JOBS_TRIGGER: 'http', TASKS_SECRET: secret, FRESHNESS_CHECK_INTERVAL_MS: '0' } });
  try {
    const samples: number[] = [];
    for (let i = 0; i < 120; i++) {
      const started = performance.now();
      const res = await fetch(`${t.url}/tasks/run`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`bench: /tasks/run answered ${res.status}`);
      if (i >= 20) samples.push(performance.now() - started);
    }
    const s = summarize(samples);
    console.log(`POST /tasks/run with nothing due (embedded store) p50: ${ms(s.p50)}, p90: ${ms(s.p90)}`);
  } finally {
    await t.stop();
  }
}
