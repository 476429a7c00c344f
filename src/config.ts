/**
 * Configuration is read once, at start-up, from the environment into one typed
 * object. A missing or invalid value throws a ConfigError naming the variable
 * and what it expects; main.ts prints it and exits.
 */
import path from 'node:path';
import { ConfigError } from './errors.js';
import { withoutSecretShapes } from './secret-shapes.js';

export type SlackMode = 'http' | 'socket' | 'local';

export interface BigQueryConfig {
  project: string;
  dataset: string;
  location: string | undefined;
  /** Logical table → table name inside `dataset` (or fully qualified `project.dataset.table`). */
  tables: { customers: string; instances: string; pings: string; events: string };
  /** Default cap on bytes billed per query. */
  maximumBytesBilled: number;
  /** Override the API endpoint (tests point it at a loopback server). */
  apiEndpoint: string | undefined;
}

// ── Looker access ──
/** The Looker API and the group/role IDs access is granted with. */
export interface LookerConfig {
  /** e.g. `https://company.looker.com` (the API is under `/api/4.0/`); no trailing slash. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  viewGroupId: string;
  viewRoleId: string;
  /** Roles added on top of View for each elevated level. */
  elevatedRoleIds: { create_content: string[]; develop: string[] };
}

export interface Config {
  slack: {
    mode: SlackMode;
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    /** Base URL of the Web API, ending in `/`. Undefined: Slack's own. */
    apiUrl: string | undefined;
  };
  port: number;
  analyticsChannel: string | undefined;
  bizopsUsergroup: string | undefined;
  lookerAdminsUsergroup: string | undefined;
  /** Looker API access; undefined: approvals are recorded and admins grant by hand. */
  looker: LookerConfig | undefined;
  /** How often the Looker access sweep (reminders, expiry) runs. */
  lookerSweepIntervalMs: number;
  warehouse: { kind: 'embedded' } | { kind: 'bigquery'; bigquery: BigQueryConfig };
  store: { kind: 'embedded' } | { kind: 'firestore'; projectId: string; emulatorHost: string | undefined; collectionPrefix: string };
  dataDir: string;
  /** A ping in the last N days counts toward an instance's telemetry level. */
  telemetryWindowDays: number;
  /** Warehouse queries give up after this long. */
  queryTimeoutMs: number;
  /** Saved queries, `/query`. */
  queries: QueriesConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Freshness checks and pipeline reruns. */
  freshness: FreshnessConfig;
  /** The job runner and what triggers it. */
  jobs: JobsConfig;
  /** Scheduled deliveries and alerts of saved queries. */
  subscriptions: { perOwner: number; total: number; graceMs: number; maxFailures: number };
  /** Who may call `POST /tasks/run`. */
  tasks: TasksConfig;
}

/** The job runner: everything that happens after a decision, and recurring work. */
export interface JobsConfig {
  /**
   * `timer`: the process polls for due jobs (it keeps its CPU between requests);
   * `http`: only `POST /tasks/run` (Cloud Scheduler) and the requests that
   * enqueue work run jobs (Cloud Run, where an idle instance gets no CPU).
   */
  trigger: 'timer' | 'http';
  /** How often the timer looks for due jobs. */
  pollMs: number;
  /** How long a claimed job is held without renewal (a running job renews it): a dead replica's jobs are taken over after this long. */
  leaseMs: number;
  /** Jobs run at once by one process. */
  concurrency: number;
}

export interface TasksConfig {
  /** Shared secret (`Authorization: Bearer …`); unset: not accepted. */
  secret: string | undefined;
  /** Cloud Scheduler's OIDC token: the audience it is minted for and the service account it names. */
  oidc: { audience: string; serviceAccount: string } | undefined;
  /** How long one call runs due jobs before it answers. */
  budgetMs: number;
}

