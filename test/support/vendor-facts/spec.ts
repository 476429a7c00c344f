/**
 * The form in which vendor facts are written down (see the sibling files, one
 * per vendor), and the checker the loopback fakes run on every request they
 * receive.
 *
 * A fake calls `checker.check(request)`: it finds the operation the request is
 * for (method + path template) and lists what the published spec refuses
 * (missing or mistyped parameters and body fields, unknown ones, a wrong or
 * missing auth header). Every problem is recorded; `assertNoVendorViolations()`
 * runs after each test (test/support/vendor-facts/setup.ts, a vitest setup
 * file) and fails the test that caused it. A request to an operation the facts
 * do not describe is a violation too.
 *
 * The fake then calls `checker.answered(checked, status, { vendorBody })` for
 * the answer it writes, its routing's and the faults a test injects alike: a
 * status the vendor never sends for that operation is recorded the same way,
 * because an adapter built against a fake that says what the vendor cannot
 * say is built on a wrong assumption.
 */

/** The type of a JSON value (body field) or of a query/path parameter. */
export type FieldType =
  | { type: 'string'; format?: 'date-time' | 'email'; enum?: readonly string[]; pattern?: RegExp; maxLength?: number }
  /**
   * An integer. In JSON bodies Google's int64/uint64 are written as decimal
   * strings, and numbers are accepted too (proto3 JSON mapping).
   */
  | { type: 'integer'; format?: 'int32' | 'uint32' | 'int64' | 'uint64'; minimum?: number }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'array'; items: FieldType; minItems?: number }
  | { type: 'object'; properties?: Record<string, FieldType>; required?: readonly string[]; additional?: boolean | FieldType; nullable?: boolean; keyPattern?: RegExp }
  | { type: 'any' };

export interface ParamFact {
  type: FieldType;
  required?: boolean;
  /** May be given several times (`states=A&states=B`). */
  repeated?: boolean;
  description?: string;
}

export type AuthFact =
  | { scheme: 'none' }
  /** `Authorization: <scheme> <credential>`; `credential` is what this fake accepts, checked by the fake itself. */
  | { scheme: 'token' | 'Bearer' | 'Basic' };

export interface OperationFact {
  /** The vendor's name for it (operationId, discovery method id). */
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Path template from the base URL: `{name}` is one segment, `{+name}` may
   * span segments (Google's reserved expansion) and is checked by `pathParams`.
   */
  path: string;
  pathParams?: Record<string, RegExp>;
  query?: Record<string, ParamFact>;
  /** Request body, when the operation takes one. */
  body?: { contentType: 'application/json' | 'application/x-www-form-urlencoded'; required: boolean; schema: FieldType };
  auth: AuthFact;
  /** Request headers the spec documents (other headers are not checked). */
  headers?: Record<string, { required?: boolean; pattern?: RegExp; description?: string }>;
  /**
   * Response shapes by status, as the spec documents them (what the fake answers with).
   * Keys are statuses ('200'), a class ('5xx' or '4XX', as OpenAPI writes it) or 'default'
   * (OpenAPI: any status not listed). A fake's answer must have one of them
   * (`SpecChecker.answered`), or be one the vendor documents for every call (`VendorFacts.anyOperation`).
   */
  responses: Record<string, string>;
  /** Documented variations a client must handle (optional fields absent, every state, error shapes). */
  variations?: readonly string[];
  /** Where in the source this operation is described. */
  source: string;
}

export interface VendorSource {
  /** e.g. `looker-open-source/sdk-codegen`, path and commit. */
  what: string;
  /** The spec's own version or revision. */
  version: string;
  /** When we read it. */
  read: string;
}

export interface VendorFacts {
  vendor: string;
  sources: readonly VendorSource[];
  /** Query parameters every operation accepts (Google's system parameters). */
  commonQuery?: Record<string, ParamFact>;
  /** The vendor's error body, in words. */
  errorShape: string;
  /**
   * Statuses the vendor documents for every call rather than per operation (say a rate limit
   * on all requests, or a refused credential), each with where it says so. Keyed as `responses`.
   */
  anyOperation?: Record<string, string>;
  operations: readonly OperationFact[];
}

/** What a fake saw, in the form the checker reads. */
export interface SeenRequest {
  method: string;
  /** Path from the base URL, percent-decoded per segment is NOT applied: as received. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body as text ('' when none). */
  body: string;
}

export interface CheckResult {
  operation: OperationFact | undefined;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  /** The parsed body (JSON or form), undefined when none. */
  body: unknown;
  problems: string[];
}

const registry = new Set<SpecChecker>();

/** Checks requests against one vendor's facts and keeps what they refused. */
export class SpecChecker {
  private violations: string[] = [];
  private readonly compiled: Array<{ op: OperationFact; re: RegExp; names: string[] }>;

