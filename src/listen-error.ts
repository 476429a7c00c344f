/**
 * Why the bot (or, in local mode, the page) could not listen on PORT, said as
 * what to do about it: the port is taken, or needs privileges. Anything else
 * is returned as it was.
 */
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
