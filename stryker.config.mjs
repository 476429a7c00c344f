// @ts-check
/**
 * Mutation testing of the pure core: `npm run test:mutation`.
 * Stryker changes one thing at a time in these files (a condition, a bound, a
 * string, a removed call) and runs the unit tests that cover it; a change that
 * no test notices "survives". scripts/mutation-thresholds.mjs then fails the run
 * if any single file scores under 85%. See README, "Mutation testing".
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */

// ── The modules under mutation testing ──
// Whole files only, and only pure ones: no clock, no network, no Slack, no store.
// (src/sources/catalog.ts ends with loadSources, one readFileSync of sources.yml;
// everything else in it is parsing.) To add a module: list it here, and add the
// unit test files that pin its rules to vitest.mutation.config.ts.
const PURE_CORE = [
  'src/domain/**/*.ts',
  'src/jobs/policy.ts',
  'src/catalog/params.ts',
  'src/sources/catalog.ts',
  'src/sources/synced.ts',
  'src/services/pipeline-request-sources.ts',
  'views/common.ts',
  'src/charts/png.ts',
];

export default {
  mutate: PURE_CORE,
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  // Each mutant runs only the tests that executed its code.
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A mutant that makes the tests hang is stopped after its usual time x 1.5 + timeoutMS.
  // 10 s, not Stryker's 5 s, so that a busy shared machine does not pass slow runs off as timeouts.
  timeoutMS: 10_000,
  // clear-text lists every surviving mutant with its diff; in CI logs, progress appends a line now and then.
  reporters: ['clear-text', process.stdout.isTTY ? 'progress' : 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // The per-file threshold is scripts/mutation-thresholds.mjs; this one is the total.
  thresholds: { high: 90, low: 85, break: 85 },
  // The sandbox is a copy of the project: leave out what the unit tests never read.
  ignorePatterns: ['dist', '.data', 'test-output', 'coverage', 'docs'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
