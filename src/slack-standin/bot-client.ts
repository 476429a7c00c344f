import { randomBytes } from 'node:crypto';
import { signSlackRequest } from './signing.js';
import { escapeMrkdwn } from '../blockkit/mrkdwn.js';

/** What the bot's HTTP receiver answered: the ack Slack would see. */
export interface HttpAck {
  status: number;
  body: string;
  /** `body` parsed, when it is JSON. */
  json?: unknown;
  /** Time until the response arrived; Slack gives up after 3000 ms. */
  ms: number;
}

/** The ack of a request that carried a `response_url` and/or `trigger_id`. */
export interface InteractionAck extends HttpAck {
  responseUrl?: string;
  triggerId: string;
}

/** Options of {@link BotClient}. */
export interface BotClientOptions {
  /** The bot's events endpoint, e.g. `http://127.0.0.1:3000/slack/events`. */
  botUrl: string;
  signingSecret: string;
  /** Base for `response_url`s, e.g. `${standin.url}/response`; each request gets its own URL under it. */
  responseUrlBase: string;
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
}

/** A user as Slack describes them in payloads; only `userId` is required. */
export interface Actor {
  userId: string;
  /** Defaults to the user ID in lower case. */
  userName?: string;
}

/** One element interaction in a `block_actions` payload. Extra fields (selected_date, …) pass through. */
export interface ActionInput {
  action_id: string;
  block_id: string;
  /** Defaults to 'button'. */
  type?: string;
  value?: string;
  text?: { type: 'plain_text'; text: string; emoji?: boolean };
  selected_option?: { text: { type: 'plain_text'; text: string }; value: string };
  action_ts?: string;
  [extra: string]: unknown;
}

/** Where a block action happened: a message in a channel, or a view (modal / App Home). */
export interface BlockActionInput extends Actor {
  actions: ActionInput[];
  /** Required for actions in messages. */
  channelId?: string;
  channelName?: string;
  /** The message the action was taken on (Slack omits it for ephemeral messages: pass `container` instead). */
  message?: { ts: string; [field: string]: unknown };
  /** The view the action was taken in. */
  view?: { id: string; [field: string]: unknown };
  container?: Record<string, unknown>;
  /** Override the generated response_url. */
  responseUrl?: string;
  state?: { values: Record<string, Record<string, unknown>> };
  /** The click's trigger ID; by default a new one. An earlier click's stands for Slack delivering that click again. */
  triggerId?: string;
}

/**
 * The context a stand-in `response_url` stands for. Slack keeps this on its
 * side; the stand-in keeps it in the URL so that the client and the server
 * need not share memory (the CLI runs in another process).
 */
export interface ResponseUrlContext {
  channelId: string;
  userId: string;
  /** The message an action came from: what replace_original/delete_original act on. */
  messageTs?: string;
}

/** Encodes a response_url context into a URL-safe, unique ID. */
export function encodeResponseUrlId(ctx: ResponseUrlContext): string {
  const packed = Buffer.from(JSON.stringify([ctx.channelId, ctx.userId, ctx.messageTs ?? null])).toString('base64url');
  return `${packed}.${randomBytes(6).toString('hex')}`;
}

