/**
 * Process-level handlers: nothing thrown or rejected by accident goes
 * unlogged, and the bot keeps serving where that is safe.
 *
 * - `unhandledRejection`: a promise nobody awaited failed. Its work is lost,
 *   but no stack was unwound half-way through our code: log it (with the
 *   stack) and keep serving. Without a handler Node 20 stops the process.
 * - `uncaughtException`: a connection-level error nobody listened for
 *   (ECONNRESET, EPIPE, …: a client went away) is logged and the bot keeps
 *   serving. Anything else was thrown through code that may have been
 *   half-way through changing state; Node's documentation says resuming is
 *   not safe, so it is logged with its stack and the process exits (1) for
 *   the platform (Cloud Run, systemd, docker) to start a clean one. Every
 *   effect that matters is a durable job, so nothing is lost.
 *
 * Hook (src/main.ts, once the logger exists): installProcessGuards(logger);
 */
import type { Logger } from './logger.js';

/** Errors of one connection, safe to survive. */
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED', 'HPE_INVALID_METHOD']);

export interface ProcessLike {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
}

export interface ProcessGuardOptions {
  /** Default: the real process. */
  proc?: ProcessLike;
  /** Default: process.exit. */
  exit?: (code: number) => void;
}

const describe = (e: unknown) => ({
  err: e instanceof Error ? e : { message: String(e) },
  stack: e instanceof Error ? e.stack : undefined,
  errorCode: (e as { code?: unknown } | null)?.code,
});

/** Installs the handlers (once per process). */
export function installProcessGuards(logger: Logger, options: ProcessGuardOptions = {}): void {
  const proc = options.proc ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  proc.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection; still serving', describe(reason));
  });
  proc.on('uncaughtException', (err) => {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) {
      logger.warn('connection error nobody handled; still serving', describe(err));
      return;
    }
    logger.error('uncaught exception; stopping so a clean process takes over', describe(err));
    exit(1);
  });
}
