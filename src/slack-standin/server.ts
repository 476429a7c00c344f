import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BotClient,
  type HttpAck,
  type InteractionAck,
  type ResponseUrlContext,
  decodeResponseUrlId,
  decodeTriggerId,
  encodeResponseUrlId,
} from './bot-client.js';
import { blocksToText } from './render-text.js';

type Loose = Record<string, unknown>;

/** A workspace member in the fixture. */
export interface StandinUser {
  id: string;
  name: string;
  realName: string;
  email: string;
  isAdmin?: boolean;
  /** IANA zone; defaults to America/Los_Angeles. */
  tz?: string;
}

/** A channel in the fixture. The bot is a member unless `botIsMember` is false. */
export interface StandinChannel {
  id: string;
  name: string;
  botIsMember?: boolean;
}

/** Options of {@link SlackStandin}; every field has a default (see {@link StandinDefaults}). */
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

const defaultUsers: StandinUser[] = [
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
  bytes?: Buffer;
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
  metadata?: unknown;
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

/** Options of the wait in {@link SlackStandin.runCommand} and friends. */
export interface ReplyWait {
  /** Give up after this long (the result may then hold no replies). Default 5000. */
  timeoutMs?: number;
  /** After the first reply, wait until nothing new arrived for this long. Default 100. */
  settleMs?: number;
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Loose = {},
  ) {
    super(code);
  }
}

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const TRIGGER_TTL_MS = 3_000;
const JSON_ARGS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const textLen = (t: unknown): number => (isObj(t) && typeof t['text'] === 'string' ? t['text'].length : 0);

function randomId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return prefix + [...randomBytes(10)].map((b) => alphabet[b % 36]).join('');
}

function mimetypeOf(name: string): string {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  const types: Record<string, string> = {
    png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml',
    csv: 'text/csv', txt: 'text/plain', json: 'application/json', pdf: 'application/pdf',
  };
  return types[ext] ?? 'application/octet-stream';
}

/** Slack's tz_label / tz_offset (seconds east of UTC) for a zone, as of now. */
function tzFields(tz: string): { tz_label: string; tz_offset: number } {
  const part = (timeZoneName: 'long' | 'longOffset') =>
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const [, sign, hh, mm] = /GMT([+-])(\d\d):(\d\d)/.exec(part('longOffset')) ?? [];
  const offset = hh && mm ? (Number(hh) * 3600 + Number(mm) * 60) * (sign === '-' ? -1 : 1) : 0;
  return { tz_label: part('long'), tz_offset: offset };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, { 'content-type': type, ...headers }).end(text);
}

/** Multipart parsing borrowed from fetch's Response, to stay dependency-free. */
async function parseMultipart(raw: Buffer, contentType: string): Promise<Array<[string, string | Buffer]>> {
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const entries: Array<[string, FormDataEntryValue]> = [];
  form.forEach((value, key) => entries.push([key, value]));
  return Promise.all(
    entries.map(async ([key, value]): Promise<[string, string | Buffer]> => [key, typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer())]),
  );
}

/** Parses a Web API body the way Slack accepts it: form, JSON or multipart. */
async function parseArgs(contentType: string, raw: Buffer): Promise<Loose> {
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
  // The client sends nested arguments as JSON strings inside the form.
  for (const key of JSON_ARGS) {
    const v = args[key];
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        args[key] = JSON.parse(v);
      } catch {
        throw new ApiError(key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments');
      }
    }
  }
  return args;
}

/**
 * The subset of Slack's Block Kit limits that a real workspace rejects with
 * `invalid_blocks`, so that a message the stand-in accepts is one Slack accepts too.
 */
function blockErrors(blocks: unknown[], maxBlocks: number): string[] {
  const errors: string[] = [];
  const err = (msg: string, path: string) => errors.push(`[ERROR] ${msg} [json-pointer:/blocks${path}]`);
  if (blocks.length > maxBlocks) err(`must be less than ${maxBlocks + 1} items`, '');
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    if (!isObj(b) || typeof b['type'] !== 'string') return err('must provide an object with a type', `/${i}`);
    const id = b['block_id'];
    if (typeof id === 'string') {
      if (blockIds.has(id)) err(`duplicate block_id ${id}`, `/${i}/block_id`);
      if (id.length > 255) err('must be less than 256 characters', `/${i}/block_id`);
      blockIds.add(id);
    }
    const elements = Array.isArray(b['elements']) ? b['elements'] : [];
    const actionIds = new Set<string>();
    const checkElement = (el: unknown, path: string) => {
      if (!isObj(el)) return;
      const actionId = el['action_id'];
      if (typeof actionId === 'string') {
        if (actionIds.has(actionId)) err(`duplicate action_id ${actionId}`, `${path}/action_id`);
        actionIds.add(actionId);
      }
      if (el['type'] === 'button' && (textLen(el['text']) === 0 || textLen(el['text']) > 75)) err('button text must be 1-75 characters', `${path}/text`);
      if (typeof el['value'] === 'string' && el['value'].length > 2000) err('must be less than 2001 characters', `${path}/value`);
    };
    switch (b['type']) {
      case 'section': {
        const fields = Array.isArray(b['fields']) ? b['fields'] : [];
        if (!b['text'] && fields.length === 0) err('must provide text or fields', `/${i}`);
        if (b['text'] !== undefined && (textLen(b['text']) === 0 || textLen(b['text']) > 3000)) err('text must be 1-3000 characters', `/${i}/text`);
        if (fields.length > 10) err('must be less than 11 items', `/${i}/fields`);
        fields.forEach((f, j) => textLen(f) > 2000 && err('must be less than 2001 characters', `/${i}/fields/${j}`));
        checkElement(b['accessory'], `/${i}/accessory`);
        break;
      }
      case 'header':
        if (!isObj(b['text']) || b['text']['type'] !== 'plain_text') err('must be a plain_text object', `/${i}/text`);
        if (textLen(b['text']) === 0 || textLen(b['text']) > 150) err('text must be 1-150 characters', `/${i}/text`);
        break;
      case 'actions':
        if (elements.length === 0 || elements.length > 25) err('must have 1-25 elements', `/${i}/elements`);
        elements.forEach((el, j) => checkElement(el, `/${i}/elements/${j}`));
        break;
      case 'context':
        if (elements.length === 0 || elements.length > 10) err('must have 1-10 elements', `/${i}/elements`);
        break;
      case 'image':
        if (!b['image_url'] && !b['slack_file']) err('must provide image_url or slack_file', `/${i}`);
        if (!b['alt_text']) err('must provide alt_text', `/${i}/alt_text`);
        break;
      case 'input':
        if (!isObj(b['label']) || textLen(b['label']) === 0) err('must provide a label', `/${i}/label`);
        if (!isObj(b['element'])) err('must provide an element', `/${i}/element`);
        checkElement(b['element'], `/${i}/element`);
        break;
    }
  });
  return errors;
}

