/**
 * The workspace's state: who is in it (the fixture), the conversations and
 * their messages, and Slack's message timestamps. Everything that changes a
 * message goes through here, and each change is reported to `changed`.
 */
import { randomBytes } from 'node:crypto';
import { blockKitProblems, formatProblem, SLACK_LIMITS } from '../blockkit/limits.js';
import { ApiError, isObj, optStr } from './http.js';
import { readAppManifest } from './manifest.js';
import { cutInMemory, keptFileIds, MESSAGES_IN_MEMORY_PER_CONVERSATION, readSavedWorkspace, writeSavedWorkspace } from './saved-workspace.js';
import {
  defaultUsers,
  StandinDefaults,
  type ChangeEvent,
  type Loose,
  type MessageMetadata,
  type SlackStandinOptions,
  type StandinChannel,
  type StandinUser,
  type StoredFile,
  type StoredMessage,
} from './types.js';

/** A message's content as Slack accepts it from chat.* and response_url posts. */
export interface MessageContent {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
}

/** Slack gives every block without a block_id a random one; a bot must not depend on it. */
export function withBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((b) => (isObj(b) && b['block_id'] === undefined ? { ...b, block_id: randomBytes(3).toString('base64url') } : b));
}

/** Microseconds since the epoch of a Slack ts (`"1700000000.000123"`), exact; undefined when malformed. */
export function tsMicros(ts: unknown): bigint | undefined {
  if (typeof ts === 'number' && Number.isFinite(ts) && ts >= 0) ts = ts.toFixed(6);
  if (typeof ts !== 'string') return undefined;
  const m = /^(\d+)(?:\.(\d{0,6}))?$/.exec(ts.trim());
  if (!m) return undefined;
  return BigInt(m[1] ?? '0') * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0') || '0');
}

export class Workspace {
  readonly teamId: string;
  readonly teamName: string;
  readonly teamDomain: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly users: readonly StandinUser[];
  readonly usergroups: Readonly<Record<string, string[]>>;
  readonly channels: readonly StandinChannel[];
  readonly expectedToken: string | undefined;
  /** The bot's scopes ({@link SlackStandinOptions.scopes}); undefined when there is no manifest to read them from. */
  readonly scopes: ReadonlySet<string> | undefined;
  /** See {@link SlackStandinOptions.pageSize}. */
  readonly pageSize: number | undefined;

  private lastMicros = 0;
  private readonly messages = new Map<string, StoredMessage[]>();
  /** DMs conversations.open has opened (a second open answers already_open). */
  readonly openedDms = new Set<string>();
  private readonly stateFile: string | undefined;
  private readonly onStateError: (error: unknown) => void;

  constructor(
    options: SlackStandinOptions,
    readonly changed: (event: ChangeEvent) => void,
  ) {
    this.teamId = options.teamId ?? StandinDefaults.teamId;
    this.teamName = options.teamName ?? StandinDefaults.teamName;
    this.teamDomain = options.teamDomain ?? StandinDefaults.teamDomain;
    this.botUserId = options.botUserId ?? StandinDefaults.botUserId;
    this.botId = options.botId ?? StandinDefaults.botId;
    this.appId = options.appId ?? StandinDefaults.appId;
    this.users = options.users ?? defaultUsers;
    this.usergroups = options.usergroups ?? { S0BIZOPS: ['U0BIZOPS'], S0LOOKERADM: ['U0ADMIN'] };
    this.channels = options.channels ?? [{ id: StandinDefaults.channel, name: 'analytics' }];
    this.expectedToken = options.token;
    const scopes = options.scopes ?? readAppManifest()?.botScopes;
    this.scopes = scopes && new Set(scopes);
    this.pageSize = options.pageSize;
    this.stateFile = options.stateFile;
    this.onStateError = options.onStateError ?? (() => {});
    this.restore();
  }

  /** Forgets every message. */
  reset(): void {
    this.messages.clear();
    this.openedDms.clear();
    this.save();
  }

  /** Starts from the state file, if there is one. */
  private restore(): void {
    if (!this.stateFile) return;
    try {
      const saved = readSavedWorkspace(this.stateFile);
      if (!saved) return;
      for (const [channel, list] of Object.entries(saved.conversations)) this.messages.set(channel, list);
      for (const dm of saved.openedDms) this.openedDms.add(dm);
      this.lastMicros = saved.lastMicros;
    } catch (error) {
      this.onStateError(error);
    }
  }

