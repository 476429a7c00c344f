/**
 * One structured logger for the whole app: pino, writing one JSON object per
 * line in the shape Cloud Logging reads (`severity`, `message`, `time`, and
 * `stack_trace` when an error is logged, so Error Reporting picks it up).
 * Errors keep their name, code, stack and cause chain.
 *
 * Secrets never reach the output: values under keys that look secret are
 * replaced, and the known secret values (tokens, signing secret, API keys)
 * registered at start-up are masked wherever they appear in a line,
 * stack traces included.
 */
import pino from 'pino';
import { withoutSecretShapes } from './secret-shapes.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
type PinoLevel = LogLevel | 'silent';
const SECRET_KEY = /(token|secret|password|authorization|private_key|api_key|signature)/i;
/** Cloud Logging's names for our levels. */
const SEVERITY: Record<string, string> = { trace: 'DEBUG', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Masks these values too from now on, in this logger and every one sharing its output (its parent, its children): secrets made after start-up. */
  addSecrets(...values: string[]): void;
}

export interface LoggerOptions {
  level?: PinoLevel;
  /** Values that must never be printed (tokens, secrets). */
  secrets?: string[];
  /** Where each line goes (without its newline); default stdout. */
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

/** An error as logged: what it is, where it was thrown, and what caused it. */
function serializeError(err: Error, depth: number): Record<string, unknown> {
  const coded = err as Error & { code?: unknown; status?: unknown; reason?: unknown };
  return {
    type: err.name,
    message: err.message,
    ...(coded.code !== undefined ? { code: coded.code } : {}),
    ...(typeof coded.status === 'number' ? { status: coded.status } : {}),
    ...(typeof coded.reason === 'string' ? { reason: coded.reason } : {}),
    ...(err.stack ? { stack: err.stack } : {}),
    ...(err.cause !== undefined && depth < 3 ? { cause: clean(err.cause, depth + 1) } : {}),
  };
}

/** Redacts values under secret-looking keys and turns errors into plain objects. */
function clean(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value, depth);
  if (value === null || typeof value !== 'object' || depth > 5) return typeof value === 'bigint' ? Number(value) : value;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : clean(v, depth + 1);
  return out;
}

/** The first error among a log call's fields: its stack becomes the entry's `stack_trace`. */
function firstError(fields: Record<string, unknown>): Error | undefined {
  for (const v of Object.values(fields)) if (v instanceof Error) return v;
  return undefined;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  // Shorter values would mask ordinary words; the list grows with addSecrets.
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const mask = (s: string): string => withoutSecretShapes(secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), s));
  const root = pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: null,
      // Errors are ours to serialize (clean, below): name, code, stack and cause chain.
      serializers: { err: (e: unknown) => e },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
        bindings: (bindings) => clean(bindings) as Record<string, unknown>,
        log: (fields) => {
          const err = firstError(fields);
          const out = clean(fields) as Record<string, unknown>;
          return err?.stack ? { ...out, stack_trace: err.stack } : out;
        },
      },
    },
    { write: (line: string) => write(mask(line.endsWith('\n') ? line.slice(0, -1) : line)) },
  );
  const wrap = (p: pino.Logger): Logger => ({
    debug: (m, f) => p.debug(f ?? {}, m),
    info: (m, f) => p.info(f ?? {}, m),
    warn: (m, f) => p.warn(f ?? {}, m),
    error: (m, f) => p.error(f ?? {}, m),
    child: (fields) => wrap(p.child(fields)),
    addSecrets: (...values) => {
      for (const v of values) if (v.length >= 6 && !secrets.includes(v)) secrets.push(v);
    },
  });
  return wrap(options.base ? root.child(options.base) : root);
}

/** A logger that drops everything; for tests and benchmarks. */
export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} });

/**
 * A warning logged at most once per `everyMs`, for what a client can repeat at will (forged calls, dropped
 * connections): a flood of them is not a flood of log lines. The next line logged says how many were not
 * (`unlogged`).
 */
export function pacedWarning(logger: Logger, everyMs: number): (message: string, fields: Record<string, unknown>) => void {
  let lastAt = -Infinity;
  let unlogged = 0;
  return (message, fields) => {
    const now = Date.now();
    if (now - lastAt < everyMs) {
      unlogged++;
      return;
    }
    logger.warn(message, { ...fields, ...(unlogged ? { unlogged } : {}) });
    lastAt = now;
    unlogged = 0;
  };
}