function viewErrors(view: Loose): string[] {
  const errors: string[] = [];
  const err = (msg: string, path: string) => errors.push(`[ERROR] ${msg} [json-pointer:/view${path}]`);
  const blocks = Array.isArray(view['blocks']) ? view['blocks'] : [];
  if (view['type'] !== 'modal' && view['type'] !== 'home') err('must be modal or home', '/type');
  if (view['type'] === 'modal') {
    if (textLen(view['title']) === 0 || textLen(view['title']) > 24) err('title must be 1-24 characters', '/title');
    for (const key of ['submit', 'close']) if (view[key] !== undefined && textLen(view[key]) > 24) err('must be less than 25 characters', `/${key}`);
    if (!view['submit'] && blocks.some((b) => isObj(b) && b['type'] === 'input')) err('submit is required when blocks contain input blocks', '/submit');
  }
  if (typeof view['private_metadata'] === 'string' && view['private_metadata'].length > 3000) err('must be less than 3001 characters', '/private_metadata');
  return [...errors, ...blockErrors(blocks, 100).map((e) => e.replace('json-pointer:/blocks', 'json-pointer:/view/blocks'))];
}

/**
 * Plays Slack for the bot: the Web API (`POST /api/<method>`), response_url
 * endpoints (`POST /response/<id>`), file uploads, with a small stateful
 * workspace (channels, DMs, ephemeral messages, threads, views), a record of
 * every call, fault injection, and a `change` event on every state change.
 */
export class SlackStandin extends EventEmitter<{ change: [ChangeEvent] }> {
  /** Every Web API call, in order. */
  readonly calls: CallRecord[] = [];
  /** Every response_url post, in order. */
  readonly responses: ResponseRecord[] = [];

  readonly teamId: string;
  readonly teamName: string;
  readonly teamDomain: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly users: readonly StandinUser[];
  readonly usergroups: Readonly<Record<string, string[]>>;
  readonly channels: readonly StandinChannel[];

  private readonly expectedToken: string | undefined;
  private connectedBot: BotClient | undefined;
  /** The slash commands the connected bot registered, when known. */
  private botCommands: Set<string> | undefined;
  private server: Server | undefined;
  private baseUrl = '';
  private lastMicros = 0;
  private readonly messages = new Map<string, StoredMessage[]>();
  private readonly viewsById = new Map<string, StoredView>();
  private readonly modalStacks = new Map<string, string[]>();
  private readonly homeViews = new Map<string, string>();
  private readonly files = new Map<string, StoredFile & { length: number; uploaded: boolean }>();
  private readonly usedTriggers = new Set<string>();
  private readonly responseUrlUses = new Map<string, { count: number; first: number; lastTs?: string }>();
  private readonly faults = new Map<string, Array<{ error: string } | { status: number; headers: Record<string, string> }>>();

  constructor(options: SlackStandinOptions = {}) {
    super();
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
  }

  /** Base URL once started, e.g. `http://127.0.0.1:43121`; the Web API is under `${url}/api/`. */
  get url(): string {
    return this.baseUrl;
  }

