/**
 * What every Web API method works on: the workspace, views and files, and
 * the stand-in's base URL (for the URLs it hands out).
 */
import type { FileStore } from '../files.js';
import type { Loose } from '../types.js';
import type { ViewStore } from '../views.js';
import type { Workspace } from '../workspace.js';

export interface StandinParts {
  ws: Workspace;
  views: ViewStore;
  files: FileStore;
  /** The stand-in's base URL, e.g. `http://127.0.0.1:43121`. */
  url(): string;
}

/** A Web API method: checked arguments in, Slack's answer (without `ok`) out, or an `ApiError`. */
export type MethodHandler = (args: Loose) => Loose | Promise<Loose>;

/** Methods by name, e.g. `{ 'chat.postMessage': … }`. */
export type Methods = Record<string, MethodHandler>;
