/**
 * Fivetran REST API v1: the calls the bot makes, as Fivetran's OpenAPI spec
 * describes them (our own summary, not a copy).
 *
 * Source: fivetran/terraform-provider-fivetran, open-api-spec.json at commit
 * 4d1b48e78b7cf0b81b2d2d5d18f80ca5463e614a (file last changed in
 * 4a7e50e046a72568dc043c6c4c2eec4f847b466f, 2026-06-30), OpenAPI 3.0.1,
 * info.version "v1", server https://api.fivetran.com, security basicAuth.
 * Operations connection_details and sync_connection; schemas
 * ConnectorResponseV1, ConnectorStatusResponse, Alert, SyncConnectorRequest.
 * Read 2026-11-30.
 *
 * What matters to a client:
 * - HTTP basic auth (API key : API secret); `Accept: application/json;version=2` is the default
 *   (a media type: `application/json; version=2` is the same one).
 * - Connection details: required `id, service, schema, paused, status, group_id,
 *   service_version, created_at, pause_after_trial, sync_frequency,
 *   schedule_type, data_delay_sensitivity`; `succeeded_at` and `failed_at` are
 *   optional ("null if the connection has never completed a successful sync" /
 *   "never experienced a sync failure"), as are `connected_by`, `daily_sync_time` and more.
 * - status: required `setup_state` (incomplete | connected | broken),
 *   `sync_state` (scheduled | syncing | paused | rescheduled), `update_state`
 *   (on_schedule | delayed), `is_historical_sync`; optional `tasks` and
 *   `warnings` (Alert { code, message, details }: `message` "a human-readable
 *   label … for example: Reconnect, Resync Table Warning", `details` "additional
 *   context … beyond the message field") and `rescheduled_for`
 *   ("non-null only when sync_state is rescheduled").
 * - POST /sync `{ force?: boolean }` (default false): "If force is false, the
 *   connection will sync only if it isn't currently syncing" (the answer is
 *   200 either way); force=true stops a running sync and starts again.
 * - Documented errors: 401, 404, 405/406, 415 (body not described in the
 *   spec; Fivetran answers `{ code, message }`). 415, says the API Response
 *   Codes page: "The Content-Type header is missing or not application/json
 *   on a POST or PATCH request" (a POST /sync without a body included). 403 is on Fivetran's "API
 *   Response Codes" page (any call): "The authenticated user does not have
 *   permission to perform this action" (401: the key-secret pair is missing,
 *   malformed or invalid).
 * - The same page (read again 2026-12-03) also lists 429 "You have exceeded a
 *   rate limit", and its "Rate Limiting" page limits "All requests" per hour
 *   and answers 429 `{ code: "TooManyRequests", message }` (with Retry-After, it
 *   says): any call may get it (`anyOperation`, with 401 and 403). Its 409 "The
 *   request conflicts with the current state of the resource. For example, a
 *   duplicate role assignment or a sync already in progress" is put on
 *   sync_connection, its example (the OpenAPI file lists 409 only for /resync);
 *   its 400, "The request body is malformed, missing required fields, or
 *   contains invalid values", too: it is the only one of the two that takes a body.
 */
import type { OperationFact, VendorFacts } from './spec.js';

// A string (the spec gives no pattern); one path segment.
const CONNECTION_ID = /^[^/]+$/;
/**
 * `application/json;version=2` (the default) or plain `application/json`, in any spelling of the same
 * media type (RFC 9110 §5.6.6, §8.3.1): whitespace around `;`, type and parameter name in any case,
 * no space around `=`, the value a token or a quoted string (`application/json; version=2` is the same as the docs' spelling).
 */
const accept = { Accept: { pattern: /^application\/json[ \t]*(;[ \t]*version=(2|"2")[ \t]*)?$/i, description: 'default application/json;version=2, with or without a space after ";"' } };

