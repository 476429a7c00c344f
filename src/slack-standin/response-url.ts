/**
 * response_url: what the bot posts there (and a command's non-empty ack,
 * which Slack shows the same way) becomes a message, with Slack's rules:
 * ephemeral unless in_channel, replace/delete of the original, five uses in
 * thirty minutes.
 */
import type { ServerResponse } from 'node:http';
import { decodeResponseUrlId, type HttpAck, type ResponseUrlContext } from './bot-client.js';
import { checkCommandAck, checkResponseUrlBody } from './facts/check.js';
import { ApiError, isObj, jsonObject, send } from './http.js';
import type { Recorder } from './recorder.js';
import type { Loose, ResponseOrMessage, ResponseRecord, StoredMessage } from './types.js';
import type { Workspace } from './workspace.js';

const RESPONSE_URL_MAX_USES = 5;

/** What `holdNext` takes to hold the next response_url post (any URL's), as a method name holds a Web API call. */
export const RESPONSE_URL_HOLD = 'response_url';
const RESPONSE_URL_TTL_MS = 30 * 60_000;

interface Uses {
  count: number;
  first: number;
}

export class ResponseUrls {
  private readonly uses = new Map<string, Uses>();

  constructor(
    private readonly ws: Workspace,
    private readonly recorder: Recorder,
  ) {}

  reset(): void {
    this.uses.clear();
  }

  /** `POST /response/<id>`. Recorded as it arrives; a hold (`holdNext(RESPONSE_URL_HOLD)`) then keeps it unapplied and unanswered. */
  async serve(id: string, raw: Buffer, res: ServerResponse): Promise<void> {
    const body: Loose = raw.length === 0 ? {} : (jsonObject(raw) ?? (isJson(raw) ? {} : { text: raw.toString() }));
    const record: ResponseRecord = { id, body, at: Date.now() };
    // A test may make it a post that never reached Slack (the bot killed as it sent it).
    if (await this.recorder.lost({ method: RESPONSE_URL_HOLD, args: body, at: record.at })) {
      res.destroy();
      return;
    }
    this.recorder.responses.push(record);
    // A fault queued for the next post (`failNext('response_url', 'expired_url')`), taken as it arrives: answered so, nothing applied.
    const fault = this.recorder.takeFault(RESPONSE_URL_HOLD);
    await this.recorder.held(RESPONSE_URL_HOLD);
    const ctx = decodeResponseUrlId(id);
    const uses = this.uses.get(id) ?? { count: 0, first: Date.now() };
    this.uses.set(id, uses);
    let status = 200;
    if (fault && 'status' in fault) {
      record.error = `HTTP ${fault.status}`;
      this.ws.changed({ kind: 'response' });
      return send(res, fault.status, { ok: false }, fault.headers);
    }
    try {
      if (fault) throw new ApiError(fault.error);
      if (!ctx) throw new ApiError('no_service');
      if (uses.count >= RESPONSE_URL_MAX_USES) throw new ApiError('used_url');
      if (Date.now() - uses.first > RESPONSE_URL_TTL_MS) throw new ApiError('expired_url');
      uses.count += 1;
      const problems = checkResponseUrlBody(body);
      // A command's response_url has no original to act on: Slack posts a replace_original as a new message
      // below the earlier reply (bolt-js#2287, bolt-python#1268; only an action's response_url updates "the
      // original interactive message, ephemeral or not", docs.slack.dev/messaging/modifying-messages).
      if (!ctx?.messageTs && (isTrue(body['replace_original']) || isTrue(body['delete_original']))) {
        const asked = isTrue(body['replace_original']) ? 'replace_original (Slack posts it as a new message)' : 'delete_original (nothing to delete)';
        problems.push({ message: `response_url: ${asked} on a slash command's response_url, which has no original message` });
      }
      this.recorder.violations.add('response_url', problems);
      const refusal = problems.find((p) => p.answer);
      if (refusal?.answer) throw new ApiError(refusal.answer);
      const msg = this.apply(ctx, body, 'response_url');
      if (msg) Object.assign(record, { channel: msg.channel, messageTs: msg.ts });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      record.error = error.code;
      status = error.code === 'no_service' || error.code.endsWith('_url') ? 404 : 400;
    }
    this.ws.changed({ kind: 'response' });
    send(res, status, status === 200 ? { ok: true } : { ok: false, error: record.error });
  }

  /** A non-empty ack body to a command is displayed by Slack like a response_url post. */
  applyAck(ack: HttpAck, ctx: ResponseUrlContext): ResponseOrMessage[] {
    if (ack.status !== 200 || ack.body.trim() === '') return [];
    const body = isObj(ack.json) ? ack.json : { text: ack.body };
    const problems = checkCommandAck(body);
    this.recorder.violations.add('command ack', problems);
    if (!body['text'] && !body['blocks']) return [];
    // Slack refuses it: the user sees Slack's error, not the reply.
    if (problems.some((p) => p.answer)) return [{ via: 'ack', body }];
    try {
      const message = this.apply(ctx, body, 'ack');
      return [{ via: 'ack', body, ...(message ? { message } : {}) }];
    } catch {
      return [{ via: 'ack', body }];
    }
  }

  /**
   * Slack's response_url semantics: ephemeral unless `response_type: 'in_channel'`;
   * `replace_original` / `delete_original` act on the message the action came
   * from; a command's response_url has none, and its posts are new messages.
   */
  private apply(ctx: ResponseUrlContext, body: Loose, via: StoredMessage['via']): StoredMessage | undefined {
    const ws = this.ws;
    const target = ctx.messageTs ? ws.message(ctx.channelId, ctx.messageTs) : undefined;
    if (isTrue(body['delete_original'])) {
      if (target) ws.removeMessage(target);
      return undefined;
    }
    const content = ws.content(body);
    if (isTrue(body['replace_original']) && target) {
      ws.editMessage(target, content, { keepOmitted: false });
      return target;
    }
    const channel = ws.tryResolveChannel(ctx.channelId) ?? ctx.channelId;
    const inChannel = body['response_type'] === 'in_channel';
    return ws.addMessage({ channel, ...content, ...ws.threadOf(body), ...(inChannel ? {} : { ephemeral: { user: ctx.userId } }), via });
  }
}

const isTrue = (v: unknown) => v === true || v === 'true';

/** Parses as JSON but is not an object (e.g. `[1]`): Slack ignores it. */
function isJson(raw: Buffer): boolean {
  try {
    JSON.parse(raw.toString());
    return true;
  } catch {
    return false;
  }
}
