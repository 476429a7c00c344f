/**
 * LookerAdmin over the Looker API 4.0 (plain HTTPS, no SDK):
 * - POST /api/4.0/login with the API key (form body) → access_token, sent as
 *   `Authorization: token …`; reused until shortly before it expires, renewed
 *   once on a 401.
 * - the user is found with GET /users/search?email=… (a LIKE match, so results
 *   are read page by page, `limit` and `offset`, and filtered to the exact address) or created (POST /users, then
 *   POST /users/{id}/credentials_email);
 * - of several users with the address, an enabled one is taken; when every
 *   one is disabled the grant is refused (LookerError `user_disabled`):
 *   nothing is granted, and no second user is created;
 * - groups: POST /groups/{id}/users; of the errors the spec lists for it
 *   (400, 403, 404, 429) a 404 says the group is not there (a wrong
 *   LOOKER_VIEW_GROUP_ID, or the user deleted meanwhile), a 403 that the API
 *   key's user may not manage the group, a 400 that Looker refused the
 *   request, each naming the group and not retried (a proxy's page with one of
 *   those statuses is told as that: not Looker's word); a 429 or 5xx is retried;
 * - roles: PUT /users/{id}/roles replaces the user's direct roles, so the
 *   current ones are read first (direct_association_only) and the merged list
 *   is written; roles managed outside Looker (SAML/LDAP, or a user Looker says
 *   may not be given roles directly: `allow_direct_roles` false) are refused;
 *   so is a group for a user Looker would take out of it at their next login
 *   (`allow_normal_group_membership` false: SAML, OpenID Connect or LDAP set
 *   to allow only the identity provider's groups), before anything changes;
 * - the setup email: creating email credentials sends nothing, so
 *   POST /users/{id}/credentials_email/send_password_reset is called for a user
 *   who has never logged in with their email login (Looker sends the account
 *   setup email; it reuses a pending link, so sending it again is harmless).
 * If the email credentials fail, the user created a moment before is deleted
 * again (a retry could not find it by email and would create another). If the
 * process died between the two calls, the retry (`resumed`) takes over the
 * user left behind: the one user of that name with no login at all. Looker
 * (Google Cloud core) refuses email credentials and their emails (403):
 * LookerError `forbidden` says what to do instead. A 429's Retry-After
 * (seconds or a date) is passed to the job runner as `retryAfterMs`. An
 * answer cut off after its status line (login included) is 'unavailable' and
 * tried again, never a refusal; a proxy's HTML error page is read by its status.
 * Facts: test/support/vendor-facts/looker.ts.
 */
import { LookerError, type VendorFailureReason } from '../../errors.js';
import { vendorSummary } from '../vendor-text.js';
import { parseRetryAfter } from '../retry-after.js';
import type { LookerAdmin, LookerGrant, LookerGrantResult, LookerRevokeResult, LookerUserAccess } from '../../ports/looker-admin.js';
import { mergedRoles, rolesWithout } from '../../domain/looker-policy.js';

export interface LookerApiOptions {
  /** e.g. `https://company.looker.com`; the API is under `/api/4.0/`. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
  now?: () => number;
}

interface LookerUser {
  id: string;
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  group_ids?: string[] | null;
  role_ids?: string[] | null;
  is_disabled?: boolean | null;
  roles_externally_managed?: boolean | null;
  /** "User can be directly assigned a role" (read-only); false when Looker lets roles come only from elsewhere. */
  allow_direct_roles?: boolean | null;
  /**
   * "User can be a direct member of a normal Looker group" (read-only). False for a user who signs in through
   * SAML, OpenID Connect or LDAP set not to allow it: Looker removes them from such groups at their next login.
   */
  allow_normal_group_membership?: boolean | null;
  credentials_email?: { email?: string | null; logged_in_at?: string | null; is_disabled?: boolean | null } | null;
}

interface LookerRole {
  id: string;
  name?: string;
}

const USER_FIELDS = 'id,email,first_name,last_name,group_ids,role_ids,is_disabled,roles_externally_managed,allow_direct_roles,allow_normal_group_membership,credentials_email';

/** Every kind of login a Looker user can have (User in Looker.4.0.oas.json). */
const LOGINS = ['credentials_email', 'credentials_embed', 'credentials_google', 'credentials_ldap', 'credentials_looker_openid', 'credentials_oidc', 'credentials_saml', 'credentials_totp', 'credentials_api3', 'credentials_workforce'] as const;
// API and embed logins are lists; the others are one object or null.
const noLogin = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);
const BARE_USER_FIELDS = `id,email,first_name,last_name,group_ids,role_ids,is_disabled,roles_externally_managed,allow_direct_roles,allow_normal_group_membership,${LOGINS.join(',')}`;

