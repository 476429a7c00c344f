/**
 * Local routes: the browser page and the CLI act as a user of the workspace.
 * `POST /local/command` runs a slash command; `/local/action`, `/local/submit`,
 * `/local/close` and `/local/home` click, submit, close and open the Home tab.
 * Each takes a JSON body naming the acting `userId`, sends the connected bot
 * what Slack would, and answers what happened (see `web/protocol.ts`).
 */
import type { ServerResponse } from 'node:http';
import type { BotClient, HttpAck } from './bot-client.js';
import { asArray, isObj, jsonObject, optStr, send } from './http.js';
import type { Loose, ReplyWait, ResponseOrMessage, StoredMessage } from './types.js';
import type { SimulatedUser } from './user.js';
import { type FormValues, type ViewStore } from './views.js';
import type { LocalAck, LocalReply } from './web/protocol.js';
import { StandinDefaults } from './types.js';
import type { Workspace } from './workspace.js';

export type { LocalReply } from './web/protocol.js';

/** Flattens replies to the messages and modals they left, in their current state. */
export function toLocalReplies(replies: ResponseOrMessage[]): LocalReply[] {
  const seen = new Set<StoredMessage>();
  const out: LocalReply[] = [];
  for (const r of replies) {
    const error = r.via === 'ack' ? undefined : r.error;
    if (error) {
      out.push({ kind: 'error', text: `${r.via === 'web_api' ? r.method : 'response_url'} failed: ${error}` });
    } else if (r.message && !seen.has(r.message)) {
      seen.add(r.message);
      const m = r.message;
      out.push({
        kind: 'message', ephemeral: Boolean(m.ephemeral), channel: m.channel, ts: m.ts, text: m.text,
        ...(m.blocks ? { blocks: m.blocks } : {}),
        ...(m.files ? { files: m.files.map((f) => ({ id: f.id, title: f.title, name: f.name })) } : {}),
      });
    } else if (r.via === 'web_api' && /^views\.(open|push)$/.test(r.method) && isObj(r.result?.['view'])) {
      const view = r.result['view'];
      out.push({ kind: 'modal', text: `Modal: ${isObj(view['title']) ? String(view['title']['text']) : ''}`, blocks: asArray(view['blocks']) });
    }
  }
  return out;
}

function localAck(ack: HttpAck): LocalAck {
  return { status: ack.status, ms: ack.ms, body: ack.body };
}

/** Form values sent by a local client: undefined when absent, null when malformed. */
function localValues(v: unknown): FormValues | undefined | null {
  if (v === undefined) return undefined;
  if (!isObj(v)) return null;
  const ok = Object.values(v).every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'string')));
  return ok ? (v as FormValues) : null;
}

/** A wait bound given by a client: at most a minute. */
const waitMs = (v: unknown, fallback: number) => (typeof v === 'number' && v >= 0 ? Math.min(v, 60_000) : fallback);

type Route = (bot: BotClient, input: Loose, userId: string, wait: ReplyWait) => Promise<[number, unknown]>;

export class LocalRoutes {
  private bot: BotClient | undefined;
  /** The slash commands the connected bot registered, when known. */
  private botCommands: Set<string> | undefined;
  private readonly routes: Record<string, Route>;

  constructor(
    private readonly ws: Workspace,
    private readonly views: ViewStore,
    private readonly user: SimulatedUser,
  ) {
    this.routes = {
      '/local/action': (bot, input, userId, wait) => this.action(bot, input, userId, wait),
      '/local/submit': (bot, input, userId, wait) => this.submit(bot, input, userId, wait),
      '/local/close': (bot, input, userId) => this.close(bot, input, userId),
      '/local/home': async (bot, _input, userId) => [200, { ack: localAck(await this.user.openHome(bot, { userId })) }],
    };
  }

  connect(bot: BotClient): void {
    this.bot = bot;
  }

  setCommands(commands: readonly string[]): void {
    this.botCommands = new Set(commands);
  }

  /** Whether `path` is a local route (POST only). */
  handles(path: string, method: string | undefined): boolean {
    return method === 'POST' && (path === '/local/command' || path in this.routes);
  }

  async serve(path: string, raw: Buffer, res: ServerResponse): Promise<void> {
    const bot = this.bot;
    if (!bot) return send(res, 503, { error: 'No bot is connected to this Slack stand-in.' });
    if (path === '/local/command') return this.command(bot, raw, res);
    const route = this.routes[path];
    if (!route) return send(res, 404, { error: 'not found' });
    const input = jsonObject(raw);
    if (!input) return send(res, 400, { error: 'Send a JSON object, e.g. { "userId": "U0REGULAR", … }' });
    const userId = optStr(input['userId']) ?? StandinDefaults.users.regular;
    if (!this.ws.user(userId)) return send(res, 400, { error: `Unknown user ${userId}; known: ${this.ws.users.map((u) => u.id).join(', ')}` });
    const [status, body] = await route(bot, input, userId, { timeoutMs: waitMs(input['timeoutMs'], 5_000), settleMs: waitMs(input['settleMs'], 300) });
    send(res, status, body);
  }

