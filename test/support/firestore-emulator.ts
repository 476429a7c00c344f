/**
 * The Firestore emulator for tests: started once per run by test/global-setup.ts,
 * found by test files through FIRESTORE_EMULATOR_HOST.
 *
 * Nothing here imports vitest: global setup runs outside the test workers.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import path from 'node:path';
import { freePort } from './ports.js';

/** A file to write the emulator's whole output to (optional; `.ci/run` sets it). */
const EMULATOR_LOG_ENV = 'FIRESTORE_EMULATOR_LOG';

/** Set by global setup when the emulator cannot be used, so tests can say why. */
export const SKIP_REASON_ENV = 'FIRESTORE_EMULATOR_SKIP_REASON';

/** Whether Firestore tests can run in this worker, and if not, why. */
export function firestoreAvailable(): { available: boolean; reason?: string } {
  if (process.env.FIRESTORE_EMULATOR_HOST) return { available: true };
  return {
    available: false,
    reason: process.env[SKIP_REASON_ENV] ?? 'FIRESTORE_EMULATOR_HOST is unset and no emulator was started',
  };
}

/**
 * How long a test waits for the loser of two transactions on the same document.
 * The emulator does not resolve such contention as Firestore does: both hold a read
 * lock, and one is aborted only by its 2 s lock timeout, then retried after the
 * client's ~1 s backoff (measured here: winner ~2.0 s, loser 2.7–3.4 s). On a busy
 * CI machine that passes the 5 s default of `waitFor`.
 */
export const CONTENDED_TX_MS = 15_000;

export interface RunningEmulator {
  host: string;
  startupMs: number;
  stop(): Promise<void>;
}

/** True if an executable named `command` is on PATH. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Starts `gcloud emulators firestore start` on a free loopback port and resolves
 * once it answers HTTP. The emulator (gcloud → shell → java) runs in its own
 * process group, and stop() kills the whole group.
 */
export async function startFirestoreEmulator(timeoutMs = 60_000): Promise<RunningEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const started = Date.now();
  const child = spawn('gcloud', ['emulators', 'firestore', 'start', `--host-port=${host}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The whole of the emulator's output goes to FIRESTORE_EMULATOR_LOG when it is set: when the tests
  // fail, CI prints what the emulator refused, so a failure shows the server's side as well as the client's.
  const logPath = process.env[EMULATOR_LOG_ENV];
  const log = logPath ? createWriteStream(logPath, { flags: 'w' }) : undefined;
  log?.on('error', () => {}); // a log that cannot be written must not stop the emulator or the run
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    log?.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (err) => (exited = `failed to start: ${err.message}`));

  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    if (child.pid === undefined) return false;
    try {
      process.kill(-child.pid, signal);
      return true;
    } catch {
      return false; // ESRCH: no process left in the group.
    }
  };
  // If the run is interrupted before teardown, still leave no Java behind.
  const onExit = () => signalGroup('SIGKILL');
  process.once('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    signalGroup('SIGTERM');
    // gcloud (the group leader) exits before java does: wait for the whole group.
    for (let waited = 0; waited < 5_000 && signalGroup(0); waited += 100) await sleep(100);
    signalGroup('SIGKILL');
    if (log) await new Promise<void>((resolve) => log.end(resolve));
  };

  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`Firestore emulator ${exited} before it was ready:\n${output}`);
    }
    if (await answers(`http://${host}/`)) return { host, startupMs: Date.now() - started, stop };
    await sleep(250);
  }
  await stop();
  throw new Error(`Firestore emulator did not answer on ${host} within ${timeoutMs} ms:\n${output}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