/** What the admin is told when Looker (Google Cloud core) refuses email logins. */
export const CORE_REFUSAL =
  'Looker refused to create an email login (403). Looker (Google Cloud core) does not allow email logins or their setup emails: '
  + 'people sign in with their Google account there. Ask them to sign in to Looker once (which creates their user), then click Retry grant on the request.';
/** Users per page of search_users, and the most pages read (search_users pages with `limit` and `offset`). */
const SEARCH_PAGE_SIZE = 50;
const SEARCH_PAGES = 20;
// Renew this long before Looker says the token expires (it lasts an hour).
const TOKEN_MARGIN_MS = 60_000;

/** Talks to a Looker instance's API 4.0 with an API key (client_id / client_secret). */
export class LookerApiAdmin implements LookerAdmin {
  readonly kind = 'looker' as const;
  private token: { value: string; expiresAt: number } | null = null;
  private loggingIn: Promise<string> | null = null;
  private readonly api: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: LookerApiOptions) {
    this.api = `${opts.baseUrl.replace(/\/+$/, '')}/api/4.0`;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.now = opts.now ?? Date.now;
  }

  async grant(grant: LookerGrant): Promise<LookerGrantResult> {
    let user = await this.findUserByEmail(grant.email);
    let createdUser = false;
    if (user?.is_disabled === true) {
      throw new LookerError(`The Looker user for ${grant.email} is disabled; a Looker admin must enable it in Looker, then click Retry grant on the request.`, { reason: 'user_disabled', retryable: false });
    }
    if (!user) {
      user = (grant.resumed ? await this.userLeftBehind(grant) : null)
        ?? await this.call<LookerUser>('POST', '/users', { body: { first_name: grant.firstName, last_name: grant.lastName } });
      try {
        await this.call('POST', `/users/${enc(user.id)}/credentials_email`, { body: { email: grant.email } });
      } catch (err) {
        // Don't leave a user without a login behind, whatever the failure: it was created a moment
        // ago and owns nothing, and a retry could not find it by email, so it would create another.
        const removed = await this.call('DELETE', `/users/${enc(user.id)}`).then(() => true, () => false);
        const left = removed ? '' : ` The Looker user ${user.id} created for it (no email login) could not be removed again; a Looker admin can delete it.`;
        if (err instanceof LookerError && err.status === 403) throw new LookerError(CORE_REFUSAL + left, { status: 403, reason: 'forbidden', retryable: false, cause: err });
        if (left && err instanceof LookerError) throw new LookerError(err.message + left, { ...(err.status !== undefined ? { status: err.status } : {}), reason: err.reason, retryable: err.retryable, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}), cause: err });
        throw err;
      }
      user = { ...user, credentials_email: { email: grant.email, logged_in_at: null } };
      createdUser = true;
    }
    // Roles Looker will not let us set are refused before anything is changed (the groups included).
    const rolesElsewhere = user.roles_externally_managed === true || user.allow_direct_roles === false;
    if (rolesElsewhere && mergedRoles(await this.directRoles(user.id), grant.roleIds).added.length > 0) {
      throw new LookerError(`The Looker user for ${grant.email} has roles managed outside Looker (SAML, LDAP or OpenID Connect); grant the roles there.`, { reason: 'rejected', retryable: false });
    }
    const inGroups = new Set(user.group_ids ?? []);
    const toJoin = grant.groupIds.filter((groupId) => !inGroups.has(groupId));
    // Added now, they would be removed again at their next login: the access would look granted and not be.
    if (toJoin.length > 0 && user.allow_normal_group_membership === false) {
      throw new LookerError(`The Looker user for ${grant.email} signs in through SAML, OpenID Connect or LDAP, set so that only the identity provider puts them in groups: Looker would take them out of group ${toJoin.join(', ')} at their next login. Add them to it through the identity provider, then click Retry grant on the request.`, { reason: 'rejected', retryable: false });
    }
    const addedGroupIds: string[] = [];
    for (const groupId of toJoin) {
      await this.addToGroup(groupId, user.id, grant.email);
      addedGroupIds.push(groupId);
    }
    const current = await this.directRoles(user.id);
    const { roleIds, added } = mergedRoles(current, grant.roleIds);
    if (added.length > 0) await this.call('PUT', `/users/${enc(user.id)}/roles`, { body: roleIds });
    const setup = await this.sendSetupEmail(user);
    return { applied: true, lookerUserId: user.id, createdUser, addedGroupIds, addedRoleIds: added, setupEmailSent: setup.sent, ...(setup.error ? { setupEmailError: setup.error } : {}) };
  }

  /**
   * add_group_user. Its spec lists 400, 403, 404 and 429 (Error bodies, no
   * ValidationError); the refusals are told with the group they concern and
   * what to check, since the group ID comes from the bot's configuration;
   * a refusal that is a proxy's page, not Looker's, says so instead.
   */
  private async addToGroup(groupId: string, userId: string, email: string): Promise<void> {
    try {
      await this.call('POST', `/groups/${enc(groupId)}/users`, { body: { user_id: userId } });
    } catch (err) {
      if (!(err instanceof LookerError) || (err.status !== 400 && err.status !== 403 && err.status !== 404)) throw err;
      const said = /answered \d+: (.*)$/.exec(err.message)?.[1];
      const what = `${err.status}${said ? `: ${said}` : ''}`;
      const message = !err.fromLooker
        ? `Looker's address answered ${what} to adding ${email} to group ${groupId} with a page that is not Looker's (a proxy's or portal's?); check LOOKER_BASE_URL and that anything in front of Looker lets its API through, then click Retry grant on the request.`
        : err.status === 404
          ? `Looker has no group ${groupId} to add ${email} to (${what}), or the Looker user ${userId} was deleted meanwhile; check LOOKER_VIEW_GROUP_ID against the group's ID in Looker (Admin › Groups), then click Retry grant on the request.`
          : err.status === 403
            ? `Looker refused to add ${email} to group ${groupId} (${what}): the API key's user may not manage this group (it needs the manage_groups permission), or the group is managed outside Looker; add them in Looker, or fix the key's role, then click Retry grant.`
            : `Looker refused to add ${email} to group ${groupId} (${what}).`;
      throw new LookerError(message, { status: err.status, reason: err.reason, retryable: false, fromLooker: err.fromLooker, cause: err });
    }
  }

  /**
   * Asks Looker to email the account setup link to a user who never logged in
   * with their email login. The access is applied by then: a failure here
   * does not undo or fail the grant, it is reported (`error`) so the person
   * and the admins know to send the link again from Looker.
   */
  private async sendSetupEmail(user: LookerUser): Promise<{ sent: boolean; error?: string }> {
    const credentials = user.credentials_email;
    if (!credentials || credentials.is_disabled === true || credentials.logged_in_at) return { sent: false };
    try {
      await this.call('POST', `/users/${enc(user.id)}/credentials_email/send_password_reset`);
      return { sent: true };
    } catch (err) {
      // Refused (Looker (Google Cloud core)): the access is granted, the person signs in with Google instead.
      if (err instanceof LookerError && err.status === 403) return { sent: false };
      return { sent: false, error: err instanceof LookerError ? err.message : 'Looker could not be asked to send it' };
    }
  }

  async userAccess(email: string): Promise<LookerUserAccess | null> {
    const user = await this.findUserByEmail(email);
    if (!user) return null;
    return { lookerUserId: user.id, roleIds: await this.directRoles(user.id), groupIds: [...(user.group_ids ?? [])] };
  }

  /**
   * Takes roles back. Looker's own 404 (its Error body, not a proxy's page) says the user is not there:
   * deleted, or (Looker answers 404 for this too) not visible to the API key's user. Nothing can be
   * removed, so trying again would not help: it is answered as `userMissing`, for the admins to check.
   */
  async revokeRoles(input: { lookerUserId: string; roleIds: string[]; beforeChange?: (removing: string[]) => Promise<void> }): Promise<LookerRevokeResult> {
    const userGone = (err: unknown) => err instanceof LookerError && err.status === 404 && err.fromLooker;
    let current: string[];
    try {
      current = await this.directRoles(input.lookerUserId);
    } catch (err) {
      if (userGone(err)) return { applied: true, removedRoleIds: [], userMissing: true };
      throw err;
    }
    const { roleIds, removed } = rolesWithout(current, input.roleIds);
    if (removed.length > 0) {
      await input.beforeChange?.(removed);
      try {
        await this.call('PUT', `/users/${enc(input.lookerUserId)}/roles`, { body: roleIds });
      } catch (err) {
        // Deleted between the read and the write: gone with its roles.
        if (userGone(err)) return { applied: true, removedRoleIds: [], userMissing: true };
        throw err;
      }
    }
    return { applied: true, removedRoleIds: removed };
  }

  /**
   * The user an interrupted attempt of this grant created: POST /users took
   * effect, then the process died (or the answer was lost) before the email
   * login was added, so the user cannot be found by email. Taken over only
   * when exactly one user has this name and no login of any kind (no one can
   * sign in as it, so it is no one else's); otherwise a new user is created.
   */
  private async userLeftBehind(grant: LookerGrant): Promise<LookerUser | null> {
    const query: Record<string, string> = { first_name: grant.firstName, fields: BARE_USER_FIELDS };
    if (grant.lastName) query['last_name'] = grant.lastName;
    // Every page: a common first name (with no last name to narrow it) can match more users than one page holds.
    const { users, complete } = await this.searchUsers<LookerUser & Record<string, unknown>>(query);
    if (!complete) return null; // more than we read: which one is ours cannot be told, so none is taken over
    const bare = users.filter((u) =>
      (u.first_name ?? '') === grant.firstName && (u.last_name ?? '') === grant.lastName
      && u.is_disabled !== true && !u.email && LOGINS.every((login) => noLogin(u[login])));
    return bare.length === 1 ? bare[0]! : null;
  }

  private async findUserByEmail(email: string): Promise<LookerUser | null> {
    // `email` is a LIKE pattern on Looker's side: `_` and `%` in an address match other users too, maybe more than a page.
    const { users } = await this.searchUsers<LookerUser>({ email, fields: USER_FIELDS });
    const wanted = email.toLowerCase();
    const exact = users.filter(
      (u) => (u.email ?? u.credentials_email?.email ?? '').toLowerCase() === wanted,
    );
    // Several users can carry one address (an old, disabled account and the one the person signs in with
    // now, through another login): the enabled one is the person. Only when every one is disabled is a
    // disabled one answered, so that a grant says the user is disabled rather than creating another.
    return exact.find((u) => u.is_disabled !== true) ?? exact[0] ?? null;
  }

  /**
   * search_users, page by page (`limit` and `offset`, as the spec pages it) until a page comes back
   * short; `complete` false when there were more than {@link SEARCH_PAGES} pages (only those were read).
   * Sorted by ID: the spec promises no order otherwise, and pages of an order that changes between
   * requests would miss some users and repeat others.
   */
  private async searchUsers<U>(query: Record<string, string>): Promise<{ users: U[]; complete: boolean }> {
    const out: U[] = [];
    for (let page = 0; page < SEARCH_PAGES; page++) {
      const users = await this.call<U[]>('GET', '/users/search', { query: { ...query, sorts: 'id', limit: String(SEARCH_PAGE_SIZE), offset: String(page * SEARCH_PAGE_SIZE) } });
      const list = Array.isArray(users) ? users : [];
      out.push(...list);
      if (list.length < SEARCH_PAGE_SIZE) return { users: out, complete: true };
    }
    return { users: out, complete: false };
  }

  // Only direct roles: roles a user has through a group are not theirs to set.
  private async directRoles(userId: string): Promise<string[]> {
    const roles = await this.call<LookerRole[]>('GET', `/users/${enc(userId)}/roles`, { query: { direct_association_only: 'true', fields: 'id,name' } });
    return (Array.isArray(roles) ? roles : []).map((r) => String(r.id));
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - TOKEN_MARGIN_MS > this.now()) return this.token.value;
    this.loggingIn ??= this.login().finally(() => {
      this.loggingIn = null;
    });
    return this.loggingIn;
  }

  private async login(): Promise<string> {
    const body = new URLSearchParams({ client_id: this.opts.clientId, client_secret: this.opts.clientSecret });
    const res = await this.fetch('POST', '/login', { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    if (!res.ok) {
      // Looker answers 404 to a wrong API key: a refusal, not a missing thing.
      const reason: VendorFailureReason | undefined = res.status === 404 || res.status === 400 ? 'rejected' : undefined;
      const failure = await this.failure('POST', '/login', res, reason);
      // Looker's login answers 400 or 404 to a wrong key (its spec lists no 401 or 403 there): a 401 or 403 is a proxy's
      // in front of it (IAP, a gateway), not the key's doing, and is said as it came.
      if (reason !== 'rejected') throw failure;
      // Said with what to fix (the admins read it on the card, the operator in the log): the key, or where it is sent.
      throw new LookerError(`Looker refused the API key (${failure.message.replace(/^Looker /, '')}). Check LOOKER_CLIENT_ID and LOOKER_CLIENT_SECRET (an API key of a Looker admin, Admin › Users › Edit Keys), and that LOOKER_BASE_URL is the instance's address`, {
        status: res.status, reason: 'rejected', fromLooker: failure.fromLooker,
      });
    }
    const json = parseJson(await this.body('POST', '/login', res)) as { access_token?: unknown; expires_in?: unknown } | null;
    // A body that is not JSON (a portal's or proxy's page) is no answer: try again. Looker's JSON without a token is a refusal.
    if (!json) throw new LookerError('Looker POST /login answered with a body that is not JSON (a proxy\'s page?)', { status: res.status, reason: 'unavailable', fromLooker: false });
    if (typeof json.access_token !== 'string' || !json.access_token) {
      throw new LookerError('Looker POST /login answered without an access_token', { status: res.status, reason: 'rejected' });
    }
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    this.token = { value: json.access_token, expiresAt: this.now() + expiresIn * 1000 };
    return json.access_token;
  }

  private async call<T = unknown>(method: string, path: string, options: { query?: Record<string, string>; body?: unknown } = {}): Promise<T> {
    const send = async (token: string) =>
      this.fetch(method, path + (options.query ? `?${new URLSearchParams(options.query).toString()}` : ''), {
        headers: { authorization: `token ${token}`, accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    let res = await send(await this.accessToken());
    if (res.status === 401) {
      // The token was revoked or expired early: log in again, once. The refusal's body is let go of first:
      // unread, it holds its connection (and, when it is bigger than the socket's buffers, for good).
      await res.body?.cancel().catch(() => undefined);
      this.token = null;
      res = await send(await this.accessToken());
    }
    // 401 again right after a fresh login: the key's user lost its rights; trying again won't help.
    if (!res.ok) throw await this.failure(method, path, res, res.status === 401 ? 'rejected' : undefined);
    if (res.status === 204) return undefined as T;
    const text = await this.body(method, path, res);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      // A portal's or proxy's page in place of Looker's answer: no answer (try again), not a refusal that ends a grant.
      throw new LookerError(`Looker ${method} ${path} answered ${res.status} with a body that is not JSON (a proxy's page?)`, { status: res.status, reason: 'unavailable', fromLooker: false, cause: err });
    }
  }

  /**
   * The body of a successful answer. One cut off after its status line (the
   * connection dropped, or the time ran out halfway) is as good as no answer:
   * 'unavailable', so the job tries again, never a refusal that ends the grant.
   */
  private async body(method: string, path: string, res: Response): Promise<string> {
    try {
      return await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new LookerError(`Looker ${method} ${path} answered ${res.status} but ${timedOut ? `the answer did not arrive within ${this.timeoutMs} ms` : 'the answer was cut off'}`, { reason: 'unavailable', cause: err });
    }
  }

  private async fetch(method: string, pathAndQuery: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
    try {
      return await fetch(`${this.api}${pathAndQuery}`, { method, ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const path = pathAndQuery.split('?')[0];
      throw new LookerError(timedOut ? `Looker ${method} ${path} did not answer within ${this.timeoutMs} ms` : `Looker ${method} ${path} failed: ${vendorSummary(err instanceof Error ? err.message : String(err), 'network error', this.secrets())}`, { reason: 'unavailable', cause: err });
    }
  }

  /** Our own credentials: cut out of anything Looker says before it reaches a message (the patterns only guess). */
  private secrets(): string[] {
    return [this.opts.clientSecret, this.opts.clientId, ...(this.token ? [this.token.value] : [])];
  }

  private async failure(method: string, path: string, res: Response, reason?: VendorFailureReason): Promise<LookerError> {
    let detail = '';
    let fromLooker = false;
    try {
      const json = (await res.json()) as { message?: unknown; errors?: Array<{ field?: unknown; message?: unknown }> };
      fromLooker = typeof json === 'object' && json !== null && !Array.isArray(json);
      detail = vendorSummary(json.message, '', this.secrets());
      const fields = (Array.isArray(json.errors) ? json.errors : []).map((e) => vendorSummary(`${String(e.field ?? '')} ${String(e.message ?? '')}`, '', this.secrets())).filter(Boolean);
      if (fields.length) detail = vendorSummary(`${detail} (${fields.join('; ')})`);
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return new LookerError(`Looker ${method} ${path.split('?')[0]} answered ${res.status}${detail ? `: ${detail}` : ''}`, {
      status: res.status,
      fromLooker,
      ...(reason ? { reason } : {}),
      ...(retryAfterMs ? { retryAfterMs } : {}),
    });
  }
}

const enc = (id: string) => encodeURIComponent(id);

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};
