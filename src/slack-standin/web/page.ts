/**
 * The local page: a single page that looks like Slack's side of the workspace,
 * mounted on the Slack stand-in's server. It reads a snapshot of the
 * stand-in's state (`GET /local/state?user=…`), hears about changes over
 * Server-Sent Events (`GET /local/events`), and acts as a user through the
 * stand-in's local routes (`POST /local/command`, `/local/action`, …), which
 * send the bot signed requests. What they say is typed in `protocol.ts`.
 *
 * Served from here: `public/` (HTML, CSS, icon; copied beside the compiled
 * module by the build) under `/static/`, and the page's code, compiled from
 * `client/` (TypeScript) with the modules it shares with the stand-in
 * (`src/blockkit/`) into `dist/page/`, under `/js/`.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeEvent, SlackStandin, StoredMessage, StoredView } from '../server.js';
import type { KnownBlock } from '@slack/types';
import type { PageAttachment, PageMessage, PageState, PageView, SlashCommandInfo } from './protocol.js';
import { decodePath } from '../http.js';
import { DEFAULT_USER_TZ, USERGROUP_HANDLES } from '../types.js';

export type { SlashCommandInfo } from './protocol.js';

/** The page as mounted on the stand-in: `handle` is the stand-in's `fallback`. */
export interface LocalPage {
  handle(req: IncomingMessage, res: ServerResponse): void;
  setCommands(commands: SlashCommandInfo[]): void;
  /** Ends the open event streams. */
  close(): void;
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  map: 'application/json; charset=utf-8',
};

/**
 * The page may not be shown inside another site's page. Framed, it acts as the user the framing site names
 * (`?as=U0ADMIN`), and its own requests are same-origin, so the cross-site refusal of `/local/…` does not apply:
 * a page in another tab could lay the frame under its own bait and have a click land on Approve (clickjacking).
 */
