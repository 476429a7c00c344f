/**
 * The simulated user: runs slash commands, clicks and selects, submits and
 * closes modals, opens the Home tab, sending the bot what Slack would, and
 * collects what the bot answered (response_url posts, chat.* calls in the
 * right conversation, modals opened with the trigger) within a bounded wait.
 */
import { encodeResponseUrlId, type BotClient, type HttpAck, type InteractionAck, type ResponseUrlContext } from './bot-client.js';
import { checkViewSubmissionAck } from './facts/check.js';
import { asArray, isObj, optStr } from './http.js';
import type { Recorder } from './recorder.js';
import { blocksToText } from './render-text.js';
import type { ResponseUrls } from './response-url.js';
import type { CallRecord, Loose, ReplyWait, ResponseOrMessage, StoredMessage, StoredView } from './types.js';
import { findElement, stateValues, type FormValues, type ViewStore } from './views.js';
import type { Workspace } from './workspace.js';

/** Which recorded calls and posts answer a given user action. */
interface ReplyMatch {
  responseId?: string;
  channelId?: string;
  userId?: string;
  triggerId?: string;
  anyChannel?: boolean;
}

/** How many calls and posts had been recorded when an action started. */
interface Mark {
  calls: number;
  responses: number;
}

export class SimulatedUser {
  constructor(
    private readonly ws: Workspace,
    private readonly views: ViewStore,
    private readonly recorder: Recorder,
    private readonly responseUrls: ResponseUrls,
    private readonly url: () => string,
  ) {}

  async runCommand(
    bot: BotClient,
    input: { command: string; text?: string; userId: string; channelId: string } & ReplyWait,
  ): Promise<{ ack: HttpAck & { responseUrl: string; triggerId: string }; replies: ResponseOrMessage[] }> {
    const mark = this.mark();
    const ack = await bot.command({
      ...input,
      userName: this.ws.user(input.userId)?.name,
      channelName: this.ws.channel(input.channelId)?.name,
    });
    const ackReplies = this.responseUrls.applyAck(ack, { channelId: input.channelId, userId: input.userId });
    if (ack.status !== 200) return { ack, replies: [] };
    const responseId = ack.responseUrl.split('/').pop() ?? '';
    const replies = await this.collect(mark, ackReplies, { responseId, channelId: input.channelId, userId: input.userId, triggerId: ack.triggerId }, input);
    return { ack, replies };
  }

