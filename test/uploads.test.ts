/**
 * The file upload's second step, the bytes POSTed to the URL Slack answered
 * (src/slack/uploads.ts), against a loopback server that plays files.slack.com
 * in each way it can answer: 200, an error status, a connection closed halfway
 * through its answer, no answer at all. The Web API steps go through the real
 * client to the same server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { uploadFile } from '../src/slack/uploads.js';
import { SlackApiError } from '../src/errors.js';
import { readBody } from '../src/slack-standin/http.js';
import { loopbackServer } from './support/ports.js';

type UploadAnswer = 'ok' | 'status-500' | 'status-429' | 'status-413' | 'cut' | 'hang-up' | 'silent' | 'closed-port';

interface Seen {
  method: string;
  contentType: string | undefined;
  contentLength: string | undefined;
  bytes: Buffer;
}

let server: Awaited<ReturnType<typeof loopbackServer>>;
let base: string;
let answer: UploadAnswer = 'ok';
const uploads: Seen[] = [];
const completed: string[] = [];

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const json = (value: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  if (req.url === '/api/files.getUploadURLExternal') {
    // Port 9 (discard): nothing listens there on a test machine.
    const origin = answer === 'closed-port' ? 'http://127.0.0.1:9' : base;
    return json({ ok: true, upload_url: `${origin}/upload/v1/F1?sig=s3cr3t`, file_id: 'F1' });
  }
  if (req.url === '/api/files.completeUploadExternal') {
    completed.push(body.toString('utf8'));
    return json({ ok: true, files: [{ id: 'F1' }] });
  }
  if (req.url?.startsWith('/upload/')) {
    uploads.push({ method: req.method ?? '', contentType: req.headers['content-type'], contentLength: req.headers['content-length'], bytes: body });
    if (answer === 'ok') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('OK - 5');
    if (answer === 'status-500') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('upload failed');
    if (answer === 'status-429') return void res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '42' }).end('slow down');
    if (answer === 'status-413') return void res.writeHead(413, { 'content-type': 'text/plain' }).end('too large');
    if (answer === 'hang-up') return void res.socket?.destroy(); // took the bytes, answers nothing
    if (answer === 'cut') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('OK');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    return; // silent: never answers
  }
  res.writeHead(404).end();
}

beforeAll(async () => {
  server = await loopbackServer(handle);
  base = server.url;
});
afterAll(() => server.close());

function client(): WebClient {
  return new WebClient('xoxb-uploads-test', { slackApiUrl: `${base}/api/`, retryConfig: { retries: 0 } });
}

const png = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));

function fresh(next: UploadAnswer): void {
  answer = next;
  uploads.length = 0;
  completed.length = 0;
}

describe('uploadFile: the bytes to the upload URL', () => {
  it('POSTs the bytes as they are, with their length and type, then completes the upload', async () => {
    fresh('ok');
    // A view into a larger buffer, as the chart renderer hands them over: only the view's bytes go.
    const pool = Buffer.concat([Buffer.from('before'), png, Buffer.from('after')]);
    const bytes = pool.subarray(6, 6 + png.length);
    await uploadFile(client(), { channelId: 'C1', bytes, filename: 'chart.png', title: 'Chart' });
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ method: 'POST', contentType: 'application/octet-stream', contentLength: String(png.length) });
    expect(uploads[0]!.bytes.equals(png)).toBe(true);
    expect(completed).toHaveLength(1);
    expect(completed[0]).toContain('F1');
  });

  it('fails, without completing, when the upload URL answers an error status', async () => {
    fresh('status-500');
    await expect(uploadFile(client(), { channelId: 'C1', bytes: png, filename: 'chart.png', title: 'Chart' })).rejects.toThrow('the upload URL answered HTTP 500');
    expect(uploads).toHaveLength(1);
    expect(completed).toHaveLength(0);
  });

  it('codes the upload URL\'s refusals as Slack\'s: a 5xx is Slack down, a 429 waits out its Retry-After, any other is tried again', async () => {
    const refusal = async (kind: UploadAnswer) => {
      fresh(kind);
      const err = await uploadFile(client(), { channelId: 'C1', bytes: png, filename: 'chart.png', title: 'Chart' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SlackApiError);
      expect(completed).toHaveLength(0);
      const e = err as SlackApiError;
      return { slackError: e.slackError, retryable: e.retryable, retryAfterMs: e.retryAfterMs, message: e.message };
    };
    expect(await refusal('status-500')).toEqual({ slackError: 'http_500', retryable: true, retryAfterMs: undefined, message: 'the upload URL answered HTTP 500' });
    expect(await refusal('status-429')).toEqual({ slackError: 'ratelimited', retryable: true, retryAfterMs: 42_000, message: 'the upload URL rate-limited the upload; retry after 42 s' });
    expect(await refusal('status-413')).toEqual({ slackError: 'request_failed', retryable: true, retryAfterMs: undefined, message: 'the upload URL answered HTTP 413' });
  });

  it('fails, without completing, when the connection closes halfway through the answer', async () => {
    fresh('cut');
    await expect(uploadFile(client(), { channelId: 'C1', bytes: png, filename: 'chart.png', title: 'Chart' })).rejects.toThrow(/^the upload URL closed the connection before answering in full \(UND_ERR_SOCKET\)$/);
    expect(completed).toHaveLength(0);
  });

  it('fails, without completing, when the upload URL takes the bytes and hangs up without an answer', async () => {
    fresh('hang-up');
    await expect(uploadFile(client(), { channelId: 'C1', bytes: png, filename: 'chart.png', title: 'Chart' })).rejects.toThrow(/^the upload URL closed the connection before answering \((UND_ERR_SOCKET|ECONNRESET)\)$/);
    expect(uploads).toHaveLength(1);
    expect(completed).toHaveLength(0);
  });

  it('fails, without completing, when nothing listens at the upload URL, and says so without the URL', async () => {
    fresh('closed-port');
    const failure = await uploadFile(client(), { channelId: 'C1', bytes: png, filename: 'chart.png', title: 'Chart' }).then(() => null, (err: unknown) => err as Error);
    expect(failure?.message).toBe('could not reach the upload URL (ECONNREFUSED)');
    expect(completed).toHaveLength(0);
  });

  it('gives up after its deadline when the upload URL never answers, and says so without the URL', async () => {
    fresh('silent');
    const started = Date.now();
    const failure = await uploadFile(client(), { channelId: 'C1', bytes: png, filename: 'chart.png', title: 'Chart' }, { timeoutMs: 300 }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toBe('the upload URL did not answer within 0.3 s');
    expect(failure?.message).not.toContain('s3cr3t');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(uploads).toHaveLength(1);
    expect(completed).toHaveLength(0);
  });
});
