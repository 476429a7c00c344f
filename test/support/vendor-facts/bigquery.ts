/**
 * BigQuery REST API v2: the calls the bot makes (through `@google-cloud/bigquery`),
 * as Google's discovery document describes them (our own summary, not a copy).
 *
 * Sources:
 * - googleapis/google-api-go-client, bigquery/v2/bigquery-api.json at commit
 *   0084468843d65b1620da73d8263bf7d2ffb18bbd: methods jobs.insert, jobs.query,
 *   jobs.getQueryResults, jobs.get, jobs.cancel, tables.get (paths, parameters);
 *   datasets.get's parameters as generated into @google-cloud/bigquery 8.3.1
 *   (IGetParams of datasets: accessPolicyVersion, datasetView).
 * - The same discovery document as generated into @google-cloud/bigquery 8.3.1
 *   (build/src/types.d.ts, "Discovery Revision: 20260328"), for the schemas
 *   Job, JobConfiguration, JobConfigurationQuery, JobReference, QueryParameter,
 *   QueryRequest, GetQueryResultsResponse, Table, ErrorProto.
 * Read 2026-11-30.
 *
 * What matters to a client:
 * - int64/uint64 fields are JSON strings (numbers accepted); `maximumBytesBilled`,
 *   `jobTimeoutMs`, `totalBytesProcessed`, `numRows`, `lastModifiedTime` (ms) are such.
 * - Job IDs: letters, digits, underscores and dashes, at most 1,024 characters.
 * - Labels: keys and values at most 63 characters, lowercase letters, digits,
 *   underscores and dashes; keys start with a letter.
 * - getQueryResults may answer `jobComplete: false` with no rows and no schema, and
 *   "is not guaranteed to wait for the specified timeout" (timeoutMs, default 10 s);
 *   `pageToken` appears while more rows remain; TIMESTAMP cells are float
 *   seconds unless `formatOptions.useInt64Timestamp` (then int64 microseconds).
 * - Errors: `{ error: { code, message, errors: [ErrorProto { reason, location?, message, debugInfo? }], status } }`;
 *   job errors also in `status.errorResult` (reason e.g. invalidQuery,
 *   bytesBilledLimitExceeded, notFound, stopped, backendError, rateLimitExceeded).
 * - Statuses: the discovery document lists none; the per-method ones below come
 *   from BigQuery's "Error messages" page (reason → HTTP code). Any call may answer
 *   403: accessDenied ("when you try to access a resource such as a dataset, table,
 *   view, or job that you don't have access to") and quota errors ("If a BigQuery
 *   operation fails because of exceeding a quota, the API returns the HTTP 403
 *   Forbidden status code", Troubleshoot quota and limit errors: rateLimitExceeded,
 *   quotaExceeded). Google Cloud's own quota page says a quota exceeded "with an
 *   HTTP/REST request" answers 429 TOO MANY REQUESTS (Troubleshoot quota errors), and
 *   Google's Node client retries a 429 like a rateLimitExceeded (@google-cloud/common
 *   util.shouldRetryRequest): any call may answer either.
 * - API request limits (Quotas and limits, "API requests"): about 100 requests a second
 *   per user per method, and 300 concurrent API requests per user; beyond them,
 *   "throttling might occur" (the 403 rateLimitExceeded above).
 * - jobs.get, getQueryResults and cancel take the job's `location`: "You must
 *   specify the location to run the job for the following scenarios: If the
 *   location to run a job is not in the us or the eu multi-regional location; If
 *   the job's location is in a single region (for example, us-central1)". A job
 *   named without it, or with another, is not found (404).
 */
import type { FieldType, OperationFact, VendorFacts } from './spec.js';

const V2 = '/bigquery/v2';
const seg = /^[^/]+$/;
const str: FieldType = { type: 'string' };
const bool: FieldType = { type: 'boolean' };
const int64: FieldType = { type: 'integer', format: 'int64' };
const LABEL = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
// The discovery document names no enum ("Set to POSITIONAL … or to NAMED"); the official client sends it in lower case.
const parameterMode: FieldType = { type: 'string', pattern: /^(named|positional)$/i };

