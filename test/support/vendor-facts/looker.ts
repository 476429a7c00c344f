/**
 * Looker API 4.0: the calls the bot makes, as Looker's OpenAPI spec describes
 * them (our own summary, not a copy).
 *
 * Source: looker-open-source/sdk-codegen, spec/Looker.4.0.oas.json at commit
 * c2bf549bdb6bf02117875712094195a7b48701fb (file last changed in
 * 854bb4f16096758cae4a1616f96f46ec2fbb4140), info.version 4.0.26.12,
 * x-looker-release-version 26.12.3. Read 2026-11-30.
 *
 * What matters to a client:
 * - `POST /login` takes `client_id` and `client_secret` in a form body (query
 *   parameters are deprecated "before the end of 2026"); every other call
 *   sends `Authorization: token <access_token>`.
 * - Creating email credentials does NOT send the setup email: that is
 *   `POST /users/{id}/credentials_email/send_password_reset` ("If the user has
 *   not yet set up their account, it will send a setup email").
 * - On Looker (Google Cloud core), create_user_credentials_email and
 *   send_user_credentials_email_password_reset "may be denied": 403 with an
 *   Error body.
 * - A user may be disabled (`is_disabled: true`); roles may be managed
 *   outside Looker (`roles_externally_managed`); a user may be kept out of
 *   normal groups (`allow_normal_group_membership`, read-only: "User can be a
 *   direct member of a normal Looker group"; SamlConfig's, OIDCConfig's and
 *   LDAPConfig's of that name: "If 'false', user will be removed from
 *   non-reflected groups on login").
 * - String search parameters are case-insensitive SQL LIKE patterns (`%`, `_`).
 * - `fields` limits a response to the fields named; anything not asked for is absent.
 * - Errors: `Error { message, documentation_url }`; 422 is
 *   `ValidationError { message, errors: [{ field, code, message, documentation_url }], documentation_url }`.
 * - The OAS lists no 401 for any operation, but Looker answers one to a call
 *   without a valid access token (missing, expired, revoked): "Unauthorized
 *   (401) errors" on Looker's "Looker API troubleshooting" page
 *   (https://cloud.google.com/looker/docs/api-troubleshooting, read 2026-12-03).
 *   It is added to every operation that takes a token (login takes none: a
 *   wrong key is its 404).
 */
import type { FieldType, OperationFact, VendorFacts } from './spec.js';

const API = '/api/4.0';
const id: RegExp = /^[^/]+$/;
const str: FieldType = { type: 'string' };
const fields = { fields: { type: str, description: 'Requested fields (comma-separated)' } };
const errors = { '400': 'Error', '404': 'Error', '429': 'Error' };
/** The errors of an operation that takes `Authorization: token …`: the spec's, and the 401 of a token Looker does not take (not in the OAS; Looker's API troubleshooting page). */
const tokenErrors = { ...errors, '401': 'Error "Requires authentication." (API troubleshooting page, not the OAS)' };

/** The User fields a client may write (create_user body): the read-only ones are left out. */
const USER_WRITABLE: Record<string, FieldType> = {
  first_name: str,
  last_name: str,
  is_disabled: { type: 'boolean' },
  locale: str,
  home_folder_id: str,
  models_dir_validated: { type: 'boolean' },
  ui_state: { type: 'object', additional: true },
  can_manage_api3_creds: { type: 'boolean' },
};