const ops: OperationFact[] = [
  {
    id: 'connection_details',
    method: 'GET',
    path: '/v1/connections/{connectionId}',
    pathParams: { connectionId: CONNECTION_ID },
    headers: accept,
    auth: { scheme: 'Basic' },
    responses: {
      '200': '{ code: "Success", message?, data: ConnectorResponseV1 }',
      '401': 'Unauthorized', '403': 'Forbidden: the authenticated user lacks permission for this action (API Response Codes page)', '404': 'Not found: { code: "NotFound_Connection", message }', '405': 'Method not allowed', '406': 'Not acceptable',
    },
    variations: [
      'succeeded_at / failed_at absent or null (never synced / never failed)',
      'timestamps to the microsecond, as the spec\'s examples (2024-03-17T12:31:40.870504Z)',
      'sync_state scheduled | syncing | paused | rescheduled (rescheduled_for only then)',
      'setup_state incomplete | connected | broken',
      'tasks and warnings absent or empty; an Alert\'s message is a label, its details (optional) the context',
      'paused true',
      'sync_state syncing with a newer succeeded_at: the schedule began the next sync (sync_frequency 1 to 1440 minutes)',
    ],
    source: 'paths./v1/connections/{connectionId}.get (connection_details)',
  },
  {
    id: 'sync_connection',
    method: 'POST',
    path: '/v1/connections/{connectionId}/sync',
    pathParams: { connectionId: CONNECTION_ID },
    headers: {
      ...accept,
      'Content-Type': { required: true, pattern: /^application\/json\s*(;.*)?$/i, description: '415 when missing or not application/json on a POST, with a body or without (API Response Codes page)' },
    },
    body: { contentType: 'application/json', required: false, schema: { type: 'object', properties: { force: { type: 'boolean' } } } },
    auth: { scheme: 'Basic' },
    responses: {
      '200': '{ code: "Success", message: "Sync has been successfully triggered for connection with id \'…\'" }', '401': 'Unauthorized', '404': 'Not found', '406': 'Not acceptable', '415': 'Unsupported media type',
      '400': 'Bad request: the body malformed or a value invalid (API Response Codes page)',
      '409': 'Conflict: "a sync already in progress" (API Response Codes page; the OpenAPI file lists 409 for /resync only)',
    },
    variations: ['force=false on a syncing connection: 200, and no new sync starts', '415 for a POST whose Content-Type is missing or not application/json'],
    source: 'paths./v1/connections/{connectionId}/sync.post (sync_connection); schema SyncConnectorRequest',
  },
];

export const fivetranFacts: VendorFacts = {
  vendor: 'Fivetran REST API v1',
  sources: [
    {
      what: 'fivetran/terraform-provider-fivetran open-api-spec.json @4d1b48e78b7cf0b81b2d2d5d18f80ca5463e614a',
      version: 'OpenAPI 3.0.1, API v1 (file of 2026-06-30)',
      read: '2026-11-30',
    },
    {
      what: 'Fivetran docs, REST API › Getting started › API Response Codes (https://fivetran.com/docs/rest-api/getting-started/api-response-codes)',
      version: 'page as read',
      read: '2026-12-03',
    },
    {
      what: 'Fivetran docs, REST API › Rate Limiting (https://fivetran.com/docs/rest-api/rate-limiting)',
      version: 'page as read',
      read: '2026-12-03',
    },
  ],
  errorShape: '{ "code": string, "message": string } (Fivetran REST API docs; the OpenAPI file describes error statuses without a body)',
  // The API Response Codes page's statuses that any call may answer (5xx need no listing).
  anyOperation: {
    '401': 'Unauthorized: "The Authorization header is missing, malformed, or the API key–secret pair is invalid" (API Response Codes page)',
    '403': 'Forbidden: "The authenticated user does not have permission to perform this action" (API Response Codes page)',
    '429': 'TooManyRequests: a rate limit, "All requests" counted (API Response Codes and Rate Limiting pages)',
  },
  operations: ops,
};
