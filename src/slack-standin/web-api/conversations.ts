/**
 * conversations.*: what a conversation is (info), who is in it (members), the
 * bot's DM with a user (open), and reading messages back (history, replies),
 * as Slack pages them.
 */
import { ApiError, isTrue, optStr } from '../http.js';
import type { Loose, StoredMessage } from '../types.js';
import { tsMicros, type Workspace } from '../workspace.js';
import type { Methods, StandinParts } from './context.js';

/** Which messages a conversations.* call asks for. */
interface Window {
  limit: number;
  oldest?: bigint;
  latest?: bigint;
  inclusive: boolean;
  /** From the cursor: the ts the previous page ended at. */
  after?: bigint;
  metadata: boolean;
}

// Slack's cursors are opaque; these read "next_ts:<ts>" in base64, like Slack's own.
const encodeCursor = (ts: string) => Buffer.from(`next_ts:${ts}`).toString('base64');
function decodeCursor(cursor: string): bigint {
  const text = Buffer.from(cursor, 'base64').toString();
  const micros = text.startsWith('next_ts:') ? tsMicros(text.slice('next_ts:'.length)) : undefined;
  if (micros === undefined) throw new ApiError('invalid_cursor');
  return micros;
}

// conversations.members' cursors read "user:<id>" in base64, as the reference's example does ("dXNlcjpVMDYxTkZUVDI=").
const encodeMemberCursor = (userId: string) => Buffer.from(`user:${userId}`).toString('base64');
function decodeMemberCursor(cursor: string, members: readonly string[]): number {
  const text = Buffer.from(cursor, 'base64').toString();
  const at = text.startsWith('user:') ? members.indexOf(text.slice('user:'.length)) : -1;
  if (at < 0) throw new ApiError('invalid_cursor');
  return at;
}

function windowArgs(a: Loose, defaultLimit: number, maxLimit: number, pageSize: number | undefined): Window {
  const n = Number(a['limit']);
  const limit = Math.min(Number.isInteger(n) && n > 0 ? Math.min(n, maxLimit) : defaultLimit, pageSize ?? Infinity);
  const ts = (key: 'oldest' | 'latest') => {
    const v = a[key];
    if (v === undefined || v === '') return undefined;
    const micros = tsMicros(v);
    if (micros === undefined) throw new ApiError(`invalid_ts_${key}`);
    return micros;
  };
  const cursor = optStr(a['cursor']);
  const oldest = ts('oldest');
  const latest = ts('latest');
  return {
    limit, inclusive: isTrue(a['inclusive']), metadata: isTrue(a['include_all_metadata']),
    ...(oldest !== undefined ? { oldest } : {}),
    ...(latest !== undefined ? { latest } : {}),
    ...(cursor ? { after: decodeCursor(cursor) } : {}),
  };
}

/** Filters `messages` (in the order they are listed) to the window's time range and page, in Slack's shape with the cursor that continues it. */
function page(messages: StoredMessage[], w: Window, newestFirst: boolean, listed: (m: StoredMessage) => Loose): Loose {
  const inRange = messages.filter((m) => {
    const t = tsMicros(m.ts) ?? 0n;
    if (w.oldest !== undefined && (w.inclusive ? t < w.oldest : t <= w.oldest)) return false;
    if (w.latest !== undefined && (w.inclusive ? t > w.latest : t >= w.latest)) return false;
    if (w.after !== undefined && (newestFirst ? t >= w.after : t <= w.after)) return false;
    return true;
  });
  const shown = inRange.slice(0, w.limit);
  const hasMore = inRange.length > shown.length;
  const last = shown.at(-1);
  return {
    messages: shown.map(listed),
    has_more: hasMore,
    response_metadata: { next_cursor: hasMore && last ? encodeCursor(last.ts) : '' },
  };
}

