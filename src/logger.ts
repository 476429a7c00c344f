/**
 * One structured JSON logger for the whole app. Secrets never reach it: values
 * under keys that look secret are replaced, and known secret values (tokens,
 * signing secret) registered at start-up are masked wherever they appear.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /(token|secret|password|authorization|private_key|api_key|signature)/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Values that must never be printed (tokens, secrets). */
  secrets?: string[];
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.base ?? {};

  const mask = (s: string): string => secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), s);
  const clean = (value: unknown, depth = 0): unknown => {
    if (value instanceof Error) {
      const coded = value as Error & { code?: unknown };
      return { name: value.name, code: coded.code, message: mask(value.message) };
    }
    if (typeof value === 'string') return mask(value);
    if (value === null || typeof value !== 'object' || depth > 4) return value;
    if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : clean(v, depth + 1);
    return out;
  };

  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const entry = { time: new Date().toISOString(), level, msg: mask(msg), ...(clean({ ...base, ...fields }) as object) };
    write(JSON.stringify(entry, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything; for tests and benchmarks. */
export const silentLogger: Logger = createLogger({ write: () => {} });
