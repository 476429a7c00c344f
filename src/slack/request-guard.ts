/**
 * What Bolt's HTTP receiver does not check, checked before it sees a request
 * to `/slack/events`:
 *
 * - a signature timestamp more than 5 minutes from now in EITHER direction is
 *   refused (401), as Slack's verification guide says; Bolt refuses only old
 *   ones, so a request stamped in the future would stay replayable;
 * - a signed body whose payload is JSON but not an object (`payload=null`,
 *   `payload=1`, `payload="x"`, `payload=[]`, or such a JSON body) is answered
 *   400: Bolt reads properties of it outside any try and the rejection kills
 *   the process;
 * - a signed interaction payload (a click, a menu's options, a form
 *   submission or closing, a shortcut) without a `user` object holding an ID
 *   is acknowledged with an empty 200 and goes no further: Bolt reads
 *   `body.user.id` before any listener, and the TypeError came back as a 500
 *   (Slack then shows the person an error and retries). Nothing is done for a
 *   click nobody can be named for, and a warning is logged (its type and
 *   action, never the body). So is one whose `channel` is there but not an
 *   object, or a form submission or closing without a `view`: Bolt reads
 *   `channel.id` and `view.app_installed_team_id` as unguarded;
 * - a signed Events API body whose `event` is there but not an object is
 *   answered 400 (Bolt reads `'channel' in event`);
 * - a signed click whose `actions` is not a list starting with an action (Bolt
 *   takes `[payload] = actions` outside any try: a 500 for an object, a 3 s
 *   wait and a 404 for the rest), or a click outside a modal or App Home
 *   without the http(s) `response_url` Slack sends with every one (the
 *   listener would act, then fail to say so), is acknowledged and ignored,
 *   with a warning;
 * - so is a signed interaction of a kind the app has no listener for (a
 *   shortcut, a menu's options, a form closing: nothing the app asks Slack
 *   for), even one carrying a click's `actions` (Bolt would run the click's
 *   listener for it), and Slack's `app_rate_limited` notice: Bolt would hold
 *   each 3 s and answer 404, logging an error;
 * - a signed body that is neither an event, a slash command nor an interaction
 *   (an empty form, an unknown type), or a slash command without a
 *   `response_url`, is answered 400.
 *
 * The body is read once here and handed to Bolt as `rawBody`, which Bolt
 * reuses, so its own signature check and parsing run unchanged. Unsigned or
 * badly signed requests go on to Bolt, which answers 401 as before.
 *
 * Hook (src/app.ts, right after the HTTPReceiver is built):
 *   guardSlackRequests(receiver, { signingSecret, logger });
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseForm } from 'node:querystring';
import { isValidSlackRequest } from '@slack/bolt';
import { isRecord } from '../is-record.js';
import { pacedWarning, type Logger } from '../logger.js';
import { requestPath } from '../foreground.js';

/** Slack: "If the timestamp is more than five minutes from local time, it could be a replay attack." */
export const MAX_TIMESTAMP_SKEW_SECONDS = 5 * 60;
/** Bolt's default body limit (4 MB). */
const BODY_LIMIT = 4 * 1024 * 1024;
/** How often a dropped connection is logged, at most. */
const DROPPED_LOG_EVERY_MS = 60_000;

export interface RequestGuardOptions {
  signingSecret: string;
  logger: Logger;
  /** Paths Slack posts to. Default `/slack/events`. */
  endpoints?: string[];
  now?: () => number;
}

export type GuardVerdict =
  | { ok: true }
  | { ok: false; status: 400 | 401; why: string }
  /** Answered 200 and not handed to Bolt. */
  | { ok: false; status: 200; why: string; ignored: true };

/**
 * The checks on one request's raw body and headers: the timestamp window
 * first, then (for a correctly signed request) that its payload is an object.
 * A request Bolt will refuse on its own (no or bad signature) passes.
 */
