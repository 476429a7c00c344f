/**
 * Vitest global setup: provides a Firestore emulator to the test workers.
 *
 * - FIRESTORE_EMULATOR_HOST already set: use that emulator, start nothing.
 * - gcloud on PATH: start one emulator for the whole run, stop it at teardown.
 * - no gcloud: fail the run on CI (CI=true); elsewhere Firestore tests skip.
 *
 * Workers are forked after this runs and inherit process.env, so setting the
 * variables here is how the tests see them.
 *
 * It also rebuilds the local page's browser code when its sources changed
 * since the last build (see support/page-build.ts), and gives the run a
 * temporary directory of its own (TMPDIR, which os.tmpdir() reads): every data
 * directory, warehouse template and browser profile the tests make lands in it,
 * and teardown removes it, so a run leaves nothing behind in /tmp, even when a
 * test failed or a worker was killed before its own cleanup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onPath, SKIP_REASON_ENV, startFirestoreEmulator } from './support/firestore-emulator.js';
import { ensurePageBuilt } from './support/page-build.js';

export default async function setup(): Promise<() => void | Promise<void>> {
  // The emulator needs no credentials; without this every Firestore client
  // probes for a GCE metadata server and prints a MetadataLookupWarning.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  ensurePageBuilt();
  const runTmp = mkdtempSync(path.join(os.tmpdir(), 'analytics-bot-run-'));
  process.env.TMPDIR = runTmp;
  const removeRunTmp = () => rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
  if (process.env.FIRESTORE_EMULATOR_HOST) return removeRunTmp;
  if (!onPath('gcloud')) {
    const reason = 'gcloud is not on PATH and FIRESTORE_EMULATOR_HOST is unset, so the Firestore emulator cannot start';
    if (process.env.CI === 'true') {
      throw new Error(`${reason}. CI must run the Firestore tests: install google-cloud-cli with the cloud-firestore-emulator component (and Java), or set FIRESTORE_EMULATOR_HOST.`);
    }
    process.env[SKIP_REASON_ENV] = reason;
    return removeRunTmp;
  }
  const emulator = await startFirestoreEmulator().catch((err: unknown) => {
    removeRunTmp();
    throw err;
  });
  console.log(`Firestore emulator ready on ${emulator.host} after ${emulator.startupMs} ms`);
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  return async () => {
    delete process.env.FIRESTORE_EMULATOR_HOST;
    await emulator.stop();
    removeRunTmp();
  };
}
