import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts the Firestore emulator once per run (see test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Vendor fakes check every request against the published specs (test/support/vendor-facts/).
    setupFiles: ['test/support/vendor-facts/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // Two test files at once even on 2 cores (vitest's default there is one): the end-to-end files mostly wait
    // on the bots they spawn, the vendor fakes, leases and the emulator. Measured on the 2-core machine
    // (2026-12-04): the whole run in 574 s, against 1,190 s one file at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
