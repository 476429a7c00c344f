/**
 * Helpers for tests that drive the job runner themselves: run what is due
 * until nothing is left, and look at the jobs collection.
 */
import type { JobRunner } from '../../src/jobs/runner.js';
import { JOBS, type JobDoc } from '../../src/jobs/model.js';
import type { Store } from '../../src/ports/store.js';

/** Runs due jobs until a run finds none (follow-up jobs included); fails if it never settles. */
export async function drain(jobs: JobRunner, maxRounds = 50): Promise<number> {
  let ran = 0;
  for (let i = 0; i < maxRounds; i++) {
    const summary = await jobs.runDue({ budgetMs: 30_000 });
    ran += summary.ran;
    if (!summary.ran) return ran;
  }
  throw new Error(`jobs still running after ${maxRounds} rounds`);
}

/** Every stored job, by key. */
export async function jobsIn(store: Store): Promise<Map<string, JobDoc>> {
  return new Map((await store.list<JobDoc>(JOBS)).map((d) => [d.id, d.data]));
}
