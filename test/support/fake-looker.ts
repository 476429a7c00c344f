/**
 * A loopback Looker that follows the published API 4.0 for the calls the bot
 * makes (facts: test/support/vendor-facts/looker.ts, from Looker.4.0.oas.json).
 * Every request is checked against those facts (method, path, parameters,
 * body fields and their types, `Authorization: token …`); a refused request
 * gets Looker's 400 and fails the test (vendor-facts/setup.ts).
 *
 * - `fields=` is honoured: a response has only the fields asked for.
 * - `edition: 'core'` plays Looker (Google Cloud core): creating email
 *   credentials and sending the setup/password-reset email answer 403.
 * - send_password_reset records the email it would send (`setupEmails`).
 * - users may be disabled or have externally managed roles; several users
 *   may carry one address (say a disabled account with an email login and
 *   the person's current one with a Google login): a search by email answers
 *   every one of them, in the order they were added.
 * - faults: any status with Looker's Error body, or a proxy's HTML page
 *   (`failNextWithPage`); an answer lost before its status line
 *   (`loseAnswerOfNext`) or cut off halfway through its body (`cutAnswerOfNext`).
 *
 * - POST /api/4.0/login, form body client_id + client_secret → AccessToken
 *   `{ access_token, token_type: 'Bearer', expires_in }`; wrong key → 404.
 * - every other call needs `Authorization: token <access_token>` → else 401
 *   (not in the OAS; Looker's API troubleshooting page documents it).
 * - errors are `{ message, documentation_url }` (422 adds `errors: [{ field, code, message }]`),
 *   only with the statuses the facts list for the operation (`spec.answered`
 *   checks every answer, injected faults included; any 5xx and a proxy's page
 *   may be anything): add_group_user answers an unknown group or user 404 (it
 *   lists 400, 403, 404, 429).
 * - search string params are case-insensitive SQL LIKE patterns (`%`, `_`);
 *   search_users answers `limit` users from `offset` (its paging), never more,
 *   in the order `sorts` asks for; without it (the spec promises no order)
 *   every other search answers in the opposite order.
 * - user_roles includes roles from groups unless direct_association_only=true;
 *   set_user_roles replaces the user's direct roles.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpecChecker } from './vendor-facts/spec.js';
import { lookerFacts } from './vendor-facts/looker.js';

export interface FakeLookerUser {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  /** Direct roles. */
  role_ids: string[];
  is_disabled: boolean;
  /** Roles managed by SAML/LDAP: set_user_roles is refused. */
  roles_externally_managed: boolean;
  /** Looker's read-only "User can be directly assigned a role"; default: not roles_externally_managed. When false, set_user_roles is refused. */
  allow_direct_roles?: boolean;
  /** Looker's read-only "User can be a direct member of a normal Looker group"; default true. Looker still adds such a user to a group (and takes them out at their next login). */
  allow_normal_group_membership?: boolean;
  /** Has email credentials (an email set through credentials_email, or a fixture user). */
  has_email_credentials: boolean;
  /** When they last logged in with email credentials; null: never (account not set up). */
  logged_in_at: string | null;
  /** A login other than email (Looker's User.credentials_saml, credentials_google, …). */
  other_login?: 'saml' | 'google' | 'oidc' | 'ldap' | 'api3';
}

export interface FakeLookerRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
  status: number;
}

export interface FakeLookerOptions {
  clientId?: string;
  clientSecret?: string;
  /** Seconds a token lasts (Looker: 3600). */
  tokenTtlSeconds?: number;
  roles?: Array<{ id: string; name: string }>;
  groups?: Array<{ id: string; name: string; role_ids?: string[] }>;
  users?: Array<Partial<FakeLookerUser> & { id: string; email: string | null }>;
  /** `core`: Looker (Google Cloud core), which refuses email credentials and their emails. */
  edition?: 'standard' | 'core';
}

const DOCS = 'https://cloud.google.com/looker/docs/r/err/4.0';

/** Default fixture: View group 10 / role 2, Create content role 5, Develop roles 6 and 7, an existing user. */
export const FakeLookerDefaults = {
  clientId: 'fake-client-id',
  clientSecret: 'fake-client-secret-0123456789',
  viewGroupId: '10',
  viewRoleId: '2',
  createContentRoleIds: ['5'],
  developRoleIds: ['6', '7'],
} as const;

