/**
 * The Slack stand-in's public types: the workspace fixture, what it stores
 * (messages, views, files), what it records (calls, response_url posts), and
 * what its user actions answer. Re-exported by `server.ts`.
 */

import type { Violation } from './violations.js';

export type { Violation } from './violations.js';

/** A JSON object as it arrives: fields are checked where they are used. */
export type Loose = Record<string, unknown>;

/** A workspace member in the fixture. */
export interface StandinUser {
  id: string;
  name: string;
  realName: string;
  /**
   * Absent: users.info answers a profile without `email`, as Slack does when
   * the app lacks users:read.email (or for some guests and bots).
   */
  email?: string;
  isAdmin?: boolean;
  /** IANA zone; defaults to DEFAULT_USER_TZ. */
  tz?: string;
  /** Deactivated: users.info still answers, with `deleted: true`, as Slack does. */
  deleted?: boolean;
}

/** A channel in the fixture. The bot is a member unless `botIsMember` is false. */
export interface StandinChannel {
  id: string;
  name: string;
  botIsMember?: boolean;
  /** A private channel: to a bot that is not in it, it does not exist (`channel_not_found`), as Slack answers. */
  isPrivate?: boolean;
  /** Archived: conversations.info says `is_archived: true`; posts are refused with `is_archived`. */
  isArchived?: boolean;
  /**
   * The people in it (user IDs), as conversations.members lists them (the bot is listed too unless
   * `botIsMember` is false). Default: every user of the workspace who is not deactivated.
   */
  members?: string[];
}

/** Options of `SlackStandin`; every field has a default (see {@link StandinDefaults}). */
export interface SlackStandinOptions {
  users?: StandinUser[];
  /** Usergroup ID (S…) → member user IDs. */
  usergroups?: Record<string, string[]>;
  channels?: StandinChannel[];
  teamId?: string;
  teamName?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  /** The only bot token accepted; by default any `xoxb-…` token is. */
  token?: string;
  /**
   * The bot scopes the app was installed with: a Web API call that needs a
   * scope not among them answers `missing_scope`, as Slack does. Default:
   * the bot scopes of the package's manifest.yml.
   */
  scopes?: readonly string[];
  /**
   * At most this many messages in a page of conversations.history and
   * .replies, whatever `limit` asks: Slack documents that "fewer than the
   * requested number of items may be returned, even if the end of the
   * conversation history hasn't been reached". Default: `limit` (Slack's maximum).
   */
  pageSize?: number;
  /**
   * Told of each request that Slack's documentation refuses or ignores (the
   * stand-in answers it as Slack would either way). Local mode logs them;
   * tests fail on them without it (test/support/vendor-facts/slack.ts).
   */
  onViolation?: (violation: Violation) => void;
  /**
   * Keeps the conversations (the newest 100 top-level messages of each and
   * 100 thread replies; no ephemeral message) in this JSON file,
   * rewritten on every change, and starts from what it holds: a restart finds
   * the messages the bot posted, by the same ts. Local mode keeps it in
   * DATA_DIR; without it, messages live in memory only.
   */
  stateFile?: string;
  /**
   * Keeps the bytes of uploads in this directory too, and serves them from it
   * after a restart: every chart the messages kept in {@link stateFile} show
   * (and the few newest not shown yet), within 64 MiB. Without it, uploads
   * live in memory only.
   */
  filesDir?: string;
  /** Told when the state file or files directory cannot be read or written; the stand-in goes on from memory. */
  onStateError?: (error: unknown) => void;
}

/** IDs of the default workspace fixture. */
export const StandinDefaults = {
  teamId: 'T0ANALYTIC',
  teamName: 'Analytics Demo',
  teamDomain: 'analytics-demo',
  appId: 'A0ANALYTIC',
  botUserId: 'U0BOT',
  botId: 'B0BOT',
  channel: 'C0ANALYTIC',
  users: { regular: 'U0REGULAR', bizops: 'U0BIZOPS', lookerAdmin: 'U0ADMIN' },
  usergroups: { bizops: 'S0BIZOPS', lookerAdmins: 'S0LOOKERADM' },
} as const;