  /**
   * Listens on `host:port` (port 0, the default, picks a free port).
   * `fallback` gets requests the stand-in does not serve (the browser page mounts here).
   */
  async start(
    options: { port?: number; host?: string; fallback?: (req: IncomingMessage, res: ServerResponse) => void } = {},
  ): Promise<{ url: string }> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer((req, res) => {
      this.handle(req, res)
        .then((handled) => {
          if (handled) return;
          if (options.fallback) options.fallback(req, res);
          else send(res, 404, 'not found');
        })
        .catch((error: unknown) => {
          if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error', detail: String(error) });
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${port}`;
    return { url: this.baseUrl };
  }

  /**
   * Connects the bot this stand-in plays Slack for, which enables the local
   * routes: `POST /local/command` with JSON `{ command, text, userId?, channelId?,
   * timeoutMs?, settleMs? }` runs the command and answers `{ ack, replies: LocalReply[] }`
   * (the CLI companion uses it); `/local/action`, `/local/submit`, `/local/close` and
   * `/local/home` click, submit, close and open the Home tab as a user (the browser page uses them).
   */
  connectBot(bot: BotClient): void {
    this.connectedBot = bot;
  }

  /** The slash commands the connected bot registered: `/local/command` refuses others, as Slack does. */
  setBotCommands(commands: readonly string[]): void {
    this.botCommands = new Set(commands);
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /**
   * Serves one request if it is the stand-in's; resolves false otherwise. Lets
   * another server mount the stand-in instead of calling {@link start}.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = new URL(req.url ?? '/', 'http://standin').pathname;
    if (path === '/local/command' && req.method === 'POST') {
      await this.serveLocalCommand(await readBody(req), res);
      return true;
    }
    const localRoute = req.method === 'POST' ? this.localRoutes[path] : undefined;
    if (localRoute) {
      await this.serveLocal(localRoute, await readBody(req), res);
      return true;
    }
    const [, root, rest] = /^\/(api|response|upload|files)\/(.+)$/.exec(path) ?? [];
    if (!root || !rest) return false;
    if (root === 'files' && req.method === 'GET') {
      const file = this.files.get(decodeURIComponent(rest));
      if (!file?.bytes) send(res, 404, 'file_not_found');
      else res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.size }).end(file.bytes);
      return true;
    }
    if (req.method !== 'POST') return false;
    const raw = await readBody(req);
    if (root === 'api') await this.serveApi(decodeURIComponent(rest), req, raw, res);
    else if (root === 'response') this.serveResponseUrl(decodeURIComponent(rest), raw, res);
    else await this.serveUpload(decodeURIComponent(rest), req, raw, res);
    return true;
  }

  // ---- recording, waiting, fault injection ----

  /** The Web API calls made to one method. */
  callsTo(method: string): CallRecord[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * Resolves with the predicate's first truthy value, re-checking on every
   * change (and every 25 ms, for state outside the stand-in); rejects after `timeoutMs`.
   */
  waitFor<T>(predicate: () => T | undefined | false | null, options: { timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearInterval(interval);
        clearTimeout(timer);
        this.off('change', check);
        settle();
      };
      const check = () => {
        try {
          const value = predicate();
          if (value) finish(() => resolve(value));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const interval = setInterval(check, 25);
      const timer = setTimeout(
        () => finish(() => reject(new Error(`waitFor: timed out after ${timeoutMs} ms. Recent activity:\n${this.describeRecent()}`))),
        timeoutMs,
      );
      this.on('change', check);
      check();
    });
  }

  /** Makes the next `times` calls to `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times = 1): void {
    this.queueFault(method, { error }, times);
  }

  /** Makes the next `times` calls to `method` answer with an HTTP error, e.g. 429 with `{ 'Retry-After': '1' }`. */
  failNextHttp(method: string, status: number, headers: Record<string, string> = {}, times = 1): void {
    this.queueFault(method, { status, headers }, times);
  }

  /** Forgets recorded calls, messages, views, files and pending faults; keeps the workspace fixture. */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    for (const map of [this.messages, this.viewsById, this.modalStacks, this.homeViews, this.files, this.responseUrlUses, this.faults]) map.clear();
    this.usedTriggers.clear();
    this.changed({ kind: 'reset' });
  }

  // ---- state, for assertions and renderers ----

  /** The messages of a conversation in posting order (thread replies included). A user ID means the bot's DM with them. */
  conversation(channelId: string, options: { visibleTo?: string } = {}): readonly StoredMessage[] {
    const id = this.tryResolveChannel(channelId) ?? channelId;
    const all = this.messages.get(id) ?? [];
    return options.visibleTo === undefined ? [...all] : all.filter((m) => !m.ephemeral || m.ephemeral.user === options.visibleTo);
  }

  /** One message by channel and ts. */
  message(channelId: string, ts: string): StoredMessage | undefined {
    return this.conversation(channelId).find((m) => m.ts === ts);
  }

  /** A view by ID. */
  view(viewId: string): StoredView | undefined {
    return this.viewsById.get(viewId);
  }

  /** The modal stack open for a user, bottom first. */
  modals(userId: string): StoredView[] {
    return (this.modalStacks.get(userId) ?? []).flatMap((id) => this.viewsById.get(id) ?? []);
  }

  /** The Home tab view published for a user. */
  homeView(userId: string): StoredView | undefined {
    const id = this.homeViews.get(userId);
    return id === undefined ? undefined : this.viewsById.get(id);
  }

  /** An uploaded file, with its bytes. */
  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  /** The bot's DM conversation ID with a user. */
  dmChannelId(userId: string): string {
    return `D${userId}`;
  }

  // ---- both sides: user actions that wait for the bot's answer ----

  /**
   * Runs a slash command as a user and waits (bounded) for the bot's answer:
   * posts to the command's response_url, chat.* calls in that channel or the
   * user's DM, modals opened with its trigger. A non-empty ack body counts as a
   * reply and is shown the way Slack shows it.
   */
  async runCommand(
    bot: BotClient,
    input: { command: string; text?: string; userId: string; channelId: string } & ReplyWait,
  ): Promise<{ ack: HttpAck & { responseUrl: string; triggerId: string }; replies: ResponseOrMessage[] }> {
    const mark = this.mark();
    const ack = await bot.command({
      ...input,
      userName: this.user(input.userId)?.name,
      channelName: this.channels.find((c) => c.id === input.channelId)?.name,
    });
    const ackReplies = this.applyAck(ack, { channelId: input.channelId, userId: input.userId });
    if (ack.status !== 200) return { ack, replies: [] };
    const responseId = ack.responseUrl.split('/').pop() ?? '';
    const replies = await this.collect(mark, ackReplies, { responseId, channelId: input.channelId, userId: input.userId, triggerId: ack.triggerId }, input);
    return { ack, replies };
  }

  /**
   * Clicks (or selects in) the interactive element `actionId` of a stored
   * message or view, sending the block_actions payload Slack would, and waits
   * for the bot's answer like {@link runCommand}.
   */
  async clickAction(
    bot: BotClient,
    input: {
      userId: string;
      actionId: string;
      /** For selects and overflow menus: the value of the chosen option. */
      value?: string;
      /** Extra action fields, e.g. `{ selected_date: '2024-05-01' }`. */
      extra?: Loose;
    } & ({ channelId: string; ts: string } | { viewId: string }) &
      ReplyWait,
  ): Promise<{ ack: HttpAck; replies: ResponseOrMessage[] }> {
    const mark = this.mark();
    const inView = 'viewId' in input;
    const source = inView ? this.viewsById.get(input.viewId) : this.message(input.channelId, input.ts);
    if (!source) throw new Error(`clickAction: no ${inView ? `view ${input.viewId}` : `message ${input.channelId}/${input.ts}`}`);
    const found = findElement(source.blocks ?? [], input.actionId);
    if (!found) throw new Error(`clickAction: no element "${input.actionId}" in:\n${blocksToText(source.blocks ?? [])}`);
    const { element, blockId } = found;
    const action: Loose & { action_id: string; block_id: string } = { action_id: input.actionId, block_id: blockId, type: element['type'] };
    if (element['type'] === 'button') {
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
      ack = await bot.blockAction({ userId: input.userId, userName: this.user(input.userId)?.name, view: this.publicView(view), actions: [action] });
      matches = { userId: input.userId, triggerId: ack.triggerId, anyChannel: true };
    } else {
      const message = source as StoredMessage;
      const ctx: ResponseUrlContext = { channelId: message.channel, userId: input.userId, messageTs: message.ts };
      const responseId = encodeResponseUrlId(ctx);
      ack = await bot.blockAction({
        userId: input.userId,
        userName: this.user(input.userId)?.name,
        channelId: message.channel,
        channelName: this.channels.find((c) => c.id === message.channel)?.name,
        // Slack leaves the message out of payloads for ephemeral messages.
        ...(message.ephemeral ? {} : { message: this.publicMessage(message) }),
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: Boolean(message.ephemeral) },
        responseUrl: `${this.baseUrl}/response/${responseId}`,
        actions: [action],
      });
      matches = { responseId, channelId: message.channel, userId: input.userId, triggerId: ack.triggerId };
    }
    return { ack, replies: await this.collect(mark, [], matches, input) };
  }

  /**
   * Submits the user's top modal (or `viewId`) with `values` (action_id → a
   * text value, an option value, or several of them), then applies the ack's
   * `response_action` to the modal stack as Slack does.
   */
  async submitView(
    bot: BotClient,
    input: { userId: string; viewId?: string; values?: Record<string, string | string[]> } & ReplyWait,
  ): Promise<{ ack: HttpAck; responseAction?: string; errors?: Record<string, string>; replies: ResponseOrMessage[] }> {
    const mark = this.mark();
    const view = input.viewId ? this.viewsById.get(input.viewId) : this.modals(input.userId).at(-1);
    if (!view) throw new Error(`submitView: no open modal for ${input.userId}`);
    view.state = { values: stateValues(view.blocks, input.values ?? {}) };
    const ack = await bot.viewSubmission({ userId: input.userId, userName: this.user(input.userId)?.name, view: this.publicView(view) });
    const body = isObj(ack.json) ? ack.json : {};
    const action = optStr(body['response_action']);
    const stack = this.modalStacks.get(input.userId) ?? [];
    if (ack.status === 200) {
      if (action === 'update' && isObj(body['view'])) this.replaceView(view, body['view']);
      else if (action === 'push' && isObj(body['view'])) stack.push(this.createView(body['view'], input.userId, view.root_view_id, view.id).id);
      else if (action === 'clear') stack.length = 0;
      else if (action !== 'errors' && stack.includes(view.id)) stack.splice(stack.indexOf(view.id), 1);
      this.changed({ kind: 'view', viewId: view.id });
    }
    const replies = await this.collect(mark, [], { userId: input.userId, anyChannel: true }, input);
    const errors = action === 'errors' && isObj(body['errors']) ? (body['errors'] as Record<string, string>) : undefined;
    return { ack, replies, ...(action ? { responseAction: action } : {}), ...(errors ? { errors } : {}) };
  }

  /** Closes the user's top modal; sends view_closed when the view asked for it (notify_on_close). */
  async closeView(bot: BotClient, input: { userId: string; clearAll?: boolean }): Promise<HttpAck | undefined> {
    const stack = this.modalStacks.get(input.userId) ?? [];
    const top = stack.at(-1);
    const view = top === undefined ? undefined : this.viewsById.get(top);
    if (!view) return undefined;
    if (input.clearAll) stack.length = 0;
    else stack.pop();
    this.changed({ kind: 'view', viewId: view.id });
    if (!view['notify_on_close']) return undefined;
    return bot.viewClosed({ userId: input.userId, view: this.publicView(view), isCleared: Boolean(input.clearAll) });
  }

  /**
   * Opens the App Home tab for a user: sends the `app_home_opened` event Slack
   * sends (with the view already published for them, if any).
   */
  async openHome(bot: BotClient, input: { userId: string }): Promise<HttpAck> {
    const view = this.homeView(input.userId);
    return bot.event({
      type: 'app_home_opened',
      user: input.userId,
      channel: this.dmChannelId(input.userId),
      tab: 'home',
      ...(view ? { view: this.publicView(view) } : {}),
    }, { botUserId: this.botUserId });
  }

  // ---- local routes: the browser page and the CLI act as a user ----

  /**
   * `POST /local/action`, `/local/submit`, `/local/close`, `/local/home`: JSON
   * bodies naming the acting `userId`; each runs the matching user action
   * ({@link clickAction}, {@link submitView}, {@link closeView}, {@link openHome})
   * against the connected bot and answers what happened.
   */
  private readonly localRoutes: Record<string, (bot: BotClient, input: Loose, userId: string, wait: ReplyWait) => Promise<[number, unknown]>> = {
    '/local/action': async (bot, input, userId, wait) => {
      const actionId = optStr(input['actionId']);
      if (!actionId) return [400, { error: 'actionId is required' }];
      const value = optStr(input['value']);
      const extra = isObj(input['extra']) ? input['extra'] : undefined;
      const viewId = optStr(input['viewId']);
      let target: { viewId: string } | { channelId: string; ts: string };
      if (viewId) {
        const view = this.viewsById.get(viewId);
        if (!view || view.user !== userId) return [404, { error: `No view ${viewId} is open for ${userId}` }];
        const values = localValues(input['values']);
        if (values === null) return [400, { error: 'values must map action IDs to a string or a list of strings' }];
        if (values) view.state = { values: stateValues(view.blocks, values) };
        target = { viewId };
      } else {
        const channelId = this.tryResolveChannel(input['channelId']);
        const ts = optStr(input['ts']);
        const message = channelId && ts ? this.message(channelId, ts) : undefined;
        if (!channelId || !message || (message.ephemeral && message.ephemeral.user !== userId)) {
          return [404, { error: 'No such message (give channelId and ts of a message this user can see)' }];
        }
        target = { channelId, ts: message.ts };
      }
      try {
        const { ack, replies } = await this.clickAction(bot, {
          userId, actionId, ...target, ...(value !== undefined ? { value } : {}), ...(extra ? { extra } : {}), ...wait,
        });
        return [200, { ack: localAck(ack), replies: toLocalReplies(replies) }];
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('clickAction:')) return [400, { error: error.message }];
        throw error;
      }
    },
    '/local/submit': async (bot, input, userId, wait) => {
      const viewId = optStr(input['viewId']);
      const top = this.modals(userId).at(-1);
      if (!top || (viewId !== undefined && viewId !== top.id)) return [404, { error: `No such modal is open for ${userId}` }];
      const values = localValues(input['values']);
      if (values === null) return [400, { error: 'values must map action IDs to a string or a list of strings' }];
      const result = await this.submitView(bot, { userId, viewId: top.id, values: values ?? {}, ...wait });
      return [200, {
        ack: localAck(result.ack), replies: toLocalReplies(result.replies),
        ...(result.responseAction ? { responseAction: result.responseAction } : {}),
        ...(result.errors ? { errors: result.errors } : {}),
      }];
    },
    '/local/close': async (bot, input, userId) => {
      if (this.modals(userId).length === 0) return [404, { error: `No modal is open for ${userId}` }];
      const ack = await this.closeView(bot, { userId, clearAll: input['clearAll'] === true });
      return [200, { closed: true, ...(ack ? { ack: localAck(ack) } : {}) }];
    },
    '/local/home': async (bot, _input, userId) => [200, { ack: localAck(await this.openHome(bot, { userId })) }],
  };

