/**
 * The Slack stand-in: plays Slack for the bot on one HTTP server. This module
 * is its front door: it routes requests and keeps the public API (what tests,
 * local mode and the CLI call); the work is done by one module per concern:
 *
 * - `workspace.ts`: the state: fixture, conversations, messages, timestamps
 * - `web-api/`: the Web API methods (`POST /api/<method>`), by family
 * - `response-url.ts`: `POST /response/<id>` and command acks shown as replies
 * - `files.ts`: uploads (`POST /upload/<id>`) and downloads (`GET /files/<id>`)
 * - `views.ts`: modal stacks, Home tabs, trigger IDs, `state.values`
 * - `user.ts`: the simulated user (commands, clicks, submissions) and reply collection
 * - `local-routes.ts`: `POST /local/*`, for the browser page and the CLI
 * - `recorder.ts`: the call record, fault injection and `onApplied` hooks
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotClient, HttpAck } from './bot-client.js';
import { FileStore } from './files.js';
import { API_BODY_LIMIT, decodePath, foreignRequestRefusal, LOCAL_BODY_LIMIT, readBodyUpTo, send, UPLOAD_BODY_LIMIT } from './http.js';
import { LocalRoutes } from './local-routes.js';
import { Recorder } from './recorder.js';
import { ResponseUrls } from './response-url.js';
import type {
  AppliedHook,
  ArrivalHook,
  CallRecord,
  ChangeEvent,
  Loose,
  ReplyWait,
  ResponseOrMessage,
  ResponseRecord,
  SlackStandinOptions,
  StandinChannel,
  StandinUser,
  StoredFile,
  StoredMessage,
  StoredView,
  Violation,
} from './types.js';
import { SimulatedUser } from './user.js';
import { ViewStore } from './views.js';
import { WebApi } from './web-api/index.js';
import { Workspace } from './workspace.js';

export * from './types.js';
export { toLocalReplies, type LocalReply } from './local-routes.js';

/**
 * Plays Slack for the bot: the Web API (`POST /api/<method>`), response_url
 * endpoints (`POST /response/<id>`), file uploads, with a small stateful
 * workspace (channels, DMs, ephemeral messages, threads, views), a record of
 * every call, fault injection, and a `change` event on every state change.
 */
export class SlackStandin extends EventEmitter<{ change: [ChangeEvent] }> {
  /** Every Web API call, in order. */
  readonly calls: CallRecord[];
  /** Every response_url post, in order. */
  readonly responses: ResponseRecord[];

  readonly teamId: string;
  readonly teamName: string;
  readonly teamDomain: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly users: readonly StandinUser[];
  readonly usergroups: Readonly<Record<string, string[]>>;
  readonly channels: readonly StandinChannel[];

  private readonly ws: Workspace;
  private readonly views: ViewStore;
  private readonly files: FileStore;
  private readonly recorder: Recorder;
  private readonly responseUrls: ResponseUrls;
  private readonly webApi: WebApi;
  private readonly simulated: SimulatedUser;
  private readonly local: LocalRoutes;
  private server: Server | undefined;
  private baseUrl = '';
  private listenHost = '127.0.0.1';

  constructor(options: SlackStandinOptions = {}) {
    super();
    const changed = (event: ChangeEvent) => this.emit('change', event);
    const url = () => this.baseUrl;
    this.recorder = new Recorder(options.onViolation);
    this.ws = new Workspace(options, changed);
    this.views = new ViewStore(this.ws);
    const savedFiles = options.filesDir ? { dir: options.filesDir, onError: options.onStateError ?? (() => {}), shown: () => this.ws.keptFileIds() } : undefined;
    this.files = new FileStore(url, changed, this.recorder.violations, (call) => this.recorder.applied(call), savedFiles);
    this.responseUrls = new ResponseUrls(this.ws, this.recorder);
    this.webApi = new WebApi({ ws: this.ws, views: this.views, files: this.files, url }, this.recorder);
    this.simulated = new SimulatedUser(this.ws, this.views, this.recorder, this.responseUrls, url);
    this.local = new LocalRoutes(this.ws, this.views, this.simulated);
    this.calls = this.recorder.calls;
    this.responses = this.recorder.responses;
    ({
      teamId: this.teamId, teamName: this.teamName, teamDomain: this.teamDomain, botUserId: this.botUserId,
      botId: this.botId, appId: this.appId, users: this.users, usergroups: this.usergroups, channels: this.channels,
    } = this.ws);
  }

  /** Base URL once started, e.g. `http://127.0.0.1:43121`; the Web API is under `${url}/api/`. */
  get url(): string {
    return this.baseUrl;
  }

