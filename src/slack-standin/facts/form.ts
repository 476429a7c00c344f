/**
 * The form in which the Slack facts are written down (web-api.ts: the Web API
 * methods; messages.ts: what the bot sends to a response_url and in acks), and
 * what the checker (check.ts) reports.
 *
 * Slack's Web API is RPC over HTTP: `POST https://slack.com/api/<method>`
 * with arguments as a form (`application/x-www-form-urlencoded`, the way
 * @slack/web-api sends them: objects and arrays as JSON text) or as a JSON
 * body. So an argument's type is checked in both encodings: `"10"` is an
 * integer in a form, `10` in JSON; `blocks` is a JSON array, or its JSON text.
 */

/** The type of one argument, as the method reference gives it. */
export type SlackArgType =
  | { kind: 'string'; maxLength?: number; pattern?: RegExp; enum?: readonly string[] }
  | { kind: 'integer'; min?: number; max?: number }
  /** `true`/`false` (also `1`/`0` and their text, which Slack takes). */
  | { kind: 'boolean' }
  /** A message timestamp, `"1405894322.002768"`. */
  | { kind: 'ts' }
  /** Block Kit blocks for a message (checked against src/blockkit/limits.ts). */
  | { kind: 'blocks' }
  /** A view object (modal or Home tab), checked against src/blockkit/limits.ts. */
  | { kind: 'view' }
  /** Message metadata: `{ event_type: string, event_payload: object }`. */
  | { kind: 'metadata' }
  /** files.completeUploadExternal's `files`: `[{ id, title? }]`, at least one. */
  | { kind: 'files' }
  /** Any JSON (legacy attachments): not checked further. */
  | { kind: 'json' };

export interface SlackArgFact {
  type: SlackArgType;
  required?: boolean;
  /** Slack's error when a required argument is missing; `invalid_arguments` unless said. */
  ifMissing?: string;
  /** Slack's error when the value is not of the type; `invalid_arguments` unless said. */
  ifInvalid?: string;
  /** What the reference says of it, in our words, where it matters to a client. */
  note?: string;
}

/** One Web API method the bot (or Bolt on its behalf) calls. */
export interface SlackMethodFact {
  method: string;
  description: string;
  /**
   * The HTTP method the reference shows. Slack takes POST for every method, and
   * @slack/web-api always POSTs; the stand-in serves `POST /api/<method>` only.
   */
  http: 'GET' | 'POST';
  /** Content types the reference lists for the method. */
  contentTypes: readonly ('application/x-www-form-urlencoded' | 'application/json')[];
  /** Bot token scopes the reference lists (any one of them, for conversation families). */
  botScopes: readonly string[];
  /** Every argument the method takes, besides `token`. Any other is one it does not take: Slack ignores it. */
  args: Readonly<Record<string, SlackArgFact>>;
  /** Groups of arguments of which at least one must be given, and Slack's error otherwise. */
  oneOf?: ReadonlyArray<{ args: readonly string[]; error: string }>;
  /** The success answer (`ok: true` and …), in words. */
  response: string;
  /** Documented variations a client must handle (fields absent, paging, kept state). */
  variations?: readonly string[];
  /** The method's own documented error codes (the common ones are the facts' `commonErrors`). */
  errors: readonly string[];
  /** Where the method is described. */
  source: string;
  /** What Slack's SDKs say of it (second witness), where they differ or add something. */
  witness?: string;
}

export interface SlackSource {
  what: string;
  version: string;
  /** When we read it. */
  read: string;
}

export interface SlackWebApiFacts {
  vendor: string;
  sources: readonly SlackSource[];
  /** How a call authenticates. */
  auth: string;
  /** Slack's error answer, in words. */
  errorShape: string;
  /**
   * Arguments any call may carry besides the method's own, and why: they are
   * not the method's, so they are not checked against it.
   */
  anyMethodArgs: Readonly<Record<string, string>>;
  /** Errors any method may answer (the reference's shared list). */
  commonErrors: readonly string[];
  methods: readonly SlackMethodFact[];
}

/** One thing a request does that Slack's documentation refuses or ignores. */
export interface SpecProblem {
  /** What a test reports. */
  message: string;
  /**
   * How Slack answers it: an error code, or undefined when Slack accepts the
   * call and drops what was wrong (an argument the method does not take).
   */
  answer?: string;
  /** Slack's `response_metadata.messages` for it (Block Kit errors). */
  detail?: string[];
  /** Further fields of Slack's answer (`missing_scope`'s `needed` and `provided`). */
  extra?: Record<string, unknown>;
}
