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
  },
});