  /**
   * Writes the state file, if there is one: before the change is answered, so a
   * ts the bot was given (and stored) is in the file should the process die next.
   */
  private save(): void {
    if (!this.stateFile) return;
    try {
      writeSavedWorkspace(this.stateFile, {
        version: 1,
        lastMicros: this.lastMicros,
        conversations: Object.fromEntries(this.messages),
        openedDms: [...this.openedDms],
      });
    } catch (error) {
      this.onStateError(error);
    }
  }

  /** The IDs of the files shown by the messages the state file keeps. */
  keptFileIds(): Set<string> {
    return keptFileIds(this.messages.values());
  }

  /** Saves, then tells `changed` listeners. */
  private messageChanged(msg: StoredMessage): void {
    this.save();
    this.changed({ kind: 'message', channel: msg.channel, ts: msg.ts });
  }

  user(id: string): StandinUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  channel(id: string): StandinChannel | undefined {
    return this.channels.find((c) => c.id === id);
  }

  /**
   * Who is in a conversation, in a fixed order, as conversations.members lists them: a channel's
   * `members` (default: every user not deactivated), and the bot unless it is not in it; a DM's user and the bot.
   */
  conversationMembers(id: string): string[] {
    const dmUser = this.dmUser(id);
    if (dmUser) return [dmUser, this.botUserId];
    const ch = this.channel(id);
    const people = ch?.members ?? this.users.filter((u) => !u.deleted).map((u) => u.id);
    return ch?.botIsMember === false ? [...people] : [...people, this.botUserId];
  }

  /** The bot's DM conversation ID with a user: `D0` and the user ID, as long as Slack's (files.completeUploadExternal checks D + 8 or more). */
  dmChannelId(userId: string): string {
    return `D0${userId}`;
  }

  /** The user of a DM conversation ID from {@link dmChannelId}, if it is one. */
  dmUser(channelId: string): string | undefined {
    return /^D0([UW][A-Z0-9]+)$/.exec(channelId)?.[1];
  }

  /** Slack timestamps are unique per channel; these are unique overall and increasing. */
  nextTs(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    return `${Math.floor(this.lastMicros / 1e6)}.${String(this.lastMicros % 1e6).padStart(6, '0')}`;
  }

  /** A channel ID, `#name`, user ID (their DM) or DM ID → the conversation ID; undefined when unknown. */
  tryResolveChannel(ref: unknown): string | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    if (/^[UW]/.test(ref)) return this.user(ref) ? this.dmChannelId(ref) : undefined;
    if (/^D/.test(ref)) return this.user(this.dmUser(ref) ?? '') ? ref : undefined;
    const name = ref.replace(/^#/, '');
    return this.channels.find((c) => c.id === ref || c.name === name)?.id;
  }

  /**
   * As {@link tryResolveChannel}, answering Slack's errors as the bot meets them: a private channel
   * the bot is not in does not exist for it (`channel_not_found`, never `not_in_channel`); `posting`
   * (or reading history) needs the bot in the channel (`not_in_channel`), except a post in a public
   * channel when the bot has `chat:write.public`; an archived channel takes no posts (`is_archived`).
   */
  resolveChannel(ref: unknown, needsMembership: boolean, options: { publicPosting?: boolean } = {}): string {
    const id = this.tryResolveChannel(ref);
    const ch = id ? this.channel(id) : undefined;
    if (!id || (ch?.isPrivate && ch.botIsMember === false)) throw new ApiError('channel_not_found');
    if (needsMembership && ch?.isArchived) throw new ApiError('is_archived');
    const mayPostOutside = options.publicPosting === true && !ch?.isPrivate && this.scopes?.has('chat:write.public') !== false;
    if (needsMembership && ch?.botIsMember === false && !mayPostOutside) throw new ApiError('not_in_channel');
    return id;
  }

  /** Only conversation IDs (C…, D…), as conversations.history and .replies take them. */
  resolveConversationId(ref: unknown): string {
    const id = typeof ref === 'string' && /^[CGD]/.test(ref) ? this.tryResolveChannel(ref) : undefined;
    if (!id || id !== ref) throw new ApiError('channel_not_found');
    // Reading: an archived channel's history stays readable.
    const ch = this.channel(id);
    if (ch?.isPrivate && ch.botIsMember === false) throw new ApiError('channel_not_found');
    if (ch?.botIsMember === false) throw new ApiError('not_in_channel');
    return id;
  }

  /** The messages of a conversation in posting order (thread replies included). A user ID means the bot's DM with them. */
  conversation(channelId: string, options: { visibleTo?: string } = {}): readonly StoredMessage[] {
    const id = this.tryResolveChannel(channelId) ?? channelId;
    const all = this.messages.get(id) ?? [];
    return options.visibleTo === undefined ? [...all] : all.filter((m) => !m.ephemeral || m.ephemeral.user === options.visibleTo);
  }