export class FakeLooker {
  readonly requests: FakeLookerRequest[] = [];
  /** Runs after a request took effect and before it is answered (crash tests kill the bot here). */
  onApplied: ((call: { method: string; path: string; status: number }) => void | Promise<void>) | undefined;
  readonly spec = new SpecChecker(lookerFacts);
  /** User IDs a setup / password reset email was sent to, in order. */
  readonly setupEmails: string[] = [];
  edition: 'standard' | 'core';
  readonly users = new Map<string, FakeLookerUser>();
  readonly groups = new Map<string, { id: string; name: string; role_ids: string[]; user_ids: Set<string> }>();
  readonly roles = new Map<string, { id: string; name: string }>();
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly tokenTtl: number;
  private readonly tokens = new Map<string, number>();
  private readonly faults: Array<{ method: string; path: RegExp; status: number; message: string; headers: Record<string, string>; page?: string }> = [];
  private readonly delays: Array<{ method: string; path: RegExp; ms: number }> = [];
  private readonly losses: Array<{ method: string; path: RegExp; cut: boolean }> = [];
  private nextUserId = 100;
  private unsortedSearches = 0;
  /** Answers being written that the client has neither read to the end nor hung up on. */
  private readonly untaken = new Set<ServerResponse>();
  private server: Server | undefined;
  private baseUrl = '';