const queryParameterType: FieldType = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['STRING', 'INT64', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC', 'BOOL', 'BYTES', 'DATE', 'DATETIME', 'TIME', 'TIMESTAMP', 'GEOGRAPHY', 'JSON', 'INTERVAL', 'ARRAY', 'STRUCT', 'RANGE'] }, arrayType: { type: 'any' }, structTypes: { type: 'any' }, rangeElementType: { type: 'any' } },
  required: ['type'],
};
const queryParameter: FieldType = {
  type: 'object',
  properties: {
    name: str,
    parameterType: queryParameterType,
    parameterValue: { type: 'object', properties: { value: str, arrayValues: { type: 'any' }, structValues: { type: 'any' }, rangeValue: { type: 'any' } }, nullable: true },
  },
  required: ['parameterType'],
};
const tableReference: FieldType = { type: 'object', properties: { projectId: str, datasetId: str, tableId: str }, required: ['datasetId', 'tableId'] };
const labels: FieldType = {
  type: 'object',
  keyPattern: /^\p{Ll}[\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u,
  additional: { type: 'string', pattern: LABEL },
};

/** JobConfigurationQuery: the fields a query job may carry (the ones a client would send). */
const jobConfigurationQuery: FieldType = {
  type: 'object',
  properties: {
    query: str,
    useLegacySql: bool,
    parameterMode,
    queryParameters: { type: 'array', items: queryParameter },
    maximumBytesBilled: int64,
    useQueryCache: bool,
    priority: { type: 'string', enum: ['INTERACTIVE', 'BATCH'] },
    defaultDataset: { type: 'object', properties: { projectId: str, datasetId: str }, required: ['datasetId'] },
    destinationTable: tableReference,
    createDisposition: { type: 'string', enum: ['CREATE_IF_NEEDED', 'CREATE_NEVER'] },
    writeDisposition: { type: 'string', enum: ['WRITE_TRUNCATE', 'WRITE_APPEND', 'WRITE_EMPTY'] },
    allowLargeResults: bool,
    flattenResults: bool,
    maximumBillingTier: { type: 'integer', format: 'int32' },
    connectionProperties: { type: 'any' },
    createSession: bool,
    continuous: bool,
    timePartitioning: { type: 'any' },
    rangePartitioning: { type: 'any' },
    clustering: { type: 'any' },
    destinationEncryptionConfiguration: { type: 'any' },
    schemaUpdateOptions: { type: 'array', items: str },
    scriptOptions: { type: 'any' },
    systemVariables: { type: 'any' },
    tableDefinitions: { type: 'any' },
    userDefinedFunctionResources: { type: 'any' },
    writeIncrementalResults: bool,
  },
  required: ['query'],
};

const job: FieldType = {
  type: 'object',
  properties: {
    jobReference: {
      type: 'object',
      properties: { projectId: str, jobId: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,1024}$/ }, location: str },
      required: ['jobId'],
    },
    configuration: {
      type: 'object',
      properties: { query: jobConfigurationQuery, dryRun: bool, jobTimeoutMs: int64, labels, jobType: str, reservation: str, maxSlots: { type: 'integer', format: 'int32' } },
    },
  },
  required: ['configuration'],
};

const queryRequest: FieldType = {
  type: 'object',
  properties: {
    query: str,
    useLegacySql: bool,
    parameterMode,
    queryParameters: { type: 'array', items: queryParameter },
    maximumBytesBilled: int64,
    labels,
    location: str,
    dryRun: bool,
    maxResults: { type: 'integer', format: 'uint32' },
    timeoutMs: { type: 'integer', format: 'uint32' },
    useQueryCache: bool,
    defaultDataset: { type: 'any' },
    formatOptions: { type: 'object', properties: { useInt64Timestamp: bool, timestampOutputFormat: str } },
    jobCreationMode: { type: 'string', enum: ['JOB_CREATION_MODE_UNSPECIFIED', 'JOB_CREATION_REQUIRED', 'JOB_CREATION_OPTIONAL'] },
    jobTimeoutMs: int64,
    requestId: str,
    kind: str,
    createSession: bool,
    connectionProperties: { type: 'any' },
    continuous: bool,
    destinationEncryptionConfiguration: { type: 'any' },
    preserveNulls: bool,
    maximumBytesBilledMode: str,
    reservation: str,
    writeIncrementalResults: bool,
  },
  required: ['query'],
};

