/**
 * `npm run bench`: runs every benchmark and prints its figures. The README
 * quotes what this printed on the 2-core development machine.
 * `npm run bench -- telemetry` runs one.
 */
const suites: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  telemetry: () => import('./telemetry.js'),
  'ack-charts': () => import('./ack-charts.js'),
  'cold-start': () => import('./cold-start.js'),
  query: () => import('./query.js'),
  'looker-access': () => import('./looker-access.js'),
  'pipeline-request': () => import('./pipeline-request.js'),
  freshness: () => import('./freshness.js'),
  'local-page': () => import('./local-page.js'),
  jobs: () => import('./jobs.js'),
  subscriptions: () => import('./subscriptions.js'),
  memory: () => import('./memory.js'),
};

const only = process.argv.slice(2);
for (const [name, load] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  const started = Date.now();
  await (await load()).run();
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit(0);