/** Freshness checks, alerts and reruns. */
export interface FreshnessConfig {
  /** Path of the sources file (`SOURCES_FILE`). */
  sourcesFile: string;
  /** How often the bot checks freshness; 0: only when `POST /tasks/check-freshness` asks. */
  checkIntervalMs: number;
  /** A reminder goes in a stale alert's thread after this long (and again after each interval). */
  reminderIntervalMs: number;
  /** `embedded`: simulated reruns on the demo warehouse; `live`: Fivetran and BigQuery Data Transfer. */
  runner: 'embedded' | 'live';
  /** A rerun followed longer than this is reported as timed out. */
  rerunTimeoutMs: number;
  /** How often a running rerun is polled. */
  rerunPollMs: number;
  /** How long a simulated (embedded) rerun takes. */
  simulatedRunMs: number;
  fivetran: { apiKey: string | undefined; apiSecret: string | undefined; apiUrl: string };
  dataTransfer: { apiUrl: string };
}

/** Saved queries. */
export interface QueriesConfig {
  /** Directory of the reviewed `*.sql` catalog (`QUERIES_DIR`). */
  dir: string;
  /** Cost cap per query run: a dry run above it is refused; also sent as maximumBytesBilled (`QUERY_MAX_BYTES`). */
  maxBytes: number;
}

type Env = Record<string, string | undefined>;

/**
 * The variables that hold credentials (those of {@link secretsOf}, read before the configuration is): a value one
 * of them holds is never quoted back in another's refusal.
 */
const SECRET_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'LOOKER_CLIENT_SECRET', 'TASKS_SECRET', 'FIVETRAN_API_KEY', 'FIVETRAN_API_SECRET'];

/** The longest value a refusal quotes: the values checked (IDs, numbers, names) are shorter; a credential is longer. */
const QUOTED_AT_MOST = 15;

/**
 * A refused value as a refusal may show it (it goes to the console, Cloud Logging on Cloud Run): quoted when it
 * is short and cannot be a credential, else only its length. A secret set in the wrong variable (a Secret
 * Manager mapping that names the wrong one) is then not printed.
 */
function shown(env: Env, raw: string): string {
  const mayBeSecret = raw.length > QUOTED_AT_MOST || withoutSecretShapes(raw) !== raw || SECRET_VARIABLES.some((name) => env[name] && env[name]!.trim() === raw);
  return mayBeSecret ? `a value of ${raw.length} characters (not shown: it may be a credential)` : `"${raw}"`;
}

