/**
 * The vitest run Stryker uses (`npm run test:mutation`): only the fast unit tests
 * of the pure core. No globalSetup (no Firestore emulator), no browser, no servers.
 * (test/views.test.ts is left out: it tests views/telemetry.ts, which is not mutated,
 * and would only slow down every mutant of views/common.ts.)
 * When a new pure module joins `mutate` in stryker.config.mjs, add the unit test
 * files that pin its rules here.
 *
 * In these files, call the code under test inside `it(...)`, never in a `describe`
 * body or an `it.each` table: Stryker attributes code run while a file is collected
 * to no test ("static"), runs every test for it, and a mutant that breaks
 * collection is reported as surviving.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/domain.test.ts',
      'test/looker-policy.test.ts',
      'test/schedule.test.ts',
      'test/jobs.policy.test.ts',
      'test/unit/**/*.test.ts',
    ],
    testTimeout: 10_000,
    pool: 'forks',
  },
});