/** A message as conversations.* list it: thread fields on parents, metadata only when asked for. */
function listedMessage(ws: Workspace, all: readonly StoredMessage[], m: StoredMessage, metadata: boolean): Loose {
  const out: Loose = ws.publicMessage(m, { metadata });
  const replies = all.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts && !r.ephemeral);
  if (replies.length > 0 && !m.thread_ts) {
    const users = [...new Set(replies.map((r) => r.user))];
    Object.assign(out, { thread_ts: m.ts, reply_count: replies.length, reply_users_count: users.length, reply_users: users, latest_reply: replies.at(-1)?.ts });
  }
  if (m.thread_ts && m.thread_ts !== m.ts) {
    const parent = all.find((p) => p.ts === m.thread_ts);
    if (parent) out['parent_user_id'] = parent.user;
  }
  return out;
}

export function conversationMethods({ ws }: StandinParts): Methods {
  return {
    'conversations.info': (a) => {
      const id = ws.resolveChannel(a['channel'], false);
      if (id.startsWith('D')) return { channel: { id, is_im: true, is_channel: false, is_private: true, user: ws.dmUser(id), is_open: true, created: 1_700_000_000 } };
      const ch = ws.channel(id);
      return {
        channel: {
          id, name: ch?.name, name_normalized: ch?.name, is_channel: true, is_group: false, is_im: false, is_private: ch?.isPrivate === true,
          is_archived: ch?.isArchived === true, is_general: false, is_member: ch?.botIsMember !== false, created: 1_700_000_000,
        },
      };
    },
    // Who is in a conversation, a page at a time: fewer than `limit` may come back while more remain; the
    // cursor (the next one's user) continues. A private channel the bot is not in does not exist for it.
    'conversations.members': (a) => {
      const id = ws.resolveChannel(a['channel'], false);
      const all = ws.conversationMembers(id);
      const n = a['limit'] === undefined || a['limit'] === '' ? 100 : Number(a['limit']);
      const limit = Math.min(n, 1000, ws.pageSize ?? Infinity);
      const cursor = optStr(a['cursor']);
      const from = cursor ? decodeMemberCursor(cursor, all) : 0;
      const members = all.slice(from, from + limit);
      const next = all[from + limit];
      return { members, response_metadata: { next_cursor: next ? encodeMemberCursor(next) : '' } };
    },
    'conversations.open': (a) => {
      const users = (optStr(a['users']) ?? '').split(',').filter(Boolean);
      if (users.length !== 1 || !ws.user(users[0] ?? '')) throw new ApiError(users.length ? 'user_not_found' : 'users_list_not_supplied');
      if (ws.user(users[0] ?? '')?.deleted) throw new ApiError('user_disabled');
      const id = ws.dmChannelId(users[0] ?? '');
      // Slack's variation: an IM that was open already answers no_op and already_open.
      const again = ws.openedDms.has(id) || ws.conversation(id).length > 0;
      ws.openedDms.add(id);
      return { ...(again ? { no_op: true, already_open: true } : {}), channel: { id } };
    },
    // Newest first; thread replies stay in their thread, ephemeral messages are nobody's history.
    'conversations.history': (a) => {
      const channel = ws.resolveConversationId(a['channel']);
      const w = windowArgs(a, 100, 999, ws.pageSize);
      const all = ws.conversation(channel).filter((m) => !m.ephemeral);
      const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts).reverse();
      return { ...page(top, w, true, (m) => listedMessage(ws, all, m, w.metadata)), pin_count: 0, channel_actions_ts: null, channel_actions_count: 0 };
    },
    // The parent first, then its replies, oldest first; `ts` may name the parent or any reply.
    'conversations.replies': (a) => {
      const channel = ws.resolveConversationId(a['channel']);
      const w = windowArgs(a, 1000, 1000, ws.pageSize);
      const ts = optStr(a['ts']);
      if (!ts) throw new ApiError('invalid_arguments');
      const all = ws.conversation(channel).filter((m) => !m.ephemeral);
      const named = all.find((m) => m.ts === ts);
      if (!named) throw new ApiError('thread_not_found');
      const parentTs = named.thread_ts ?? named.ts;
      const thread = all.filter((m) => m.ts === parentTs || m.thread_ts === parentTs);
      return page(thread, w, false, (m) => listedMessage(ws, all, m, w.metadata));
    },
  };
}