function optional(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function required(env: Env, name: string, what: string): string {
  const v = optional(env, name);
  if (!v) throw new ConfigError(name, `is required: ${what}`);
  return v;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expects a whole number from ${min} to ${max}, got ${shown(env, raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `expects a whole number from ${min} to ${max}, got ${shown(env, raw)}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, options: readonly T[], fallback: T): T {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!(options as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expects one of ${options.join(', ')}, got ${shown(env, raw)}`);
  }
  return raw as T;
}

function slackId(env: Env, name: string, prefixes: string): string | undefined {
  const v = optional(env, name);
  if (v !== undefined && !new RegExp(`^[${prefixes}][A-Z0-9]{2,}$`).test(v)) {
    throw new ConfigError(name, `expects a Slack ID starting with ${prefixes.split('').join(' or ')} (e.g. ${prefixes[0]}0123ABCD), got ${shown(env, v)}`);
  }
  return v;
}

function url(env: Env, name: string): string | undefined {
  const v = optional(env, name);
  if (v === undefined) return undefined;
  // Never echoes the value: a user or password may be written into it, or a credential set in the wrong variable.
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `expects an http(s) URL such as https://example.com, got ${v.length} characters that are not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, `expects an http(s) URL, got one starting ${shown(env, u.protocol)}`);
  if (u.username || u.password) throw new ConfigError(name, 'must not carry a user or password: credentials have variables of their own');
  return v.endsWith('/') ? v : v + '/';
}

function lookerId(env: Env, name: string): string {
  const v = required(env, name, 'a Looker ID (Admin → Users/Groups/Roles), required when LOOKER_BASE_URL is set');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw new ConfigError(name, `expects a Looker ID such as 12, got ${shown(env, v)}`);
  return v;
}

function lookerIdList(env: Env, name: string): string[] {
  const raw = required(env, name, 'comma-separated Looker role IDs, required when LOOKER_BASE_URL is set');
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0 || ids.some((id) => !/^[A-Za-z0-9_-]{1,64}$/.test(id))) {
    throw new ConfigError(name, `expects comma-separated Looker role IDs such as 7,8, got ${shown(env, raw)}`);
  }
  return ids;
}

function lookerConfig(env: Env): LookerConfig | undefined {
  const baseUrl = url(env, 'LOOKER_BASE_URL');
  const clientId = optional(env, 'LOOKER_CLIENT_ID');
  const clientSecret = optional(env, 'LOOKER_CLIENT_SECRET');
  if (!baseUrl) {
    if (clientId || clientSecret) throw new ConfigError('LOOKER_BASE_URL', 'is required when LOOKER_CLIENT_ID or LOOKER_CLIENT_SECRET is set (e.g. https://company.looker.com)');
    return undefined;
  }
  // The API's own path given (as Looker's API Explorer shows it): every call would go to /api/4.0/api/4.0/… and be
  // refused as a wrong key at the first grant.
  if (/\/api\/\d+(\.\d+)?\/*$/.test(new URL(baseUrl).pathname)) {
    throw new ConfigError('LOOKER_BASE_URL', "is the instance's address, without the API's path (the bot adds /api/4.0): e.g. https://company.looker.com");
  }
  if (!clientId) throw new ConfigError('LOOKER_CLIENT_ID', 'is required when LOOKER_BASE_URL is set (the client_id of a Looker API key)');
  if (!clientSecret) throw new ConfigError('LOOKER_CLIENT_SECRET', 'is required when LOOKER_BASE_URL is set (the client_secret of a Looker API key)');
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    clientId,
    clientSecret,
    viewGroupId: lookerId(env, 'LOOKER_VIEW_GROUP_ID'),
    viewRoleId: lookerId(env, 'LOOKER_VIEW_ROLE_ID'),
    elevatedRoleIds: {
      create_content: lookerIdList(env, 'LOOKER_CREATE_CONTENT_ROLE_IDS'),
      develop: lookerIdList(env, 'LOOKER_DEVELOP_ROLE_IDS'),
    },
  };
}

export function loadConfig(env: Env = process.env): Config {
  const botToken = optional(env, 'SLACK_BOT_TOKEN');
  const signingSecret = optional(env, 'SLACK_SIGNING_SECRET');
  const appToken = optional(env, 'SLACK_APP_TOKEN');
  // Socket Mode receives over the app token's WebSocket: no request to sign.
  if (botToken && !signingSecret && !appToken) throw new ConfigError('SLACK_SIGNING_SECRET', 'is required when SLACK_BOT_TOKEN is set (from your app\'s Basic Information page)');
  if (signingSecret && !botToken) throw new ConfigError('SLACK_BOT_TOKEN', 'is required when SLACK_SIGNING_SECRET is set (xoxb-…, from OAuth & Permissions)');
  if (appToken && !botToken) throw new ConfigError('SLACK_BOT_TOKEN', 'is required when SLACK_APP_TOKEN is set');
  if (botToken && !botToken.startsWith('xoxb-')) throw new ConfigError('SLACK_BOT_TOKEN', 'expects a bot token starting with xoxb-');
  if (appToken && !appToken.startsWith('xapp-')) throw new ConfigError('SLACK_APP_TOKEN', 'expects an app-level token starting with xapp-');
  const mode: SlackMode = appToken ? 'socket' : botToken ? 'http' : 'local';
  // Cloud Run sets K_SERVICE. There, local mode (a stand-in on 127.0.0.1) would only fail to be reached,
  // and the embedded store would live in the instance's memory, lost when it stops.
  const onCloudRun = optional(env, 'K_SERVICE') !== undefined;
  if (onCloudRun && mode === 'local') throw new ConfigError('SLACK_BOT_TOKEN', 'is required on Cloud Run (K_SERVICE is set), with SLACK_SIGNING_SECRET: local mode is for a laptop');

  const warehouseKind = oneOf(env, 'WAREHOUSE', ['embedded', 'bigquery'] as const, 'embedded');
  const storeKind = oneOf(env, 'STORE', ['embedded', 'firestore'] as const, 'embedded');
  if (onCloudRun && storeKind === 'embedded') throw new ConfigError('STORE', 'must be firestore on Cloud Run (K_SERVICE is set): an embedded store lives in the instance and is lost when it stops, and each instance would have its own');

  let warehouse: Config['warehouse'] = { kind: 'embedded' };
  if (warehouseKind === 'bigquery') {
    const project = required(env, 'BIGQUERY_PROJECT', 'the Google Cloud project that holds the warehouse');
    warehouse = {
      kind: 'bigquery',
      bigquery: {
        project,
        dataset: optional(env, 'BIGQUERY_DATASET') ?? 'analytics',
        location: optional(env, 'BIGQUERY_LOCATION'),
        tables: {
          customers: optional(env, 'BIGQUERY_TABLE_CUSTOMERS') ?? 'customers',
          instances: optional(env, 'BIGQUERY_TABLE_INSTANCES') ?? 'instances',
          pings: optional(env, 'BIGQUERY_TABLE_PINGS') ?? 'pings',
          events: optional(env, 'BIGQUERY_TABLE_EVENTS') ?? 'events',
        },
        // BigQuery bills at least 10 MB a query: a cap below it refuses every one.
        maximumBytesBilled: integer(env, 'BIGQUERY_MAX_BYTES_BILLED', 10 * 1024 ** 3, 10 * 1024 ** 2, 10 * 1024 ** 4),
        apiEndpoint: url(env, 'BIGQUERY_API_ENDPOINT')?.replace(/\/$/, ''),
      },
    };
  }

  let store: Config['store'] = { kind: 'embedded' };
  if (storeKind === 'firestore') {
    store = {
      kind: 'firestore',
      projectId: required(env, 'GOOGLE_CLOUD_PROJECT', 'the project of the Firestore database'),
      emulatorHost: optional(env, 'FIRESTORE_EMULATOR_HOST'),
      collectionPrefix: prefix(env, 'FIRESTORE_COLLECTION_PREFIX'),
    };
  }

  const tasks = tasksConfig(env);
  const freshness = freshnessConfig(env);
  // A simulated rerun refreshes the demo warehouse's tables: on BigQuery there are none to refresh.
  if (freshness.runner === 'embedded' && warehouseKind === 'bigquery') {
    throw new ConfigError('PIPELINES', 'embedded (simulated) reruns need WAREHOUSE=embedded: with BigQuery use PIPELINES=live (or leave it unset), and give sources you cannot rerun `rerun: none`');
  }
  return {
    slack: { mode, botToken, signingSecret, appToken, apiUrl: url(env, 'SLACK_API_URL') },
    port: port(env),
    analyticsChannel: slackId(env, 'ANALYTICS_CHANNEL', 'CG'),
    bizopsUsergroup: slackId(env, 'BIZOPS_USERGROUP', 'S'),
    lookerAdminsUsergroup: slackId(env, 'LOOKER_ADMINS_USERGROUP', 'S'),
    looker: lookerConfig(env),
    lookerSweepIntervalMs: integer(env, 'LOOKER_SWEEP_INTERVAL_MS', 15 * 60_000, 1_000, 24 * 3_600_000),
    warehouse,
    store,
    dataDir: path.resolve(optional(env, 'DATA_DIR') ?? './.data'),
    telemetryWindowDays: integer(env, 'TELEMETRY_WINDOW_DAYS', 30, 1, 365),
    queryTimeoutMs: integer(env, 'QUERY_TIMEOUT_MS', 20_000, 100, 600_000),
    queries: {
      dir: path.resolve(optional(env, 'QUERIES_DIR') ?? './queries'),
      // Sent to BigQuery as maximumBytesBilled too, where a cap under its 10 MB minimum refuses every query.
      maxBytes: integer(env, 'QUERY_MAX_BYTES', 10 * 1024 ** 3, warehouseKind === 'bigquery' ? 10 * 1024 ** 2 : 1024 ** 2, 10 * 1024 ** 4),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    freshness,
    jobs: jobsConfig(env, storeKind, tasks),
    subscriptions: {
      perOwner: integer(env, 'SUBSCRIPTIONS_PER_OWNER', 25, 0, 10_000),
      total: integer(env, 'SUBSCRIPTIONS_MAX', 1000, 0, 100_000),
      graceMs: integer(env, 'SUBSCRIPTION_GRACE_MINUTES', 60, 0, 7 * 24 * 60) * 60_000,
      maxFailures: integer(env, 'SUBSCRIPTION_MAX_FAILURES', 3, 1, 100),
    },
    tasks,
  };
}

/**
 * PORT: 0 would have the system pick a port at random and tell nobody which (Slack, the
 * container's HEALTHCHECK and `npm run slack` all need to know it), so it is refused. Code that
 * wants any free port (tests) sets `port: 0` on the loaded config.
 */
function port(env: Env): number {
  const raw = optional(env, 'PORT');
  if (raw !== undefined && /^0+$/.test(raw)) {
    throw new ConfigError('PORT', 'expects a port from 1 to 65535, got 0 (a random port nobody is told): choose one, e.g. PORT=3000');
  }
  return integer(env, 'PORT', 3000, 1, 65535);
}

function prefix(env: Env, name: string): string {
  const v = optional(env, name) ?? '';
  if (!/^[A-Za-z0-9_-]{0,40}$/.test(v)) throw new ConfigError(name, `expects letters, digits, _ or - (at most 40), got ${shown(env, v)}`);
  return v;
}

function jobsConfig(env: Env, storeKind: 'embedded' | 'firestore', tasks: TasksConfig): JobsConfig {
  // Cloud Run sets K_SERVICE: there an idle instance gets no CPU, so nothing may wait on a timer.
  const trigger = oneOf(env, 'JOBS_TRIGGER', ['timer', 'http'] as const, optional(env, 'K_SERVICE') ? 'http' : 'timer');
  // With nothing to let the scheduler in, /tasks/run answers 404 and due work waits for a click.
  if (trigger === 'http' && !tasks.secret && !tasks.oidc) {
    throw new ConfigError('TASKS_OIDC_AUDIENCE', 'with TASKS_OIDC_SERVICE_ACCOUNT (Cloud Scheduler\'s OIDC token), or TASKS_SECRET, is required when jobs are triggered over HTTP (JOBS_TRIGGER=http, the default on Cloud Run)');
  }
  return {
    trigger,
    // A poll of Firestore is a billed query: less often there; work that is enqueued runs at once anyway.
    pollMs: integer(env, 'JOBS_POLL_MS', storeKind === 'firestore' ? 10_000 : 1_000, 100, 3_600_000),
    leaseMs: leaseSeconds(env) * 1000,
    concurrency: integer(env, 'JOBS_CONCURRENCY', 4, 1, 64),
  };
}

/** The shortest JOBS_LEASE_SECONDS allowed. */
export const MIN_JOBS_LEASE_SECONDS = 10;

function leaseSeconds(env: Env): number {
  const seconds = integer(env, 'JOBS_LEASE_SECONDS', 30, 0, 3600);
  // A claim is renewed every third of its lease: with a short one, a single slow store call lets it lapse, and
  // another replica runs the job too. (Tests that want a short lease give it to the runner itself.)
  if (seconds < MIN_JOBS_LEASE_SECONDS) {
    throw new ConfigError('JOBS_LEASE_SECONDS', `expects at least ${MIN_JOBS_LEASE_SECONDS} seconds, got ${seconds}: a shorter lease lapses when one store call is slow, and another replica may run the job twice`);
  }
  return seconds;
}

function tasksConfig(env: Env): TasksConfig {
  const secret = optional(env, 'TASKS_SECRET');
  if (secret !== undefined && secret.length < 16) throw new ConfigError('TASKS_SECRET', 'expects at least 16 characters (e.g. `openssl rand -hex 24`)');
  const audience = optional(env, 'TASKS_OIDC_AUDIENCE');
  const serviceAccount = optional(env, 'TASKS_OIDC_SERVICE_ACCOUNT');
  if (audience && !serviceAccount) throw new ConfigError('TASKS_OIDC_SERVICE_ACCOUNT', 'is required with TASKS_OIDC_AUDIENCE: the email of the service account Cloud Scheduler signs its token as');
  if (serviceAccount && !audience) throw new ConfigError('TASKS_OIDC_AUDIENCE', 'is required with TASKS_OIDC_SERVICE_ACCOUNT: the audience of the scheduler job\'s OIDC token (the service URL)');
  if (serviceAccount && !/^[^@\s]+@[^@\s]+$/.test(serviceAccount)) throw new ConfigError('TASKS_OIDC_SERVICE_ACCOUNT', `expects a service account email, got ${shown(env, serviceAccount)}`);
  return {
    secret,
    oidc: audience && serviceAccount ? { audience, serviceAccount } : undefined,
    // The call answers after its budget and the jobs still running then: within Cloud Scheduler's attempt
    // deadline (at most 30 minutes for an HTTP target) and Cloud Run's request timeout (at most 60), or the
    // scheduler gives up and calls again while this call still holds its jobs. 25 minutes leaves 5 for those jobs.
    budgetMs: integer(env, 'TASKS_BUDGET_SECONDS', 45, 1, 1500) * 1000,
  };
}

function freshnessConfig(env: Env): FreshnessConfig {
  // Simulated reruns only make sense on the demo warehouse; on BigQuery the real pipelines are the default.
  const runner = oneOf(env, 'PIPELINES', ['embedded', 'live'] as const, optional(env, 'WAREHOUSE') === 'bigquery' ? 'live' : 'embedded');
  const apiKey = optional(env, 'FIVETRAN_API_KEY');
  const apiSecret = optional(env, 'FIVETRAN_API_SECRET');
  if (apiKey && !apiSecret) throw new ConfigError('FIVETRAN_API_SECRET', 'is required when FIVETRAN_API_KEY is set (Fivetran → Settings → API key)');
  if (apiSecret && !apiKey) throw new ConfigError('FIVETRAN_API_KEY', 'is required when FIVETRAN_API_SECRET is set');
  return {
    sourcesFile: path.resolve(optional(env, 'SOURCES_FILE') ?? './sources.yml'),
    checkIntervalMs: integer(env, 'FRESHNESS_CHECK_INTERVAL_MS', 5 * 60_000, 0, 24 * 3_600_000),
    reminderIntervalMs: integer(env, 'FRESHNESS_REMINDER_MINUTES', 240, 1, 7 * 24 * 60) * 60_000,
    runner,
    rerunTimeoutMs: integer(env, 'RERUN_TIMEOUT_SECONDS', 3600, 1, 24 * 3600) * 1000,
    rerunPollMs: integer(env, 'RERUN_POLL_MS', 15_000, 10, 600_000),
    simulatedRunMs: integer(env, 'PIPELINES_SIMULATED_RUN_MS', 3000, 0, 600_000),
    fivetran: { apiKey, apiSecret, apiUrl: url(env, 'FIVETRAN_API_URL') ?? 'https://api.fivetran.com/' },
    dataTransfer: { apiUrl: url(env, 'DATA_TRANSFER_API_URL') ?? 'https://bigquerydatatransfer.googleapis.com/' },
  };
}

/** Every value that must never be printed. */
export function secretsOf(config: Config): string[] {
  return [
    config.slack.botToken, config.slack.signingSecret, config.slack.appToken, config.looker?.clientSecret,
    config.tasks.secret, config.freshness.fivetran.apiKey, config.freshness.fivetran.apiSecret,
  ].filter((s): s is string => !!s);
}
