/**
 * Local mode (`npm start` without Slack credentials): a request Slack's
 * documentation refuses is answered as Slack would answer it and logged;
 * nothing crashes, and the bot keeps serving.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, secretsOf } from '../src/config.js';
import { createLogger, type Logger } from '../src/logger.js';
import { openWarehouse } from '../src/adapters/warehouse/index.js';
import { openStore } from '../src/adapters/store/index.js';
import { startLocal, type LocalMode } from '../src/local.js';
import { freshDataDir, StandinDefaults } from './support/harness.js';
import type { Warehouse } from '../src/ports/warehouse.js';
import type { Store } from '../src/ports/store.js';
import { API_BODY_LIMIT, LOCAL_BODY_LIMIT } from '../src/slack-standin/http.js';

let local: LocalMode;
let warehouse: Warehouse;
let store: Store;
let dataDir: string;
const logs: string[] = [];
let logger: Logger;

beforeAll(async () => {
  dataDir = await freshDataDir();
  // Any free port: 0 is not a PORT an operator may set, so it is set on the loaded configuration.
  const config = { ...loadConfig({ DATA_DIR: dataDir }), port: 0 };
  logger = createLogger({ level: 'info', secrets: secretsOf(config), write: (l) => logs.push(l) });
  warehouse = await openWarehouse(config, logger);
  store = await openStore(config.store, config.dataDir);
  local = await startLocal(config, logger, { warehouse, store }, { banner: false });
}, 120_000);

afterAll(async () => {
  await local?.stop();
  await warehouse?.close();
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local mode and requests Slack refuses', () => {
  it('answers as Slack would, logs it, and keeps serving', async () => {
    const call = (method: string, body: unknown) =>
      fetch(`${local.url}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-local' }, body: JSON.stringify(body) })
        .then((r) => r.json() as Promise<Record<string, unknown>>);
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(await call('chat.postMessage', { channel: StandinDefaults.channel, text: 'x', blocks })).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(await call('files.getUploadURLExternal', { filename: 'a.png', length: 3, alt_text: 'ignored' })).toMatchObject({ ok: true });
    expect(await call('chat.scheduleMessage', { channel: StandinDefaults.channel, text: 'x', post_at: 1 })).toMatchObject({ ok: false, error: 'unknown_method' });

    const warnings = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['message'] === 'the bot sent Slack something its documentation refuses or ignores');
    expect(warnings.map((w) => w['slackAnswer'])).toEqual(['invalid_blocks', 'ignored', 'unknown_method']);
    expect(local.standin.takeViolations()).toHaveLength(3);

    const res = await fetch(`${local.url}/local/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: '/telemetry', text: 'acme' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { replies?: unknown[] }).replies?.length).toBeGreaterThan(0);
  });

  it('refuses a body larger than the page or the bot ever sends, doing nothing with it; a problem is logged in a line, not as posted', async () => {
    const post = (path: string, body: string, type: string) =>
      fetch(`${local.url}${path}`, { method: 'POST', headers: { 'content-type': type, authorization: 'Bearer xoxb-local' }, body });
    const calls = local.standin.calls.length;
    const hugeCommand = JSON.stringify({ command: '/telemetry', text: 'acme', pad: 'x'.repeat(LOCAL_BODY_LIMIT) });
    const refused = await post('/local/command', hugeCommand, 'application/json');
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: string }).error).toMatch(/larger than the page ever sends/);
    const hugeCall = await post('/api/chat.postMessage', 'a'.repeat(API_BODY_LIMIT + 1), 'application/x-www-form-urlencoded');
    expect([hugeCall.status, await hugeCall.json()]).toEqual([413, { ok: false, error: 'request_too_large' }]);
    // Neither reached the bot nor Slack's side: no command ran (it would have posted a card), no call was recorded.
    expect(local.standin.calls.length).toBe(calls);

    // Under the bound, an argument Slack does not take is logged by a name of any length: the line keeps its head.
    const from = logs.length;
    const name = 'y'.repeat(100_000);
    const ignored = await post('/api/chat.postMessage', new URLSearchParams({ channel: StandinDefaults.channel, text: 'x', [name]: '1' }).toString(), 'application/x-www-form-urlencoded');
    expect(((await ignored.json()) as { ok: boolean }).ok).toBe(true);
    expect(local.standin.takeViolations().map((v) => v.message)).toEqual([expect.stringContaining(name)]);
    const logged = logs.slice(from).filter((l) => l.includes('does not take'));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.length).toBeLessThan(2_000);
    expect(logged[0]).toContain('(100');
  });

  it('masks the bot token and signing secret it made for the bot, should they ever be logged', () => {
    const token = local.bot.app.client.token ?? '';
    // Bolt keeps the signing secret on its HTTP receiver: nothing public gives it.
    const secret = String((local.bot.app as unknown as { receiver: { signingSecret?: unknown } }).receiver.signingSecret);
    expect(token).toMatch(/^xoxb-local-[0-9a-f]{24}$/);
    expect(secret).toMatch(/^[0-9a-f]{48}$/);
    const from = logs.length;
    logger.child({ component: 'test' }).warn(`calling with ${token}`, { note: `signed with ${secret}`, err: new Error(`refused ${secret}`) });
    const out = logs.slice(from).join('\n');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(token);
    expect(out).not.toContain(secret);
  });
});