  async clickAction(
    bot: BotClient,
    input: { userId: string; actionId: string; blockId?: string; value?: string; extra?: Loose; values?: FormValues } & ({ channelId: string; ts: string } | { viewId: string }) & ReplyWait,
  ): Promise<{ ack: HttpAck; replies: ResponseOrMessage[] }> {
    const mark = this.mark();
    const inView = 'viewId' in input;
    const source = inView ? this.views.view(input.viewId) : this.ws.message(input.channelId, input.ts);
    if (!source) throw new Error(`clickAction: no ${inView ? `view ${input.viewId}` : `message ${input.channelId}/${input.ts}`}`);
    const found = findElement(source.blocks ?? [], input.actionId, input.blockId);
    if (!found) throw new Error(`clickAction: no element "${input.actionId}"${input.blockId !== undefined ? ` in block "${input.blockId}"` : ''} in:\n${blocksToText(source.blocks ?? [])}`);
    const { element, blockId } = found;
    const action: Loose & { action_id: string; block_id: string } = { action_id: input.actionId, block_id: blockId, type: element['type'] };
    if (element['type'] === 'button') {
      // A button sends the value it was drawn with: a test forging another passes it in `extra`, so that a `value`
      // meant as forged is not silently the drawn one.
      if (input.value !== undefined) throw new Error(`clickAction: "${input.actionId}" is a button, which sends its own value; forge one with extra: { value }`);
      action['text'] = element['text'];
      if (element['value'] !== undefined) action['value'] = element['value'];
    } else if (input.value !== undefined) {
      const options = [...asArray(element['options']), ...asArray(element['option_groups']).flatMap((g) => asArray(isObj(g) ? g['options'] : []))];
      const option = options.find((o) => isObj(o) && o['value'] === input.value);
      if (!option) throw new Error(`clickAction: "${input.actionId}" has no option with value ${input.value}`);
      action['selected_option'] = option;
    }
    Object.assign(action, input.extra);
    let ack: InteractionAck;
    let matches: ReplyMatch;
    if ('viewId' in input) {
      const view = source as StoredView;
      // As in Slack, the payload carries every field's current value: what was typed (values), the choice
      // just made, and what the rest were drawn with.
      view.state = { values: stateValues(view.blocks ?? [], { ...input.values, ...(input.value !== undefined ? { [input.actionId]: input.value } : {}) }) };
      ack = await bot.blockAction({ userId: input.userId, userName: this.ws.user(input.userId)?.name, view: this.views.publicView(view), actions: [action] });
      matches = { userId: input.userId, triggerId: ack.triggerId, anyChannel: true };
    } else {
      const message = source as StoredMessage;
      const ctx: ResponseUrlContext = { channelId: message.channel, userId: input.userId, messageTs: message.ts };
      const responseId = encodeResponseUrlId(ctx);
      ack = await bot.blockAction({
        userId: input.userId,
        userName: this.ws.user(input.userId)?.name,
        channelId: message.channel,
        channelName: this.ws.channel(message.channel)?.name,
        // Slack leaves the message out of payloads for ephemeral messages.
        ...(message.ephemeral ? {} : { message: this.ws.publicMessage(message) }),
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: Boolean(message.ephemeral) },
        responseUrl: `${this.url()}/response/${responseId}`,
        actions: [action],
      });
      matches = { responseId, channelId: message.channel, userId: input.userId, triggerId: ack.triggerId };
    }
    return { ack, replies: await this.collect(mark, [], matches, input) };
  }

  async submitView(
    bot: BotClient,
    input: { userId: string; viewId?: string; values?: FormValues } & ReplyWait,
  ): Promise<{ ack: HttpAck; responseAction?: string; errors?: Record<string, string>; replies: ResponseOrMessage[] }> {
    const mark = this.mark();
    const view = input.viewId ? this.views.view(input.viewId) : this.views.modals(input.userId).at(-1);
    if (!view) throw new Error(`submitView: no open modal for ${input.userId}`);
    view.state = { values: stateValues(view.blocks, input.values ?? {}) };
    const ack = await bot.viewSubmission({ userId: input.userId, userName: this.ws.user(input.userId)?.name, view: this.views.publicView(view) });
    const body = isObj(ack.json) ? ack.json : {};
    const action = optStr(body['response_action']);
    const problems = ack.status === 200 ? checkViewSubmissionAck(body, view) : [];
    this.recorder.violations.add('view_submission ack', problems);
    // Slack refuses the answer: the modal stays as it was, with Slack's own error.
    if (problems.some((p) => p.answer)) return { ack, replies: [], ...(action ? { responseAction: action } : {}) };
    if (ack.status === 200) {
      if (action === 'update' && isObj(body['view'])) this.views.replace(view, body['view']);
      else if (action === 'push' && isObj(body['view'])) this.views.push(body['view'], input.userId);
      else if (action === 'clear') this.views.close(view, { all: true });
      else if (action !== 'errors') this.views.close(view);
    }
    const errors = action === 'errors' && isObj(body['errors']) ? (body['errors'] as Record<string, string>) : undefined;
    // errors, update and push answer in the ack, as Slack shows them at once: nothing more to wait for.
    const answeredInAck = ack.status === 200 && (action === 'errors' || action === 'update' || action === 'push');
    const replies = answeredInAck ? this.gather(mark, { userId: input.userId, anyChannel: true }) : await this.collect(mark, [], { userId: input.userId, anyChannel: true }, input);
    return { ack, replies, ...(action ? { responseAction: action } : {}), ...(errors ? { errors } : {}) };
  }

  async closeView(bot: BotClient, input: { userId: string; clearAll?: boolean; viewId?: string }): Promise<HttpAck | undefined> {
    const view = this.views.modals(input.userId).at(-1);
    if (!view || (input.viewId !== undefined && input.viewId !== view.id)) return undefined;
    this.views.close(view, { all: Boolean(input.clearAll) });
    if (!view['notify_on_close']) return undefined;
    return bot.viewClosed({ userId: input.userId, view: this.views.publicView(view), isCleared: Boolean(input.clearAll) });
  }

  async openHome(bot: BotClient, input: { userId: string }): Promise<HttpAck> {
    const view = this.views.homeView(input.userId);
    return bot.event({
      type: 'app_home_opened',
      user: input.userId,
      channel: this.ws.dmChannelId(input.userId),
      tab: 'home',
      ...(view ? { view: this.views.publicView(view) } : {}),
    }, { botUserId: this.ws.botUserId });
  }

  private mark(): Mark {
    return { calls: this.recorder.calls.length, responses: this.recorder.responses.length };
  }

  /** The message that shared an upload: files.completeUploadExternal answers the files, not a message `ts`. */
  private sharing(channel: string, call: CallRecord): StoredMessage | undefined {
    if (call.method !== 'files.completeUploadExternal') return undefined;
    const uploaded = Array.isArray(call.result?.['files']) ? (call.result['files'] as unknown[]).filter(isObj).map((f) => f['id']) : [];
    return this.ws.conversation(channel).findLast((m) => m.files?.some((f) => uploaded.includes(f.id)));
  }

  private gather(since: Mark, match: ReplyMatch): ResponseOrMessage[] {
    const replies: ResponseOrMessage[] = [];
    for (const r of this.recorder.responses.slice(since.responses)) {
      if (match.responseId !== undefined && r.id !== match.responseId) continue;
      if (match.responseId === undefined && !match.anyChannel) continue;
      const message = r.channel && r.messageTs ? this.ws.message(r.channel, r.messageTs) : undefined;
      replies.push({ via: 'response_url', id: r.id, body: r.body, ...(message ? { message } : {}), ...(r.error ? { error: r.error } : {}) });
    }
    const dm = match.userId ? this.ws.dmChannelId(match.userId) : undefined;
    for (const c of this.recorder.calls.slice(since.calls)) {
      const channel = this.ws.tryResolveChannel(c.args['channel'] ?? c.args['channel_id']);
      const relevant =
        /^(chat\.|files\.completeUploadExternal$)/.test(c.method)
          ? match.anyChannel || (channel !== undefined && (channel === match.channelId || channel === dm))
          : /^views\.(open|push)$/.test(c.method)
            ? match.anyChannel || c.args['trigger_id'] === match.triggerId
            : /^views\.update$/.test(c.method) && Boolean(match.anyChannel);
      if (!relevant) continue;
      const ts = optStr(c.result?.['ts']) ?? optStr(c.result?.['message_ts']);
      const message = !channel ? undefined : ts ? this.ws.message(channel, ts) : this.sharing(channel, c);
      replies.push({
        via: 'web_api', method: c.method, args: c.args,
        ...(c.result ? { result: c.result } : {}), ...(message ? { message } : {}), ...(c.error ? { error: c.error } : {}),
      });
    }
    return replies;
  }

  private collect(since: Mark, first: ResponseOrMessage[], match: ReplyMatch, wait: ReplyWait): Promise<ResponseOrMessage[]> {
    const timeoutMs = wait.timeoutMs ?? 5000;
    const settleMs = wait.settleMs ?? 100;
    const deadline = Date.now() + timeoutMs;
    let count = -1;
    let quietSince = Date.now();
    return new Promise((resolve) => {
      const tick = () => {
        const replies = [...first, ...this.gather(since, match)];
        if (replies.length !== count) {
          count = replies.length;
          quietSince = Date.now();
        }
        if ((count > 0 && Date.now() - quietSince >= settleMs) || Date.now() >= deadline) {
          clearInterval(timer);
          resolve(replies);
        }
      };
      const timer = setInterval(tick, 10);
      tick();
    });
  }
}
