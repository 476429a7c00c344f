/**
 * For the benchmarks that spawn the bot's production entry point as a process
 * of its own (cold start, memory): a free port, a process's RSS, and Google's
 * side of the production configuration (`STORE=firestore` +
 * `WAREHOUSE=bigquery`): the Firestore emulator (started here unless
 * FIRESTORE_EMULATOR_HOST is set; none without gcloud) and the loopback
 * BigQuery fake, reached through Application Default Credentials (an
 * `external_account` file whose token endpoint is loopback).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
export { freePort } from '../test/support/ports.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDataDir } from '../test/support/harness.js';
import { onPath, startFirestoreEmulator, type RunningEmulator } from '../test/support/firestore-emulator.js';
import { thread, type Threaded } from './threads.js';

export const root = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** The production entry point, compiled. */
export const botMain = path.join(root, 'dist/src/main.js');


/** A process's resident set (VmRSS) and its peak so far (VmHWM), in MiB; undefined once it is gone. */
export async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const peak = /VmHWM:\s+(\d+) kB/.exec(status);
    return rss && peak ? { rssMb: Number(rss[1]) / 1024, peakMb: Number(peak[1]) / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

export interface GoogleSide {
  /** The bot's environment for STORE=firestore + WAREHOUSE=bigquery (its DATA_DIR included). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts Google's side; undefined (and nothing started) without an emulator to use. */
export async function startGoogleSide(sinkUrl: string): Promise<GoogleSide | undefined> {
  let emulator: RunningEmulator | undefined;
  let firestoreHost = process.env.FIRESTORE_EMULATOR_HOST;
  if (!firestoreHost && onPath('gcloud')) {
    emulator = await startFirestoreEmulator();
    firestoreHost = emulator.host;
  }
  if (!firestoreHost) return undefined;
  const gcpDir = await freshDataDir();
  let google: Threaded<{ bigqueryUrl: string; project: string; dataset: string; tokenUrl: string }> | undefined;
  try {
    google = await thread('./google-fakes-worker.js', { dataDir: gcpDir });
    const subjectToken = path.join(gcpDir, 'subject-token');
    await writeFile(subjectToken, 'bench-subject-token');
    const credentials = path.join(gcpDir, 'credentials.json');
    await writeFile(credentials, JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/bench/providers/bench',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: google.info.tokenUrl,
      credential_source: { file: subjectToken },
    }));
    const env = {
      DATA_DIR: gcpDir,
      STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'analytics-bot-bench', FIRESTORE_EMULATOR_HOST: firestoreHost,
      FIRESTORE_COLLECTION_PREFIX: `bench${randomBytes(4).toString('hex')}`,
      WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: google.info.project, BIGQUERY_DATASET: google.info.dataset, BIGQUERY_LOCATION: 'US',
      BIGQUERY_API_ENDPOINT: google.info.bigqueryUrl,
      GOOGLE_APPLICATION_CREDENTIALS: credentials, METADATA_SERVER_DETECTION: 'none',
      FIVETRAN_API_KEY: 'bench', FIVETRAN_API_SECRET: 'bench-secret', FIVETRAN_API_URL: `${sinkUrl}/fivetran/`,
      DATA_TRANSFER_API_URL: `${sinkUrl}/datatransfer/`,
    };
    const running = google;
    return {
      env,
      stop: async () => {
        await running.stop();
        await emulator?.stop();
        await rm(gcpDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await google?.stop();
    await emulator?.stop();
    await rm(gcpDir, { recursive: true, force: true });
    throw err;
  }
}