const location = { location: { type: str } };
const errs = { '400': 'invalid / invalidQuery / bytesBilledLimitExceeded / jobBackendError / jobInternalError (the job failed internally: run it again as a new job)', '403': 'accessDenied / rateLimitExceeded', '404': 'notFound', '409': 'duplicate (jobs.insert with a job ID already used)', '5xx': 'backendError' };

const ops: OperationFact[] = [
  {
    id: 'bigquery.jobs.insert', method: 'POST', path: `${V2}/projects/{projectId}/jobs`, pathParams: { projectId: seg },
    body: { contentType: 'application/json', required: true, schema: job }, auth: { scheme: 'Bearer' },
    responses: { '200': 'Job { kind, id, jobReference, configuration, status { state, errorResult?, errors? }, statistics }', ...errs },
    variations: [
      'dry run: status DONE, statistics.totalBytesProcessed, no job kept', '409 when the job ID exists',
      'status.errors without errorResult: "Errors here do not necessarily mean that the job has not completed or was unsuccessful" (JobStatus.errors)',
      'status DONE with errorResult: the job failed by itself (backendError, internalError, rateLimitExceeded, jobRateLimitExceeded, jobBackendError, jobInternalError: worth a new job; the last two are the job_retry_reasons of googleapis/python-bigquery retry.py @24d45d0d, read 2026-12-04); errors may list others first',
      'status RUNNING: the job completes later',
    ],
    source: 'resources.jobs.methods.insert; schema Job',
  },
  {
    id: 'bigquery.jobs.query', method: 'POST', path: `${V2}/projects/{projectId}/queries`, pathParams: { projectId: seg },
    body: { contentType: 'application/json', required: true, schema: queryRequest }, auth: { scheme: 'Bearer' },
    responses: { '200': 'QueryResponse { jobComplete, jobReference?, schema?, rows?, pageToken?, totalRows?, totalBytesProcessed, cacheHit }', ...errs },
    source: 'resources.jobs.methods.query; schema QueryRequest',
  },
  {
    id: 'bigquery.jobs.getQueryResults', method: 'GET', path: `${V2}/projects/{projectId}/queries/{jobId}`, pathParams: { projectId: seg, jobId: seg },
    query: {
      ...location,
      maxResults: { type: { type: 'integer', format: 'uint32' } },
      pageToken: { type: str },
      startIndex: { type: { type: 'integer', format: 'uint64' } },
      timeoutMs: { type: { type: 'integer', format: 'uint32' } },
      'formatOptions.useInt64Timestamp': { type: bool },
      'formatOptions.timestampOutputFormat': { type: { type: 'string', enum: ['TIMESTAMP_OUTPUT_FORMAT_UNSPECIFIED', 'FLOAT64', 'INT64', 'ISO8601_STRING'] } },
    },
    auth: { scheme: 'Bearer' },
    responses: { '200': 'GetQueryResultsResponse { jobComplete, jobReference, schema?, rows?, pageToken?, totalRows?, totalBytesProcessed?, cacheHit? }', ...errs },
    variations: [
      'jobComplete false without rows or schema, possibly before timeoutMs ("the call is not guaranteed to wait for the specified timeout")',
      'pageToken while more rows remain', 'the job failed: the error of the job as an HTTP error',
      'REPEATED cells: v is an array of { v }; RECORD cells: v is { f: [{ v }] } (schema fields with mode REPEATED, type RECORD and fields)',
      'errors: errors or warnings the job got past, with the rows',
    ],
    source: 'resources.jobs.methods.getQueryResults; schema GetQueryResultsResponse',
  },
  {
    id: 'bigquery.jobs.get', method: 'GET', path: `${V2}/projects/{projectId}/jobs/{jobId}`, pathParams: { projectId: seg, jobId: seg },
    query: location, auth: { scheme: 'Bearer' },
    responses: { '200': 'Job', ...errs }, source: 'resources.jobs.methods.get',
  },
  {
    id: 'bigquery.jobs.cancel', method: 'POST', path: `${V2}/projects/{projectId}/jobs/{jobId}/cancel`, pathParams: { projectId: seg, jobId: seg },
    query: location, auth: { scheme: 'Bearer' },
    responses: { '200': 'JobCancelResponse { kind, job }', ...errs }, source: 'resources.jobs.methods.cancel',
  },
  {
    id: 'bigquery.datasets.get', method: 'GET', path: `${V2}/projects/{projectId}/datasets/{datasetId}`, pathParams: { projectId: seg, datasetId: seg },
    query: { accessPolicyVersion: { type: { type: 'integer' } }, datasetView: { type: { type: 'string', enum: ['DATASET_VIEW_UNSPECIFIED', 'METADATA', 'ACL', 'FULL'] } } },
    auth: { scheme: 'Bearer' },
    responses: { '200': 'Dataset { datasetReference, location, … }', '404': 'notFound' },
    source: 'resources.datasets.methods.get; schema Dataset (location: "The geographic location where the dataset should reside")',
  },
  {
    id: 'bigquery.tables.get', method: 'GET', path: `${V2}/projects/{projectId}/datasets/{datasetId}/tables/{tableId}`,
    pathParams: { projectId: seg, datasetId: seg, tableId: seg },
    query: { selectedFields: { type: str }, view: { type: { type: 'string', enum: ['TABLE_METADATA_VIEW_UNSPECIFIED', 'BASIC', 'STORAGE_STATS', 'FULL'] } } },
    auth: { scheme: 'Bearer' },
    responses: { '200': 'Table { tableReference, schema, numRows?, numBytes?, creationTime, lastModifiedTime (ms as string), type, location }', '404': 'notFound' },
    variations: [
      'numRows absent (e.g. views, external tables)', 'lastModifiedTime as a string of milliseconds',
      'type TABLE (or absent), VIEW, EXTERNAL, MATERIALIZED_VIEW, SNAPSHOT: for a view or an external table lastModifiedTime is the definition\'s; a materialized view has materializedView.lastRefreshTime (output only, ms); a SNAPSHOT ("preserves the contents of a base table at a particular time") has snapshotDefinition.snapshotTime (RFC 3339, "the time at which the base table was snapshot"), which may be days before the snapshot was made (its lastModifiedTime)',
    ],
    source: 'resources.tables.methods.get; schema Table',
  },
];