  constructor(readonly facts: VendorFacts) {
    this.compiled = facts.operations.map((op) => {
      const names: string[] = [];
      const re = op.path.replace(/[.*?^$()|[\]\\:]/g, '\\$&').replace(/\{(\+?)(\w+)\}/g, (_m, plus: string, name: string) => {
        names.push(name);
        return plus ? '(.+?)' : '([^/]+)';
      });
      return { op, re: new RegExp(`^${re}$`), names };
    });
    registry.add(this);
  }

  /** Stops counting this checker in `assertNoVendorViolations` (its fake stopped). */
  dispose(): void {
    if (this.violations.length === 0) registry.delete(this);
  }

  /** Checks one request; its problems are recorded as violations. */
  check(req: SeenRequest): CheckResult {
    const problems: string[] = [];
    const at = `${req.method} ${req.path}`;
    let found: { op: OperationFact; params: Record<string, string> } | undefined;
    for (const c of this.compiled) {
      if (c.op.method !== req.method) continue;
      const m = c.re.exec(req.path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = safeDecode(m[i + 1] ?? '')));
      const patterns = c.op.pathParams ?? {};
      if (Object.entries(patterns).some(([n, p]) => !p.test(params[n] ?? ''))) continue;
      found = { op: c.op, params };
      break;
    }
    if (!found) {
      problems.push(`${at}: no operation of ${this.facts.vendor} described in the facts matches this request`);
      this.record(problems);
      return { operation: undefined, params: {}, body: undefined, problems };
    }
    const { op, params } = found;
    const where = `${op.id} (${at})`;

    // Auth.
    const auth = header(req.headers, 'authorization');
    if (op.auth.scheme !== 'none') {
      if (!auth) problems.push(`${where}: no Authorization header (the spec requires ${op.auth.scheme} auth)`);
      else if (!new RegExp(`^${op.auth.scheme} \\S+$`).test(auth)) problems.push(`${where}: Authorization is not "${op.auth.scheme} <credential>"`);
    }
    // Documented headers.
    for (const [name, h] of Object.entries(op.headers ?? {})) {
      const v = header(req.headers, name);
      if (v === undefined) {
        if (h.required) problems.push(`${where}: missing header ${name}`);
      } else if (h.pattern && !h.pattern.test(v)) problems.push(`${where}: header ${name}: "${v}" does not match ${String(h.pattern)}`);
    }

    // Query parameters.
    const allowed = { ...(this.facts.commonQuery ?? {}), ...(op.query ?? {}) };
    const keys = [...new Set(req.query.keys())];
    for (const key of keys) {
      const fact = allowed[key];
      if (!fact) {
        problems.push(`${where}: query parameter "${key}" is not in the spec`);
        continue;
      }
      const values = req.query.getAll(key);
      if (values.length > 1 && !fact.repeated) problems.push(`${where}: query parameter "${key}" given ${values.length} times`);
      for (const v of values) problems.push(...checkParam(`${where}: query ${key}`, fact.type, v));
    }
    for (const [key, fact] of Object.entries(op.query ?? {})) {
      if (fact.required && !req.query.has(key)) problems.push(`${where}: required query parameter "${key}" is missing`);
    }

