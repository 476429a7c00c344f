/**
 * The `fetch` the Slack clients are given (the Web API client's calls and
 * Bolt's `respond`): undici's `request`, the same HTTP client and connection
 * pool Node's fetch runs on, without the WHATWG layer on top.
 *
 * Node's fetch wraps every request and answer in web streams (a
 * ReadableStream each way, made transferable, with a Request, a Response and
 * their Headers); for a Slack call of a few hundred bytes that layer is most
 * of the work, and all of it is on the event loop that acknowledges Slack's
 * requests: while charts rendered, a tenth of its busy time. Here the answer
 * is read whole (Slack's answers are small JSON) and handed back as the part
 * of a Response the clients read: status, statusText, ok, url, headers, text,
 * json, arrayBuffer.
 *
 * As fetch with `redirect: 'error'` (the Web API client's setting), a
 * redirect is an error; no redirect is followed (Slack's API and response
 * URLs answer in place). A body that is not a string (the Web API client's
 * multipart form, for a file) goes to Node's fetch as before. No
 * accept-encoding is sent, so answers come uncompressed: the bot's calls
 * (posts, uploads, views, a usergroup's members) answer a few kilobytes at most.
 *
 * A request that brings no signal of its own (Bolt's respond() brings none;
 * the Web API client brings its timeout) gives up after `timeoutMs`: a person
 * waits on a response_url post, and undici alone would wait five minutes for
 * an answer that does not come, holding the listener all that time.
 */
import { STATUS_CODES } from 'node:http';
import type { FetchFunction } from '@slack/web-api';
import { request } from 'undici';

type FetchResponse = Awaited<ReturnType<FetchFunction>>;
type FetchHeaders = FetchResponse['headers'];

/** How long a request without a signal of its own (a response_url post) may take, answer included. */
export const SLACK_FETCH_TIMEOUT_MS = 10_000;

/** A FetchFunction, the Web API client's contract for its `fetch` option (Bolt's App passes it to respond too). */
export function slackFetch(options: { timeoutMs?: number } = {}): FetchFunction {
  const timeoutMs = options.timeoutMs ?? SLACK_FETCH_TIMEOUT_MS;
  return async (input, init = {}) => {
    const ownTimeout = init.signal ? undefined : AbortSignal.timeout(timeoutMs);
    const signal = init.signal ?? ownTimeout;
    try {
      // A multipart body (a file) goes to Node's fetch, whose Response is a FetchResponse (its Headers has the
      // entries() the lib's type of it leaves out: hence the cast).
      if (init.body !== undefined && typeof init.body !== 'string') return (await fetch(input, { ...init, signal })) as unknown as FetchResponse;
      const url = String(input);
      const answer = await request(url, {
        method: (init.method ?? 'GET') as 'GET',
        headers: init.headers ?? {},
        body: init.body ?? null,
        signal: signal ?? null,
      });
      return await answerOf(url, answer, init);
    } catch (err) {
      // Not the URL, nor undici's text: a response_url is a credential.
      if (ownTimeout?.aborted) throw new TypeError(`no answer within ${timeoutMs / 1000} s`, { cause: err });
      throw err;
    }
  };
}

/**
 * A post to a response_url kept from an earlier click (Bolt's respond() for a click that has passed:
 * a form opened from a message, saved later), by the same fetch. Slack takes one for 30 minutes and
 * five uses; past them it answers 404, thrown as an error that names neither the URL nor its answer.
 */
export async function postToResponseUrl(url: string, message: object, fetchFn: FetchFunction = slackFetch()): Promise<void> {
  const answer = await fetchFn(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(message) });
  if (!answer.ok) throw new Error(`the response_url answered HTTP ${answer.status}`);
}

/** The answer read whole, as a FetchResponse; a redirect is an error. */
async function answerOf(url: string, answer: Awaited<ReturnType<typeof request>>, init: { redirect?: string }): Promise<FetchResponse> {
  const bytes = Buffer.from(await answer.body.arrayBuffer());
  if (answer.statusCode >= 300 && answer.statusCode < 400 && init.redirect !== 'manual') {
    // Not the URL: a response_url is a credential.
    throw new TypeError(`answered HTTP ${answer.statusCode}, a redirect (not followed)`);
  }
  return new SlackAnswer(url, answer.statusCode, answer.headers, bytes);
}

/** What the Slack clients read of a Response. */
class SlackAnswer implements FetchResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: AnswerHeaders;
  constructor(readonly url: string, readonly status: number, raw: Record<string, string | string[] | undefined>, private readonly bytes: Buffer) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
    this.headers = new AnswerHeaders(raw);
  }
  text(): Promise<string> {
    return Promise.resolve(this.bytes.toString('utf8'));
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength) as ArrayBuffer);
  }
}

/** Headers' reading half: `get` (case-insensitive, repeated values joined with ", ", null when absent) and `entries`. */
class AnswerHeaders implements FetchHeaders {
  private readonly map = new Map<string, string>();
  constructor(raw: Record<string, string | string[] | undefined>) {
    for (const [name, value] of Object.entries(raw)) {
      if (value !== undefined) this.map.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}
