#!/usr/bin/env node
/**
 * Per-file break threshold for mutation testing. Stryker's own `thresholds.break`
 * applies to the total score only; this reads Stryker's JSON report
 * (mutation-testing-report-schema) and fails when any single file scores under
 * the threshold, so one well-tested module cannot hide a poorly tested one.
 *
 *   node scripts/mutation-thresholds.mjs [report.json] [--break=85]
 *
 * Score, as Stryker computes it: detected / (detected + undetected), where
 * detected = Killed + Timeout and undetected = Survived + NoCoverage. Ignored,
 * CompileError and RuntimeError mutants do not count.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
const breakAt = Number(args.find((a) => a.startsWith('--break='))?.slice('--break='.length) ?? 85);

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`mutation-thresholds: cannot read ${file} (${err.code ?? err.message}); run Stryker first (npm run test:mutation).`);
  process.exit(2);
}

/** Counts of one file's mutants by status, and its score (null: nothing to score). */
function scoreOf(mutants) {
  const count = (...statuses) => mutants.filter((m) => statuses.includes(m.status)).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const ignored = count('Ignored');
  const valid = killed + timeout + survived + noCoverage;
  return { killed, timeout, survived, noCoverage, ignored, score: valid === 0 ? null : (100 * (killed + timeout)) / valid };
}

const rows = Object.entries(report.files ?? {})
  .map(([name, f]) => ({ name, ...scoreOf(f.mutants ?? []) }))
  .sort((a, b) => a.name.localeCompare(b.name));
if (rows.length === 0) {
  console.error(`mutation-thresholds: ${file} lists no files.`);
  process.exit(2);
}

const pct = (s) => (s === null ? 'n/a' : `${s.toFixed(2)}%`);
const width = Math.max(4, ...rows.map((r) => r.name.length));
const head = ['file'.padEnd(width), 'score'.padStart(8), 'killed', 'timeout', 'survived', 'no cov', 'ignored'];
console.log(`\nMutation score per file (break below ${breakAt}%):\n`);
console.log(head.join('  '));
const failing = [];
for (const r of rows) {
  const low = r.score !== null && r.score < breakAt;
  if (low) failing.push(r);
  console.log(
    [
      r.name.padEnd(width),
      pct(r.score).padStart(8),
      String(r.killed).padStart(6),
      String(r.timeout).padStart(7),
      String(r.survived).padStart(8),
      String(r.noCoverage).padStart(6),
      String(r.ignored).padStart(7),
      low ? '  << under threshold' : '',
    ].join('  ').trimEnd(),
  );
}
const total = scoreOf(rows.flatMap((r) => report.files[r.name].mutants ?? []));
console.log(`${'total'.padEnd(width)}  ${pct(total.score).padStart(8)}`);

if (failing.length > 0) {
  console.error(`\n${failing.length} file(s) under ${breakAt}%: ${failing.map((r) => r.name).join(', ')}.`);
  console.error('Open reports/mutation/mutation.html to see the surviving mutants.');
  process.exit(1);
}
console.log(`\nEvery file scores at least ${breakAt}%.`);