    // Body.
    let body: unknown;
    const contentType = (header(req.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!op.body) {
      if (req.body.length > 0) problems.push(`${where}: the spec describes no request body, but one was sent`);
    } else if (req.body.length === 0) {
      if (op.body.required) problems.push(`${where}: the request body is required`);
    } else if (contentType !== op.body.contentType) {
      problems.push(`${where}: body sent as "${contentType || 'no content-type'}", the spec says ${op.body.contentType}`);
    } else if (op.body.contentType === 'application/json') {
      try {
        body = JSON.parse(req.body);
        problems.push(...checkValue(`${where}: body`, op.body.schema, body));
      } catch {
        problems.push(`${where}: body is not JSON`);
      }
    } else {
      const form = new URLSearchParams(req.body);
      body = Object.fromEntries(form);
      problems.push(...checkValue(`${where}: form body`, op.body.schema, body));
    }
    this.record(problems);
    return { operation: op, params, body, problems };
  }

  /**
   * Checks the status a fake answers a request with (`request`: what `check` returned for it).
   * A status neither the operation's `responses` nor the vendor's `anyOperation` list is
   * recorded as a violation. Not checked:
   * - any 5xx: any server, or anything in front of it, can fail;
   * - an answer that is not the vendor's (`vendorBody: false`: a proxy's HTML page, a body
   *   that is not the vendor's JSON): the vendor's spec says nothing of what stands before it;
   * - an answer to a request that matched no operation, or one the spec refuses: that request
   *   is a violation already, and the fake's answer to it is only its best imitation.
   * A connection cut before the status line answers nothing, so the fake calls nothing.
   * A 429 is not let through by itself: where a vendor's docs rate-limit every call, its facts
   * say so in `anyOperation` (Fivetran, Data Transfer, BigQuery: Google Cloud's quota page);
   * Looker's spec lists 429 on each operation.
   */
  answered(request: CheckResult, status: number, answer: { vendorBody: boolean }): void {
    const op = request.operation;
    if (!op || request.problems.length > 0 || !answer.vendorBody || (status >= 500 && status <= 599)) return;
    if (documents(op.responses, status) || documents(this.facts.anyOperation ?? {}, status)) return;
    const listed = [...Object.keys(op.responses), ...Object.keys(this.facts.anyOperation ?? {}).filter((k) => !(k in op.responses)).map((k) => `${k} (any call)`)];
    this.record([`${op.id}: the fake answered ${status}, which ${this.facts.vendor}'s spec does not list for this operation (it lists ${listed.join(', ')}; any 5xx may come): answer what the vendor sends, or add the status to the facts with its source`]);
  }

  /** Violations so far, cleared: for a test that sends a refused request on purpose and says so. */
  take(): string[] {
    const out = this.violations;
    this.violations = [];
    return out;
  }

  /** Throws when anything was refused (and clears). */
  assertClean(): void {
    const v = this.take();
    if (v.length) throw new Error(`${v.length} request(s) the bot sent that ${this.facts.vendor}'s spec refuses, or answer(s) the fake gave that the vendor never sends:\n- ${v.join('\n- ')}`);
  }

