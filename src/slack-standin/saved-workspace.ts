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

/** The most messages kept of each conversation (the newest): the file stays small however long the bot runs. */
export const SAVED_MESSAGES_PER_CONVERSATION = 100;

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

/** Writes the workspace to `file` atomically (temporary file, then rename), keeping the newest messages of each conversation. */
export function writeSavedWorkspace(file: string, state: SavedWorkspace): void {
  const conversations = Object.fromEntries(
    Object.entries(state.conversations)
      .filter(([, list]) => list.length > 0)
      .map(([channel, list]) => [channel, list.slice(-SAVED_MESSAGES_PER_CONVERSATION)]),
  );
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ ...state, conversations }));
  renameSync(temp, file);
}
