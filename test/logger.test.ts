/**
 * The log lines as Cloud Logging reads them: one JSON object per line with
 * `severity`, `message` and `time`; an error keeps its stack (as
 * `stack_trace`, which Error Reporting reads) and its cause; secrets are
 * masked everywhere, stack traces included.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../src/logger.js';
import { LookerError, toCodedError } from '../src/errors.js';

function capture(level: LogLevel = 'debug', secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ level, secrets, write: (l) => lines.push(l) });
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, entries };
}

describe('log lines for Cloud Logging', () => {
  it.each([
    ['debug', 'DEBUG'],
    ['info', 'INFO'],
    ['warn', 'WARNING'],
    ['error', 'ERROR'],
  ] as const)('writes %s as severity %s, with message and time', (level, severity) => {
    const { logger, lines, entries } = capture();
    logger[level]('hello there', { user: 'U1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(entries()[0]).toEqual({ severity, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), message: 'hello there', user: 'U1' });
  });

  it('drops what is below its level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('no');
    logger.info('no');
    logger.warn('yes');
    expect(lines).toHaveLength(1);
  });

  it('keeps an error\'s stack as stack_trace, its code, and the cause it wraps', () => {
    const { logger, entries } = capture();
    const root = new TypeError("Cannot read properties of null (reading 'ts')");
    logger.error('job gave up', { err: toCodedError(new Error('grant failed', { cause: root })), job: 'looker.grant:la_1' });
    const e = entries()[0]!;
    expect(e['severity']).toBe('ERROR');
    expect(e['stack_trace']).toMatch(/^UnexpectedError: grant failed\n\s+at /);
    expect(e['err']).toMatchObject({ type: 'UnexpectedError', code: 'unexpected', message: 'grant failed', cause: { type: 'Error', message: 'grant failed', cause: { type: 'TypeError', message: "Cannot read properties of null (reading 'ts')" } } });
    expect(e['job']).toBe('looker.grant:la_1');
  });

  it('logs a vendor error with its status and reason', () => {
    const { logger, entries } = capture();
    logger.warn('grant refused', { err: new LookerError('Looker PUT /users/7/roles answered 403', { status: 403, reason: 'forbidden', retryable: false }) });
    expect(entries()[0]!['err']).toMatchObject({ type: 'LookerError', status: 403, reason: 'forbidden', code: 'looker_failed' });
  });

  it('carries a child logger\'s fields on every line', () => {
    const { logger, entries } = capture();
    logger.child({ component: 'jobs' }).child({ job: 'notice:x' }).info('ran');
    expect(entries()[0]).toMatchObject({ component: 'jobs', job: 'notice:x', message: 'ran' });
  });

  it('masks known secrets anywhere, stack traces and child fields included, and redacts secret-looking keys', () => {
    const secret = 'xoxb-123456-abcdefghij';
    const { logger, lines } = capture('debug', [secret]);
    logger.child({ url: `https://x/?t=${secret}` }).error(`calling with ${secret}`, {
      authorization: 'Bearer anything-at-all',
      nested: { api_key: 'k-123', note: `token ${secret} in text` },
      err: new Error(`Slack refused ${secret}`),
    });
    const out = lines.join('\n');
    expect(out).not.toContain(secret);
    expect(out).not.toContain('anything-at-all');
    expect(out).not.toContain('k-123');
    expect(JSON.parse(lines[0]!)).toMatchObject({ authorization: '[redacted]', nested: { api_key: '[redacted]' } });
    expect((JSON.parse(lines[0]!) as { stack_trace: string }).stack_trace).toContain('Slack refused [redacted]');
  });

  /** Fake credentials in the shapes the logger masks, put together at run time: the repository holds no text a secret scanner would take for a real one. */
  const fake = {
    slackUserToken: ['xoxp', '0000000000', '1111111111', 'abcdefABCDEF'].join('-'),
    slackBotToken: ['xoxb', '0000', '1111', 'abcdefABCDEF'].join('-'),
    beginKey: (kind = '') => `-----BEGIN ${kind}PRIVATE KEY-----`,
    endKey: '-----END PRIVATE KEY-----',
  };

  it('masks secrets it was not told of by their shape (a Slack token, a response_url, a Google access token, a JWT, a private key, a bearer credential), and leaves words alone', () => {
    const { logger, lines } = capture();
    const shapes = [
      fake.slackUserToken,
      'ya29.a0AfB_byC-example_Access.Token-9',
      'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl',
      `${fake.beginKey()}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n${fake.endKey}`,
      'Bearer abcdefgh12345678',
      ['https://hooks.slack.com', 'actions', 'T0000000', '1234567890', 'abcdefABCDEF0123'].join('/'),
    ];
    logger.warn(`Google said: could not refresh (${shapes[1]})`, { err: new Error(`upstream echoed ${shapes.join(' and ')}`), note: shapes[4], metadata: JSON.stringify({ w: { u: shapes[5] } }) });
    const out = lines.join('\n');
    for (const s of shapes) expect(out).not.toContain(s.slice(-12).replace(/\n/g, '\\n'));
    expect(out).toContain('Google said: could not refresh ([redacted])');
    // Ordinary words of the same letters stay: only the shapes go.
    const words = 'token provider refreshed; basic authentication fallback; xoxo-hugs is not a token; Bearer authentication refused by the proxy; see https://api.slack.com/actions';
    logger.info(words);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ message: words });
    // The scheme in any case.
    logger.info('sent authorization bearer abcdefgh12345678 upstream');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ message: 'sent authorization [redacted] upstream' });
  });

  it('masks a shape without breaking the line: a private key cut short stays inside its string, and a token at the start of a line is masked too', () => {
    const { logger, lines, entries } = capture();
    // An unterminated key (a truncated value quoted in an error) must not take the rest of the JSON line with it.
    logger.error('service account key unreadable', { err: new Error(`expected ${fake.beginKey()} at the start`), user: 'U1', said: `the key "${fake.beginKey('RSA ')}\nMIIEvQ" cut` });
    expect(() => entries()).not.toThrow();
    expect(entries()[0]).toMatchObject({ severity: 'ERROR', message: 'service account key unreadable', user: 'U1', said: 'the key "[redacted]', err: { message: 'expected [redacted]' } });
    expect(lines[0]).not.toContain('MIIEvQ');
    // Logged on a line of its own, a token follows an escaped newline in the JSON line.
    logger.warn(`Slack answered:\n${fake.slackBotToken}\nya29.a0AfB_byC-example\neyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0`);
    expect(entries()[1]).toMatchObject({ message: 'Slack answered:\n[redacted]\n[redacted]\n[redacted]' });
  });
});