  private record(problems: string[]): void {
    this.violations.push(...problems);
  }
}

/** Throws (failing the current test) when any live fake saw a request its vendor's spec refuses, or gave an answer its vendor never sends. */
export function assertNoVendorViolations(): void {
  const messages: string[] = [];
  for (const checker of registry) {
    try {
      checker.assertClean();
    } catch (err) {
      messages.push((err as Error).message);
    }
  }
  if (messages.length) throw new Error(messages.join('\n'));
}

/** Whether responses keyed as in `OperationFact.responses` document a status: itself, its class ('4xx', '4XX') or 'default'. */
function documents(responses: Record<string, string>, status: number): boolean {
  const code = String(status);
  return Object.keys(responses).some((key) => key === code || key === 'default' || (/^[1-5]xx$/i.test(key) && key[0] === code[0]));
}

function header(headers: SeenRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A query or path parameter (always text) against its type. */
function checkParam(where: string, type: FieldType, value: string): string[] {
  switch (type.type) {
    case 'integer':
      return /^-?\d+$/.test(value) && !(type.format?.startsWith('u') && value.startsWith('-')) ? [] : [`${where}: "${value}" is not an integer`];
    case 'number':
      return Number.isFinite(Number(value)) ? [] : [`${where}: "${value}" is not a number`];
    case 'boolean':
      return value === 'true' || value === 'false' ? [] : [`${where}: "${value}" is not true or false`];
    case 'string':
      return checkString(where, type, value);
    default:
      return [];
  }
}

function checkString(where: string, type: Extract<FieldType, { type: 'string' }>, value: string): string[] {
  const out: string[] = [];
  if (type.enum && !type.enum.includes(value)) out.push(`${where}: "${value}" is not one of ${type.enum.join(', ')}`);
  if (type.pattern && !type.pattern.test(value)) out.push(`${where}: "${value}" does not match ${String(type.pattern)}`);
  if (type.maxLength !== undefined && value.length > type.maxLength) out.push(`${where}: longer than ${type.maxLength} characters`);
  if (type.format === 'date-time' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    out.push(`${where}: "${value}" is not an RFC 3339 timestamp`);
  }
  if (type.format === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) out.push(`${where}: "${value}" is not an email address`);
  return out;
}

/** A JSON value against its type. */
export function checkValue(where: string, type: FieldType, value: unknown): string[] {
  switch (type.type) {
    case 'any':
      return [];
    case 'string':
      return typeof value === 'string' ? checkString(where, type, value) : [`${where}: expected a string, got ${describe(value)}`];
    case 'integer': {
      const wide = type.format === 'int64' || type.format === 'uint64';
      const ok = (typeof value === 'number' && Number.isInteger(value)) || (wide && typeof value === 'string' && /^-?\d+$/.test(value));
      if (!ok) return [`${where}: expected an integer${wide ? ' (number or decimal string)' : ''}, got ${describe(value)}`];
      if (type.format?.startsWith('u') && Number(value) < 0) return [`${where}: must not be negative`];
      if (type.minimum !== undefined && Number(value) < type.minimum) return [`${where}: below ${type.minimum}`];
      return [];
    }
    case 'number':
      return typeof value === 'number' ? [] : [`${where}: expected a number, got ${describe(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${where}: expected true or false, got ${describe(value)}`];
    case 'array': {
      if (!Array.isArray(value)) return [`${where}: expected an array, got ${describe(value)}`];
      const out = value.flatMap((v, i) => checkValue(`${where}[${i}]`, type.items, v));
      if (type.minItems !== undefined && value.length < type.minItems) out.push(`${where}: needs at least ${type.minItems} item(s)`);
      return out;
    }
    case 'object': {
      if (value === null && type.nullable) return [];
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: expected an object, got ${describe(value)}`];
      const out: string[] = [];
      const record = value as Record<string, unknown>;
      for (const key of type.required ?? []) if (!(key in record)) out.push(`${where}.${key}: required, missing`);
      for (const [key, v] of Object.entries(record)) {
        if (type.keyPattern && !type.keyPattern.test(key)) out.push(`${where}: key "${key}" does not match ${String(type.keyPattern)}`);
        const prop = type.properties?.[key];
        if (prop) out.push(...checkValue(`${where}.${key}`, prop, v));
        else if (type.additional === false || type.additional === undefined) out.push(`${where}.${key}: not a field the spec accepts here`);
        else if (typeof type.additional === 'object') out.push(...checkValue(`${where}.${key}`, type.additional, v));
      }
      return out;
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}` : `${typeof v} ${JSON.stringify(v)}`;
}
