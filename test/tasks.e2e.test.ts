/**
 * The Cloud Run mode (JOBS_TRIGGER=http): no timers; due work happens only
 * when `POST /tasks/run` is called, authenticated by Cloud Scheduler's OIDC
 * token (checked by google-auth-library against certificates served here,
 * as Google serves its own) or the shared secret. A call that is not
 * authenticated, or carries a token for another audience or account, gets
 * 401 and runs nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { jobsIn } from './support/jobs.js';
import { ActionIds } from '../src/ids.js';

const AUDIENCE = 'https://analytics-bot-abc123-uc.a.run.app';
const ACCOUNT = 'scheduler@analytics-demo.iam.gserviceaccount.com';
const SECRET = 'tasks-secret-for-tests-0123456789';
const channel = StandinDefaults.channel;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'test-key-1';
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');
/** An ID token as Cloud Scheduler's OIDC token looks, signed with `key`. */
function idToken(claims: Record<string, unknown> = {}, key = privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', kid: KID, typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iss: 'https://accounts.google.com', aud: AUDIENCE, sub: '1234567890', email: ACCOUNT, email_verified: true, iat: now, exp: now + 3600, ...claims }));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key);
  return `${header}.${payload}.${b64url(signature)}`;
}

let certs: Server;
let t: TestBot;

beforeAll(async () => {
  // Google's federated sign-on certificates, as google-auth-library fetches them (PEM by key ID).
  certs = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
    res.end(JSON.stringify({ [KID]: publicKey.export({ type: 'spki', format: 'pem' }) }));
  });
  await new Promise<void>((r) => certs.listen(0, '127.0.0.1', () => r()));
  const certsUrl = `http://127.0.0.1:${(certs.address() as AddressInfo).port}/oauth2/v1/certs`;
  t = await startTestBot({
    env: {
      JOBS_TRIGGER: 'http', TASKS_OIDC_AUDIENCE: AUDIENCE, TASKS_OIDC_SERVICE_ACCOUNT: ACCOUNT, TASKS_SECRET: SECRET,
      FRESHNESS_CHECK_INTERVAL_MS: '60000',
    },
    botOptions: { oidcCertsUrl: certsUrl },
  });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await new Promise((r) => certs?.close(r));
});

const run = (authorization?: string) => fetch(`${t.url}/tasks/run`, { method: 'POST', headers: authorization ? { authorization } : {} });
const checkJob = async () => (await jobsIn(t.store)).get('freshness.check')!;
const alerts = () => t.standin.conversation(channel).filter((m) => /is stale/.test(m.text));