export const bigQueryFacts: VendorFacts = {
  vendor: 'BigQuery v2',
  sources: [
    { what: 'googleapis/google-api-go-client bigquery/v2/bigquery-api.json @0084468843d65b1620da73d8263bf7d2ffb18bbd', version: 'discovery document (methods)', read: '2026-11-30' },
    { what: '@google-cloud/bigquery 8.3.1 build/src/types.d.ts (generated from the discovery document)', version: 'discovery revision 20260328', read: '2026-11-30' },
    { what: 'BigQuery docs, Error messages (https://cloud.google.com/bigquery/docs/error-messages) and Troubleshoot quota and limit errors (https://cloud.google.com/bigquery/docs/troubleshoot-quotas)', version: 'pages as read', read: '2026-12-03' },
    { what: 'BigQuery docs, Quotas and limits, API requests (https://cloud.google.com/bigquery/quotas); Google Cloud docs, Troubleshoot quota errors (https://cloud.google.com/docs/quotas/troubleshoot)', version: 'pages as read', read: '2026-12-05' },
  ],
  commonQuery: {
    '$.xgafv': { type: { type: 'string', enum: ['1', '2'] } },
    access_token: { type: str }, alt: { type: { type: 'string', enum: ['json', 'media', 'proto'] } }, callback: { type: str }, fields: { type: str },
    key: { type: str }, oauth_token: { type: str }, prettyPrint: { type: bool }, quotaUser: { type: str }, upload_protocol: { type: str }, uploadType: { type: str },
  },
  errorShape: '{ "error": { "code", "message", "errors": [{ "reason", "message", "domain"? , "location"? }], "status" } }',
  // 5xx need no listing (backendError: 500, 503 or 504 on the Error messages page).
  anyOperation: {
    '403': 'accessDenied (no access to the dataset, table, view or job), or a quota: rateLimitExceeded / quotaExceeded (Error messages; Troubleshoot quota and limit errors)',
    '429': 'a quota exceeded with an HTTP/REST request: TOO MANY REQUESTS (Google Cloud, Troubleshoot quota errors)',
  },
  operations: ops,
};
