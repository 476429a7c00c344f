/**
 * The workspace's conversations kept in a small JSON file (local mode keeps it
 * in DATA_DIR), so that a restart shows the channel as it was and the bot's
 * edits by ts (an alert card it keeps up to date) still find their messages.
 * Written whole on every change, to a temporary file renamed over the old one:
 * a process killed mid-write leaves the previous version, never half of one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isObj } from './http.js';
import type { StoredMessage } from './types.js';

/**
 * The most top-level messages kept of each conversation (the newest): the file stays small however long
 * the bot runs. Ephemeral messages are not kept at all (Slack drops them when the client reloads), and
 * thread replies have a budget of their own, so neither pushes out an alert card the bot edits by ts.
 */
export const SAVED_MESSAGES_PER_CONVERSATION = 100;

/** The most thread replies kept of each conversation (the newest, of kept top-level messages). */
export const SAVED_REPLIES_PER_CONVERSATION = 100;

/**
 * With a state file, the most messages a conversation holds in memory before it is cut back to what the
 * file keeps and the newest {@link EPHEMERAL_IN_MEMORY_PER_CONVERSATION} ephemeral messages: the stand-in's
 * memory stays bounded however long the bot runs, and the page shows after the cut what it shows after a restart.
 */
export const MESSAGES_IN_MEMORY_PER_CONVERSATION = 500;

/** The ephemeral messages a conversation keeps in memory when it is cut (the newest): the file keeps none. */
export const EPHEMERAL_IN_MEMORY_PER_CONVERSATION = 100;

/** What is kept: the messages of each conversation, the DMs opened, and the last ts handed out. */
export interface SavedWorkspace {
  version: 1;
  /** Microseconds of the last ts handed out: a restart never hands out an older one. */
  lastMicros: number;
  conversations: Record<string, StoredMessage[]>;
  openedDms: string[];
}

function isStoredMessage(m: unknown, channel: string): m is StoredMessage {
  return isObj(m) && m['type'] === 'message' && m['channel'] === channel && typeof m['ts'] === 'string' && typeof m['text'] === 'string' && typeof m['user'] === 'string';
}

/**
 * The workspace saved in `file`; undefined when there is none yet. A file that
 * is not one this module wrote (hand-edited, from another version) is an error:
 * the caller says so and starts empty.
 */
export function readSavedWorkspace(file: string): SavedWorkspace | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const saved: unknown = JSON.parse(raw);
  if (!isObj(saved) || saved['version'] !== 1 || !isObj(saved['conversations']) || !Array.isArray(saved['openedDms']) || typeof saved['lastMicros'] !== 'number') {
    throw new Error(`${file} is not a saved Slack stand-in workspace`);
  }
  const conversations: Record<string, StoredMessage[]> = {};
  for (const [channel, list] of Object.entries(saved['conversations'])) {
    if (Array.isArray(list)) conversations[channel] = list.filter((m) => isStoredMessage(m, channel));
  }
  return {
    version: 1,
    lastMicros: saved['lastMicros'],
    conversations,
    openedDms: saved['openedDms'].filter((d): d is string => typeof d === 'string'),
  };
}

/** What a conversation keeps (in order): no ephemeral message, the newest top-level messages, and the newest replies in their threads. */
export function keptMessages(list: readonly StoredMessage[]): StoredMessage[] {
  const shared = list.filter((m) => !m.ephemeral);
  const isReply = (m: StoredMessage) => m.thread_ts !== undefined && m.thread_ts !== m.ts;
  const top = new Set(shared.filter((m) => !isReply(m)).slice(-SAVED_MESSAGES_PER_CONVERSATION));
  const threads = new Set([...top].map((m) => m.ts));
  const replies = new Set(shared.filter((m) => isReply(m) && threads.has(m.thread_ts!)).slice(-SAVED_REPLIES_PER_CONVERSATION));
  return shared.filter((m) => top.has(m) || replies.has(m));
}

/** What a conversation keeps in memory when it is cut (in order): what the file keeps, and the newest ephemeral messages. */
export function cutInMemory(list: readonly StoredMessage[]): StoredMessage[] {
  const kept = new Set(keptMessages(list));
  const ephemeral = new Set(list.filter((m) => m.ephemeral).slice(-EPHEMERAL_IN_MEMORY_PER_CONVERSATION));
  return list.filter((m) => kept.has(m) || ephemeral.has(m));
}

/** The IDs of the files the kept messages show: what a files directory beside the state file keeps. */
export function keptFileIds(conversations: Iterable<readonly StoredMessage[]>): Set<string> {
  const ids = new Set<string>();
  for (const list of conversations) for (const m of keptMessages(list)) for (const f of m.files ?? []) ids.add(f.id);
  return ids;
}

/** Writes the workspace to `file` atomically (temporary file, then rename), keeping what {@link keptMessages} keeps of each conversation. */
export function writeSavedWorkspace(file: string, state: SavedWorkspace): void {
  const conversations = Object.fromEntries(
    Object.entries(state.conversations)
      .map(([channel, list]) => [channel, keptMessages(list)] as const)
      .filter(([, list]) => list.length > 0),
  );
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ ...state, conversations }));
  renameSync(temp, file);
}