describe('the Cloud Run mode', () => {
  it('starts no timer, and leaves due work alone until a tasks call', async () => {
    expect(t.bot.jobs.polling).toBe(false);
    // The scheduled check falls due.
    await t.store.transition('jobs', 'freshness.check', () => true, () => ({ runAt: Date.now() - 1 }));
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await checkJob()).runAt).toBeLessThan(Date.now());
    expect(alerts()).toHaveLength(0);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong secret', `Bearer ${SECRET}x`],
    ['the secret without Bearer', SECRET],
    ['a token for another audience', `Bearer ${idToken({ aud: 'https://someone-else.run.app' })}`],
    ['a token naming another service account', `Bearer ${idToken({ email: 'intruder@evil.iam.gserviceaccount.com' })}`],
    ['a token whose email is not verified', `Bearer ${idToken({ email_verified: false })}`],
    ['an expired token', `Bearer ${idToken({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })}`],
    ['a token signed by another key', `Bearer ${idToken({}, other.privateKey)}`],
    ['a token from another issuer', `Bearer ${idToken({ iss: 'https://evil.example.com' })}`],
    ['garbage', 'Bearer a.b.c'],
  ])('refuses %s with 401 and runs nothing', async (_what, authorization) => {
    const res = await run(authorization);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ ok: false, error: 'unauthorized' });
    expect((await checkJob()).runAt).toBeLessThan(Date.now());
    expect(alerts()).toHaveLength(0);
  });

  it("runs what is due for Cloud Scheduler's OIDC token, and schedules the next check", async () => {
    const res = await run(`Bearer ${idToken()}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; jobs: { ran: number; more: boolean } };
    expect(body.ok).toBe(true);
    expect(body.jobs.ran).toBeGreaterThanOrEqual(3); // the check and the two alerts it posted
    expect(alerts().map((m) => m.text).sort()).toEqual([expect.stringMatching(/GitHub is stale/), expect.stringMatching(/HubSpot is stale/)]);
    expect((await checkJob()).runAt).toBeGreaterThan(Date.now() + 50_000);
  });

  it('logs a flood of forged calls as a line a minute, not a line each', async () => {
    const before = t.logs.length;
    for (let i = 0; i < 30; i++) expect((await run(`Bearer forged-${i}`)).status).toBe(401);
    expect(t.logs.slice(before).filter((l) => l.includes('refused /tasks/run')).length).toBeLessThanOrEqual(1);
  });

  it('takes the scheme in any case (RFC 9110: case-insensitive), as other schedulers may send it', async () => {
    for (const scheme of ['bearer', 'BEARER']) expect((await run(`${scheme} ${SECRET}`)).status).toBe(200);
  });

  it('runs what is due for the shared secret too, and answers quickly with nothing due', async () => {
    const started = Date.now();
    const res = await run(`Bearer ${SECRET}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { jobs: { ran: number } }).jobs.ran).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('still carries out what a person just did without waiting for the scheduler (the request enqueues and runs it)', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: StandinDefaults.users.regular, channelId: channel });
    await t.standin.submitView(t.client, {
      userId: StandinDefaults.users.regular,
      values: {
        [ActionIds.pipelineRequestSource]: 'other', [ActionIds.pipelineRequestObjects]: 'tickets', [ActionIds.pipelineRequestDestination]: `zendesk_${randomUUID().slice(0, 4)}`,
        [ActionIds.pipelineRequestFrequency]: 'daily', [ActionIds.pipelineRequestOwner]: StandinDefaults.users.regular, [ActionIds.pipelineRequestWhy]: 'support load',
      },
      timeoutMs: 300,
    });
    await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => /zendesk_/.test(JSON.stringify(m.blocks ?? []))), { timeoutMs: 5_000 });
  });

  it('keeps the alias of earlier versions: /tasks/check-freshness checks and lists the sources', async () => {
    const res = await fetch(`${t.url}/tasks/check-freshness`, { method: 'POST', headers: { authorization: `Bearer ${idToken()}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sources: Array<{ id: string; state: string }> };
    expect(body.sources.map((s) => s.id).sort()).toEqual(['github', 'google_sheets', 'hubspot', 'prod_postgres', 'salesforce']);
    expect((await fetch(`${t.url}/tasks/check-freshness`, { method: 'POST' })).status).toBe(401);
  });

  it.each([
    ['the service URL with a trailing slash', `${AUDIENCE}/`],
    ["the target URL (a scheduler job made without --oidc-token-audience)", `${AUDIENCE}/tasks/run`],
  ])('accepts a token minted for %s', async (_what, aud) => {
    expect((await run(`Bearer ${idToken({ aud })}`)).status).toBe(200);
  });

  it('never logs the secret or a token, nor any part of one', async () => {
    // Its own refused tokens first (a bad signature's message quotes the whole token), whatever ran before it.
    expect((await run(`Bearer ${idToken({}, other.privateKey)}`)).status).toBe(401);
    expect((await run(`Bearer ${idToken({ aud: 'https://someone-else.run.app' })}`)).status).toBe(401);
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(idToken().split('.')[2]!.slice(0, 40));
    // A JWT's header and payload start with base64url of '{"': a bad signature's message quotes the whole token.
    expect(logs).toContain('did not verify');
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}/);
  });
});

describe('without any tasks credentials', () => {
  it('answers 404 with the timer trigger: the route is not set up (the http trigger refuses to start without them)', async () => {
    const bare = await startTestBot({ env: {} });
    try {
      expect((await fetch(`${bare.url}/tasks/run`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(404);
    } finally {
      await bare.stop();
    }
  });
});

describe('a call in progress when the process is told to stop (Cloud Run scaling in: SIGTERM, SIGKILL 10 s later)', () => {
  it('is answered at once, saying so, without waiting for the jobs still running (the scheduler saw a reset connection)', async () => {
    const own = await startTestBot({ env: { JOBS_TRIGGER: 'http', TASKS_SECRET: SECRET, FRESHNESS_CHECK_INTERVAL_MS: '60000' } });
    // Slack holds the alerts' post: the run the call waits on cannot end until it is released.
    const held = own.standin.holdNext('chat.postMessage');
    let stopped: Promise<void> | undefined;
    try {
      await own.bot.services.freshness.check();
      const call = fetch(`${own.url}/tasks/run`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } });
      await held.arrived;
      stopped = own.stop();
      // Answered while the post is still held (the bound only ends the test if it never is).
      const res = await Promise.race([call, new Promise<null>((r) => setTimeout(() => r(null), 8_000))]);
      expect(res?.status).toBe(200);
      expect(await res!.json()).toEqual({ ok: true, stopping: true });
    } finally {
      held.release();
      await (stopped ?? own.stop());
    }
  }, 60_000);
});