const NOT_FRAMED = { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" } as const;

/** What the user switch offers, in order, with the role each demo user plays. */
const ROLES: Record<string, string> = { U0REGULAR: 'regular user', U0BIZOPS: 'BizOps', U0ADMIN: 'Looker admin' };

/** `public/` beside the compiled module, or, when the build did not copy it, in the source tree. */
function publicDir(): string {
  const beside = fileURLToPath(new URL('./public/', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../../../src/slack-standin/web/public/', import.meta.url));
}

/** The page's compiled code: `dist/page/`, from the compiled module (dist/src/…) or from the source tree (tests). */
const ENTRY = 'slack-standin/web/client/app.js';
function scriptDir(): string {
  const candidates = [new URL('../../../page/', import.meta.url), new URL('../../../dist/page/', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => existsSync(dir + ENTRY)) ?? candidates[0] ?? '';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/** `/files/<id>` when a file's URL is a stand-in's download URL for it (on whatever port). */
function ownFilePath(f: { id: string; url_private: string }): string | undefined {
  const own = `/files/${f.id}`;
  return /^http:\/\/[^/]+\/files\/[^/]+$/.test(f.url_private) && f.url_private.endsWith(own) ? own : undefined;
}

function pageMessage(m: StoredMessage, standinUrl: string): PageMessage {
  return {
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    user: m.user,
    ...(m.bot_id ? { bot_id: m.bot_id } : {}),
    text: m.text,
    blocks: (m.blocks ?? []) as KnownBlock[],
    attachments: (m.attachments ?? []) as PageAttachment[],
    files: (m.files ?? []).map((f) => ({
      id: f.id, name: f.name, title: f.title, mimetype: f.mimetype, size: f.size,
      // Kept from before a restart, the URL may name the port of then: the stand-in's own files are served here.
      url: f.url_private.startsWith(standinUrl) ? f.url_private.slice(standinUrl.length) : ownFilePath(f) ?? f.url_private,
    })),
    ephemeral: Boolean(m.ephemeral),
    edited: Boolean(m.edited),
    reply_count: m.reply_count ?? 0,
  };
}

function pageView(v: StoredView): PageView {
  return {
    id: v.id, type: v.type, hash: v.hash, callback_id: v.callback_id,
    title: (v['title'] ?? null) as PageView['title'], submit: (v['submit'] ?? null) as PageView['submit'], close: (v['close'] ?? null) as PageView['close'],
    blocks: v.blocks as KnownBlock[], previous_view_id: v.previous_view_id, root_view_id: v.root_view_id,
  };
}

/** Builds the page for a stand-in; mount it with `standin.start({ fallback: page.handle })`. */
export function createLocalPage(standin: SlackStandin): LocalPage {
  const dir = publicDir();
  const scripts = scriptDir();
  const streams = new Set<ServerResponse>();
  let commands: SlashCommandInfo[] = [];
  let version = 0;

  const broadcast = (event: ChangeEvent) => {
    version += 1;
    // Calls and response_url posts change nothing a user sees; the state they caused does.
    if (event.kind === 'call' || event.kind === 'response') return;
    const line = `event: change\ndata: ${JSON.stringify({ ...event, version })}\n\n`;
    for (const res of streams) res.write(line);
  };
  standin.on('change', broadcast);
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  const state = (userId: string): PageState => {
    const base = standin.url;
    const dm = standin.dmChannelId(userId);
    const conversations: PageState['conversations'] = {};
    for (const c of standin.channels) conversations[c.id] = standin.conversation(c.id, { visibleTo: userId }).map((m) => pageMessage(m, base));
    conversations[dm] = standin.conversation(dm, { visibleTo: userId }).map((m) => pageMessage(m, base));
    const home = standin.homeView(userId);
    return {
      version,
      me: userId,
      team: { id: standin.teamId, name: standin.teamName },
      bot: { userId: standin.botUserId, botId: standin.botId, name: 'analytics-bot' },
      users: standin.users.map((u) => ({ id: u.id, name: u.name, realName: u.realName, role: ROLES[u.id] ?? 'member', tz: u.tz ?? DEFAULT_USER_TZ })),
      usergroups: Object.fromEntries(Object.entries(standin.usergroups).map(([id, members]) => [id, { handle: USERGROUP_HANDLES[id] ?? id, members }])),
      channels: standin.channels.map((c) => ({ id: c.id, name: c.name })),
      dm,
      commands,
      conversations,
      modals: standin.modals(userId).map(pageView),
      home: home ? pageView(home) : null,
    };
  };

  const serveFile = async (path: string, res: ServerResponse) => {
    const type = CONTENT_TYPES[path.split('.').pop() ?? ''];
    if (!type) return json(res, 404, { error: 'not found' });
    try {
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', ...NOT_FRAMED }).end(body);
    } catch {
      json(res, 404, { error: 'not found' });
    }
  };
  // Only plain file names from public/, and plain relative paths of .js files under dist/page/: nothing else can be read.
  const NAME = /^[a-z0-9][a-z0-9._-]*$/i;
  const serveStatic = (name: string, res: ServerResponse) => (NAME.test(name) ? serveFile(dir + name, res) : json(res, 404, { error: 'not found' }));
  const serveScript = (path: string, res: ServerResponse) => {
    const parts = path.split('/');
    if (!/\.js(\.map)?$/.test(path) || !parts.every((p) => NAME.test(p))) return json(res, 404, { error: 'not found' });
    if (path === ENTRY && !existsSync(scripts + ENTRY)) {
      return json(res, 404, { error: 'The page is not built: run `npm run build` (it compiles src/slack-standin/web/client/ into dist/page/).' });
    }
    return serveFile(scripts + path, res);
  };

  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 1000\nevent: ready\ndata: ${JSON.stringify({ version })}\n\n`);
    streams.add(res);
    req.on('close', () => streams.delete(res));
  };

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://page');
      const path = url.pathname;
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 404, { error: 'not found' });
      if (path === '/' || path === '/index.html') return void serveStatic('index.html', res);
      for (const [prefix, serve] of [['/static/', serveStatic], ['/js/', serveScript]] as const) {
        if (!path.startsWith(prefix)) continue;
        const name = decodePath(path.slice(prefix.length));
        return void (name === undefined ? json(res, 404, { error: 'not found' }) : serve(name, res));
      }
      if (path.startsWith('/local/')) {
        const refusal = standin.foreignRefusal(req);
        if (refusal) return json(res, 403, { error: refusal });
      }
      if (path === '/local/events') return openStream(req, res);
      if (path === '/local/state') {
        const userId = url.searchParams.get('user') ?? 'U0REGULAR';
        if (!standin.users.some((u) => u.id === userId)) return json(res, 400, { error: `Unknown user ${userId}` });
        return json(res, 200, state(userId));
      }
      json(res, 404, { error: 'not found' });
    },
    setCommands(list) {
      commands = [...list];
      standin.setBotCommands(commands.map((c) => c.command));
      broadcast({ kind: 'reset' });
    },
    close() {
      clearInterval(heartbeat);
      standin.off('change', broadcast);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