const ops: OperationFact[] = [
  {
    id: 'login',
    method: 'POST',
    path: `${API}/login`,
    query: {
      client_id: { type: str, description: 'deprecated: send in the form body' },
      client_secret: { type: str, description: 'deprecated: send in the form body' },
    },
    body: {
      contentType: 'application/x-www-form-urlencoded',
      required: true,
      schema: { type: 'object', properties: { client_id: str, client_secret: str }, required: ['client_id', 'client_secret'] },
    },
    auth: { scheme: 'none' },
    responses: { '200': 'AccessToken { access_token, token_type, expires_in (seconds), refresh_token: null }', ...errors },
    variations: ['wrong key: 404 Error'],
    source: 'paths./login.post',
  },
  {
    id: 'search_users',
    method: 'GET',
    path: `${API}/users/search`,
    query: {
      ...fields,
      limit: { type: { type: 'integer', format: 'int64' } },
      offset: { type: { type: 'integer', format: 'int64' } },
      sorts: { type: str },
      id: { type: str },
      first_name: { type: str },
      last_name: { type: str },
      full_name: { type: str },
      email: { type: str, description: 'LIKE pattern; only for callers who may see complete user details' },
      is_disabled: { type: { type: 'boolean' } },
      filter_or: { type: { type: 'boolean' } },
      group_id: { type: str },
      embed_user: { type: { type: 'boolean' } },
      is_service_account: { type: { type: 'boolean' } },
    },
    auth: { scheme: 'token' },
    responses: { '200': 'User[] (only the `fields` asked for)', ...tokenErrors },
    variations: ['LIKE matching: other users whose address matches the pattern', 'email and credentials_email may be null', 'is_disabled true', 'more matches than `limit`: the rest come with `offset` (limit "used with offset")'],
    source: 'paths./users/search.get; schema User',
  },
  {
    id: 'create_user',
    method: 'POST',
    path: `${API}/users`,
    query: fields,
    body: { contentType: 'application/json', required: false, schema: { type: 'object', properties: USER_WRITABLE } },
    auth: { scheme: 'token' },
    responses: { '200': 'User', '409': 'Error', '422': 'ValidationError', ...tokenErrors },
    source: 'paths./users.post; schema User (read-only fields refused here)',
  },
  {
    id: 'delete_user',
    method: 'DELETE',
    path: `${API}/users/{user_id}`,
    pathParams: { user_id: id },
    auth: { scheme: 'token' },
    responses: { '204': 'User successfully deleted', '403': 'Error', ...tokenErrors },
    source: 'paths./users/{user_id}.delete',
  },
  {
    id: 'create_user_credentials_email',
    method: 'POST',
    path: `${API}/users/{user_id}/credentials_email`,
    pathParams: { user_id: id },
    query: fields,
    body: {
      contentType: 'application/json',
      required: true,
      schema: { type: 'object', properties: { email: { type: 'string', format: 'email' }, forced_password_reset_at_next_login: { type: 'boolean' } }, required: ['email'] },
    },
    auth: { scheme: 'token' },
    responses: { '200': 'CredentialsEmail', '403': 'Error: may be denied by Looker (Google Cloud core)', '409': 'Error', '422': 'ValidationError', ...tokenErrors },
    variations: ['403 on Looker (Google Cloud core)', 'sends no email'],
    source: 'paths./users/{user_id}/credentials_email.post; schema CredentialsEmail',
  },
  {
    id: 'send_user_credentials_email_password_reset',
    method: 'POST',
    path: `${API}/users/{user_id}/credentials_email/send_password_reset`,
    pathParams: { user_id: id },
    query: fields,
    auth: { scheme: 'token' },
    responses: { '200': 'CredentialsEmail (password_reset_url set)', '403': 'Error: may be denied by Looker (Google Cloud core)', ...tokenErrors },
    variations: ['a user who has not set up their account gets the setup email', 'body may be empty'],
    source: 'paths./users/{user_id}/credentials_email/send_password_reset.post',
  },
  {
    id: 'add_group_user',
    method: 'POST',
    path: `${API}/groups/{group_id}/users`,
    pathParams: { group_id: id },
    body: { contentType: 'application/json', required: true, schema: { type: 'object', properties: { user_id: str }, required: ['user_id'] } },
    auth: { scheme: 'token' },
    responses: { '200': 'User', '403': 'Error: Permission Denied', ...tokenErrors },
    variations: ['the spec lists errors 400, 403, 404 and 429 only, each an Error (no 422 ValidationError; 401 for a token comes from the troubleshooting page): an unknown group or user is 404'],
    source: 'paths./groups/{group_id}/users.post; schema GroupIdForGroupUserInclusion',
  },
  {
    id: 'user_roles',
    method: 'GET',
    path: `${API}/users/{user_id}/roles`,
    pathParams: { user_id: id },
    query: { ...fields, direct_association_only: { type: { type: 'boolean' } } },
    auth: { scheme: 'token' },
    responses: { '200': 'Role[] (roles from groups included unless direct_association_only=true)', ...tokenErrors },
    source: 'paths./users/{user_id}/roles.get; schema Role',
  },
  {
    id: 'set_user_roles',
    method: 'PUT',
    path: `${API}/users/{user_id}/roles`,
    pathParams: { user_id: id },
    query: fields,
    body: { contentType: 'application/json', required: true, schema: { type: 'array', items: str } },
    auth: { scheme: 'token' },
    responses: { '200': 'Role[]: the user direct roles, replaced by the list', '403': 'Error', '422': 'ValidationError', ...tokenErrors },
    variations: ['replaces the whole list of direct roles'],
    source: 'paths./users/{user_id}/roles.put',
  },
];

export const lookerFacts: VendorFacts = {
  vendor: 'Looker API 4.0',
  sources: [
    {
      what: 'looker-open-source/sdk-codegen spec/Looker.4.0.oas.json @c2bf549bdb6bf02117875712094195a7b48701fb',
      version: '4.0.26.12 (Looker 26.12.3)',
      read: '2026-11-30',
    },
    {
      what: 'Looker docs, Looker API troubleshooting, "Unauthorized (401) errors" (https://cloud.google.com/looker/docs/api-troubleshooting)',
      version: 'page as read',
      read: '2026-12-03',
    },
  ],
  errorShape: 'Error { message: string | null, documentation_url: string | null }; 422: ValidationError { message, errors: [{ field, code, message, documentation_url }], documentation_url }',
  operations: ops,
};