/** The fixture's user groups' handles: Slack shows `<!subteam^S0BIZOPS>` as "@bizops". */
export const USERGROUP_HANDLES: Readonly<Record<string, string>> = { [StandinDefaults.usergroups.bizops]: 'bizops', [StandinDefaults.usergroups.lookerAdmins]: 'looker-admins' };

/** A user's Slack time zone when the fixture names none. */
export const DEFAULT_USER_TZ = 'America/Los_Angeles';

/** The fixture's people: a regular user, a BizOps member and a Looker admin. */
export const defaultUsers: readonly StandinUser[] = [
  { id: 'U0REGULAR', name: 'riley', realName: 'Riley Regular', email: 'riley@example.com' },
  { id: 'U0BIZOPS', name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
  { id: 'U0ADMIN', name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
];

/** A file uploaded through files.getUploadURLExternal + upload + completeUploadExternal. */
export interface StoredFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  size: number;
  url_private: string;
  /** The image's description for screen readers, as given to files.getUploadURLExternal (`alt_txt`). */
  alt_txt?: string;
  bytes?: Buffer;
}

/** Slack's message metadata (`chat.postMessage` / `chat.update` `metadata`). */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A message as the stand-in keeps it: Slack's fields plus where it came from. */
export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  files?: Array<Omit<StoredFile, 'bytes'>>;
  /** Set by `metadata` on chat.postMessage / chat.update; conversations.* return it with `include_all_metadata`. */
  metadata?: MessageMetadata;
  /** Set for ephemeral messages: only this user sees it. */
  ephemeral?: { user: string };
  edited?: { user: string; ts: string };
  reply_count?: number;
  via: 'web_api' | 'response_url' | 'ack';
}

/** A modal or Home tab view, as returned by views.* (plus the user it is shown to). */
export interface StoredView {
  id: string;
  type: string;
  hash: string;
  blocks: unknown[];
  callback_id: string;
  private_metadata: string;
  external_id: string;
  state: { values: Record<string, Record<string, unknown>> };
  root_view_id: string;
  previous_view_id: string | null;
  user: string;
  [field: string]: unknown;
}

/** One Web API call the bot made. */
export interface CallRecord {
  method: string;
  args: Loose;
  at: number;
  /** The answer the bot got. */
  result?: Loose;
  /** Set when the call failed (Slack error code, or `http_<status>`). */
  error?: string;
}

/**
 * A Web API call the stand-in has applied and is about to answer, or the bytes
 * of an upload stored at its upload URL (`method: 'upload'`, not recorded in
 * `calls`); see `SlackStandin.onApplied`.
 */
export interface AppliedCall extends CallRecord {
  /** The answer the bot is about to get. */
  result: Loose;
}

/** Runs after a Web API call (or an upload's bytes) is applied and before the bot gets the answer. */
export type AppliedHook = (call: AppliedCall) => void | Promise<void>;

/**
 * Runs as a Web API call (`method`, its arguments read) or a response_url post (`method: 'response_url'`,
 * `args`: its body) arrives, before anything else; `'lost'` makes it a request that never reached Slack:
 * nothing applied or recorded, no answer (its connection is cut). See `SlackStandin.onArrival`.
 */
export type ArrivalHook = (call: CallRecord) => void | 'lost' | Promise<void | 'lost'>;

/** One post the bot made to a response_url. */
export interface ResponseRecord {
  id: string;
  body: Loose;
  at: number;
  /** The message it created or replaced, if any. */
  channel?: string;
  messageTs?: string;
  error?: string;
}

/** What changed; `change` listeners get one per state change. */
export interface ChangeEvent {
  kind: 'call' | 'response' | 'message' | 'view' | 'file' | 'reset';
  method?: string;
  channel?: string;
  ts?: string;
  viewId?: string;
}

/** Something the bot sent in answer to a user's action. */
export type ResponseOrMessage =
  | { via: 'ack'; body: Loose; message?: StoredMessage }
  | { via: 'response_url'; id: string; body: Loose; message?: StoredMessage; error?: string }
  | { via: 'web_api'; method: string; args: Loose; result?: Loose; message?: StoredMessage; error?: string };

/** Options of the wait in `runCommand` and friends. */
export interface ReplyWait {
  /** Give up after this long (the result may then hold no replies). Default 5000. */
  timeoutMs?: number;
  /** After the first reply, wait until nothing new arrived for this long. Default 100. */
  settleMs?: number;
}
