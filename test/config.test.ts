import { createServer, type Server } from 'node:net';
import { listenError, listenErrorWithFreePort } from '../src/listen-error.js';
import { freePort } from './support/ports.js';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretsOf } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to local mode on embedded adapters', () => {
    const c = loadConfig({});
    expect(c.slack.mode).toBe('local');
    expect(c.warehouse.kind).toBe('embedded');
    expect(c.store.kind).toBe('embedded');
    expect(c.port).toBe(3000);
    expect(c.dataDir).toMatch(/\.data$/);
    expect(c.telemetryWindowDays).toBe(30);
  });

  it('reruns real pipelines by default on BigQuery, simulated ones on the demo warehouse', () => {
    expect(loadConfig({}).freshness.runner).toBe('embedded');
    expect(loadConfig({ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'p' }).freshness.runner).toBe('live');
  });

  it('refuses simulated reruns on BigQuery at once, as a configuration error naming PIPELINES (they refresh demo tables BigQuery does not have)', () => {
    expect(configError({ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'p', PIPELINES: 'embedded' }).message).toMatch(/^PIPELINES: embedded \(simulated\) reruns need WAREHOUSE=embedded/);
  });

  it('chooses HTTP or Socket Mode from the tokens given', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack.mode).toBe('http');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_APP_TOKEN: 'xapp-1' }).slack.mode).toBe('socket');
    // Socket Mode signs nothing: no signing secret needed.
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack.mode).toBe('socket');
  });

  it('on Cloud Run (K_SERVICE), starts only as Slack will reach it: tokens, Firestore, and a way in for the scheduler', () => {
    const run = { K_SERVICE: 'analytics-bot', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p' };
    expect(loadConfig({ ...run, TASKS_SECRET: 'x'.repeat(24) }).jobs.trigger).toBe('http');
    expect(loadConfig({ ...run, TASKS_OIDC_AUDIENCE: 'https://a.run.app', TASKS_OIDC_SERVICE_ACCOUNT: 's@p.iam.gserviceaccount.com' }).tasks.oidc).toBeDefined();
    expect(configError(run).message).toMatch(/TASKS_OIDC_AUDIENCE: with TASKS_OIDC_SERVICE_ACCOUNT .*or TASKS_SECRET, is required when jobs are triggered over HTTP/);
    expect(configError({ K_SERVICE: 'a', STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p', TASKS_SECRET: 'x'.repeat(24) }).variable).toBe('SLACK_BOT_TOKEN');
    expect(configError({ ...run, STORE: 'embedded', TASKS_SECRET: 'x'.repeat(24) }).message).toMatch(/STORE: must be firestore on Cloud Run/);
    // Elsewhere the timer runs the jobs; JOBS_TRIGGER=http asks for the same way in.
    expect(loadConfig({}).jobs.trigger).toBe('timer');
    expect(configError({ JOBS_TRIGGER: 'http' }).variable).toBe('TASKS_OIDC_AUDIENCE');
  });

  it('refuses a job lease shorter than 10 s, naming JOBS_LEASE_SECONDS, the value and the minimum', () => {
    for (const short of ['0', '1', '9']) {
      const err = configError({ JOBS_LEASE_SECONDS: short });
      expect(err.variable).toBe('JOBS_LEASE_SECONDS');
      expect(err.message).toMatch(new RegExp(`^JOBS_LEASE_SECONDS: expects at least 10 seconds, got ${short}: `));
    }
    expect(loadConfig({ JOBS_LEASE_SECONDS: '10' }).jobs.leaseMs).toBe(10_000);
    expect(loadConfig({}).jobs.leaseMs).toBe(30_000);
  });

  it("refuses a Looker address given with the API's path (the bot adds /api/4.0), rather than a wrong key at the first grant", () => {
    const looker = { LOOKER_CLIENT_ID: 'i', LOOKER_CLIENT_SECRET: 's', LOOKER_VIEW_GROUP_ID: '1', LOOKER_VIEW_ROLE_ID: '2', LOOKER_CREATE_CONTENT_ROLE_IDS: '3', LOOKER_DEVELOP_ROLE_IDS: '4' };
    for (const v of ['https://company.looker.com/api/4.0', 'https://company.looker.com/api/4.0/', 'https://company.looker.com:19999/api/3.1']) {
      const err = configError({ ...looker, LOOKER_BASE_URL: v });
      expect(err.variable).toBe('LOOKER_BASE_URL');
      expect(err.message).toContain("the instance's address, without the API's path");
    }
    // The instance's address, on its API port or under a path of its own, is taken as it is.
    for (const v of ['https://company.looker.com', 'https://company.looker.com:19999/', 'https://example.com/looker/']) {
      expect(loadConfig({ ...looker, LOOKER_BASE_URL: v }).looker?.baseUrl).toBe(v.replace(/\/+$/, ''));
    }
  });

  it('never echoes a password written into a URL, and refuses one', () => {
    for (const v of ['ftp://admin:hunter2pass@looker', 'https://admin:hunter2pass@looker.example.com', 'http://admin:hunter2pass@']) {
      const err = configError({ LOOKER_BASE_URL: v, LOOKER_CLIENT_ID: 'i', LOOKER_CLIENT_SECRET: 's' });
      expect(err.variable).toBe('LOOKER_BASE_URL');
      expect(err.message).not.toContain('hunter2pass');
    }
  });

  it.each([
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ SLACK_SIGNING_SECRET: 'abc' }, 'SLACK_BOT_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'xoxp-user', SLACK_SIGNING_SECRET: 's' }, 'SLACK_BOT_TOKEN'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    // A random port nobody is told: Slack, the HEALTHCHECK and `npm run slack` could not find the bot.
    [{ PORT: '0' }, 'PORT'],
    [{ WAREHOUSE: 'snowflake' }, 'WAREHOUSE'],
    [{ WAREHOUSE: 'bigquery' }, 'BIGQUERY_PROJECT'],
    [{ STORE: 'firestore' }, 'GOOGLE_CLOUD_PROJECT'],
    [{ ANALYTICS_CHANNEL: '#analytics' }, 'ANALYTICS_CHANNEL'],
    [{ BIZOPS_USERGROUP: 'bizops' }, 'BIZOPS_USERGROUP'],
    [{ SLACK_API_URL: 'not a url' }, 'SLACK_API_URL'],
    [{ TELEMETRY_WINDOW_DAYS: '0' }, 'TELEMETRY_WINDOW_DAYS'],
    // Cloud Scheduler waits at most 30 minutes for an HTTP target: a budget near that never answers in time.
    [{ TASKS_BUDGET_SECONDS: '3600' }, 'TASKS_BUDGET_SECONDS'],
    [{ TASKS_BUDGET_SECONDS: '1800' }, 'TASKS_BUDGET_SECONDS'],
    // BigQuery bills at least 10 MB a query: a smaller cap refuses every query.
    [{ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'p', QUERY_MAX_BYTES: String(1024 ** 2) }, 'QUERY_MAX_BYTES'],
    [{ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'p', BIGQUERY_MAX_BYTES_BILLED: String(9 * 1024 ** 2) }, 'BIGQUERY_MAX_BYTES_BILLED'],
  ])('%o is refused, naming %s', (env, variable) => {
    const err = configError(env as Record<string, string>);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });

  it('never quotes back a value that may be a credential (a secret set in the wrong variable), only short ones', () => {
    // Put together at run time, so that the repository holds nothing a secret scanner takes for a token.
    const token = ['xoxb', '1111', '2222', 'A1b2C3d4E5f6G7h8'].join('-');
    const signing = 'f'.repeat(8) + '0123456789abcdef' + 'e'.repeat(8);
    const cases: Array<[Record<string, string>, string]> = [
      [{ ANALYTICS_CHANNEL: token }, token],
      [{ BIZOPS_USERGROUP: signing }, signing],
      [{ JOBS_TRIGGER: signing }, signing],
      [{ TELEMETRY_WINDOW_DAYS: signing }, signing],
      [{ LOOKER_BASE_URL: 'https://admin:pa/ss@looker.example.com', LOOKER_CLIENT_ID: 'i', LOOKER_CLIENT_SECRET: 's' }, 'pa/ss'],
      [{ LOOKER_BASE_URL: 'ftp://admin:p@ss@looker.example.com', LOOKER_CLIENT_ID: 'i', LOOKER_CLIENT_SECRET: 's' }, 'ss@looker'],
      [{ SLACK_API_URL: `not a url ${signing}` }, signing],
      // Short, but the very value of a secret variable.
      [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'Sabcdef12', ANALYTICS_CHANNEL: 'Sabcdef12' }, 'Sabcdef12'],
    ];
    for (const [env, secret] of cases) {
      const err = configError(env);
      expect(err.message).not.toContain(secret);
      expect(err.message).toMatch(/expects/);
    }
    expect(configError({ ANALYTICS_CHANNEL: token }).message).toContain('got a value of 31 characters (not shown: it may be a credential)');
    // A typo is still shown, as typed.
    expect(configError({ ANALYTICS_CHANNEL: '#analytics' }).message).toContain('got "#analytics"');
    expect(configError({ JOBS_TRIGGER: 'cron' }).message).toContain('expects one of timer, http, got "cron"');
    expect(configError({ SLACK_API_URL: 'ftp://x.example' }).message).toContain('got one starting "ftp:"');
  });

  it('never prints a secret', () => {
    const lines: string[] = [];
    const c = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-123456-abcdef', SLACK_SIGNING_SECRET: 'supersecretvalue' });
    const log = createLogger({ secrets: secretsOf(c), write: (l) => lines.push(l) });
    log.info('starting with xoxb-123456-abcdef', { token: 'anything', nested: { note: 'supersecretvalue here' }, err: new Error('bad supersecretvalue') });
    const out = lines.join('\n');
    expect(out).not.toContain('xoxb-123456-abcdef');
    expect(out).not.toContain('supersecretvalue');
    expect(out).toContain('[redacted]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ severity: 'INFO' });
  });
});

describe('listenError: a failure to listen said as what to do about PORT', () => {
  const errno = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall });
  it('names PORT for a port in use or privileged', () => {
    expect(String(listenError(errno('EADDRINUSE', 'listen'), 3000, '0.0.0.0', 3001))).toContain('PORT: 0.0.0.0:3000 is in use already');
    expect(String(listenError(errno('EACCES', 'listen'), 80, '0.0.0.0', null))).toContain('PORT: 80 may not be listened on by this user');
  });
  it('leaves any other failure of starting the bot as it was: a store file it may not open is not about PORT', () => {
    const open = errno('EACCES', 'open');
    expect(listenError(open, 3000, '0.0.0.0', null)).toBe(open);
  });
  // Held on the loopback for the test's length; one that something else holds already is as taken.
  const hold = async (port: number): Promise<Server> => {
    const server = createServer();
    await new Promise<void>((resolve) => server.once('error', () => resolve()).listen(port, '127.0.0.1', () => resolve()));
    return server;
  };
  const release = (servers: Server[]) => Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  const suggested = (error: unknown) => /PORT=(\d+) npm start \(free just now\)/.exec(String(error))?.[1];

  it('suggests a port it found free, and holds none: past a taken next one, none when the next 20 are all taken', async () => {
    const port = await freePort();
    const taken = [await hold(port + 1)];
    try {
      const said = Number(suggested(await listenErrorWithFreePort(errno('EADDRINUSE', 'listen'), port, '127.0.0.1')));
      expect(said).toBeGreaterThan(port + 1);
      expect(said).toBeLessThanOrEqual(port + 20);
      // Tried and closed again: free for the person to use.
      const after = await hold(said);
      expect(after.listening).toBe(true);
      taken.push(after);
      for (let next = port + 2; next <= port + 20; next++) if (next !== said) taken.push(await hold(next));
      const none = String(await listenErrorWithFreePort(errno('EADDRINUSE', 'listen'), port, '127.0.0.1'));
      expect(none).toMatch(new RegExp(`^ConfigError: PORT: 127\\.0\\.0\\.1:${port} is in use already`));
      expect(suggested(none)).toBeUndefined();
      expect(none).not.toContain('PORT=');
      expect(none).toMatch(/choose a free port \(the next 20 I tried are taken too\)$/);
    } finally {
      await release(taken);
    }
  });
});
