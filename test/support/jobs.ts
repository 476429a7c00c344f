/**
 * Helpers for tests that drive the job runner themselves: run what is due
 * until nothing is left, and look at the jobs collection.
 */
import type { JobRunner } from '../../src/jobs/runner.js';
import { JOBS, type JobDoc } from '../../src/jobs/model.js';
import type { Store } from '../../src/ports/store.js';

/**
 * Runs due jobs until a run finds none (follow-up jobs included) and the runner is idle; fails if it never
 * settles. Idle too: a job that ended kicks a run, which may still wait behind the last one, and would run
 * at whatever time the test sets next (a run due at the new time, taken before the test's next step).
 */
export async function drain(jobs: JobRunner, maxRounds = 50): Promise<number> {
  let ran = 0;
  // Waiting for the runner to go idle has a deadline of its own (a runner kept busy, say by a job due every 100 ms).
  const idleBy = Date.now() + 20_000;
  for (let i = 0; i < maxRounds; i++) {
    const summary = await jobs.runDue({ budgetMs: 30_000 });
    ran += summary.ran;
    if (!summary.ran && jobs.idle) return ran;
    // That run (and whatever it kicked) ends; the next round runs what it left due.
    if (!summary.ran) {
      while (!jobs.idle && Date.now() < idleBy) await new Promise((r) => setTimeout(r, 5));
      if (!jobs.idle) throw new Error('the job runner did not go idle within 20 s');
    }
  }
  throw new Error(`jobs still running after ${maxRounds} rounds`);
}

/** Every stored job, by key. */
export async function jobsIn(store: Store): Promise<Map<string, JobDoc>> {
  return new Map((await store.list<JobDoc>(JOBS)).map((d) => [d.id, d.data]));
}
