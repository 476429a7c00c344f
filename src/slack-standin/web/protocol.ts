/**
 * What the local page and the stand-in say to each other over HTTP: the
 * state snapshot (`GET /local/state`), change events (`GET /local/events`),
 * and the local routes' requests and answers. Types only, shared by the
 * page's server (Node) and the page itself (browser).
 */
import type { KnownBlock, PlainTextElement } from '@slack/types';

/** A slash command as the composer completes it. */
export interface SlashCommandInfo {
  command: string;
  description: string;
  usageHint: string;
}

/** A file attached to a message; `url` is relative to the page when the stand-in serves it. */
export interface PageFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  size: number;
  url: string;
}

/** A legacy attachment, as far as the page draws it. */
export interface PageAttachment {
  color?: string;
  title?: string;
  text?: string;
  blocks?: KnownBlock[];
  fields?: Array<{ title?: string; value?: string }>;
}

/** A message as the page draws it, already filtered to what the viewing user may see. */
export interface PageMessage {
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks: KnownBlock[];
  attachments: PageAttachment[];
  files: PageFile[];
  ephemeral: boolean;
  edited: boolean;
  reply_count: number;
}

/** A modal or Home tab. */
export interface PageView {
  id: string;
  type: string;
  hash: string;
  callback_id: string;
  title: PlainTextElement | null;
  submit: PlainTextElement | null;
  close: PlainTextElement | null;
  blocks: KnownBlock[];
  previous_view_id: string | null;
  root_view_id: string;
}

export interface PageUser {
  id: string;
  name: string;
  realName: string;
  /** The part the user plays in the demo: 'regular user', 'BizOps', 'Looker admin'. */
  role: string;
  /** Their Slack time zone (IANA): the page shows them times in it, as Slack shows each reader times in theirs. */
  tz: string;
}

/** `GET /local/state?user=…`: everything the page shows, as that user sees it. */
export interface PageState {
  version: number;
  me: string;
  team: { id: string; name: string };
  bot: { userId: string; botId: string; name: string };
  users: PageUser[];
  /** Usergroup ID → its handle and members. */
  usergroups: Record<string, { handle: string; members: string[] }>;
  channels: Array<{ id: string; name: string }>;
  /** The user's DM with the bot. */
  dm: string;
  commands: SlashCommandInfo[];
  /** Conversation ID → its messages, oldest first (thread replies included). */
  conversations: Record<string, PageMessage[]>;
  /** The user's modal stack, bottom first. */
  modals: PageView[];
  home: PageView | null;
}

/** The data of a `change` event on `GET /local/events`. */
export interface PageChange {
  kind: 'message' | 'view' | 'file' | 'reset';
  channel?: string;
  ts?: string;
  viewId?: string;
  version: number;
}

/** A reply as the local routes report it: what the user now sees, once per message. */
export interface LocalReply {
  kind: 'message' | 'modal' | 'error';
  ephemeral?: boolean;
  channel?: string;
  ts?: string;
  text?: string;
  blocks?: unknown[];
  files?: Array<{ id: string; title: string; name: string }>;
}

/** The bot's HTTP answer to what the user did. */
export interface LocalAck {
  status: number;
  ms: number;
  body: string;
}

/** Form values of a view: action_id → a value, an option value, or several. */
export type LocalValues = Record<string, string | string[]>;

/** Fields every local route takes: who acts, and how long to wait for the bot's replies. */
export interface LocalRequest {
  userId?: string;
  timeoutMs?: number;
  settleMs?: number;
}

/** `POST /local/command`. */
export interface LocalCommandRequest extends LocalRequest {
  command: string;
  text?: string;
  channelId?: string;
}

/** `POST /local/action`: in a message (channelId, ts) or in a view (viewId, with its typed values). */
export interface LocalActionRequest extends LocalRequest {
  actionId: string;
  value?: string;
  extra?: Record<string, unknown>;
  channelId?: string;
  ts?: string;
  viewId?: string;
  values?: LocalValues;
}

/** `POST /local/submit`. */
export interface LocalSubmitRequest extends LocalRequest {
  viewId?: string;
  values?: LocalValues;
}

/** `POST /local/close`: the top modal (or all of them); with `viewId`, only if that view is the top one. */
export interface LocalCloseRequest extends LocalRequest {
  clearAll?: boolean;
  viewId?: string;
}

/** What the command, action and submit routes answer. */
export interface LocalAnswer {
  ack?: LocalAck;
  replies?: LocalReply[];
  responseAction?: string;
  errors?: Record<string, string>;
  closed?: boolean;
  error?: string;
}