  private async serveLocal(
    route: (bot: BotClient, input: Loose, userId: string, wait: ReplyWait) => Promise<[number, unknown]>,
    raw: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const bot = this.connectedBot;
    if (!bot) return send(res, 503, { error: 'No bot is connected to this Slack stand-in.' });
    let input: Loose;
    try {
      const parsed: unknown = JSON.parse(raw.toString());
      if (!isObj(parsed)) throw new Error('not an object');
      input = parsed;
    } catch {
      return send(res, 400, { error: 'Send a JSON object, e.g. { "userId": "U0REGULAR", … }' });
    }
    const userId = optStr(input['userId']) ?? StandinDefaults.users.regular;
    if (!this.user(userId)) return send(res, 400, { error: `Unknown user ${userId}; known: ${this.users.map((u) => u.id).join(', ')}` });
    const num = (v: unknown, fallback: number) => (typeof v === 'number' && v >= 0 ? Math.min(v, 60_000) : fallback);
    const [status, body] = await route(bot, input, userId, { timeoutMs: num(input['timeoutMs'], 5_000), settleMs: num(input['settleMs'], 300) });
    send(res, status, body);
  }

  // ---- Web API ----

  private readonly methods: Record<string, (args: Loose) => Loose | Promise<Loose>> = {
    'auth.test': () => ({
      url: `https://${this.teamDomain}.slack.com/`,
      team: this.teamName,
      user: 'analytics-bot',
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (a) => {
      const channel = this.resolveChannel(a['channel'], true);
      const msg = this.addMessage({ channel, ...this.content(a), ...this.threadOf(a), via: 'web_api' });
      return { channel, ts: msg.ts, message: this.publicMessage(msg) };
    },
    'chat.postEphemeral': (a) => {
      const channel = this.resolveChannel(a['channel'], true);
      const user = optStr(a['user']);
      if (!user || !this.user(user)) throw new ApiError('user_not_in_channel');
      const msg = this.addMessage({ channel, ...this.content(a), ...this.threadOf(a), ephemeral: { user }, via: 'web_api' });
      return { message_ts: msg.ts };
    },
    'chat.update': (a) => {
      const msg = this.findMessage(a['channel'], a['ts']);
      if (msg.ephemeral || msg.user !== this.botUserId) throw new ApiError('cant_update_message');
      const { text, blocks, attachments } = this.content(a);
      // Slack keeps blocks and attachments that the update leaves out.
      Object.assign(msg, { text }, blocks ? { blocks } : {}, attachments ? { attachments } : {});
      if (a['metadata'] !== undefined) msg.metadata = a['metadata'];
      msg.edited = { user: this.botUserId, ts: this.nextTs() };
      this.changed({ kind: 'message', channel: msg.channel, ts: msg.ts });
      return { channel: msg.channel, ts: msg.ts, text: msg.text, message: this.publicMessage(msg) };
    },
    'chat.delete': (a) => {
      const msg = this.findMessage(a['channel'], a['ts']);
      if (msg.ephemeral || msg.user !== this.botUserId) throw new ApiError('cant_delete_message');
      this.removeMessage(msg);
      return { channel: msg.channel, ts: msg.ts };
    },
    'chat.getPermalink': (a) => {
      const msg = this.findMessage(a['channel'], a['message_ts']);
      const base = `https://${this.teamDomain}.slack.com/archives/${msg.channel}/p${msg.ts.replace('.', '')}`;
      return { channel: msg.channel, permalink: msg.thread_ts ? `${base}?thread_ts=${msg.thread_ts}&cid=${msg.channel}` : base };
    },
    'views.open': (a) => {
      const user = this.exchangeTrigger(a['trigger_id']);
      const view = this.createView(this.viewArg(a), user);
      this.modalStacks.set(user, [view.id]);
      return { view: this.publicView(view) };
    },
    'views.push': (a) => {
      const user = this.exchangeTrigger(a['trigger_id']);
      const stack = this.modalStacks.get(user) ?? [];
      if (stack.length >= 3) throw new ApiError('push_limit_reached');
      const top = stack.at(-1);
      const view = this.createView(this.viewArg(a), user, top ? this.viewsById.get(top)?.root_view_id : undefined, top ?? null);
      this.modalStacks.set(user, [...stack, view.id]);
      return { view: this.publicView(view) };
    },
    'views.update': (a) => {
      const id = optStr(a['view_id']);
      const externalId = optStr(a['external_id']);
      const view = id ? this.viewsById.get(id) : [...this.viewsById.values()].find((v) => externalId && v.external_id === externalId);
      if (!view) throw new ApiError('not_found');
      if (optStr(a['hash']) && a['hash'] !== view.hash) throw new ApiError('hash_conflict');
      this.replaceView(view, this.viewArg(a));
      return { view: this.publicView(view) };
    },
    'views.publish': (a) => {
      const user = optStr(a['user_id']);
      if (!user || !this.user(user)) throw new ApiError('user_not_found');
      const spec = this.viewArg(a);
      if (spec['type'] !== 'home') throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] } });
      const existing = this.homeView(user);
      if (existing && optStr(a['hash']) && a['hash'] !== existing.hash) throw new ApiError('hash_conflict');
      const view = existing ? this.replaceView(existing, spec) : this.createView(spec, user);
      this.homeViews.set(user, view.id);
      return { view: this.publicView(view) };
    },
    'files.getUploadURLExternal': (a) => {
      const name = optStr(a['filename']);
      const length = Number(a['length']);
      if (!name || !Number.isInteger(length) || length <= 0) throw new ApiError('invalid_arguments');
      const id = randomId('F');
      const file = { id, name, title: name, mimetype: mimetypeOf(name), size: 0, url_private: `${this.baseUrl}/files/${id}`, length, uploaded: false };
      this.files.set(id, file);
      return { upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
    },
    'files.completeUploadExternal': (a) => {
      const list = Array.isArray(a['files']) ? a['files'] : [];
      if (list.length === 0) throw new ApiError('invalid_arguments');
      const files = list.map((f) => {
        const file = isObj(f) ? this.files.get(String(f['id'])) : undefined;
        if (!file?.uploaded) throw new ApiError('file_not_found');
        if (isObj(f) && optStr(f['title'])) file.title = String(f['title']);
        return this.publicFile(file);
      });
      const channelId = optStr(a['channel_id']) ?? optStr(a['channels']);
      if (channelId) {
        const channel = this.resolveChannel(channelId, true);
        const blocks = Array.isArray(a['blocks']) ? a['blocks'] : undefined;
        this.addMessage({ channel, text: optStr(a['initial_comment']) ?? '', ...(blocks ? { blocks } : {}), files, ...this.threadOf(a), via: 'web_api' });
      }
      return { files: files.map((f) => ({ ...f, permalink: f.url_private })) };
    },
    'usergroups.users.list': (a) => {
      const members = this.usergroups[optStr(a['usergroup']) ?? ''];
      if (!members) throw new ApiError('no_such_subteam');
      return { users: [...members] };
    },
    'users.info': (a) => {
      const id = optStr(a['user']);
      if (id === this.botUserId) return { user: { id, team_id: this.teamId, name: 'analytics-bot', real_name: 'analytics-bot', is_bot: true, deleted: false, profile: { bot_id: this.botId, real_name: 'analytics-bot' } } };
      const user = id ? this.user(id) : undefined;
      if (!user) throw new ApiError('user_not_found');
      const tz = user.tz ?? 'America/Los_Angeles';
      return {
        user: {
          id: user.id, team_id: this.teamId, name: user.name, real_name: user.realName, deleted: false,
          is_admin: user.isAdmin ?? false, is_owner: false, is_bot: false, is_restricted: false,
          tz, ...tzFields(tz),
          profile: {
            email: user.email, real_name: user.realName, real_name_normalized: user.realName,
            display_name: user.name, display_name_normalized: user.name, image_48: `https://example.com/avatars/${user.id}.png`,
          },
        },
      };
    },
    'conversations.info': (a) => {
      const id = this.resolveChannel(a['channel'], false);
      if (id.startsWith('D')) return { channel: { id, is_im: true, is_channel: false, is_private: true, user: id.slice(1), is_open: true, created: 1_700_000_000 } };
      const ch = this.channels.find((c) => c.id === id);
      return {
        channel: {
          id, name: ch?.name, name_normalized: ch?.name, is_channel: true, is_group: false, is_im: false, is_private: false,
          is_archived: false, is_general: false, is_member: ch?.botIsMember !== false, created: 1_700_000_000,
        },
      };
    },
    'conversations.open': (a) => {
      const users = (optStr(a['users']) ?? '').split(',').filter(Boolean);
      if (users.length !== 1 || !this.user(users[0] ?? '')) throw new ApiError(users.length ? 'user_not_found' : 'users_list_not_supplied');
      return { channel: { id: this.dmChannelId(users[0] ?? '') } };
    },
  };

  private async serveLocalCommand(raw: Buffer, res: ServerResponse): Promise<void> {
    const bot = this.connectedBot;
    if (!bot) return send(res, 503, { error: 'No bot is connected to this Slack stand-in.' });
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
    const channelId = optStr(input['channelId']) ?? this.channels[0]?.id ?? StandinDefaults.channel;
    if (!this.user(userId)) return send(res, 400, { error: `Unknown user ${userId}; known: ${this.users.map((u) => u.id).join(', ')}` });
    const num = (v: unknown, fallback: number) => (typeof v === 'number' && v >= 0 ? Math.min(v, 60_000) : fallback);
    const { ack, replies } = await this.runCommand(bot, {
      command, text: typeof input['text'] === 'string' ? input['text'] : '', userId, channelId,
      // Slower than tests: a command may post "working…" and its result seconds later.
      timeoutMs: num(input['timeoutMs'], 15_000), settleMs: num(input['settleMs'], 1_500),
    });
    send(res, 200, { ack: { status: ack.status, ms: ack.ms, body: ack.body }, replies: toLocalReplies(replies) });
  }

  private async serveApi(method: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const record: CallRecord = { method, args: {}, at: Date.now() };
    this.calls.push(record);
    let status = 200;
    let headers: Record<string, string> = {};
    let body: Loose;
    try {
      record.args = await parseArgs(req.headers['content-type'] ?? '', raw);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const token = bearer ?? optStr(record.args['token']);
      delete record.args['token'];
      const fault = this.faults.get(method)?.shift();
      if (fault && 'status' in fault) {
        ({ status, headers } = fault);
        throw new ApiError(status === 429 ? 'ratelimited' : 'internal_error');
      }
      if (!token) throw new ApiError('not_authed');
      if (this.expectedToken ? token !== this.expectedToken : !token.startsWith('xoxb-')) throw new ApiError('invalid_auth');
      if (fault) throw new ApiError(fault.error);
      const handler = this.methods[method];
      if (!handler) throw new ApiError('unknown_method', { req_method: method });
      body = { ok: true, ...(await handler(record.args)) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      body = { ok: false, error: error.code, ...error.extra };
      record.error = status === 200 ? error.code : `http_${status}`;
    }
    record.result = body;
    this.changed({ kind: 'call', method });
    send(res, status, body, headers);
  }

  private async serveUpload(fileId: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const file = this.files.get(fileId);
    if (!file) return send(res, 404, 'file_not_found');
    let bytes = raw;
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.includes('multipart/form-data')) {
      const part = (await parseMultipart(raw, contentType)).find((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1]));
      bytes = part ? part[1] : Buffer.alloc(0);
    }
    Object.assign(file, { bytes, size: bytes.length, uploaded: true });
    this.changed({ kind: 'file' });
    send(res, 200, `OK - ${bytes.length}`);
  }

  // ---- response_url ----

  private serveResponseUrl(id: string, raw: Buffer, res: ServerResponse): void {
    let body: Loose = {};
    try {
      const parsed: unknown = JSON.parse(raw.toString() || '{}');
      if (isObj(parsed)) body = parsed;
    } catch {
      body = { text: raw.toString() };
    }
    const record: ResponseRecord = { id, body, at: Date.now() };
    this.responses.push(record);
    const ctx = decodeResponseUrlId(id);
    const uses = this.responseUrlUses.get(id) ?? { count: 0, first: Date.now() };
    this.responseUrlUses.set(id, uses);
    let status = 200;
    try {
      if (!ctx) throw new ApiError('no_service');
      // Slack allows five posts per response_url within 30 minutes.
      if (uses.count >= RESPONSE_URL_MAX_USES) throw new ApiError('used_url');
      if (Date.now() - uses.first > RESPONSE_URL_TTL_MS) throw new ApiError('expired_url');
      uses.count += 1;
      const msg = this.applyResponse(ctx, body, uses, 'response_url');
      if (msg) Object.assign(record, { channel: msg.channel, messageTs: msg.ts });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      record.error = error.code;
      status = error.code === 'no_service' || error.code.endsWith('_url') ? 404 : 400;
    }
    this.changed({ kind: 'response' });
    send(res, status, status === 200 ? { ok: true } : { ok: false, error: record.error });
  }

  /**
   * Slack's response_url semantics: ephemeral unless `response_type: 'in_channel'`;
   * `replace_original` / `delete_original` act on the message the action came
   * from, or, for a command, on this URL's previous reply.
   */
  private applyResponse(ctx: ResponseUrlContext, body: Loose, uses: { lastTs?: string }, via: StoredMessage['via']): StoredMessage | undefined {
    const targetTs = ctx.messageTs ?? uses.lastTs;
    const target = targetTs ? this.message(ctx.channelId, targetTs) : undefined;
    if (body['delete_original'] === true || body['delete_original'] === 'true') {
      if (target) this.removeMessage(target);
      return undefined;
    }
    const content = this.content(body);
    if ((body['replace_original'] === true || body['replace_original'] === 'true') && target) {
      target.text = content.text;
      if (content.blocks) target.blocks = content.blocks;
      else delete target.blocks;
      target.edited = { user: this.botUserId, ts: this.nextTs() };
      this.changed({ kind: 'message', channel: target.channel, ts: target.ts });
      return target;
    }
    const channel = this.tryResolveChannel(ctx.channelId) ?? ctx.channelId;
    const inChannel = body['response_type'] === 'in_channel';
    const msg = this.addMessage({ channel, ...content, ...this.threadOf(body), ...(inChannel ? {} : { ephemeral: { user: ctx.userId } }), via });
    uses.lastTs = msg.ts;
    return msg;
  }

  /** A non-empty ack body to a command is displayed by Slack like a response_url post. */
  private applyAck(ack: HttpAck, ctx: ResponseUrlContext): ResponseOrMessage[] {
    if (ack.status !== 200 || ack.body.trim() === '') return [];
    const body = isObj(ack.json) ? ack.json : { text: ack.body };
    if (!body['text'] && !body['blocks']) return [];
    try {
      const message = this.applyResponse(ctx, body, {}, 'ack');
      return [{ via: 'ack', body, ...(message ? { message } : {}) }];
    } catch {
      return [{ via: 'ack', body }];
    }
  }

  // ---- helpers ----

  private queueFault(method: string, fault: { error: string } | { status: number; headers: Record<string, string> }, times: number): void {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.faults.set(method, queue);
  }

  private changed(event: ChangeEvent): void {
    this.emit('change', event);
  }

  private user(id: string): StandinUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  /** Slack timestamps are unique per channel; these are unique overall and increasing. */
  private nextTs(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    return `${Math.floor(this.lastMicros / 1e6)}.${String(this.lastMicros % 1e6).padStart(6, '0')}`;
  }

  private tryResolveChannel(ref: unknown): string | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    if (/^[UW]/.test(ref)) return this.user(ref) ? this.dmChannelId(ref) : undefined;
    if (/^D/.test(ref)) return this.user(ref.slice(1)) ? ref : undefined;
    const name = ref.replace(/^#/, '');
    return this.channels.find((c) => c.id === ref || c.name === name)?.id;
  }

  private resolveChannel(ref: unknown, posting: boolean): string {
    const id = this.tryResolveChannel(ref);
    if (!id) throw new ApiError('channel_not_found');
    if (posting && this.channels.find((c) => c.id === id)?.botIsMember === false) throw new ApiError('not_in_channel');
    return id;
  }

  private content(a: Loose): { text: string; blocks?: unknown[]; attachments?: unknown[] } {
    const text = typeof a['text'] === 'string' ? a['text'] : '';
    const blocks = a['blocks'];
    const attachments = Array.isArray(a['attachments']) && a['attachments'].length ? a['attachments'] : undefined;
    if (blocks !== undefined && !Array.isArray(blocks)) throw new ApiError('invalid_blocks_format');
    if (!text && !blocks?.length && !attachments) throw new ApiError('no_text');
    if (text.length > 40_000) throw new ApiError('msg_too_long');
    const errors = blocks ? blockErrors(blocks, 50) : [];
    if (errors.length) throw new ApiError('invalid_blocks', { errors, response_metadata: { messages: errors } });
    return { text, ...(blocks ? { blocks: withBlockIds(blocks) } : {}), ...(attachments ? { attachments } : {}) };
  }

  private threadOf(a: Loose): { thread_ts?: string } {
    const ts = optStr(a['thread_ts']);
    return ts ? { thread_ts: ts } : {};
  }

  private addMessage(fields: Omit<StoredMessage, 'type' | 'ts' | 'user' | 'bot_id'>): StoredMessage {
    const msg: StoredMessage = { type: 'message', ts: this.nextTs(), user: this.botUserId, bot_id: this.botId, ...fields };
    const list = this.messages.get(msg.channel) ?? [];
    list.push(msg);
    this.messages.set(msg.channel, list);
    const parent = msg.thread_ts && !msg.ephemeral ? list.find((m) => m.ts === msg.thread_ts) : undefined;
    if (parent) parent.reply_count = (parent.reply_count ?? 0) + 1;
    this.changed({ kind: 'message', channel: msg.channel, ts: msg.ts });
    return msg;
  }

  private removeMessage(msg: StoredMessage): void {
    const list = this.messages.get(msg.channel) ?? [];
    list.splice(list.indexOf(msg), 1);
    const parent = msg.thread_ts && !msg.ephemeral ? list.find((m) => m.ts === msg.thread_ts) : undefined;
    if (parent?.reply_count) parent.reply_count -= 1;
    this.changed({ kind: 'message', channel: msg.channel, ts: msg.ts });
  }

  private findMessage(channel: unknown, ts: unknown): StoredMessage {
    const id = this.resolveChannel(channel, false);
    const msg = typeof ts === 'string' ? this.message(id, ts) : undefined;
    if (!msg) throw new ApiError('message_not_found');
    return msg;
  }

  private publicMessage(msg: StoredMessage): Loose & { ts: string } {
    const { via: _via, channel: _channel, ephemeral: _ephemeral, ...rest } = msg;
    return { ...rest, team: this.teamId, app_id: this.appId };
  }

  private publicFile(file: StoredFile): Omit<StoredFile, 'bytes'> {
    const { bytes: _bytes, ...rest } = file;
    const { length: _length, uploaded: _uploaded, ...pub } = rest as typeof rest & { length?: number; uploaded?: boolean };
    return pub;
  }

  private exchangeTrigger(triggerId: unknown): string {
    if (typeof triggerId !== 'string' || !triggerId) throw new ApiError('invalid_arguments');
    const decoded = decodeTriggerId(triggerId);
    if (!decoded || !this.user(decoded.userId)) throw new ApiError('invalid_trigger_id');
    if (this.usedTriggers.has(triggerId)) throw new ApiError('exchanged_trigger_id');
    if (Date.now() - decoded.issuedAtMs > TRIGGER_TTL_MS) throw new ApiError('expired_trigger_id');
    this.usedTriggers.add(triggerId);
    return decoded.userId;
  }

  private viewArg(a: Loose): Loose {
    const view = a['view'];
    if (!isObj(view)) throw new ApiError('invalid_arguments');
    const errors = viewErrors(view);
    if (errors.length) throw new ApiError('invalid_arguments', { response_metadata: { messages: errors } });
    return view;
  }

  private createView(spec: Loose, user: string, rootId?: string, previousId: string | null = null): StoredView {
    const id = randomId('V');
    const view = this.buildView(spec, id, user, rootId ?? id, previousId);
    this.viewsById.set(id, view);
    this.changed({ kind: 'view', viewId: id });
    return view;
  }

  private replaceView(view: StoredView, spec: Loose): StoredView {
    const fresh = this.buildView(spec, view.id, view.user, view.root_view_id, view.previous_view_id);
    const state = view.state;
    for (const key of Object.keys(view)) delete view[key];
    Object.assign(view, fresh, { state });
    this.changed({ kind: 'view', viewId: view.id });
    return view;
  }

  private buildView(spec: Loose, id: string, user: string, rootId: string, previousId: string | null): StoredView {
    return {
      team_id: this.teamId, app_id: this.appId, bot_id: this.botId, app_installed_team_id: this.teamId,
      close: null, submit: null, clear_on_close: false, notify_on_close: false,
      ...spec, id, type: String(spec['type']), user,
      blocks: withBlockIds(asArray(spec['blocks'])),
      callback_id: optStr(spec['callback_id']) ?? '',
      private_metadata: optStr(spec['private_metadata']) ?? '',
      external_id: optStr(spec['external_id']) ?? '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      root_view_id: rootId,
      previous_view_id: previousId,
    };
  }

  private publicView(view: StoredView): Loose & { id: string } {
    const { user: _user, ...rest } = view;
    return rest;
  }

  private mark(): { calls: number; responses: number } {
    return { calls: this.calls.length, responses: this.responses.length };
  }

  private gather(since: { calls: number; responses: number }, match: ReplyMatch): ResponseOrMessage[] {
    const replies: ResponseOrMessage[] = [];
    for (const r of this.responses.slice(since.responses)) {
      if (match.responseId !== undefined && r.id !== match.responseId) continue;
      if (match.responseId === undefined && !match.anyChannel) continue;
      const message = r.channel && r.messageTs ? this.message(r.channel, r.messageTs) : undefined;
      replies.push({ via: 'response_url', id: r.id, body: r.body, ...(message ? { message } : {}), ...(r.error ? { error: r.error } : {}) });
    }
    const dm = match.userId ? this.dmChannelId(match.userId) : undefined;
    for (const c of this.calls.slice(since.calls)) {
      const channel = this.tryResolveChannel(c.args['channel'] ?? c.args['channel_id']);
      const relevant =
        /^(chat\.|files\.completeUploadExternal$)/.test(c.method)
          ? match.anyChannel || (channel !== undefined && (channel === match.channelId || channel === dm))
          : /^views\.(open|push)$/.test(c.method)
            ? match.anyChannel || c.args['trigger_id'] === match.triggerId
            : /^views\.update$/.test(c.method) && Boolean(match.anyChannel);
      if (!relevant) continue;
      const ts = optStr(c.result?.['ts']) ?? optStr(c.result?.['message_ts']);
      const message = channel && ts ? this.message(channel, ts) : undefined;
      replies.push({
        via: 'web_api', method: c.method, args: c.args,
        ...(c.result ? { result: c.result } : {}), ...(message ? { message } : {}), ...(c.error ? { error: c.error } : {}),
      });
    }
    return replies;
  }

  private collect(since: { calls: number; responses: number }, first: ResponseOrMessage[], match: ReplyMatch, wait: ReplyWait): Promise<ResponseOrMessage[]> {
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

  private describeRecent(): string {
    const lines = [
      ...this.calls.slice(-5).map((c) => `  ${c.method}${c.error ? ` ✗ ${c.error}` : ''}: ${blocksToText(c.args).slice(0, 200)}`),
      ...this.responses.slice(-5).map((r) => `  response_url${r.error ? ` ✗ ${r.error}` : ''}: ${blocksToText(r.body).slice(0, 200)}`),
    ];
    return lines.length ? lines.join('\n') : '  (no calls, no response_url posts)';
  }
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

function localAck(ack: HttpAck): { status: number; ms: number; body: string } {
  return { status: ack.status, ms: ack.ms, body: ack.body };
}

/** Form values sent by a local client: undefined when absent, null when malformed. */
function localValues(v: unknown): Record<string, string | string[]> | undefined | null {
  if (v === undefined) return undefined;
  if (!isObj(v)) return null;
  const ok = Object.values(v).every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'string')));
  return ok ? (v as Record<string, string | string[]>) : null;
}