export function checkSlackRequest(
  headers: IncomingMessage['headers'],
  rawBody: string,
  options: { signingSecret: string; now?: () => number },
): GuardVerdict {
  const contentType = headers['content-type'];
  const form = contentType === 'application/x-www-form-urlencoded' ? parseForm(rawBody) : undefined;
  // Slack's ssl_check carries no signature; Bolt answers it (and drops anything smuggled with it).
  if (form?.['ssl_check'] === '1') return { ok: true };

  const stamp = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (typeof stamp !== 'string' || typeof signature !== 'string') return { ok: true }; // Bolt answers 401
  const timestamp = Number(stamp);
  // Bolt takes a fraction (and refuses only a stale time, not a future one): refused here, with the window below.
  if (!Number.isInteger(timestamp)) return { ok: false, status: 401, why: 'its signature timestamp is not a whole number of seconds' };
  const nowSec = Math.floor((options.now?.() ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestamp) > MAX_TIMESTAMP_SKEW_SECONDS) {
    return { ok: false, status: 401, why: `signature timestamp is ${timestamp - nowSec} s from now (more than ${MAX_TIMESTAMP_SKEW_SECONDS} s)` };
  }
  const signed = isValidSlackRequest({
    signingSecret: options.signingSecret,
    body: rawBody,
    headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    ...(options.now ? { nowMilliseconds: options.now() } : {}),
  });
  if (!signed) return { ok: true }; // Bolt answers 401

  // What Bolt will parse: a form's `payload` as JSON, a form without one as itself, anything else as JSON.
  let body: Record<string, unknown>;
  if (form && form['payload'] === undefined) {
    body = form;
  } else {
    const text = form ? form['payload'] : rawBody;
    if (typeof text !== 'string') return { ok: false, status: 400, why: 'its form has more than one payload' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: true }; // Bolt answers 400 for JSON it cannot parse
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ok: false, status: 400, why: `payload is JSON but not an object (${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed})` };
    }
    body = parsed as Record<string, unknown>;
  }
  if (body['event'] !== undefined) {
    return isRecord(body['event']) ? { ok: true } : { ok: false, status: 400, why: 'its event is not an object' };
  }
  if (body['command'] !== undefined) {
    // The command's answers go by it; without one, what the command did could not be told.
    return isWebUrl(body['response_url']) ? { ok: true } : { ok: false, status: 400, why: 'a slash command without a response_url' };
  }
  // The Events API's URL check, which Bolt answers itself.
  if (body['type'] === 'url_verification') return { ok: true };
  if (body['type'] === 'app_rate_limited') return { ok: false, status: 200, ignored: true, why: 'Slack says the app\'s event subscriptions are being rate limited (app_rate_limited)' };
  if (!isInteraction(body)) {
    // Bolt cannot tell what it is, runs no listener, and holds the request 3 s before answering 404.
    return { ok: false, status: 400, why: `a signed ${describeType(body)} payload is neither an event, a slash command nor an interaction` };
  }
  const lacking = !hasUserId(body['user']) ? 'no user'
    : body['channel'] !== undefined && !isRecord(body['channel']) ? 'a channel that is not an object'
    : VIEW_TYPES.has(String(body['type'])) && !isRecord(body['view']) ? 'no view'
    : body['type'] === 'view_submission' && !isViewId((body['view'] as Record<string, unknown>)['id']) ? 'a view without an ID (what a submission records once is keyed on it)'
    : isClick(body) && !hasAction(body['actions']) ? 'no action (its actions are not a list that starts with one)'
    : isClick(body) && !isRecord(body['view']) && !isWebUrl(body['response_url']) ? 'no response_url, which Slack sends with every click outside a modal or App Home'
    : undefined;
  if (lacking) return { ok: false, status: 200, ignored: true, why: `${describeInteraction(body)} has ${lacking}` };
  // Slack sends only what the app asks for: the manifest has no shortcuts, no options load URL and no workflow
  // steps, and no view sets notify_on_close (test/request-guard.e2e.test.ts checks the manifest). Anything else
  // would wait 3 s for a listener and get a 404. Asking for one of these means adding it here, with its listener.
  // Bolt routes a payload with actions as a click whatever its type says (a "shortcut" with actions would run
  // the click's listener): only what Slack sends as a click, or a form submission, goes on.
  const listened = body['name'] === undefined && (body['type'] === 'block_actions' || (body['type'] === 'view_submission' && body['actions'] === undefined));
  if (!listened) {
    return { ok: false, status: 200, ignored: true, why: `${describeInteraction(body)} is of a kind the app has no listener for` };
  }
  return { ok: true };
}

/** A view's ID: a string, not empty (Slack's are like `VMHU10V25`, but Slack promises no format, so none is asked). */
const isViewId = (id: unknown): boolean => typeof id === 'string' && id !== '';

/** Bolt reads `view.app_installed_team_id` of these. */
const VIEW_TYPES = new Set(['view_submission', 'view_closed']);