  constructor(options: FakeLookerOptions = {}) {
    this.clientId = options.clientId ?? FakeLookerDefaults.clientId;
    this.clientSecret = options.clientSecret ?? FakeLookerDefaults.clientSecret;
    this.tokenTtl = options.tokenTtlSeconds ?? 3600;
    this.edition = options.edition ?? 'standard';
    const roles = options.roles ?? [
      { id: '1', name: 'Admin' },
      { id: '2', name: 'Viewer' },
      { id: '3', name: 'Support' },
      { id: '5', name: 'Creator' },
      { id: '6', name: 'Developer' },
      { id: '7', name: 'LookML Developer' },
    ];
    for (const r of roles) this.roles.set(r.id, { ...r });
    const groups = options.groups ?? [
      { id: '10', name: 'View' },
      { id: '11', name: 'Support team', role_ids: ['3'] },
    ];
    for (const g of groups) this.groups.set(g.id, { id: g.id, name: g.name, role_ids: [...(g.role_ids ?? [])], user_ids: new Set() });
    for (const u of options.users ?? []) {
      this.users.set(u.id, {
        first_name: null, last_name: null, role_ids: [], is_disabled: false, roles_externally_managed: false,
        has_email_credentials: u.email !== null, logged_in_at: u.email !== null ? '2026-01-05T10:00:00.000+00:00' : null, ...u,
      });
    }
  }

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<{ url: string }> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, 500, { message: `fake looker: ${String(err)}`, documentation_url: DOCS });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url: this.baseUrl };
  }

  async stop(): Promise<void> {
    this.spec.dispose();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Makes the next call matching method and path answer `status` with an HTML page, as a proxy or load balancer in front of Looker does. */
  failNextWithPage(method: string, path: RegExp, status: number): void {
    this.faults.push({ method, path, status, message: '', headers: {}, page: `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1></body></html>` });
  }

  /** Makes the next call matching method and path answer `status`. */
  failNext(method: string, path: RegExp, status: number, message = 'Internal server error', headers: Record<string, string> = {}): void {
    this.faults.push({ method, path, status, message, headers });
  }

  /** The next call matching method and path takes effect, then its connection drops before the answer (as a crash or a network cut would). */
  loseAnswerOfNext(method: string, path: RegExp): void {
    this.losses.push({ method, path, cut: false });
  }

  /**
   * The next call matching method and path takes effect and its status line and
   * headers are sent, then the connection drops halfway through the body (a
   * proxy or load balancer cut it off).
   */
  cutAnswerOfNext(method: string, path: RegExp): void {
    this.losses.push({ method, path, cut: true });
  }

  /** Answers calls matching method and path only after `ms` (widens race windows); `clearDelays()` undoes it. */
  delay(method: string, path: RegExp, ms: number): void {
    this.delays.push({ method, path, ms });
  }

  clearDelays(): void {
    this.delays.length = 0;
  }

  /**
   * Answers Looker is still writing because the client neither read them to
   * the end nor closed the connection (an unread body holds its connection).
   */
  get answersNotTaken(): number {
    return this.untaken.size;
  }

  /** Invalidates every access token (as when they expire or are revoked). */
  expireTokens(): void {
    this.tokens.clear();
  }

  /** Adds a user to a group directly (fixture set-up). */
  addToGroup(groupId: string, userId: string): void {
    this.groups.get(groupId)?.user_ids.add(userId);
  }

  /** The user with this email, if any. */
  userByEmail(email: string): FakeLookerUser | undefined {
    return [...this.users.values()].find((u) => u.email?.toLowerCase() === email.toLowerCase());
  }

  /** Every user with this email, in the order a search answers them. */
  usersByEmail(email: string): FakeLookerUser[] {
    return [...this.users.values()].filter((u) => u.email?.toLowerCase() === email.toLowerCase());
  }

  groupIdsOf(userId: string): string[] {
    return [...this.groups.values()].filter((g) => g.user_ids.has(userId)).map((g) => g.id);
  }

  /** The calls other than login, as `METHOD /path`. */
  calls(): string[] {
    return this.requests.filter((r) => r.path !== '/api/4.0/login').map((r) => `${r.method} ${r.path}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://looker');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const checked = this.spec.check({ method, path, query: url.searchParams, headers: req.headers, body: raw });
    const body: unknown = checked.body ?? raw;
    // Every answer in Looker's own body is checked against the statuses the spec lists for the operation.
    const reply = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
      this.spec.answered(checked, status, { vendorBody: true });
      this.reply(req, url, query, body, res, status, answer, headers);
    };
    if (!checked.operation) return reply(404, { message: 'Not found', documentation_url: DOCS });
    // Looker refuses what its spec refuses (a wrong token is its own 401 below).
    const refused = checked.problems.filter((p) => !/Authorization/.test(p));
    if (refused.length) return reply(400, { message: `Bad request: ${refused[0]}`, documentation_url: DOCS });
    const delay = this.delays.find((d) => d.method === method && d.path.test(path));
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
    const faultAt = this.faults.findIndex((f) => f.method === method && f.path.test(path));
    if (faultAt >= 0) {
      const [fault] = this.faults.splice(faultAt, 1);
      if (fault!.page !== undefined) {
        // A proxy's page, not Looker's answer: its status is the proxy's to choose.
        this.spec.answered(checked, fault!.status, { vendorBody: false });
        this.requests.push({ method, path, query, body: path === '/api/4.0/login' ? '[login form]' : body, authorization: req.headers.authorization, status: fault!.status });
        res.writeHead(fault!.status, { 'content-type': 'text/html' }).end(fault!.page);
        return;
      }
      return reply(fault!.status, { message: fault!.message, documentation_url: DOCS }, fault!.headers);
    }
    const [status, answer] = this.route(method, path, query, body, req.headers.authorization);
    await this.onApplied?.({ method, path, status });
    const lossAt = this.losses.findIndex((l) => l.method === method && l.path.test(path));
    if (lossAt >= 0) {
      const [loss] = this.losses.splice(lossAt, 1);
      this.requests.push({ method, path, query, body, authorization: req.headers.authorization, status: loss!.cut ? status : 0 });
      if (loss!.cut && status !== 204) {
        this.spec.answered(checked, status, { vendorBody: true });
        const text = JSON.stringify(pick(answer, status, query['fields']));
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
        // Let the headers and the first half leave before the connection drops.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      res.destroy();
      return;
    }
    if (res.destroyed) return;
    reply(status, pick(answer, status, query['fields']));
  }

  private reply(req: IncomingMessage, url: URL, query: Record<string, string>, body: unknown, res: ServerResponse, status: number, answer: unknown, headers: Record<string, string> = {}): void {
    // Never keep the API secret in the record, as a real server's access log would not.
    const recorded = url.pathname === '/api/4.0/login' ? '[login form]' : body;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, body: recorded, authorization: req.headers.authorization, status });
    this.send(res, status, answer, headers);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.untaken.add(res);
    const taken = () => this.untaken.delete(res);
    res.once('finish', taken).once('close', taken);
    if (status === 204) {
      res.writeHead(204, headers).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  private route(method: string, path: string, query: Record<string, string>, body: unknown, authorization: string | undefined): [number, unknown] {
    const notFound: [number, unknown] = [404, { message: 'Not found', documentation_url: DOCS }];
    if (!path.startsWith('/api/4.0/')) return notFound;
    const p = path.slice('/api/4.0'.length);

    if (method === 'POST' && p === '/login') {
      const form = isObj(body) ? body : {};
      const id = form['client_id'] ?? query['client_id'];
      const secret = form['client_secret'] ?? query['client_secret'];
      if (id !== this.clientId || secret !== this.clientSecret) return notFound;
      const token = randomBytes(20).toString('hex');
      this.tokens.set(token, Date.now() + this.tokenTtl * 1000);
      return [200, { access_token: token, token_type: 'Bearer', expires_in: this.tokenTtl, refresh_token: null }];
    }

    const token = /^(?:token|Bearer) (\S+)$/.exec(authorization ?? '')?.[1];
    const expiry = token ? this.tokens.get(token) : undefined;
    if (!expiry || expiry < Date.now()) return [401, { message: 'Requires authentication.', documentation_url: DOCS }];

    let m: RegExpExecArray | null;
    if (method === 'GET' && p === '/users/search') {
      let users = [...this.users.values()];
      for (const field of ['email', 'first_name', 'last_name'] as const) {
        const pattern = query[field];
        if (pattern !== undefined) users = users.filter((u) => like(u[field] ?? '', pattern));
      }
      // Without `sorts` the spec promises no order, so none is kept from one search to the next: every other
      // search answers in the opposite order (paging through them without `sorts` skips some users, repeats others).
      const sorts = query['sorts'];
      if (sorts === undefined) {
        if (this.unsortedSearches++ % 2 === 1) users.reverse();
      } else {
        const [field = 'id', dir] = sorts.split(' ');
        const key = (u: FakeLookerUser) => String((u as unknown as Record<string, unknown>)[field] ?? '');
        users.sort((a, b) => (dir === 'desc' ? -1 : 1) * key(a).localeCompare(key(b), 'en', { numeric: true }));
      }
      // Pages as the spec has them: `limit` results from `offset`.
      const offset = query['offset'] ? Number(query['offset']) : 0;
      const limit = query['limit'] ? Number(query['limit']) : users.length;
      return [200, users.slice(offset, offset + limit).map((u) => this.userJson(u))];
    }
    if (method === 'POST' && p === '/users') {
      const b = isObj(body) ? body : {};
      const user: FakeLookerUser = {
        id: String(this.nextUserId++),
        first_name: typeof b['first_name'] === 'string' ? b['first_name'] : null,
        last_name: typeof b['last_name'] === 'string' ? b['last_name'] : null,
        email: null,
        role_ids: [],
        is_disabled: b['is_disabled'] === true,
        roles_externally_managed: false,
        has_email_credentials: false,
        logged_in_at: null,
      };
      this.users.set(user.id, user);
      return [200, this.userJson(user)];
    }
    if (method === 'POST' && (m = /^\/users\/([^/]+)\/credentials_email\/send_password_reset$/.exec(p))) {
      const user = this.users.get(decodeURIComponent(m[1]!));
      if (!user || !user.has_email_credentials || !user.email) return notFound;
      if (this.edition === 'core') return coreRefusal();
      this.setupEmails.push(user.id);
      return [200, { ...this.credentialsJson(user), password_reset_url: `${this.baseUrl}/password/reset/${randomBytes(8).toString('hex')}`, password_reset_url_expired: false }];
    }
    if (method === 'DELETE' && (m = /^\/users\/([^/]+)$/.exec(p))) {
      const id = decodeURIComponent(m[1]!);
      if (!this.users.delete(id)) return notFound;
      for (const g of this.groups.values()) g.user_ids.delete(id);
      return [204, null];
    }
    if (method === 'POST' && (m = /^\/users\/([^/]+)\/credentials_email$/.exec(p))) {
      const user = this.users.get(decodeURIComponent(m[1]!));
      if (!user) return notFound;
      if (this.edition === 'core') return coreRefusal();
      if (user.email) return [409, { message: 'Credential already exists', documentation_url: DOCS }];
      const email = isObj(body) && typeof body['email'] === 'string' ? body['email'] : '';
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) return validation('email', 'invalid', 'Email is invalid');
      if (this.userByEmail(email)) return validation('email', 'already_exists', 'Email is already in use');
      user.email = email;
      user.has_email_credentials = true;
      user.logged_in_at = null;
      return [200, this.credentialsJson(user)];
    }
    if (method === 'POST' && (m = /^\/groups\/([^/]+)\/users$/.exec(p))) {
      const group = this.groups.get(decodeURIComponent(m[1]!));
      const userId = isObj(body) && typeof body['user_id'] === 'string' ? body['user_id'] : '';
      const user = this.users.get(userId);
      // The spec lists 400, 403, 404 and 429 here, no ValidationError: an unknown group or user is Looker's 404.
      if (!group || !user) return notFound;
      group.user_ids.add(user.id);
      return [200, this.userJson(user)];
    }
    if (method === 'GET' && (m = /^\/users\/([^/]+)\/roles$/.exec(p))) {
      const user = this.users.get(decodeURIComponent(m[1]!));
      if (!user) return notFound;
      const ids = new Set(user.role_ids);
      if (query['direct_association_only'] !== 'true') {
        for (const g of this.groups.values()) if (g.user_ids.has(user.id)) g.role_ids.forEach((r) => ids.add(r));
      }
      return [200, [...ids].map((id) => this.roleJson(id))];
    }
    if (method === 'PUT' && (m = /^\/users\/([^/]+)\/roles$/.exec(p))) {
      const user = this.users.get(decodeURIComponent(m[1]!));
      if (!user) return notFound;
      if (user.roles_externally_managed || user.allow_direct_roles === false) return [403, { message: "This user's roles are managed externally and cannot be changed", documentation_url: DOCS }];
      if (!Array.isArray(body) || body.some((r) => typeof r !== 'string')) return validation('body', 'invalid', 'Expected an array of role ids');
      const unknown = (body as string[]).find((r) => !this.roles.has(r));
      if (unknown) return validation('role_ids', 'missing', `Role ${unknown} not found`);
      user.role_ids = [...new Set(body as string[])];
      return [200, user.role_ids.map((id) => this.roleJson(id))];
    }
    return notFound;
  }

  private userJson(u: FakeLookerUser): Record<string, unknown> {
    return {
      id: u.id,
      first_name: u.first_name,
      last_name: u.last_name,
      display_name: [u.first_name, u.last_name].filter(Boolean).join(' ') || null,
      email: u.email,
      is_disabled: u.is_disabled,
      group_ids: this.groupIdsOf(u.id),
      role_ids: u.role_ids,
      credentials_email: u.has_email_credentials && u.email ? this.credentialsJson(u) : null,
      // Every other login, as Looker shows them: API and embed logins are lists, the rest one object or null.
      credentials_api3: u.other_login === 'api3' ? [{ id: `${u.id}1`, client_id: `cid${u.id}`, type: 'api3', is_disabled: false }] : [],
      credentials_embed: [],
      ...Object.fromEntries((['google', 'ldap', 'looker_openid', 'oidc', 'saml', 'totp', 'workforce'] as const).map((kind) => [
        `credentials_${kind}`, u.other_login === kind ? { type: kind, email: u.email, is_disabled: false, created_at: '2026-01-01T00:00:00.000+00:00' } : null,
      ])),
      roles_externally_managed: u.roles_externally_managed,
      allow_direct_roles: u.allow_direct_roles ?? !u.roles_externally_managed,
      allow_normal_group_membership: u.allow_normal_group_membership ?? true,
      allow_roles_from_normal_groups: true,
      url: `${this.baseUrl}/api/4.0/users/${u.id}`,
    };
  }

  private credentialsJson(u: FakeLookerUser): Record<string, unknown> {
    return {
      email: u.email, user_id: u.id, type: 'email', is_disabled: false, created_at: '2026-01-01T00:00:00.000+00:00',
      logged_in_at: u.logged_in_at, forced_password_reset_at_next_login: false, password_reset_url: null, account_setup_url: null,
      password_reset_url_expired: true, account_setup_url_expired: true,
      url: `${this.baseUrl}/api/4.0/users/${u.id}/credentials_email`, user_url: `${this.baseUrl}/api/4.0/users/${u.id}`,
    };
  }

  private roleJson(id: string): Record<string, unknown> {
    const role = this.roles.get(id);
    return { id, name: role?.name ?? null, url: `${this.baseUrl}/api/4.0/roles/${id}`, users_url: `${this.baseUrl}/api/4.0/roles/${id}/users` };
  }
}

function coreRefusal(): [number, unknown] {
  return [403, { message: 'This operation is not available on Looker (Google Cloud core) instances', documentation_url: DOCS }];
}

/** Only the fields asked for (`fields=a,b,c`), as Looker answers. */
function pick(answer: unknown, status: number, fields: string | undefined): unknown {
  if (!fields || status >= 300) return answer;
  const wanted = fields.split(',').map((f) => f.trim()).filter(Boolean);
  const one = (o: unknown) => (isObj(o) ? Object.fromEntries(wanted.filter((f) => f in o).map((f) => [f, o[f]])) : o);
  return Array.isArray(answer) ? answer.map(one) : one(answer);
}

function validation(field: string, code: string, message: string): [number, unknown] {
  return [422, { message: 'Validation Failed', errors: [{ field, code, message, documentation_url: DOCS }], documentation_url: DOCS }];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case-insensitive SQL LIKE: `%` any run, `_` any one character. */
function like(value: string, pattern: string): boolean {
  const re = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${re}$`, 'i').test(value);
}