interface ReplyMatch {
  responseId?: string;
  channelId?: string;
  userId?: string;
  triggerId?: string;
  anyChannel?: boolean;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Slack gives every block without a block_id a random one; a bot must not depend on it. */
function withBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((b) => (isObj(b) && b['block_id'] === undefined ? { ...b, block_id: randomBytes(3).toString('base64url') } : b));
}

/** Finds an interactive element by action_id in actions, section accessories and inputs. */
function findElement(blocks: unknown[], actionId: string): { element: Loose; blockId: string } | undefined {
  for (const b of blocks) {
    if (!isObj(b)) continue;
    const candidates = [...asArray(b['elements']), b['accessory'], b['element']];
    const element = candidates.find((el): el is Loose => isObj(el) && el['action_id'] === actionId);
    if (element) return { element, blockId: optStr(b['block_id']) ?? '' };
  }
  return undefined;
}

/** Builds `view.state.values` as Slack does: every input appears, unset ones with null values. */
function stateValues(blocks: unknown[], values: Record<string, string | string[]>): Record<string, Record<string, unknown>> {
  const state: Record<string, Record<string, unknown>> = {};
  for (const b of blocks) {
    if (!isObj(b) || b['type'] !== 'input' || !isObj(b['element'])) continue;
    const el = b['element'];
    const actionId = optStr(el['action_id']) ?? '';
    const type = String(el['type']);
    const given = values[actionId];
    const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
    const options = asArray(el['options']).filter(isObj);
    const pick = (v: string) => options.find((o) => o['value'] === v) ?? { text: { type: 'plain_text', text: v }, value: v };
    let value: Loose;
    if (type === 'datepicker') value = { selected_date: list[0] ?? null };
    else if (type === 'timepicker') value = { selected_time: list[0] ?? null };
    else if (type === 'checkboxes' || type === 'multi_static_select') value = { selected_options: list.map(pick) };
    else if (type === 'radio_buttons' || type === 'static_select') value = { selected_option: list[0] === undefined ? null : pick(list[0]) };
    else if (type === 'users_select') value = { selected_user: list[0] ?? null };
    else if (type === 'multi_users_select') value = { selected_users: list };
    else if (type === 'conversations_select') value = { selected_conversation: list[0] ?? null };
    else if (type === 'channels_select') value = { selected_channel: list[0] ?? null };
    else value = { value: list[0] ?? null };
    const blockId = optStr(b['block_id']) ?? '';
    state[blockId] = { ...state[blockId], [actionId]: { type, ...value } };
  }
  return state;
}
