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
    expect(loadConfig({ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'p', PIPELINES: 'embedded' }).freshness.runner).toBe('embedded');
  });

  it('chooses HTTP or Socket Mode from the tokens given', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack.mode).toBe('http');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_APP_TOKEN: 'xapp-1' }).slack.mode).toBe('socket');
  });

  it.each([
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ SLACK_SIGNING_SECRET: 'abc' }, 'SLACK_BOT_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'xoxp-user', SLACK_SIGNING_SECRET: 's' }, 'SLACK_BOT_TOKEN'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ WAREHOUSE: 'snowflake' }, 'WAREHOUSE'],
    [{ WAREHOUSE: 'bigquery' }, 'BIGQUERY_PROJECT'],
    [{ STORE: 'firestore' }, 'GOOGLE_CLOUD_PROJECT'],
    [{ ANALYTICS_CHANNEL: '#analytics' }, 'ANALYTICS_CHANNEL'],
    [{ BIZOPS_USERGROUP: 'bizops' }, 'BIZOPS_USERGROUP'],
    [{ SLACK_API_URL: 'not a url' }, 'SLACK_API_URL'],
    [{ TELEMETRY_WINDOW_DAYS: '0' }, 'TELEMETRY_WINDOW_DAYS'],
  ])('%o is refused, naming %s', (env, variable) => {
    const err = configError(env as Record<string, string>);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
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
