/**
 * The architecture's import rules (DESIGN.md, "ports and adapters"), checked
 * in CI by `npm run lint`:
 * - the core (use cases in src/services/, rules in src/domain/) decides and
 *   records; it never renders or sends: no views/, commands/, Slack adapter
 *   or @slack/* package;
 * - ports are contracts: they import no adapter or use case;
 * - the heavy adapters load only when the configuration uses them;
 * - no import cycles anywhere.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: modules that cannot be understood (or loaded) one without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-does-not-render-or-send',
      severity: 'error',
      comment: 'Use cases and domain rules decide and record; views/, commands/ and the Slack adapter render and send.',
      from: { path: '^src/(services|domain)/' },
      to: { path: ['^views/', '^commands/', '^src/slack/', '^src/slack-standin/', 'node_modules/@slack/'] },
    },
    {
      name: 'ports-are-contracts',
      severity: 'error',
      comment: 'A port describes what the core needs; it knows no adapter and no use case.',
      from: { path: '^src/ports/' },
      to: { path: ['^src/adapters/', '^src/services/', '^src/slack/', '^views/', '^commands/'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Domain rules are pure: no I/O of any kind. The one library they use is cron-parser (schedules), itself pure.',
      from: { path: '^src/domain/' },
      to: { path: ['^src/(adapters|services|ports|slack|jobs)/', 'node_modules/'], pathNot: ['node_modules/(cron-parser|luxon)/'] },
    },
    {
      name: 'heavy-adapters-load-on-demand',
      severity: 'error',
      comment:
        'DuckDB, BigQuery, Firestore and google-auth-library (and the adapter modules built on them) are loaded with import() where the configuration ' +
        'chooses them (src/adapters/*/index.ts, src/tasks.ts): a static import would load them into every process, before its first ack.',
      from: { path: '^src/', pathNot: '^src/adapters/(warehouse/(duckdb|bigquery|demo-seed)|store/firestore)\\.ts$' },
      to: {
        path: [
          'node_modules/(@duckdb|@google-cloud|google-auth-library)/',
          '^src/adapters/(warehouse/(duckdb|bigquery|demo-seed)|store/(firestore|embedded)|pipeline-runs/(simulated|fivetran|datatransfer)|looker/(api|record-only))\\.ts$',
        ],
        dynamic: false,
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'charts-draw-in-workers',
      severity: 'error',
      comment: 'Chart.js and the canvas are loaded by the chart worker threads only (src/charts/chart-worker.ts, draw.ts), never by the main thread.',
      from: { path: '^(src|commands|views)/', pathNot: '^src/charts/(chart-worker|draw)\\.ts$' },
      to: { path: ['node_modules/(chart\\.js|@napi-rs/canvas)/', '^src/charts/(chart-worker|draw)\\.ts$'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
