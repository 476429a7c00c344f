/**
 * Uploads a file into a conversation the way Slack documents it: three steps,
 * files.getUploadURLExternal (name, size, alt text), the bytes POSTed to the
 * URL it answers, then files.completeUploadExternal (title, where, message).
 *
 * Not @slack/web-api's filesUploadV2: it sends an image's description as
 * `alt_text`, and files.getUploadURLExternal takes `alt_txt` (Slack's method
 * reference; the Python SDK sends `alt_txt` too). Slack ignores an argument a
 * method does not take, so the chart reached Slack without its alt text, and
 * screen-reader users got nothing. See src/slack-standin/facts/web-api.ts.
 */
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { request } from 'undici';
import { SlackApiError } from '../errors.js';
import { parseRetryAfter } from '../adapters/retry-after.js';

export interface FileUpload {
  channelId: string;
  threadTs?: string | null;
  bytes: Buffer;
  filename: string;
  title: string;
  /** What an image shows, for screen readers (at most 1,000 characters: longer is cut). */
  altText?: string;
  /** The message the file is shared with: blocks, or a plain comment (Slack ignores blocks when both are given). */
  blocks?: KnownBlock[];
  initialComment?: string;
}

/** files.getUploadURLExternal refuses a longer alt_txt (`alt_txt_too_large`). */
export const MAX_ALT_TXT = 1_000;

/** How long the bytes may take to reach the upload URL and be answered. */
const UPLOAD_TIMEOUT_MS = 30_000;

/**
 * Uploads and shares one file. A refused call throws the Web API client's
 * error (with `data.error`, e.g. `not_in_channel`); an upload URL that does not
 * answer 200 throws a plain error (worth a retry).
 */
export async function uploadFile(client: WebClient, file: FileUpload, options: { timeoutMs?: number } = {}): Promise<void> {
  const altTxt = file.altText ? cut(file.altText, MAX_ALT_TXT) : undefined;
  // apiCall: the client's typed arguments name it alt_text, which Slack ignores.
  const reserved = (await client.apiCall('files.getUploadURLExternal', {
    filename: file.filename,
    length: file.bytes.length,
    ...(altTxt ? { alt_txt: altTxt } : {}),
  })) as { upload_url?: string; file_id?: string };
  if (!reserved.upload_url || !reserved.file_id) throw new Error('files.getUploadURLExternal answered without an upload URL');

  const answer = await postBytes(reserved.upload_url, file.bytes, options.timeoutMs ?? UPLOAD_TIMEOUT_MS);
  if (answer.status !== 200) throw uploadRefused(answer);

  const message = file.initialComment ? { initial_comment: file.initialComment } : file.blocks ? { blocks: file.blocks } : {};
  const files: [{ id: string; title: string }] = [{ id: reserved.file_id, title: file.title }];
  await client.files.completeUploadExternal(
    file.threadTs ? { files, channel_id: file.channelId, thread_ts: file.threadTs, ...message } : { files, channel_id: file.channelId, ...message },
  );
}

/**
 * POSTs the bytes with undici's request (the client src/slack/fetch.ts gives
 * the Web API calls), the buffer written as it is, and resolves with the
 * status once the answer has been read. (fetch copied the bytes twice and
 * streamed them through web streams, all on the event loop that acks: in the
 * ack-charts benchmark that was an eighth of its busy time.) Rejects when the
 * connection fails or closes before the answer is complete, or after
 * `timeoutMs` in all; no message names the URL, which is signed.
 */
async function postBytes(url: string, bytes: Buffer, timeoutMs: number): Promise<{ status: number; retryAfter: string | null }> {
  const signal = AbortSignal.timeout(timeoutMs);
  const late = () => new Error(`the upload URL did not answer within ${timeoutMs / 1000} s`);
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes, signal });
  } catch (err) {
    if (signal.aborted) throw late();
    // The code only (ECONNREFUSED, ENOTFOUND…): the URL is signed, and messages may quote it.
    const code = errorCode(err);
    if (CONNECT_FAILURES.test(code)) throw new Error(`could not reach the upload URL (${code})`);
    throw new Error(`the upload URL closed the connection before answering (${code})`);
  }
  try {
    await answer.body.arrayBuffer(); // read whole: a connection cut before the end rejects (dump() would not say)
  } catch (err) {
    if (signal.aborted) throw late();
    throw new Error(`the upload URL closed the connection before answering in full (${errorCode(err)})`);
  }
  const retryAfter = answer.headers['retry-after'];
  return { status: answer.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
}

/**
 * The upload URL answered other than 200 (Slack documents only that): Slack's trouble, coded as a Web API
 * call's would be, so that a job waits out a 429's Retry-After and counts a 5xx as Slack being down (not as
 * the file's fault); any other status is tried again too, as the upload's own.
 */
function uploadRefused(answer: { status: number; retryAfter: string | null }): SlackApiError {
  const { status } = answer;
  if (status === 429) {
    const waitMs = parseRetryAfter(answer.retryAfter) ?? 30_000;
    return new SlackApiError('ratelimited', `the upload URL rate-limited the upload; retry after ${Math.ceil(waitMs / 1000)} s`, { retryable: true, retryAfterMs: waitMs });
  }
  return new SlackApiError(status >= 500 ? `http_${status}` : 'request_failed', `the upload URL answered HTTP ${status}`, { retryable: true });
}

/** Codes of a connection that never got as far as sending: no host, no listener, no route, no TLS. */
const CONNECT_FAILURES = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|ERR_SSL_\w+|ERR_TLS_\w+|CERT_\w+|\w*SELF_SIGNED\w*|UNABLE_TO_\w+)$/;

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : 'network error';
}

/** Cuts text to `max` characters (code points), with an ellipsis. */
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
