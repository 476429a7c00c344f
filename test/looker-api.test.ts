/**
 * The Looker API 4.0 adapter against a loopback server that follows the
 * published API (test/support/fake-looker.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CORE_REFUSAL, LookerApiAdmin } from '../src/adapters/looker/api.js';
import { RecordOnlyLookerAdmin } from '../src/adapters/looker/record-only.js';
import { openLookerAdmin } from '../src/adapters/looker/index.js';
import { LookerError } from '../src/errors.js';
import { FakeLooker, FakeLookerDefaults, type FakeLookerUser } from './support/fake-looker.js';

let looker: FakeLooker;
let admin: LookerApiAdmin;

beforeAll(async () => {
  looker = new FakeLooker({
    users: [
      { id: '1', email: 'alex@example.com', first_name: 'Alex', last_name: 'Admin', role_ids: ['1'] },
      { id: '2', email: 'sam_lee@example.com', first_name: 'Sam', last_name: 'Lee', role_ids: ['3'] },
      // Matches "sam_lee@example.com" as a LIKE pattern, but is someone else.
      { id: '3', email: 'samxlee@example.com', first_name: 'Samx', last_name: 'Lee', role_ids: [] },
    ],
  });
  await looker.start();
});
afterAll(async () => looker?.stop());
beforeEach(() => {
  admin = new LookerApiAdmin({ baseUrl: looker.url, clientId: FakeLookerDefaults.clientId, clientSecret: FakeLookerDefaults.clientSecret });
  looker.requests.length = 0;
});

describe('LookerApiAdmin', () => {
  it('creates a missing user with email credentials, adds the group, sets the roles, and has Looker send the setup email', async () => {
    const result = await admin.grant({ email: 'new.person@example.com', firstName: 'New', lastName: 'Person', groupIds: ['10'], roleIds: ['2'] });
    expect(result).toMatchObject({ applied: true, createdUser: true, addedGroupIds: ['10'], addedRoleIds: ['2'], setupEmailSent: true });
    const user = looker.userByEmail('new.person@example.com')!;
    expect(user).toMatchObject({ first_name: 'New', last_name: 'Person', role_ids: ['2'] });
    expect(looker.groupIdsOf(user.id)).toEqual(['10']);
    expect(looker.calls()).toEqual([
      'GET /api/4.0/users/search',
      'POST /api/4.0/users',
      `POST /api/4.0/users/${user.id}/credentials_email`,
      'POST /api/4.0/groups/10/users',
      `GET /api/4.0/users/${user.id}/roles`,
      `PUT /api/4.0/users/${user.id}/roles`,
      // Creating the email login sends nothing: this call does (the account setup email).
      `POST /api/4.0/users/${user.id}/credentials_email/send_password_reset`,
    ]);
    expect(looker.setupEmails).toContain(user.id);
    const login = looker.requests[0]!;
    expect(login).toMatchObject({ method: 'POST', path: '/api/4.0/login', status: 200 });
    for (const r of looker.requests.slice(1)) expect(r.authorization).toMatch(/^token [0-9a-f]{40}$/);
    expect(looker.requests.find((r) => r.path.endsWith('/search'))?.query).toMatchObject({ email: 'new.person@example.com' });
    expect(looker.requests.find((r) => r.method === 'GET' && r.path.endsWith('/roles'))?.query).toMatchObject({ direct_association_only: 'true' });
  });

  it('merges roles into an existing user, since set-roles replaces the list', async () => {
    const result = await admin.grant({ email: 'Sam_Lee@example.com', firstName: 'Sam', lastName: 'Lee', groupIds: ['10'], roleIds: ['2', '5'] });
    // The exact address, not the LIKE match samxlee@.
    expect(result).toMatchObject({ applied: true, lookerUserId: '2', createdUser: false, addedRoleIds: ['2', '5'] });
    expect(looker.users.get('2')!.role_ids).toEqual(['3', '2', '5']);
    expect(looker.users.get('3')!.role_ids).toEqual([]);
    const put = looker.requests.find((r) => r.method === 'PUT')!;
    expect(put.body).toEqual(['3', '2', '5']);
  });

  it('changes nothing when the user already has the group and roles', async () => {
    await admin.grant({ email: 'alex@example.com', firstName: 'Alex', lastName: 'Admin', groupIds: ['10'], roleIds: ['2'] });
    looker.requests.length = 0;
    const again = await admin.grant({ email: 'alex@example.com', firstName: 'Alex', lastName: 'Admin', groupIds: ['10'], roleIds: ['2'] });
    expect(again).toMatchObject({ applied: true, addedGroupIds: [], addedRoleIds: [] });
    expect(looker.calls()).toEqual(['GET /api/4.0/users/search', 'GET /api/4.0/users/1/roles']);
  });

  it('does not count roles from groups as direct roles', async () => {
    looker.addToGroup('11', '1'); // the Support group carries role 3
    await admin.grant({ email: 'alex@example.com', firstName: 'Alex', lastName: 'Admin', groupIds: [], roleIds: ['5'] });
    expect(looker.users.get('1')!.role_ids).not.toContain('3');
    expect(looker.users.get('1')!.role_ids).toContain('5');
  });

  it('revokes only the given roles and keeps the rest', async () => {
    looker.users.get('2')!.role_ids = ['3', '2', '5', '6'];
    const result = await admin.revokeRoles({ lookerUserId: '2', roleIds: ['5', '6', '7'] });
    expect(result).toEqual({ applied: true, removedRoleIds: ['5', '6'] });
    expect(looker.users.get('2')!.role_ids).toEqual(['3', '2']);
    looker.requests.length = 0;
    expect(await admin.revokeRoles({ lookerUserId: '2', roleIds: ['5'] })).toEqual({ applied: true, removedRoleIds: [] });
    expect(looker.calls()).toEqual(['GET /api/4.0/users/2/roles']);
  });

  it('says the user is missing, and removes nothing, when Looker answers its own 404 for the user (deleted, or hidden from the key) before or during the revoke; a 404 that is not Looker\'s still fails', async () => {
    expect(await admin.revokeRoles({ lookerUserId: '999', roleIds: ['5'] })).toEqual({ applied: true, removedRoleIds: [], userMissing: true });
    expect(looker.calls()).toEqual(['GET /api/4.0/users/999/roles']);
    // Deleted between the read and the write.
    looker.users.get('2')!.role_ids = ['2', '6'];
    looker.failNext('PUT', /\/users\/2\/roles$/, 404, 'Not found');
    expect(await admin.revokeRoles({ lookerUserId: '2', roleIds: ['6'] })).toEqual({ applied: true, removedRoleIds: [], userMissing: true });
    // A proxy's page says nothing about the user.
    looker.failNextWithPage('GET', /\/users\/2\/roles$/, 404);
    await expect(admin.revokeRoles({ lookerUserId: '2', roleIds: ['6'] })).rejects.toMatchObject({ status: 404, fromLooker: false });
    expect(looker.users.get('2')!.role_ids).toEqual(['2', '6']);
  });

  it('logs in once and reuses the token; logs in again after a 401', async () => {
    await admin.grant({ email: 'alex@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] });
    await admin.grant({ email: 'alex@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] });
    expect(looker.requests.filter((r) => r.path === '/api/4.0/login').length).toBe(1);
    looker.expireTokens();
    await admin.grant({ email: 'alex@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] });
    expect(looker.requests.filter((r) => r.path === '/api/4.0/login').length).toBe(2);
    expect(looker.requests.filter((r) => r.status === 401).length).toBe(1);
  });

  it('lets go of a 401\'s body before logging in again, so its connection is not held', async () => {
    // A body too big to sit in the socket's buffers unread (a proxy's page, or a long Error message):
    // Looker can only finish writing it if the client reads it or hangs up.
    looker.failNext('GET', /\/users\/search$/, 401, `Requires authentication. ${'x'.repeat(16 * 1024 * 1024)}`);
    const access = await admin.userAccess('alex@example.com');
    expect(access).toMatchObject({ lookerUserId: '1' });
    expect(looker.requests.filter((r) => r.status === 401).length).toBe(1);
    expect(looker.requests.filter((r) => r.path === '/api/4.0/login').length).toBe(2);
    const deadline = Date.now() + 2_000;
    while (looker.answersNotTaken > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(looker.answersNotTaken).toBe(0);
  });

  it('renews a token that is about to expire before using it', async () => {
    let now = Date.now();
    const clocked = new LookerApiAdmin({ baseUrl: looker.url, clientId: FakeLookerDefaults.clientId, clientSecret: FakeLookerDefaults.clientSecret, now: () => now });
    await clocked.revokeRoles({ lookerUserId: '1', roleIds: [] });
    now += 3600_000 - 30_000;
    await clocked.revokeRoles({ lookerUserId: '1', roleIds: [] });
    expect(looker.requests.filter((r) => r.path === '/api/4.0/login').length).toBe(2);
    expect(looker.requests.filter((r) => r.status === 401).length).toBe(0);
  });

  it('fails with a coded error naming the call and Looker\'s message, never the secret', async () => {
    const wrong = new LookerApiAdmin({ baseUrl: looker.url, clientId: 'nope', clientSecret: 'super-secret-value-123' });
    const err = await wrong.grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LookerError);
    expect((err as LookerError).code).toBe('looker_failed');
    expect((err as LookerError).status).toBe(404);
    expect((err as Error).message).toContain('POST /login answered 404');
    // Said with what to fix: the key's two settings, and where it is sent.
    expect((err as Error).message).toMatch(/^Looker refused the API key \(POST \/login answered 404[^)]*\)\. Check LOOKER_CLIENT_ID and LOOKER_CLIENT_SECRET .*LOOKER_BASE_URL/);
    expect((err as Error).message).not.toContain('super-secret-value-123');
    expect(JSON.stringify(looker.requests)).not.toContain('super-secret-value-123');
    // A proxy's 401 or 403 page in front of Looker (IAP, a gateway; Looker's login lists neither) is not the key's doing.
    const fresh = () => new LookerApiAdmin({ baseUrl: looker.url, clientId: FakeLookerDefaults.clientId, clientSecret: FakeLookerDefaults.clientSecret });
    for (const status of [401, 403]) {
      looker.failNextWithPage('POST', /\/login$/, status);
      const byProxy = (await fresh().grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] }).catch((e: unknown) => e)) as LookerError;
      expect(byProxy).toMatchObject({ status, fromLooker: false });
      expect(byProxy.message).not.toMatch(/refused the API key|LOOKER_CLIENT_SECRET/);
    }
  });

  it('reports a validation error with its field', async () => {
    const err = await admin.grant({ email: 'alex@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: ['999'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LookerError);
    expect((err as LookerError).status).toBe(422);
    expect((err as Error).message).toContain('Validation Failed');
    expect((err as Error).message).toContain('role_ids Role 999 not found');
  });

  it('reports a server error and an unreachable Looker', async () => {
    looker.failNext('POST', /\/groups\/10\/users$/, 500);
    const err = await admin.grant({ email: 'fresh@example.com', firstName: 'F', lastName: 'R', groupIds: ['10'], roleIds: ['2'] }).catch((e: unknown) => e);
    expect((err as LookerError).status).toBe(500);
    expect((err as Error).message).toContain('POST /groups/10/users answered 500');

    const down = new LookerApiAdmin({ baseUrl: 'http://127.0.0.1:9', clientId: 'a', clientSecret: 'b', timeoutMs: 2000 });
    const err2 = await down.grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(LookerError);
    expect((err2 as Error).message).toContain('POST /login failed');
  });

  it('add_group_user: each error the spec lists (400, 403, 404, 429; no ValidationError) ends in a clear outcome naming the group', async () => {
    // Someone in no group yet: created by the first grant, which fails at the group, and found by the next ones.
    const grant = (groupIds: string[]) => admin.grant({ email: 'grouped@example.com', firstName: 'Grou', lastName: 'Ped', groupIds, roleIds: [] });
    // A group Looker does not have (a wrong LOOKER_VIEW_GROUP_ID): not found, not retried, and it says what to check.
    await expect(grant(['999'])).rejects.toMatchObject({
      name: 'LookerError', status: 404, reason: 'not_found', retryable: false,
      message: expect.stringMatching(/group 999.*LOOKER_VIEW_GROUP_ID/),
    });
    looker.failNext('POST', /\/groups\/10\/users$/, 403, 'Permission Denied');
    await expect(grant(['10'])).rejects.toMatchObject({ status: 403, reason: 'forbidden', retryable: false, message: expect.stringMatching(/refused to add grouped@example\.com to group 10 \(403: Permission Denied\)/) });
    looker.failNext('POST', /\/groups\/10\/users$/, 400, 'Bad Request');
    await expect(grant(['10'])).rejects.toMatchObject({ status: 400, reason: 'rejected', retryable: false, message: expect.stringMatching(/refused to add grouped@example\.com to group 10 \(400: Bad Request\)/) });
    // The same statuses on a proxy's page are not Looker's word on the group: no advice about the group ID or the key's role.
    for (const status of [403, 404]) {
      looker.failNextWithPage('POST', /\/groups\/10\/users$/, status);
      const err = (await grant(['10']).catch((e: unknown) => e)) as LookerError;
      expect(err).toMatchObject({ status, retryable: false, fromLooker: false, message: expect.stringMatching(/page that is not Looker's.*LOOKER_BASE_URL/) });
      expect(err.message).not.toMatch(/LOOKER_VIEW_GROUP_ID|manage_groups/);
    }
    looker.failNext('POST', /\/groups\/10\/users$/, 429, 'Too many requests', { 'retry-after': '7' });
    await expect(grant(['10'])).rejects.toMatchObject({ status: 429, reason: 'rate_limited', retryable: true, retryAfterMs: 7000 });
    // The fake answers an unknown user as the spec allows (404, Looker's Error), not with a ValidationError the operation does not list.
    const token = ((await (await fetch(`${looker.url}/api/4.0/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${FakeLookerDefaults.clientId}&client_secret=${FakeLookerDefaults.clientSecret}` })).json()) as { access_token: string }).access_token;
    const res = await fetch(`${looker.url}/api/4.0/groups/10/users`, { method: 'POST', headers: { authorization: `token ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ user_id: '424242' }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: expect.any(String), documentation_url: expect.any(String) });
    // Added once Looker lets it.
    await expect(grant(['10'])).resolves.toMatchObject({ applied: true, addedGroupIds: ['10'] });
  });

  it('refuses a disabled Looker user: nothing is granted, and the error says why and not to retry', async () => {
    looker.users.set('40', { id: '40', email: 'gone@example.com', first_name: 'Gone', last_name: 'Away', role_ids: [], is_disabled: true, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2025-01-01T00:00:00Z' });
    const err = await admin.grant({ email: 'gone@example.com', firstName: 'Gone', lastName: 'Away', groupIds: ['10'], roleIds: ['2'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LookerError);
    expect(err).toMatchObject({ reason: 'user_disabled', retryable: false });
    expect((err as Error).message).toContain('disabled');
    expect(looker.calls()).toEqual(['GET /api/4.0/users/search']);
    expect(looker.users.get('40')!.role_ids).toEqual([]);
    expect(looker.groupIdsOf('40')).toEqual([]);
  });

  it('of several Looker users with the address, grants to the enabled one, wherever the search lists it', async () => {
    const email = 'pat.two@example.com';
    // An old account, disabled, listed first; the one Pat signs in with now (Google login).
    looker.users.set('142', { id: '142', email, first_name: 'Pat', last_name: 'Two', role_ids: [], is_disabled: true, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2024-01-01T00:00:00Z' });
    looker.users.set('143', { id: '143', email, first_name: 'Pat', last_name: 'Two', role_ids: ['3'], is_disabled: false, roles_externally_managed: false, has_email_credentials: false, logged_in_at: null, other_login: 'google' });
    expect(looker.usersByEmail(email).map((u) => u.id)).toEqual(['142', '143']);
    const users = looker.users.size;
    expect(await admin.userAccess(email)).toEqual({ lookerUserId: '143', roleIds: ['3'], groupIds: [] });
    const result = await admin.grant({ email, firstName: 'Pat', lastName: 'Two', groupIds: ['10'], roleIds: ['2'] });
    expect(result).toMatchObject({ applied: true, lookerUserId: '143', createdUser: false, addedGroupIds: ['10'], addedRoleIds: ['2'] });
    expect(looker.users.get('143')!.role_ids).toEqual(['3', '2']);
    expect(looker.users.get('142')!.role_ids).toEqual([]);
    expect(looker.groupIdsOf('142')).toEqual([]);
    expect(looker.users.size).toBe(users);
    expect(looker.calls()).not.toContain('POST /api/4.0/users');
  });

  it('refuses when every Looker user with the address is disabled: nothing granted, no user created', async () => {
    const email = 'lee.gone@example.com';
    looker.users.set('144', { id: '144', email, first_name: 'Lee', last_name: 'Gone', role_ids: [], is_disabled: true, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2024-01-01T00:00:00Z' });
    looker.users.set('145', { id: '145', email, first_name: 'Lee', last_name: 'Gone', role_ids: [], is_disabled: true, roles_externally_managed: false, has_email_credentials: false, logged_in_at: null, other_login: 'saml' });
    const users = looker.users.size;
    const err = await admin.grant({ email, firstName: 'Lee', lastName: 'Gone', groupIds: ['10'], roleIds: ['2'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'user_disabled', retryable: false });
    expect((err as Error).message).toContain('is disabled');
    expect(looker.calls()).toEqual(['GET /api/4.0/users/search']);
    expect(looker.users.size).toBe(users);
    expect(looker.groupIdsOf('144')).toEqual([]);
    expect(looker.groupIdsOf('145')).toEqual([]);
  });

  it('sends the setup email to an existing user who never logged in, not to one who did', async () => {
    looker.users.set('41', { id: '41', email: 'waiting@example.com', first_name: 'W', last_name: 'A', role_ids: [], is_disabled: false, roles_externally_managed: false, has_email_credentials: true, logged_in_at: null });
    expect(await admin.grant({ email: 'waiting@example.com', firstName: 'W', lastName: 'A', groupIds: ['10'], roleIds: ['2'] })).toMatchObject({ createdUser: false, setupEmailSent: true });
    expect(await admin.grant({ email: 'alex@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] })).toMatchObject({ setupEmailSent: false });
    expect(looker.setupEmails.filter((u) => u === '1')).toEqual([]);
  });

  it('keeps the grant when the setup email cannot be sent after the access is applied, and says why', async () => {
    looker.failNext('POST', /send_password_reset$/, 503, 'Service Unavailable');
    const result = await admin.grant({ email: 'nosetup@example.com', firstName: 'N', lastName: 'S', groupIds: ['10'], roleIds: ['2'] });
    expect(result).toMatchObject({ applied: true, createdUser: true, addedRoleIds: ['2'], setupEmailSent: false });
    expect(result.applied && result.setupEmailError).toContain('answered 503');
    expect(looker.userByEmail('nosetup@example.com')!.role_ids).toEqual(['2']);
  });

  it('refuses roles managed outside Looker', async () => {
    looker.users.set('42', { id: '42', email: 'saml@example.com', first_name: 'S', last_name: 'L', role_ids: ['3'], is_disabled: false, roles_externally_managed: true, has_email_credentials: false, logged_in_at: null });
    const err = await admin.grant({ email: 'saml@example.com', firstName: 'S', lastName: 'L', groupIds: [], roleIds: ['5'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'looker_failed', reason: 'rejected', retryable: false });
    expect(looker.calls()).not.toContain('PUT /api/4.0/users/42/roles');
    // Looker may also say a user cannot be given roles directly while not naming them externally managed.
    looker.users.set('43', { id: '43', email: 'oidc@example.com', first_name: 'O', last_name: 'C', role_ids: [], is_disabled: false, roles_externally_managed: false, allow_direct_roles: false, has_email_credentials: false, logged_in_at: null });
    const direct = await admin.grant({ email: 'oidc@example.com', firstName: 'O', lastName: 'C', groupIds: ['10'], roleIds: ['5'] }).catch((e: unknown) => e);
    expect(direct).toMatchObject({ code: 'looker_failed', reason: 'rejected', retryable: false, message: expect.stringContaining('grant the roles there') });
    // Refused before anything changed: not added to the group either.
    expect(looker.calls()).not.toContain('PUT /api/4.0/users/43/roles');
    expect(looker.calls()).not.toContain('POST /api/4.0/groups/10/users');
    expect(looker.groupIdsOf('43')).toEqual([]);
  });

  it('refuses a group Looker would take the user out of at their next login (SSO allowing only its own groups), before anything changes', async () => {
    looker.users.set('44', { id: '44', email: 'sso@example.com', first_name: 'S', last_name: 'O', role_ids: [], is_disabled: false, roles_externally_managed: false, allow_normal_group_membership: false, has_email_credentials: false, logged_in_at: null, other_login: 'saml' });
    const err = await admin.grant({ email: 'sso@example.com', firstName: 'S', lastName: 'O', groupIds: ['10'], roleIds: ['2'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'looker_failed', reason: 'rejected', retryable: false, message: expect.stringContaining('take them out of group 10 at their next login') });
    expect(looker.calls()).not.toContain('POST /api/4.0/groups/10/users');
    expect(looker.calls()).not.toContain('PUT /api/4.0/users/44/roles');
    expect(looker.userByEmail('sso@example.com')!.role_ids).toEqual([]);
    // Roles alone (no group to join) are still granted.
    const roles = await admin.grant({ email: 'sso@example.com', firstName: 'S', lastName: 'O', groupIds: [], roleIds: ['2'] });
    expect(roles).toMatchObject({ applied: true, addedGroupIds: [], addedRoleIds: ['2'] });
  });

  it('on Looker (Google Cloud core), says clearly that email logins are refused, and leaves no user behind', async () => {
    const core = new FakeLooker({ edition: 'core' });
    await core.start();
    try {
      const coreAdmin = new LookerApiAdmin({ baseUrl: core.url, clientId: FakeLookerDefaults.clientId, clientSecret: FakeLookerDefaults.clientSecret });
      const err = await coreAdmin.grant({ email: 'new@example.com', firstName: 'N', lastName: 'P', groupIds: ['10'], roleIds: ['2'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LookerError);
      expect(err).toMatchObject({ status: 403, reason: 'forbidden', retryable: false, message: CORE_REFUSAL });
      expect(core.users.size).toBe(0);
      expect(core.calls()).toEqual(['GET /api/4.0/users/search', 'POST /api/4.0/users', 'POST /api/4.0/users/100/credentials_email', 'DELETE /api/4.0/users/100']);
    } finally {
      await core.stop();
    }
  });

  it('leaves no user without a login behind when the email credentials fail, so a retry creates one user, not two', async () => {
    const before = looker.users.size;
    looker.failNext('POST', /\/credentials_email$/, 429, 'Too many requests', { 'retry-after': '7' });
    const err = await admin.grant({ email: 'twice@example.com', firstName: 'Twice', lastName: 'Tried', groupIds: ['10'], roleIds: ['2'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 7000 });
    expect(looker.users.size).toBe(before);
    const created = /^POST \/api\/4\.0\/users\/(\d+)\/credentials_email$/.exec(looker.calls()[2] ?? '')?.[1];
    expect(looker.calls()).toEqual(['GET /api/4.0/users/search', 'POST /api/4.0/users', `POST /api/4.0/users/${created}/credentials_email`, `DELETE /api/4.0/users/${created}`]);
    looker.failNext('POST', /\/credentials_email$/, 503, 'Service Unavailable');
    await expect(admin.grant({ email: 'twice@example.com', firstName: 'Twice', lastName: 'Tried', groupIds: ['10'], roleIds: ['2'] })).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    expect(looker.users.size).toBe(before);
    const result = await admin.grant({ email: 'twice@example.com', firstName: 'Twice', lastName: 'Tried', groupIds: ['10'], roleIds: ['2'] });
    expect(result).toMatchObject({ applied: true, createdUser: true });
    expect(looker.users.size).toBe(before + 1);
    expect([...looker.users.values()].filter((u) => u.first_name === 'Twice')).toHaveLength(1);
  });

  it('a retry after the user was created but the answer lost (or the process killed) takes that user over: one user, not two', async () => {
    const before = looker.users.size;
    const grant = { email: 'lost.answer@example.com', firstName: 'Lost', lastName: 'Answer', groupIds: ['10'], roleIds: ['2'] };
    looker.loseAnswerOfNext('POST', /\/users$/);
    await expect(admin.grant(grant)).rejects.toMatchObject({ retryable: true });
    const left = [...looker.users.values()].filter((u) => u.first_name === 'Lost');
    expect(left).toMatchObject([{ email: null, has_email_credentials: false }]);
    looker.requests.length = 0;
    const result = await admin.grant({ ...grant, resumed: true });
    expect(result).toMatchObject({ applied: true, lookerUserId: left[0]!.id, createdUser: true, addedGroupIds: ['10'], addedRoleIds: ['2'], setupEmailSent: true });
    expect(looker.users.size).toBe(before + 1);
    expect(looker.userByEmail('lost.answer@example.com')).toMatchObject({ id: left[0]!.id, role_ids: ['2'] });
    expect(looker.calls()).not.toContain('POST /api/4.0/users');
    expect(looker.requests.filter((r) => r.path.endsWith('/users/search')).map((r) => r.query)).toEqual([
      expect.objectContaining({ email: 'lost.answer@example.com' }),
      expect.objectContaining({ first_name: 'Lost', last_name: 'Answer' }),
    ]);
  });

  it('reads every page of search_users (limit and offset): the user left behind is found among more users of that name than a page holds', async () => {
    const seeded: string[] = [];
    const user = (id: string, extra: Partial<FakeLookerUser> & { email: string | null }) => {
      looker.users.set(id, { id, first_name: 'Robin', last_name: null, role_ids: [], is_disabled: false, roles_externally_managed: false, has_email_credentials: extra.email !== null, logged_in_at: null, ...extra });
      seeded.push(id);
    };
    // 60 people called Robin with no last name, each with their own login, then the user an interrupted grant left behind.
    for (let i = 0; i < 60; i++) user(String(1000 + i), { email: `robin.${i}@example.com` });
    user('1100', { email: null });
    try {
      looker.requests.length = 0;
      const result = await admin.grant({ email: 'robin@example.com', firstName: 'Robin', lastName: '', groupIds: [], roleIds: ['2'], resumed: true });
      expect(result).toMatchObject({ applied: true, lookerUserId: '1100', createdUser: true });
      expect(looker.calls()).not.toContain('POST /api/4.0/users');
      const searches = looker.requests.filter((r) => r.path.endsWith('/users/search') && r.query['first_name'] === 'Robin').map((r) => r.query['offset']);
      expect(searches).toEqual(['0', '50']);
    } finally {
      for (const id of seeded) looker.users.delete(id);
    }
  });

  it('finds the user by email beyond the first page of LIKE matches, rather than create a second one', async () => {
    const seeded: string[] = [];
    const chars = 'abcdefgh';
    // `p_t_x@…` as a LIKE pattern matches 64 other addresses, all added before the person's own.
    for (const a of chars) for (const b of chars) {
      const id = String(2000 + seeded.length);
      looker.users.set(id, { id, first_name: 'Other', last_name: 'Person', email: `p${a}t${b}x@example.com`, role_ids: [], is_disabled: false, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2026-01-05T10:00:00.000+00:00' });
      seeded.push(id);
    }
    looker.users.set('2100', { id: '2100', first_name: 'Pat', last_name: 'X', email: 'p_t_x@example.com', role_ids: [], is_disabled: false, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2026-01-05T10:00:00.000+00:00' });
    seeded.push('2100');
    try {
      const before = looker.users.size;
      const result = await admin.grant({ email: 'p_t_x@example.com', firstName: 'Pat', lastName: 'X', groupIds: [], roleIds: ['2'] });
      expect(result).toMatchObject({ applied: true, lookerUserId: '2100', createdUser: false, addedRoleIds: ['2'] });
      expect(looker.users.size).toBe(before);
    } finally {
      for (const id of seeded) looker.users.delete(id);
    }
  });

  it('takes over no one else: not on a first attempt, not a user who can sign in another way, not one of two of that name', async () => {
    const bare = (id: string, first: string, extra: Partial<FakeLookerUser> = {}) =>
      looker.users.set(id, { id, first_name: first, last_name: 'Bare', email: null, role_ids: [], is_disabled: false, roles_externally_managed: false, has_email_credentials: false, logged_in_at: null, ...extra });
    bare('901', 'First');
    bare('902', 'Saml', { other_login: 'saml' });
    bare('903', 'Api', { other_login: 'api3' });
    bare('904', 'Twin');
    bare('905', 'Twin');
    bare('906', 'Off', { is_disabled: true });
    const grantTo = (first: string, resumed: boolean) =>
      admin.grant({ email: `${first.toLowerCase()}.bare@example.com`, firstName: first, lastName: 'Bare', groupIds: [], roleIds: [], resumed });
    for (const [first, resumed] of [['First', false], ['Saml', true], ['Api', true], ['Twin', true], ['Off', true]] as const) {
      const result = await grantTo(first, resumed);
      expect(result).toMatchObject({ applied: true, createdUser: true });
      expect(result.applied && Number(result.lookerUserId)).toBeLessThan(900);
    }
    for (const id of ['901', '902', '903', '904', '905', '906']) expect(looker.users.get(id)).toMatchObject({ email: null });
    for (const id of ['901', '902', '903', '904', '905', '906']) looker.users.delete(id);
  });

  it('says which user it could not remove when Looker refuses that too, keeping the first failure', async () => {
    looker.failNext('POST', /\/credentials_email$/, 429, 'Too many requests', { 'retry-after': '5' });
    looker.failNext('DELETE', /\/users\/\d+$/, 429, 'Too many requests');
    const err = (await admin.grant({ email: 'stuck@example.com', firstName: 'S', lastName: 'T', groupIds: [], roleIds: [] }).catch((e: unknown) => e)) as LookerError;
    const left = [...looker.users.values()].find((u) => u.first_name === 'S' && u.last_name === 'T');
    expect(left).toBeDefined();
    expect(err).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 5000 });
    expect(err.message).toContain(`The Looker user ${left!.id} created for it (no email login) could not be removed again; a Looker admin can delete it.`);
    looker.users.delete(left!.id);
  });

  it('errors carry a reason and whether to retry; Looker text that echoes a token never reaches the message', async () => {
    looker.failNext('GET', /\/users\/search$/, 503, 'Service Unavailable');
    await expect(admin.grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] })).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    looker.failNext('GET', /\/users\/search$/, 429, 'Too many requests');
    await expect(admin.grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] })).rejects.toMatchObject({ reason: 'rate_limited', retryable: true });
    looker.failNext('GET', /\/users\/search$/, 404, 'Not found');
    await expect(admin.grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] })).rejects.toMatchObject({ reason: 'not_found', retryable: false });
    looker.failNext('GET', /\/users\/search$/, 400, 'Bad request from Authorization: token 4QDkCyCtZzYgj4C2p2cj3csJH7zqS5RzKs2kTnG4 client_secret=abc123def456');
    const err = (await admin.grant({ email: 'a@example.com', firstName: 'A', lastName: 'B', groupIds: [], roleIds: [] }).catch((e: unknown) => e)) as LookerError;
    expect(err).toMatchObject({ reason: 'rejected', retryable: false });
    expect(err.message).not.toMatch(/4QDkCy|abc123/);
    expect(err.message).toContain('answered 400');
  });

  it('an answer cut off after its status line is a lost answer (try again), not a refusal', async () => {
    // The search's answer, cut off halfway: nothing was changed, and waiting may help.
    looker.cutAnswerOfNext('GET', /\/users\/search$/);
    await expect(admin.grant({ email: 'alex@example.com', firstName: 'Alex', lastName: 'Admin', groupIds: ['10'], roleIds: ['1'] }))
      .rejects.toMatchObject({ name: 'LookerError', reason: 'unavailable', retryable: true, message: expect.stringContaining('GET /users/search') });
    // The login's answer, cut off: no token, but not a refused key either.
    const fresh = new LookerApiAdmin({ baseUrl: looker.url, clientId: FakeLookerDefaults.clientId, clientSecret: FakeLookerDefaults.clientSecret });
    looker.cutAnswerOfNext('POST', /\/login$/);
    const err = (await fresh.userAccess('alex@example.com').catch((e: unknown) => e)) as LookerError;
    expect(err).toMatchObject({ name: 'LookerError', reason: 'unavailable', retryable: true });
    expect(err.message).toContain('POST /login');
    expect(err.message).not.toContain(FakeLookerDefaults.clientSecret);
    // A proxy's HTML error page is no JSON: the status says what happened.
    looker.failNextWithPage('GET', /\/users\/search$/, 502);
    await expect(admin.userAccess('alex@example.com')).rejects.toMatchObject({ status: 502, reason: 'unavailable', retryable: true, message: expect.stringMatching(/answered 502$/) });
    // A portal's page with 200 in place of Looker's answer (or its login's) is no answer either, not a refusal.
    looker.failNextWithPage('GET', /\/users\/search$/, 200);
    await expect(admin.userAccess('alex@example.com')).rejects.toMatchObject({ status: 200, reason: 'unavailable', retryable: true });
    const another = new LookerApiAdmin({ baseUrl: looker.url, clientId: FakeLookerDefaults.clientId, clientSecret: FakeLookerDefaults.clientSecret });
    looker.failNextWithPage('POST', /\/login$/, 200);
    await expect(another.userAccess('alex@example.com')).rejects.toMatchObject({ status: 200, reason: 'unavailable', retryable: true });
    // Looker was asked once more each time, and answers as usual now.
    expect(await admin.userAccess('alex@example.com')).toMatchObject({ lookerUserId: '1' });
  });

  it('never passes on its own client secret, whatever Looker echoes back', async () => {
    // Letters only: to a pattern it looks like a long word, not a key.
    const clientSecret = 'qWeRtYuIoPaSdFgHjKlZxCvB';
    const own = new FakeLooker({ clientSecret });
    await own.start();
    try {
      const api = new LookerApiAdmin({ baseUrl: own.url, clientId: FakeLookerDefaults.clientId, clientSecret });
      own.failNext('POST', /\/login$/, 400, `Bad login: client_id ${FakeLookerDefaults.clientId}, secret ${clientSecret}`);
      const err = (await api.userAccess('a@example.com').catch((e: unknown) => e)) as LookerError;
      expect(err).toMatchObject({ name: 'LookerError', status: 400, message: expect.stringContaining('[redacted]') });
      expect(err.message).not.toContain(clientSecret);
      own.failNext('GET', /\/users\/search$/, 500, `echo of ${clientSecret}`);
      const err2 = (await api.userAccess('a@example.com').catch((e: unknown) => e)) as LookerError;
      expect(err2.message).toContain('answered 500');
      expect(err2.message).not.toContain(clientSecret);
    } finally {
      await own.stop();
    }
  });

  it('is chosen by configuration: the API when configured, record-only otherwise', async () => {
    expect(await openLookerAdmin(undefined)).toBeInstanceOf(RecordOnlyLookerAdmin);
    const record = new RecordOnlyLookerAdmin();
    expect(await record.grant()).toEqual({ applied: false });
    expect(await record.revokeRoles()).toEqual({ applied: false });
    const api = await openLookerAdmin({ baseUrl: looker.url, clientId: 'a', clientSecret: 'b', viewGroupId: '10', viewRoleId: '2', elevatedRoleIds: { create_content: ['5'], develop: ['6'] } });
    expect(api.kind).toBe('looker');
  });
});
