/**
 * HTTP plumbing of the stand-in: reading bodies the ways Slack accepts them,
 * answering (also when the caller has gone away), and Slack's coded errors.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Loose } from './types.js';

/** A Slack Web API error: answered as `{ ok: false, error: code, ...extra }`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Loose = {},
  ) {
    super(code);
  }
}

export const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
export const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Slack's boolean arguments: `true`, `"true"`, `1`, `"1"`. */
export const isTrue = (v: unknown): boolean => v === true || v === 1 || v === 'true' || v === '1';

/** An ID shaped like Slack's: a prefix and ten of [0-9A-Z]. */
export function randomId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return prefix + [...randomBytes(10)].map((b) => alphabet[b % 36]).join('');
}

/** A request's whole body (for test servers; the stand-in's routes read at most so much: {@link readBodyUpTo}). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The most a local route (`/local/…`) reads: the page's largest form (a modal of 100 inputs of 3,000
 * characters) is under a megabyte, and a command is a line.
 */
export const LOCAL_BODY_LIMIT = 4 * 1024 * 1024;
/** The most a Web API call or a response_url post may carry: far beyond anything Slack's limits on blocks and text allow. */
export const API_BODY_LIMIT = 16 * 1024 * 1024;
/** The most an upload may carry: Slack's largest file (1 GB). */
export const UPLOAD_BODY_LIMIT = 1024 * 1024 * 1024;

/**
 * A request's body, or undefined when it is longer than `limit` bytes. Without a bound, one careless or hostile
 * client (a 400 MB post) held all of it in memory, several times over, and logged it whole. The rest of a body
 * too long is read and dropped, not kept, so that the client still gets the answer.
 */
export async function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  let chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
    else chunks = [];
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

/**
 * Answers with JSON (or text for a string body). Does nothing when the caller
 * has gone: a test may kill the bot between a call being applied and answered.
 */
/** A path segment decoded, or undefined when its %-encoding is malformed (`/files/%`): that path names nothing. */
export function decodePath(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed || res.socket?.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.on('error', () => {});
  res.writeHead(status, { 'content-type': type, ...headers }).end(text);
}

/** Hostnames that name this machine's loopback interface. */
function isLoopbackName(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Why a request to the page's routes (`/local/…`, which act as any user of the
 * workspace and read all of it) must be refused, or undefined when it may go
 * on. Only the page served here and clients outside a browser (the terminal
 * client, tests) may use them:
 * - a request a browser sends for another site (cross-site request forgery: a
 *   `no-cors` fetch or a form posted from a page in another tab) says so in
 *   `Sec-Fetch-Site`, or, from an older browser, in an `Origin` that is not this server's;
 * - on a server listening on loopback, a `Host` that is not a loopback name is
 *   a page of another site whose name was made to resolve to 127.0.0.1 (DNS rebinding).
 */
export function foreignRequestRefusal(req: IncomingMessage, listenHost: string): string | undefined {
  const host = req.headers.host;
  if (host !== undefined && isLoopbackName(listenHost)) {
    let hostname: string;
    try {
      hostname = new URL(`http://${host}`).hostname;
    } catch {
      hostname = '';
    }
    if (!isLoopbackName(hostname)) {
      return `This Slack stand-in answers only as ${listenHost} or localhost, not as ${JSON.stringify(host.slice(0, 100))}: open http://localhost:<port> (or http://127.0.0.1:<port>) instead.`;
    }
  }
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const foreign = site !== undefined
    ? site !== 'same-origin' && site !== 'none'
    : origin !== undefined && (host === undefined || origin !== `http://${host}`);
  if (foreign) return 'Refused: only the page this Slack stand-in serves may act as a user of its workspace, and this request came from another site.';
  return undefined;
}

/** Multipart parsing borrowed from fetch's Response, to stay dependency-free. */
export async function parseMultipart(raw: Buffer, contentType: string): Promise<Array<[string, string | Buffer]>> {
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const entries: Array<[string, FormDataEntryValue]> = [];
  form.forEach((value, key) => entries.push([key, value]));
  return Promise.all(
    entries.map(async ([key, value]): Promise<[string, string | Buffer]> => [key, typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer())]),
  );
}

/** Arguments Slack accepts as JSON, also inside a form (the client sends them as JSON strings). */
const JSON_ARGS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

/** Parses a Web API body the way Slack accepts it: form, JSON or multipart. */
export async function parseArgs(contentType: string, raw: Buffer): Promise<Loose> {
  let args: Loose = {};
  if (contentType.includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = raw.length ? JSON.parse(raw.toString()) : {};
    } catch {
      throw new ApiError('invalid_json');
    }
    if (!isObj(parsed)) throw new ApiError('invalid_json');
    args = parsed;
  } else if (contentType.includes('multipart/form-data')) {
    for (const [key, value] of await parseMultipart(raw, contentType)) args[key] = value;
  } else {
    args = Object.fromEntries(new URLSearchParams(raw.toString()));
  }
  for (const key of JSON_ARGS) {
    const v = args[key];
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        args[key] = JSON.parse(v);
      } catch {
        throw new ApiError(key === 'blocks' ? 'invalid_blocks_format' : key === 'metadata' ? 'invalid_metadata_format' : 'invalid_arguments');
      }
    }
  }
  return args;
}

/** A JSON object body of a local route, or undefined when it is not one. */
export function jsonObject(raw: Buffer): Loose | undefined {
  try {
    const parsed: unknown = JSON.parse(raw.toString());
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
