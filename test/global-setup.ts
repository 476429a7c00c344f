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
 * since the last build (see support/page-build.ts).
 */
import { onPath, SKIP_REASON_ENV, startFirestoreEmulator } from './support/firestore-emulator.js';
import { ensurePageBuilt } from './support/page-build.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  // The emulator needs no credentials; without this every Firestore client
  // probes for a GCE metadata server and prints a MetadataLookupWarning.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  ensurePageBuilt();
  if (process.env.FIRESTORE_EMULATOR_HOST) return undefined;
  if (!onPath('gcloud')) {
    const reason = 'gcloud is not on PATH and FIRESTORE_EMULATOR_HOST is unset, so the Firestore emulator cannot start';
    if (process.env.CI === 'true') {
      throw new Error(`${reason}. CI must run the Firestore tests: install google-cloud-cli with the cloud-firestore-emulator component (and Java), or set FIRESTORE_EMULATOR_HOST.`);
    }
    process.env[SKIP_REASON_ENV] = reason;
    return undefined;
  }
  const emulator = await startFirestoreEmulator();
  console.log(`Firestore emulator ready on ${emulator.host} after ${emulator.startupMs} ms`);
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  return async () => {
    delete process.env.FIRESTORE_EMULATOR_HOST;
    await emulator.stop();
  };
}
