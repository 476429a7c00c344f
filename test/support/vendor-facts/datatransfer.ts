/**
 * BigQuery Data Transfer Service REST v1: the calls the bot makes, as Google's
 * discovery document describes them (our own summary, not a copy).
 *
 * Source: googleapis/google-api-go-client, bigquerydatatransfer/v1/bigquerydatatransfer-api.json
 * at commit 3f39686e011fe0ed96eab983ea68cb45281ac536 (discovery revision 20240202),
 * cross-read with the revision 20220319 copy (commit 01e0070f0f9cf6fa9d24942edfd53d3f152e6c5a);
 * error body: Google's API design guide, "Errors" (google.rpc.Status in JSON). Read 2026-11-30.
 *
 * What matters to a client:
 * - Every method exists twice: under `projects/{p}/transferConfigs/{c}` and
 *   `projects/{p}/locations/{l}/transferConfigs/{c}`; `{p}` is a project ID or
 *   number. TransferRun names have the form
 *   `projects/{project}/locations/{location}/transferConfigs/{config}/runs/{run}`:
 *   the service answers with the project NUMBER and always with a location,
 *   whatever form the config was named in.
 * - `requestedRunTime` "must be a past time and cannot include future time values".
 * - Every TransferRun field is optional in JSON (proto3: unset fields are left
 *   out): `startTime`/`endTime` appear once set, `errorStatus` only on failure,
 *   and even then its `message` may be missing.
 * - States: TRANSFER_STATE_UNSPECIFIED, PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED.
 * - runs.list: order is not documented; pages with `nextPageToken`; `pageSize`
 *   defaults to (and is at most) 1000.
 * - The discovery document lists no statuses at all: the per-method ones below
 *   are what the method does, in google.rpc.Code terms. Any method may also answer
 *   UNAUTHENTICATED (401: every method needs OAuth credentials), PERMISSION_DENIED
 *   (403: every method needs an IAM permission, e.g. bigquery.transfers.get to read
 *   runs) and RESOURCE_EXHAUSTED (429: "perhaps a per-user quota"; API request
 *   quotas count every call): `anyOperation`, from code.proto's HTTP mapping.
 */
import type { FieldType, OperationFact, VendorFacts } from './spec.js';