/** Interaction types Bolt routes as actions, options, view actions or shortcuts (its getTypeAndConversation). */
const INTERACTION_TYPES = new Set(['block_actions', 'interactive_message', 'block_suggestion', 'dialog_submission', 'shortcut', 'message_action', 'view_submission', 'view_closed']);

/** A payload Bolt reads `user.id` of before any listener runs. */
function isInteraction(body: Record<string, unknown>): boolean {
  return body['name'] !== undefined || body['actions'] !== undefined || INTERACTION_TYPES.has(String(body['type']));
}

/**
 * A click or menu choice, which Bolt takes its first action of (`[payload] = actions`, outside any try). Bolt
 * routes a payload with a `name` as a menu's options request first, whatever else it has: so does this.
 */
function isClick(body: Record<string, unknown>): boolean {
  if (body['name'] !== undefined || body['type'] === 'block_suggestion') return false;
  return body['actions'] !== undefined || body['type'] === 'block_actions';
}

/** An http(s) URL, as Slack's response_url is: Bolt gives a listener `respond` for any truthy one, and posts to it. */
function isWebUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A list whose first item is an action with an ID, as every click of a Block Kit element carries. */
function hasAction(actions: unknown): boolean {
  const first: unknown = Array.isArray(actions) ? actions[0] : undefined;
  return isRecord(first) && typeof first['action_id'] === 'string';
}

/** The payload's `type`, to log: quoted and cut, or "untyped". */
function describeType(body: Record<string, unknown>): string {
  return typeof body['type'] === 'string' ? JSON.stringify(body['type'].slice(0, 40)) : 'untyped';
}

function hasUserId(user: unknown): boolean {
  return isRecord(user) && typeof user['id'] === 'string' && user['id'] !== '';
}

/** The payload's type and, for a click, its first action's ID: what to log of it (never the body, which holds a token). */
function describeInteraction(body: Record<string, unknown>): string {
  const type = typeof body['type'] === 'string' ? body['type'] : 'interaction';
  const actions = body['actions'];
  const first: unknown = Array.isArray(actions) ? actions[0] : undefined;
  const actionId = typeof first === 'object' && first !== null ? (first as { action_id?: unknown }).action_id : undefined;
  const label = typeof actionId === 'string' ? `${type} (action ${JSON.stringify(actionId.slice(0, 80))})` : type;
  return `a signed ${label.slice(0, 120)} payload`;
}

/** Puts the checks in front of an HTTPReceiver's request listener (see the module comment). */
export function guardSlackRequests(receiver: { requestListener: RequestListener }, options: RequestGuardOptions): void {
  const inner = receiver.requestListener;
  const endpoints = new Set(options.endpoints ?? ['/slack/events']);
  const log = options.logger.child({ component: 'request-guard' });
  // A client dropping its connection mid-body is no fault of the bot's, and can be repeated at will.
  const dropped = pacedWarning(log, DROPPED_LOG_EVERY_MS);
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    // The path as Bolt will route it (`/slack/./events` is the endpoint too); one it cannot read, Bolt would fail on.
    const path = requestPath(req.url);
    if (path === null) {
      reply(res, 404);
      return;
    }
    // Other paths (custom routes, 404s) go to Bolt as they came, synchronously, so its own error handling applies.
    if (req.method !== 'POST' || !endpoints.has(path)) {
      inner(req, res);
      return;
    }
    void (async () => {
      const body = await readBody(req, BODY_LIMIT);
      if (body === 'too_large') {
        reply(res, 413);
        return;
      }
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      const verdict = checkSlackRequest(req.headers, body.toString(), options);
      if (!verdict.ok && verdict.status === 200) {
        log.warn('acknowledged and ignored a request to the Slack endpoint', { why: verdict.why });
        reply(res, 200);
        return;
      }
      if (!verdict.ok) {
        log.warn('refused a request to the Slack endpoint', { status: verdict.status, why: verdict.why });
        reply(res, verdict.status);
        return;
      }
      inner(req, res);
    })().catch((err: unknown) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (req.destroyed || code === 'ECONNRESET') {
        dropped('a client went away before its request to the Slack endpoint was read', { code: code ?? null });
      } else {
        log.error('request guard failed', { err, stack: err instanceof Error ? err.stack : undefined });
      }
      reply(res, 500);
    });
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) return 'too_large';
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status, status === 413 ? { connection: 'close' } : {});
  res.end();
}