/** Decodes {@link encodeResponseUrlId}; undefined when the ID was not made by it. */
export function decodeResponseUrlId(id: string): ResponseUrlContext | undefined {
  try {
    const [channelId, userId, messageTs] = JSON.parse(Buffer.from(id.split('.')[0] ?? '', 'base64url').toString()) as unknown[];
    if (typeof channelId !== 'string' || typeof userId !== 'string') return undefined;
    return { channelId, userId, ...(typeof messageTs === 'string' ? { messageTs } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Makes a trigger_id shaped like Slack's (`digits.digits.hex`) that carries when
 * it was issued, for whom, and the view it was clicked in (if any): the stand-in
 * enforces Slack's 3-second expiry, opens the modal for that user, and pushes
 * only on top of the modal the click was in.
 */
export function makeTriggerId(userId: string, issuedAtMs: number = Date.now(), fromViewId?: string): string {
  return `${issuedAtMs}.${randomBytes(4).readUInt32BE()}.${Buffer.from(fromViewId ? `${userId}/${fromViewId}` : userId).toString('hex')}`;
}

/** Decodes {@link makeTriggerId}; undefined for foreign trigger IDs. */
export function decodeTriggerId(triggerId: string): { issuedAtMs: number; userId: string; fromViewId?: string } | undefined {
  const [ms, , hex] = triggerId.split('.');
  const issuedAtMs = Number(ms);
  if (!Number.isFinite(issuedAtMs) || !hex || !/^[0-9a-f]+$/.test(hex)) return undefined;
  const [userId = '', fromViewId] = Buffer.from(hex, 'hex').toString().split('/');
  return { issuedAtMs, userId, ...(fromViewId ? { fromViewId } : {}) };
}

/**
 * Plays Slack's side of Slack → bot: sends signed slash commands and
 * interactivity payloads to the bot's real HTTP receiver, with the fields
 * and encodings Slack uses.
 */
export class BotClient {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly apiAppId: string;

  constructor(private readonly options: BotClientOptions) {
    this.teamId = options.teamId ?? 'T0ANALYTIC';
    this.teamDomain = options.teamDomain ?? 'analytics-demo';
    this.apiAppId = options.apiAppId ?? 'A0ANALYTIC';
  }

  /** A fresh response_url for a request in `channelId` by `userId`. */
  responseUrl(ctx: ResponseUrlContext): string {
    return `${this.options.responseUrlBase.replace(/\/$/, '')}/${encodeResponseUrlId(ctx)}`;
  }

  /**
   * Sends a slash command (form-encoded, as Slack does). Its text is escaped
   * as Slack escapes all text (`&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`:
   * api.slack.com/docs/formatting, "How to escape characters"; seen in command
   * text in looker/lookerbot#52 and slack-ruby/slack-ruby-bot#237).
   */
  async command(input: {
    command: string;
    text?: string;
    userId: string;
    userName?: string;
    channelId: string;
    channelName?: string;
    triggerId?: string;
  }): Promise<InteractionAck & { responseUrl: string }> {
    const responseUrl = this.responseUrl({ channelId: input.channelId, userId: input.userId });
    const triggerId = input.triggerId ?? makeTriggerId(input.userId);
    const form = new URLSearchParams({
      token: 'standin-verification-token',
      team_id: this.teamId,
      team_domain: this.teamDomain,
      channel_id: input.channelId,
      channel_name: input.channelName ?? (input.channelId.startsWith('D') ? 'directmessage' : input.channelId.toLowerCase()),
      user_id: input.userId,
      user_name: input.userName ?? input.userId.toLowerCase(),
      command: input.command,
      text: escapeMrkdwn(input.text ?? ''),
      api_app_id: this.apiAppId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    });
    return { ...(await this.signedPost(form.toString())), responseUrl, triggerId };
  }

  /** Sends a `block_actions` payload: a button click, a select, … in a message or a view. */
  async blockAction(input: BlockActionInput): Promise<InteractionAck> {
    const triggerId = input.triggerId ?? makeTriggerId(input.userId, Date.now(), input.view?.id);
    const actionTs = (Date.now() / 1000).toFixed(6);
    const inMessage = input.view === undefined;
    const messageTs = input.message?.ts ?? (input.container?.['message_ts'] as string | undefined);
    const responseUrl =
      input.responseUrl ??
      (inMessage && input.channelId ? this.responseUrl({ channelId: input.channelId, userId: input.userId, messageTs }) : undefined);
    const container =
      input.container ??
      (inMessage
        ? { type: 'message', message_ts: messageTs, channel_id: input.channelId, is_ephemeral: false }
        : { type: 'view', view_id: input.view?.id });
    const payload = {
      type: 'block_actions',
      user: this.user(input),
      api_app_id: this.apiAppId,
      token: 'standin-verification-token',
      container,
      trigger_id: triggerId,
      team: { id: this.teamId, domain: this.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      ...(input.channelId ? { channel: { id: input.channelId, name: input.channelName ?? input.channelId.toLowerCase() } } : {}),
      ...(input.message ? { message: input.message } : {}),
      ...(input.view ? { view: input.view } : {}),
      state: input.state ?? { values: {} },
      ...(responseUrl ? { response_url: responseUrl } : {}),
      actions: input.actions.map((a) => ({ type: 'button', action_ts: actionTs, ...a })),
    };
    return { ...(await this.sendPayload(payload)), triggerId, ...(responseUrl ? { responseUrl } : {}) };
  }

  /** Sends a `view_submission` payload; `view.state.values` carries what the user entered. */
  async viewSubmission(input: Actor & { view: { id: string; [field: string]: unknown } }): Promise<InteractionAck> {
    // Not from inside the view: a submission pushes with response_action, not views.push.
    const triggerId = makeTriggerId(input.userId);
    const payload = {
      type: 'view_submission',
      team: { id: this.teamId, domain: this.teamDomain },
      user: this.user(input),
      api_app_id: this.apiAppId,
      token: 'standin-verification-token',
      trigger_id: triggerId,
      view: { state: { values: {} }, ...input.view },
      response_urls: [],
      enterprise: null,
      is_enterprise_install: false,
    };
    return { ...(await this.sendPayload(payload)), triggerId };
  }

  /** Sends a `view_closed` payload (only sent by Slack for views with notify_on_close). */
  async viewClosed(input: Actor & { view: { id: string; [field: string]: unknown }; isCleared?: boolean }): Promise<HttpAck> {
    return this.sendPayload({
      type: 'view_closed',
      team: { id: this.teamId, domain: this.teamDomain },
      user: this.user(input),
      api_app_id: this.apiAppId,
      token: 'standin-verification-token',
      view: input.view,
      is_cleared: input.isCleared ?? false,
      enterprise: null,
      is_enterprise_install: false,
    });
  }

  /**
   * Sends an Events API `event_callback` (JSON, as Slack does), e.g.
   * `{ type: 'app_home_opened', user, channel, tab: 'home' }`.
   */
  async event(event: { type: string; [field: string]: unknown }, options: { botUserId?: string } = {}): Promise<HttpAck> {
    const now = Date.now();
    const body = JSON.stringify({
      token: 'standin-verification-token',
      team_id: this.teamId,
      api_app_id: this.apiAppId,
      event: { event_ts: (now / 1000).toFixed(6), ...event },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(now / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.teamId, user_id: options.botUserId ?? 'U0BOT', is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    });
    return this.raw(body, {
      'content-type': 'application/json',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signSlackRequest(this.options.signingSecret, body),
    });
  }

  /** Sends an arbitrary body with exactly the given headers (unsigned, badly signed, stale, …). */
  async raw(body: string, headers: Record<string, string>): Promise<HttpAck> {
    const started = performance.now();
    const res = await fetch(this.options.botUrl, { method: 'POST', headers, body });
    const text = await res.text();
    const ms = Math.round(performance.now() - started);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, body: text, ms, ...(json === undefined ? {} : { json }) };
  }

  private user(actor: Actor) {
    const name = actor.userName ?? actor.userId.toLowerCase();
    return { id: actor.userId, username: name, name, team_id: this.teamId };
  }

  private sendPayload(payload: unknown): Promise<HttpAck> {
    return this.signedPost(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  }

  private signedPost(body: string): Promise<HttpAck> {
    // Exactly this content type: Bolt compares it verbatim (no charset) before parsing the form.
    return this.raw(body, {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signSlackRequest(this.options.signingSecret, body),
    });
  }
}