const CONFIG = /^projects\/[^/]+\/(locations\/[^/]+\/)?transferConfigs\/[^/]+$/;
const RUN = /^projects\/[^/]+\/(locations\/[^/]+\/)?transferConfigs\/[^/]+\/runs\/[^/]+$/;
const dateTime: FieldType = { type: 'string', format: 'date-time' };
const STATES = ['TRANSFER_STATE_UNSPECIFIED', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

/** The TransferRun resource (every field optional). */
export const TRANSFER_RUN_FIELDS = {
  name: 'string: projects/{project number}/locations/{location}/transferConfigs/{config}/runs/{run}',
  scheduleTime: 'date-time: minimum time after which the run can start; for a manual run, when it was requested',
  runTime: 'date-time: the date and time of the data to ingest (= requestedRunTime for a manual run)',
  startTime: 'date-time, output only: when the run started (absent while PENDING)',
  endTime: 'date-time, output only: when it ended (absent until it ends)',
  updateTime: 'date-time, output only: last state change',
  state: `one of ${STATES.join(', ')}`,
  errorStatus: 'google.rpc.Status { code?: int32, message?: string, details?: object[] }',
  dataSourceId: 'string, output only (scheduled_query for scheduled queries)',
  destinationDatasetId: 'string, output only',
  userId: 'int64 as string, deprecated',
  params: 'object, output only',
  schedule: 'string, output only: empty for manual runs',
} as const;

const ops: OperationFact[] = [
  {
    id: 'bigquerydatatransfer.projects[.locations].transferConfigs.startManualRuns',
    method: 'POST',
    path: '/v1/{+parent}:startManualRuns',
    pathParams: { parent: CONFIG },
    body: {
      contentType: 'application/json',
      required: true,
      schema: {
        type: 'object',
        properties: {
          requestedRunTime: dateTime,
          requestedTimeRange: { type: 'object', properties: { startTime: dateTime, endTime: dateTime } },
        },
      },
    },
    auth: { scheme: 'Bearer' },
    responses: {
      '200': 'StartManualTransferRunsResponse { runs?: TransferRun[] } (the runs created; names with project number and location)',
      '400': 'google.rpc.Status INVALID_ARGUMENT: neither or both of requestedRunTime / requestedTimeRange, or a time in the future',
      '401': 'UNAUTHENTICATED', '403': 'PERMISSION_DENIED', '404': 'NOT_FOUND: no such transfer config',
      '409': 'ALREADY_EXISTS / ABORTED', '429': 'RESOURCE_EXHAUSTED (may carry Retry-After, or a google.rpc.RetryInfo { retryDelay: Duration } in error.details)', '5xx': 'INTERNAL / UNAVAILABLE: the run may or may not have been created; like any error, may carry a google.rpc.RetryInfo',
    },
    variations: [
      'run names use the project number where the request used the project ID',
      'run names carry a location even when the request named the config without one',
      'runs may be absent (proto3 leaves an empty list out)',
      'one of requestedRunTime or requestedTimeRange; a future time is refused',
      '409 is ALREADY_EXISTS or ABORTED (google.rpc.Code ABORTED: "typically due to a concurrency issue", HTTP mapping 409; retried at a higher level)',
    ],
    source: 'resources.projects.[locations.]transferConfigs.methods.startManualRuns; schemas StartManualTransferRunsRequest/Response, TimeRange',
  },
  {
    id: 'bigquerydatatransfer.projects[.locations].transferConfigs.runs.get',
    method: 'GET',
    path: '/v1/{+name}',
    pathParams: { name: RUN },
    auth: { scheme: 'Bearer' },
    responses: { '200': 'TransferRun (see TRANSFER_RUN_FIELDS)', '404': 'NOT_FOUND', '429': 'RESOURCE_EXHAUSTED', '5xx': 'INTERNAL / UNAVAILABLE (may carry a google.rpc.RetryInfo: error_details.proto, "when the clients can retry a failed request")' },
    variations: ['every state', 'startTime, endTime, errorStatus and errorStatus.message absent when unset', 'timestamps with 0, 3, 6 or 9 fractional digits (protobuf Timestamp in JSON)'],
    source: 'resources.projects.[locations.]transferConfigs.resources.runs.methods.get; schema TransferRun',
  },
  {
    id: 'bigquerydatatransfer.projects[.locations].transferConfigs.runs.list',
    method: 'GET',
    path: '/v1/{+parent}/runs',
    pathParams: { parent: CONFIG },
    query: {
      pageSize: { type: { type: 'integer', format: 'int32', minimum: 1 } },
      pageToken: { type: { type: 'string' } },
      states: { type: { type: 'string', enum: STATES }, repeated: true },
      runAttempt: { type: { type: 'string', enum: ['RUN_ATTEMPT_UNSPECIFIED', 'LATEST'] } },
    },
    auth: { scheme: 'Bearer' },
    responses: { '200': 'ListTransferRunsResponse { transferRuns?: TransferRun[], nextPageToken?: string }', '404': 'NOT_FOUND', '429': 'RESOURCE_EXHAUSTED', '5xx': 'INTERNAL / UNAVAILABLE' },
    variations: ['transferRuns absent when there are none', 'order not documented', 'several pages (nextPageToken)', 'a page shorter than pageSize before the end (AIP-158: "The service may return fewer than this value")'],
    source: 'resources.projects.[locations.]transferConfigs.resources.runs.methods.list; schema ListTransferRunsResponse',
  },
];

export const dataTransferFacts: VendorFacts = {
  vendor: 'BigQuery Data Transfer v1',
  sources: [
    { what: 'googleapis/google-api-go-client bigquerydatatransfer/v1/bigquerydatatransfer-api.json @3f39686e011fe0ed96eab983ea68cb45281ac536', version: 'discovery revision 20240202', read: '2026-11-30' },
    { what: 'the same file @01e0070f0f9cf6fa9d24942edfd53d3f152e6c5a (cross-check)', version: 'discovery revision 20220319', read: '2026-11-30' },
    { what: 'Google API design guide, Errors (google.rpc.Status as JSON)', version: 'web page', read: '2026-11-30' },
    { what: 'googleapis/googleapis google/rpc/code.proto (ABORTED, ALREADY_EXISTS: HTTP 409) and google/rpc/error_details.proto (RetryInfo.retry_delay)', version: 'as published', read: '2026-12-02' },
    { what: 'googleapis/googleapis google/rpc/code.proto again: UNAUTHENTICATED 401, PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429 (anyOperation)', version: 'as published', read: '2026-12-03' },
  ],
  commonQuery: {
    '$.xgafv': { type: { type: 'string', enum: ['1', '2'] } },
    access_token: { type: { type: 'string' } },
    alt: { type: { type: 'string', enum: ['json', 'media', 'proto'] } },
    callback: { type: { type: 'string' } },
    fields: { type: { type: 'string' } },
    key: { type: { type: 'string' } },
    oauth_token: { type: { type: 'string' } },
    prettyPrint: { type: { type: 'boolean' } },
    quotaUser: { type: { type: 'string' } },
    uploadType: { type: { type: 'string' } },
    upload_protocol: { type: { type: 'string' } },
  },
  errorShape: '{ "error": { "code": <HTTP status>, "message": string, "status": "INVALID_ARGUMENT" | "NOT_FOUND" | …, "details"?: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s" } | …] } }',
  // google/rpc/code.proto, HTTP mapping of the codes any authenticated, quota-counted call may get (5xx need no listing).
  anyOperation: {
    '401': 'UNAUTHENTICATED: "The request does not have valid authentication credentials for the operation"',
    '403': 'PERMISSION_DENIED: "The caller does not have permission to execute the specified operation" (the method\'s IAM permission)',
    '429': 'RESOURCE_EXHAUSTED: "Some resource has been exhausted, perhaps a per-user quota" (API request quotas count every call)',
  },
  operations: ops,
};
