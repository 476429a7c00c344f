/**
 * Why the bot (or, in local mode, the page) could not listen on PORT, said as
 * what to do about it: the port is taken, or needs privileges. Anything else
 * is returned as it was.
 */
import { createServer } from 'node:net';
import { ConfigError } from './errors.js';

export function listenError(error: unknown, port: number, host: string): unknown {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  // Only the listen's own failure: starting the bot also opens the store, whose EACCES is about a file, not PORT.
  if (syscall !== 'listen') return error;
  if (code === 'EADDRINUSE') {
    return new ConfigError('PORT', `${host}:${port} is in use already (another \`npm start\`?): stop what listens there, or choose a free port, e.g. PORT=${port === 65535 ? 3001 : port + 1} npm start`);
  }
  if (code === 'EACCES') return new ConfigError('PORT', `${port} may not be listened on by this user (ports under 1024 need privileges): choose another, e.g. PORT=3000 npm start`);
  return error;
}

/**
 * Fails with {@link listenError}'s answer when `port` cannot be listened on as Node listens with no
 * host (every interface), and resolves once the trial listener is closed. For Socket Mode: Bolt's
 * receiver listens on PORT (health, /tasks) with no error handler, so a port taken there would
 * surface as an uncaught exception, with its stack, instead of this one line. A port taken in the
 * moment between this check and Bolt's listen still ends that way.
 */
export async function checkPortFree(port: number): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
  } catch (error) {
    throw listenError(error, port, '0.0.0.0');
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
