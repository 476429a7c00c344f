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

/** How long the bytes may take to reach the upload URL. */
const UPLOAD_TIMEOUT_MS = 30_000;

/**
 * Uploads and shares one file. A refused call throws the Web API client's
 * error (with `data.error`, e.g. `not_in_channel`); an upload URL that does not
 * answer 200 throws a plain error (worth a retry).
 */
export async function uploadFile(client: WebClient, file: FileUpload): Promise<void> {
  const altTxt = file.altText ? cut(file.altText, MAX_ALT_TXT) : undefined;
  // apiCall: the client's typed arguments name it alt_text, which Slack ignores.
  const reserved = (await client.apiCall('files.getUploadURLExternal', {
    filename: file.filename,
    length: file.bytes.length,
    ...(altTxt ? { alt_txt: altTxt } : {}),
  })) as { upload_url?: string; file_id?: string };
  if (!reserved.upload_url || !reserved.file_id) throw new Error('files.getUploadURLExternal answered without an upload URL');

  const uploaded = await fetch(reserved.upload_url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bodyOf(file.bytes),
    signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
  });
  await uploaded.arrayBuffer().catch(() => undefined);
  if (uploaded.status !== 200) throw new Error(`the upload URL answered HTTP ${uploaded.status}`);

  const message = file.initialComment ? { initial_comment: file.initialComment } : file.blocks ? { blocks: file.blocks } : {};
  const files: [{ id: string; title: string }] = [{ id: reserved.file_id, title: file.title }];
  await client.files.completeUploadExternal(
    file.threadTs ? { files, channel_id: file.channelId, thread_ts: file.threadTs, ...message } : { files, channel_id: file.channelId, ...message },
  );
}

/** The bytes as a fetch body: a view, not a copy (fetch copies the body itself), unless they are in shared memory, which fetch does not take. */
function bodyOf(bytes: Buffer): Uint8Array<ArrayBuffer> {
  const { buffer } = bytes;
  return buffer instanceof ArrayBuffer ? new Uint8Array(buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
}

/** Cuts text to `max` characters (code points), with an ellipsis. */
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