  /** The Web API methods the stand-in implements. */
  get methods(): string[] {
    return this.webApi.methodNames;
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
        .catch((error: unknown) => send(res, 500, { ok: false, error: 'internal_error', detail: String(error) }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    this.server = server;
    this.listenHost = host;
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
    this.local.connect(bot);
  }

  /** The slash commands the connected bot registered: `/local/command` refuses others, as Slack does. */
  setBotCommands(commands: readonly string[]): void {
    this.local.setCommands(commands);
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    this.recorder.violations.stop();
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
    if (this.local.handles(path, req.method)) {
      const refusal = this.foreignRefusal(req);
      if (refusal) {
        send(res, 403, { error: refusal });
        return true;
      }
      const raw = await readBodyUpTo(req, LOCAL_BODY_LIMIT);
      if (!raw) send(res, 413, { error: `This request is larger than the page ever sends (at most ${LOCAL_BODY_LIMIT / 1024 / 1024} MB): nothing was done.` });
      else await this.local.serve(path, raw, res);
      return true;
    }
    const [, root, encoded] = /^\/(api|response|upload|files)\/(.+)$/.exec(path) ?? [];
    if (!root || !encoded) return false;
    // Slack's side of the bot (Web API, response_url, uploads) is for the bot, never for a page: another site open
    // in the browser (a no-cors form post needs no token of ours) would otherwise post as the bot. Files stay readable.
    if (root !== 'files') {
      const refusal = this.foreignRefusal(req);
      if (refusal) {
        send(res, 403, { ok: false, error: 'forbidden', detail: refusal });
        return true;
      }
    }
    const rest = decodePath(encoded);
    if (rest === undefined) {
      send(res, 404, { ok: false, error: 'not_found' });
      return true;
    }
    if (root === 'files' && req.method === 'GET') {
      this.files.serveDownload(rest, res);
      return true;
    }
    if (req.method !== 'POST') return false;
    const raw = await readBodyUpTo(req, root === 'upload' ? UPLOAD_BODY_LIMIT : API_BODY_LIMIT);
    if (!raw) send(res, 413, { ok: false, error: 'request_too_large' });
    else if (root === 'api') await this.webApi.serve(rest, req, raw, res);
    else if (root === 'response') await this.responseUrls.serve(rest, raw, res);
    else await this.files.serveUpload(rest, req, raw, res);
    return true;
  }

  /**
   * Why a request to the page's routes must be refused (it came from another
   * site, or names a host other than this loopback server), or undefined.
   */
  foreignRefusal(req: IncomingMessage): string | undefined {
    return foreignRequestRefusal(req, this.listenHost);
  }

  // ---- recording, waiting, fault injection, hooks ----

  /**
   * What the bot sent that Slack's documentation refuses or ignores, cleared.
   * Each test fails on any left (test/support/vendor-facts/setup.ts): a test
   * that sends a refused request on purpose takes them and says what it expected.
   */
  takeViolations(): Violation[] {
    return this.recorder.violations.take();
  }

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
        () => finish(() => reject(new Error(`waitFor: timed out after ${timeoutMs} ms. Recent activity:\n${this.recorder.describeRecent()}`))),
        timeoutMs,
      );
      this.on('change', check);
      check();
    });
  }

  /** Makes the next `times` calls to `method` answer `{ ok: false, error }`; `'response_url'`: the next posts to any response URL (404 for `…_url` and `no_service`, else 400). */
  failNext(method: string, error: string, times = 1): void {
    this.recorder.queueFault(method, { error }, times);
  }

  /** Makes the next `times` calls to `method` (or `'response_url'` posts) answer with an HTTP error, e.g. 429 with `{ 'Retry-After': '1' }`. */
  failNextHttp(method: string, status: number, headers: Record<string, string> = {}, times = 1): void {
    this.recorder.queueFault(method, { status, headers }, times);
  }

  /** Forgets the failures still queued for `method` by failNext or failNextHttp: Slack answers it again. */
  clearFaults(method: string): void {
    this.recorder.clearFaults(method);
  }

  /**
   * Holds the next call to `method` when it arrives, before it is applied,
   * until `release()`: `arrived` resolves once it is held. Lets a test make
   * another call overtake it (two publishes of a Home tab racing). `'response_url'`
   * holds the next response_url post (any URL's; recorded in `responses` as it
   * arrives, applied and answered on release): a post that stalls.
   */
  holdNext(method: string): { arrived: Promise<void>; release(): void } {
    return this.recorder.holdNext(method);
  }

  /**
   * Runs `hook` after each Web API call has been applied (the message exists,
   * the view is open, the call is recorded with its `result`) and before the bot
   * gets the answer: the moment to kill a bot that must then recover without
   * ever learning the result. The stand-in waits for the hook's promise; if the
   * bot's connection is gone by then, the answer is dropped quietly. A hook that
   * throws makes the stand-in answer HTTP 500 (the call stays applied). Hooks
   * run for every call, failed ones too (`call.error`), and survive
   * {@link reset}. They also run when the bytes of an upload have arrived at
   * its upload URL, before the uploader is answered (`method: 'upload'`,
   * `args: { file_id, filename, length }`). Returns the function that removes the hook.
   */
  onApplied(hook: AppliedHook): () => void {
    return this.recorder.onApplied(hook);
  }

  /**
   * Runs `hook` as each Web API call or response_url post (`method: 'response_url'`, `args`: its body) arrives,
   * before it is held, checked or applied. A hook that answers `'lost'` makes it a request that never reached
   * Slack: nothing applied or recorded, its connection cut without an answer (what a bot killed -9 as it sent
   * the request leaves). The stand-in waits for the hook's promise. Returns the function that removes the hook.
   */
  onArrival(hook: ArrivalHook): () => void {
    return this.recorder.onArrival(hook);
  }

  /** Forgets recorded calls, messages, views, files and pending faults; keeps the workspace fixture and hooks. */
  reset(): void {
    this.recorder.reset();
    this.ws.reset();
    this.views.reset();
    this.files.reset();
    this.responseUrls.reset();
    this.emit('change', { kind: 'reset' });
  }

  // ---- state, for assertions and renderers ----

  /** The messages of a conversation in posting order (thread replies included). A user ID means the bot's DM with them. */
  conversation(channelId: string, options: { visibleTo?: string } = {}): readonly StoredMessage[] {
    return this.ws.conversation(channelId, options);
  }

  /** One message by channel and ts. */
  message(channelId: string, ts: string): StoredMessage | undefined {
    return this.ws.message(channelId, ts);
  }

  /** A view by ID. */
  view(viewId: string): StoredView | undefined {
    return this.views.view(viewId);
  }

  /** The modal stack open for a user, bottom first. */
  modals(userId: string): StoredView[] {
    return this.views.modals(userId);
  }

  /** The Home tab view published for a user. */
  homeView(userId: string): StoredView | undefined {
    return this.views.homeView(userId);
  }

  /** An uploaded file, with its bytes. */
  file(fileId: string): StoredFile | undefined {
    return this.files.file(fileId);
  }

  /** How many uploads' bytes are held in memory (with a files directory, at most `FILES_IN_MEMORY` of them). */
  get uploadsInMemory(): number {
    return this.files.inMemory;
  }

  /** The bot's DM conversation ID with a user. */
  dmChannelId(userId: string): string {
    return this.ws.dmChannelId(userId);
  }

  // ---- both sides: user actions that wait for the bot's answer ----

  /**
   * Runs a slash command as a user and waits (bounded) for the bot's answer:
   * posts to the command's response_url, chat.* calls in that channel or the
   * user's DM, modals opened with its trigger. A non-empty ack body counts as a
   * reply and is shown the way Slack shows it.
   */
  runCommand(
    bot: BotClient,
    input: { command: string; text?: string; userId: string; channelId: string } & ReplyWait,
  ): Promise<{ ack: HttpAck & { responseUrl: string; triggerId: string }; replies: ResponseOrMessage[] }> {
    return this.simulated.runCommand(bot, input);
  }

  /**
   * Clicks (or selects in) the interactive element `actionId` of a stored
   * message or view, sending the block_actions payload Slack would, and waits
   * for the bot's answer like {@link runCommand}.
   */
  clickAction(
    bot: BotClient,
    input: {
      userId: string;
      actionId: string;
      /** The block the element is in, when several blocks hold the same action_id (a list's Delete buttons); else the first. */
      blockId?: string;
      /** For selects and overflow menus: the value of the chosen option. */
      value?: string;
      /** Extra action fields, e.g. `{ selected_date: '2024-05-01' }`. */
      extra?: Loose;
    } & ({ channelId: string; ts: string } | { viewId: string }) &
      ReplyWait,
  ): Promise<{ ack: HttpAck; replies: ResponseOrMessage[] }> {
    return this.simulated.clickAction(bot, input);
  }

  /**
   * Submits the user's top modal (or `viewId`) with `values` (action_id → a
   * text value, an option value, or several of them), then applies the ack's
   * `response_action` to the modal stack as Slack does. An `errors`, `update`
   * or `push` answer is the whole answer: it returns at once, as Slack shows it.
   */
  submitView(
    bot: BotClient,
    input: { userId: string; viewId?: string; values?: Record<string, string | string[]> } & ReplyWait,
  ): Promise<{ ack: HttpAck; responseAction?: string; errors?: Record<string, string>; replies: ResponseOrMessage[] }> {
    return this.simulated.submitView(bot, input);
  }

  /** Closes the user's top modal; sends view_closed when the view asked for it (notify_on_close). */
  closeView(bot: BotClient, input: { userId: string; clearAll?: boolean }): Promise<HttpAck | undefined> {
    return this.simulated.closeView(bot, input);
  }

  /**
   * Opens the App Home tab for a user: sends the `app_home_opened` event Slack
   * sends (with the view already published for them, if any).
   */
  openHome(bot: BotClient, input: { userId: string }): Promise<HttpAck> {
    return this.simulated.openHome(bot, input);
  }
}