  message(channelId: string, ts: string): StoredMessage | undefined {
    return this.conversation(channelId).find((m) => m.ts === ts);
  }

  /** A message the bot names by channel and ts, or Slack's `message_not_found`. */
  findMessage(channel: unknown, ts: unknown): StoredMessage {
    const id = this.resolveChannel(channel, false);
    const msg = typeof ts === 'string' ? this.message(id, ts) : undefined;
    if (!msg) throw new ApiError('message_not_found');
    return msg;
  }

  /** Posts a message as the bot. */
  addMessage(fields: Omit<StoredMessage, 'type' | 'ts' | 'user' | 'bot_id'>): StoredMessage {
    const msg: StoredMessage = { type: 'message', ts: this.nextTs(), user: this.botUserId, bot_id: this.botId, ...fields };
    const list = this.messages.get(msg.channel) ?? [];
    list.push(msg);
    // With a state file (local mode, which runs for as long as the bot does), memory keeps what the file keeps and a little more.
    this.messages.set(msg.channel, this.stateFile && list.length > MESSAGES_IN_MEMORY_PER_CONVERSATION ? cutInMemory(list) : list);
    const parent = msg.thread_ts && !msg.ephemeral ? list.find((m) => m.ts === msg.thread_ts) : undefined;
    if (parent) parent.reply_count = (parent.reply_count ?? 0) + 1;
    this.messageChanged(msg);
    return msg;
  }

  /** Replaces what a message says, marking it edited. */
  editMessage(msg: StoredMessage, content: MessageContent, options: { keepOmitted: boolean; metadata?: MessageMetadata }): void {
    msg.text = content.text;
    if (content.blocks) msg.blocks = content.blocks;
    else if (!options.keepOmitted) delete msg.blocks;
    if (content.attachments) msg.attachments = content.attachments;
    if (options.metadata) msg.metadata = options.metadata;
    msg.edited = { user: this.botUserId, ts: this.nextTs() };
    this.messageChanged(msg);
  }

  removeMessage(msg: StoredMessage): void {
    const list = this.messages.get(msg.channel) ?? [];
    list.splice(list.indexOf(msg), 1);
    const parent = msg.thread_ts && !msg.ephemeral ? list.find((m) => m.ts === msg.thread_ts) : undefined;
    if (parent?.reply_count) parent.reply_count -= 1;
    this.messageChanged(msg);
  }

  /** A message as the Web API shows it: Slack's fields, without the stand-in's bookkeeping. */
  publicMessage(msg: StoredMessage, options: { metadata?: boolean } = {}): Loose & { ts: string } {
    const { via: _via, channel: _channel, ephemeral: _ephemeral, metadata, ...rest } = msg;
    return { ...rest, ...(metadata && options.metadata !== false ? { metadata } : {}), team: this.teamId, app_id: this.appId };
  }

  /** Checks message content as Slack does (`no_text`, `msg_too_long`, `invalid_blocks`, …). */
  content(a: Loose): MessageContent {
    const text = typeof a['text'] === 'string' ? a['text'] : '';
    const blocks = a['blocks'];
    const attachments = Array.isArray(a['attachments']) && a['attachments'].length ? a['attachments'] : undefined;
    if (blocks !== undefined && !Array.isArray(blocks)) throw new ApiError('invalid_blocks_format');
    if (!text && !blocks?.length && !attachments) throw new ApiError('no_text');
    if (text.length > SLACK_LIMITS.messageText) throw new ApiError('msg_too_long');
    const errors = blocks ? blockKitProblems(blocks, 'message').map(formatProblem) : [];
    if (errors.length) throw new ApiError('invalid_blocks', { errors, response_metadata: { messages: errors } });
    return { text, ...(blocks ? { blocks: withBlockIds(blocks) } : {}), ...(attachments ? { attachments } : {}) };
  }

  /** `thread_ts` of a post, when it names one. */
  threadOf(a: Loose): { thread_ts?: string } {
    const ts = optStr(a['thread_ts']);
    return ts ? { thread_ts: ts } : {};
  }
}

/** A file as the Web API shows it. */
export function publicFile(file: StoredFile): Omit<StoredFile, 'bytes'> {
  const { bytes: _bytes, ...rest } = file;
  const { length: _length, uploaded: _uploaded, ...pub } = rest as typeof rest & { length?: number; uploaded?: boolean };
  return pub;
}
