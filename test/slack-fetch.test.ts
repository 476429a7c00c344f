/**
 * The fetch the Slack clients are given (src/slack/fetch.ts), under the real
 * Web API client and as Bolt's respond() calls it, against a loopback server
 * that answers each way Slack's Web API can: ok, a method error, an HTTP
 * error, a rate limit, a redirect, silence.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, LogLevel, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { slackFetch } from '../src/slack/fetch.js';
import { readBody } from '../src/slack-standin/http.js';
import { loopbackServer } from './support/ports.js';

interface Seen {
  url: string;
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Awaited<ReturnType<typeof loopbackServer>>;
let base: string;
const seen: Seen[] = [];

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = (await readBody(req)).toString('utf8');
  seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers, body });
  const json = (status: number, value: unknown, headers: Record<string, string | string[]> = {}): void =>
    void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(value));
  switch (req.url) {
    case '/api/chat.postMessage':
      return json(200, { ok: true, channel: 'C1', ts: '1.000100', text: 'héllo ✓' }, { 'x-oauth-scopes': 'chat:write, files:write', 'x-accepted-oauth-scopes': 'chat:write', 'set-cookie': ['a=1', 'b=2'] });
    case '/api/conversations.join':
      return json(200, { ok: false, error: 'not_in_channel' });
    case '/api/users.info':
      return void res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream broke');
    case '/api/views.open':
      return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '7' });
    case '/api/auth.test':
      return void res.writeHead(302, { location: `${base}/elsewhere` }).end();
    case '/api/team.info':
      return; // silent
    case '/response/1':
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
    case '/response/silent':
      return; // never answers
    case '/response/expired':
      return void res.writeHead(404, { 'content-type': 'text/html' }).end('expired_url');
    default:
      return void res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = await loopbackServer(handle);
  base = server.url;
});
afterAll(() => server.close());

const client = (timeout = 2_000) => new WebClient('xoxb-fetch-test', {
  slackApiUrl: `${base}/api/`, logLevel: LogLevel.ERROR, fetch: slackFetch(), retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout,
});

describe('the Slack clients’ fetch', () => {
  it('carries a Web API call and its answer: form body, token in the header, JSON, the scope headers', async () => {
    const result = await client().chat.postMessage({ channel: 'C1', text: 'héllo ✓', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] });
    expect(result).toMatchObject({ ok: true, ts: '1.000100', text: 'héllo ✓' });
    expect(result.response_metadata).toMatchObject({ scopes: ['chat:write', 'files:write'], acceptedScopes: ['chat:write'] });
    const request = seen.findLast((s) => s.url === '/api/chat.postMessage')!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe('Bearer xoxb-fetch-test');
    expect(Number(request.headers['content-length'])).toBe(Buffer.byteLength(request.body));
    const form = new URLSearchParams(request.body);
    expect(form.get('text')).toBe('héllo ✓');
    expect(JSON.parse(form.get('blocks')!)).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }]);
  });

  it('gives the client what it needs for each failure: the method error, the HTTP status and body, Retry-After', async () => {
    await expect(client().conversations.join({ channel: 'C1' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: 'not_in_channel' } } satisfies Partial<WebAPIPlatformError>);
    await expect(client().users.info({ user: 'U1' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError, statusCode: 500, statusMessage: 'Internal Server Error', body: 'upstream broke',
    } satisfies Partial<WebAPIHTTPError>);
    await expect(client().views.open({ trigger_id: 't', view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } }))
      .rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 } satisfies Partial<WebAPIRateLimitedError>);
  });

  it('follows no redirect, and gives up on silence at the client’s timeout', async () => {
    const before = seen.length;
    const redirected = client().auth.test();
    await expect(redirected).rejects.toMatchObject({ code: ErrorCode.RequestError });
    await expect(redirected).rejects.not.toThrow(/127\.0\.0\.1|elsewhere/);
    expect(seen.slice(before).map((s) => s.url)).toEqual(['/api/auth.test']);
    const started = performance.now();
    await expect(client(300).team.info()).rejects.toMatchObject({ code: ErrorCode.RequestError });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('posts to a response_url as Bolt’s respond() does, and reads its answer', async () => {
    const fetch = slackFetch();
    const ok = await fetch(`${base}/response/1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'hi', replace_original: true }) });
    expect([ok.ok, ok.status, ok.statusText, await ok.text(), ok.headers.get('Content-Type'), ok.url]).toEqual([true, 200, 'OK', 'ok', 'text/html', `${base}/response/1`]);
    const request = seen.findLast((s) => s.url === '/response/1')!;
    expect([request.headers['content-type'], JSON.parse(request.body)]).toEqual(['application/json', { text: 'hi', replace_original: true }]);
    const expired = await fetch(`${base}/response/expired`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect([expired.ok, expired.status, expired.statusText, expired.headers.get('x-missing')]).toEqual([false, 404, 'Not Found', null]);
  });

  it('gives up on a response_url that does not answer (respond() brings no timeout of its own), without quoting the URL', async () => {
    const started = performance.now();
    const silent = slackFetch({ timeoutMs: 300 })(`${base}/response/silent`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"hi"}' });
    await expect(silent).rejects.toThrow('no answer within 0.3 s');
    await expect(silent).rejects.not.toThrow(/127\.0\.0\.1|response/);
    expect(performance.now() - started).toBeLessThan(3_000);
    // The Web API client's own timeout still decides for its calls.
    const called = performance.now();
    await expect(new WebClient('xoxb-fetch-test', { slackApiUrl: `${base}/api/`, logLevel: LogLevel.ERROR, fetch: slackFetch({ timeoutMs: 60_000 }), retryConfig: { retries: 0 }, timeout: 300 }).team.info())
      .rejects.toMatchObject({ code: ErrorCode.RequestError });
    expect(performance.now() - called).toBeLessThan(3_000);
  });

  it('reads repeated headers joined, and the answer as bytes and JSON', async () => {
    const answer = await slackFetch()(`${base}/api/chat.postMessage`, { method: 'POST', body: '' });
    expect(answer.headers.get('Set-Cookie')).toBe('a=1, b=2');
    expect(new Map(answer.headers.entries()).get('x-oauth-scopes')).toBe('chat:write, files:write');
    const again = await slackFetch()(`${base}/api/chat.postMessage`, { method: 'POST', body: '' });
    expect(Buffer.from(await again.arrayBuffer()).toString('utf8')).toContain('héllo ✓');
    expect(await answer.json()).toMatchObject({ ok: true, ts: '1.000100' });
  });

  it('hands a multipart form to Node’s fetch', async () => {
    const form = new FormData();
    form.append('channels', 'C1');
    form.append('file', new Blob([Buffer.from('a,b\n1,2\n')]), 'x.csv');
    const answer = await slackFetch()(`${base}/response/1`, { method: 'POST', body: form });
    expect(answer.ok).toBe(true);
    const request = seen.findLast((s) => s.url === '/response/1')!;
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.body).toContain('a,b\n1,2\n');
  });
});