  private async command(bot: BotClient, raw: Buffer, res: ServerResponse): Promise<void> {
    let input: Loose;
    try {
      const parsed: unknown = JSON.parse(raw.toString());
      input = isObj(parsed) ? parsed : {};
    } catch {
      return send(res, 400, { error: 'Send JSON: { "command": "/telemetry", "text": "acme" }' });
    }
    const command = optStr(input['command']);
    if (!command?.startsWith('/')) return send(res, 400, { error: 'command must be a slash command, e.g. "/telemetry"' });
    // Slack itself answers a command no installed app registered; the bot never sees it.
    if (this.botCommands && !this.botCommands.has(command)) {
      return send(res, 400, { error: `${command} is not a valid command. The bot's commands: ${[...this.botCommands].join(', ')}.` });
    }
    const userId = optStr(input['userId']) ?? StandinDefaults.users.regular;
    if (!this.ws.user(userId)) return send(res, 400, { error: `Unknown user ${userId}; known: ${this.ws.users.map((u) => u.id).join(', ')}` });
    const given = optStr(input['channelId']);
    const channelId = given === undefined ? (this.ws.channels[0]?.id ?? StandinDefaults.channel) : this.visibleChannel(given, userId);
    // Slack sends a command only from a conversation the user is in: not a channel that does not exist, nor another user's DM.
    if (!channelId) {
      return send(res, 400, { error: `${userId} cannot type in ${JSON.stringify(given!.slice(0, 40))}: give one of the channels (${this.ws.channels.map((c) => c.id).join(', ')}) or their own DM with the bot (${this.ws.dmChannelId(userId)}).` });
    }
    const { ack, replies } = await this.user.runCommand(bot, {
      command, text: typeof input['text'] === 'string' ? input['text'] : '', userId, channelId,
      // Slower than tests: a command may post "working…" and its result seconds later.
      timeoutMs: waitMs(input['timeoutMs'], 15_000), settleMs: waitMs(input['settleMs'], 1_500),
    });
    send(res, 200, { ack: localAck(ack), replies: toLocalReplies(replies) });
  }

  /** The conversation `ref` names when `userId` can see it: a channel, or their own DM with the bot (not another user's). */
  private visibleChannel(ref: unknown, userId: string): string | undefined {
    const id = this.ws.tryResolveChannel(ref);
    const dmOf = id === undefined ? undefined : this.ws.dmUser(id);
    return dmOf !== undefined && dmOf !== userId ? undefined : id;
  }

  private async action(bot: BotClient, input: Loose, userId: string, wait: ReplyWait): Promise<[number, unknown]> {
    const actionId = optStr(input['actionId']);
    if (!actionId) return [400, { error: 'actionId is required' }];
    const value = optStr(input['value']);
    // The block the click was in (Slack's payload names it); a page that does not say finds the first element.
    const blockId = optStr(input['blockId']);
    const extra = isObj(input['extra']) ? input['extra'] : undefined;
    const viewId = optStr(input['viewId']);
    let target: { viewId: string; values?: FormValues } | { channelId: string; ts: string };
    if (viewId) {
      const view = this.views.view(viewId);
      if (!view || view.user !== userId) return [404, { error: `No view ${viewId} is open for ${userId}` }];
      const values = localValues(input['values']);
      if (values === null) return [400, { error: 'values must map action IDs to a string or a list of strings' }];
      // The form as the page has it: clickAction builds the view's state from it.
      target = { viewId, ...(values ? { values } : {}) };
    } else {
      const channelId = this.visibleChannel(input['channelId'], userId);
      const ts = optStr(input['ts']);
      const message = channelId && ts ? this.ws.message(channelId, ts) : undefined;
      if (!channelId || !message || (message.ephemeral && message.ephemeral.user !== userId)) {
        return [404, { error: 'No such message (give channelId and ts of a message this user can see)' }];
      }
      target = { channelId, ts: message.ts };
    }
    try {
      const { ack, replies } = await this.user.clickAction(bot, {
        userId, actionId, ...target, ...(blockId ? { blockId } : {}), ...(value !== undefined ? { value } : {}), ...(extra ? { extra } : {}), ...wait,
      });
      return [200, { ack: localAck(ack), replies: toLocalReplies(replies) }];
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('clickAction:')) return [400, { error: error.message }];
      throw error;
    }
  }

  private async submit(bot: BotClient, input: Loose, userId: string, wait: ReplyWait): Promise<[number, unknown]> {
    const viewId = optStr(input['viewId']);
    const top = this.views.modals(userId).at(-1);
    if (!top || (viewId !== undefined && viewId !== top.id)) return [404, { error: `No such modal is open for ${userId}` }];
    const values = localValues(input['values']);
    if (values === null) return [400, { error: 'values must map action IDs to a string or a list of strings' }];
    const result = await this.user.submitView(bot, { userId, viewId: top.id, values: values ?? {}, ...wait });
    return [200, {
      ack: localAck(result.ack), replies: toLocalReplies(result.replies),
      ...(result.responseAction ? { responseAction: result.responseAction } : {}),
      ...(result.errors ? { errors: result.errors } : {}),
    }];
  }

  private async close(bot: BotClient, input: Loose, userId: string): Promise<[number, unknown]> {
    const top = this.views.modals(userId).at(-1);
    if (!top) return [404, { error: `No modal is open for ${userId}` }];
    const viewId = optStr(input['viewId']);
    // A close of a view that is no longer on top (e.g. closed a moment ago) changes nothing.
    if (viewId !== undefined && viewId !== top.id) return [200, { closed: false }];
    const ack = await this.user.closeView(bot, { userId, clearAll: input['clearAll'] === true });
    return [200, { closed: true, ...(ack ? { ack: localAck(ack) } : {}) }];
  }
}
