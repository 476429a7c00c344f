/**
 * Why the bot (or, in local mode, the page) could not listen on PORT, said as
 * what to do about it: the port is taken, or needs privileges. Anything else
 * is returned as it was.
 */
import { createServer } from 'node:net';
import { ConfigError } from './errors.js';

/** `free`: a port tried and found free to suggest instead, or null when none was (see {@link listenErrorWithFreePort}). */
export function listenError(error: unknown, port: number, host: string, free: number | null): unknown {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  // Only the listen's own failure: starting the bot also opens the store, whose EACCES is about a file, not PORT.
  if (syscall !== 'listen') return error;
  if (code === 'EADDRINUSE') {
    const example = free === null ? ' (the next 20 I tried are taken too)' : `, e.g. PORT=${free} npm start (free just now)`;
    return new ConfigError('PORT', `${host}:${port} is in use already (another \`npm start\`?): stop what listens there, or choose a free port${example}`);
  }
  if (code === 'EACCES') return new ConfigError('PORT', `${port} may not be listened on by this user (ports under 1024 need privileges): choose another, e.g. PORT=3000 npm start`);
  return error;
}

/** Listens on `port` (on `host`, or every interface, as Node does with none) and closes at once: why it could not, or null. */
async function tryListen(port: number, host?: string): Promise<unknown> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (host) server.listen(port, host, () => resolve());
      else server.listen(port, () => resolve());
    });
  } catch (error) {
    return error;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return null;
}

/**
 * {@link listenError}'s answer, where a port in use suggests one tried on the same host and found free: among the
 * next 20 ports up (3000 and 3001 are both often taken by other development servers; from 3000 for the last port
 * there is), or none if all of those are taken. `0.0.0.0` is every interface, as Node listens with no host.
 */
export async function listenErrorWithFreePort(error: unknown, port: number, host: string): Promise<unknown> {
  if ((error as NodeJS.ErrnoException | null)?.code !== 'EADDRINUSE') return listenError(error, port, host, null);
  let free: number | null = null;
  const first = port < 65535 ? port + 1 : 3000;
  for (let next = first; next < first + 20 && next <= 65535 && free === null; next++) {
    if ((await tryListen(next, host === '0.0.0.0' ? undefined : host)) === null) free = next;
  }
  return listenError(error, port, host, free);
}

/**
 * Fails with {@link listenError}'s answer when `port` cannot be listened on as Node listens with no
 * host (every interface), and resolves once the trial listener is closed. For Socket Mode: Bolt's
 * receiver listens on PORT (health, /tasks) with no error handler, so a port taken there would
 * surface as an uncaught exception, with its stack, instead of this one line. A port taken in the
 * moment between this check and Bolt's listen still ends that way.
 */
export async function checkPortFree(port: number): Promise<void> {
  const error = await tryListen(port);
  if (error !== null) throw await listenErrorWithFreePort(error, port, '0.0.0.0');
}
