/**
 * Builds the bot: the Bolt app on the HTTP receiver (or Socket Mode) with
 * every listener registered, `/healthz` and `/tasks/run` beside
 * `/slack/events`, and the job runner that carries out what the listeners
 * decide, with the Slack adapter (rendering and sending) and the use cases'
 * job kinds registered on it.
 */
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { ErrorCode } from '@slack/web-api';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { ConfigError, toCodedError } from './errors.js';
import type { Adapters, Services } from './services/index.js';
import { registerAll } from '../commands/index.js';
import type { JobRunner } from './jobs/runner.js';
import { slackClientOptions } from './slack/clients.js';
import { createRuntime, type RuntimeOptions } from './runtime.js';
import { tasksRoutes } from './tasks.js';
import { trackForeground } from './foreground.js';
import { guardSlackRequests } from './slack/request-guard.js';
import { routedListeners, type Listeners } from './slack/listeners.js';
import { TOKEN_REFUSED_SLACK_ERRORS, slackErrorCode } from './slack/errors.js';

type BoltApp = App;

/** How long a stop waits for running work: Cloud Run sends SIGKILL 10 s after SIGTERM, and the stores close after it. */
export const STOP_GRACE_MS = 8_000;

export interface Bot {
  app: BoltApp;
  services: Services;
  /** Carries out the jobs the listeners and the schedule record. */
  jobs: JobRunner;
  /** The slash commands registered, e.g. `/telemetry`. */
  commands: string[];
  /** Where to register a listener by name, as the commands do (tests add theirs here). */
  listeners: Listeners;
  /** Starts listening; returns the base URL (HTTP mode). */
  start(port: number, host?: string): Promise<{ url: string }>;
  /** Stops taking work and waits up to `graceMs` (default {@link STOP_GRACE_MS}) for what is running. */
  stop(graceMs?: number): Promise<void>;
}

export interface BotOptions extends RuntimeOptions {
  /** Where Google's OIDC certificates are (tests serve their own). */
  oidcCertsUrl?: string;
  /**
   * How long the start-up work after listening (releasing a previous
   * process's claims, scheduling recurring jobs, starting the runner, the
   * warm-ups) waits for a first request to be answered (HTTP mode). On Cloud
   * Run the request that started the instance is already waiting: its ack
   * goes out before that work loads the store and the warehouse. Default 0.
   */
  firstAckWaitMs?: number;
  /** How long a `/telemetry` lookup runs before a "Looking up" note is shown (tests set it). */
  telemetryNoteAfterMs?: number;
  /** How long start-up waits on the store before it says so in the log; default {@link STORE_SLOW_AT_START_MS}. */
  storeSlowAtStartMs?: number;
}

/**
 * Start-up's first store calls (scheduling recurring work) wait on a store that does not answer (Firestore
 * unreachable, or its project or credentials wrong: the client keeps trying) while the bot already serves:
 * after this long the log says what it waits on, rather than nothing.
 */
const STORE_SLOW_AT_START_MS = 15_000;

/** Bolt's logger interface over our JSON logger. */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...m) => logger.debug(text(m), { source: 'bolt' }),
    info: (...m) => logger.info(text(m), { source: 'bolt' }),
    warn: (...m) => logger.warn(text(m), { source: 'bolt' }),
    error: (...m) => logger.error(text(m), { source: 'bolt' }),
    setLevel: (l) => { level = l; },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * Resolves once the server has answered its first request, or after `waitMs`
 * with no request under way (a request under way is waited for).
 */
function firstAnswer(server: Server, waitMs: number): Promise<void> {
  return new Promise((resolve) => {
    let underWay = 0;
    const done = () => {
      clearTimeout(timer);
      server.off('request', onRequest);
      resolve();
    };
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      underWay++;
      res.once('finish', done).once('close', done);
    };
    const timer = setTimeout(() => {
      if (underWay === 0) done();
    }, waitMs);
    server.on('request', onRequest);
  });
}

/** Slack's answers to auth.test that mean the bot token itself is wrong: pasted from another app, revoked, or expired. */
const REFUSED_TOKEN: ReadonlySet<string> = new Set([...TOKEN_REFUSED_SLACK_ERRORS, 'not_allowed_token_type']);

/** What start-up says when Bolt's first call to Slack (auth.test, with the bot token) fails. */
export function initError(err: unknown, config: Pick<Config, 'slack'>): unknown {
  const code = slackErrorCode(err);
  if (code && REFUSED_TOKEN.has(code)) {
    return new ConfigError('SLACK_BOT_TOKEN', `Slack refused the token (${code}): copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page, reinstalling the app if it was revoked`);
  }
  if ((err as { code?: unknown } | null)?.code === ErrorCode.RequestError && config.slack.apiUrl) {
    const cause = (err as { original?: { code?: unknown } }).original?.code;
    const why = typeof cause === 'string' && /^[A-Z_]{1,40}$/.test(cause) ? cause : 'no answer';
    return new ConfigError('SLACK_API_URL', `Slack's Web API did not answer auth.test there (${why}): check SLACK_API_URL, or leave it unset for Slack's own`);
  }
  return err;
}

/** `listeners`, with each listener's run (its ack and what follows it) kept in `running` until it settles. */
function trackedListeners(listeners: Listeners, running: Set<Promise<unknown>>): Listeners {
  const track = <A>(listener: (args: A) => Promise<void>) => (args: A): Promise<void> => {
    const run = listener(args);
    running.add(run);
    void run.then(() => running.delete(run), () => running.delete(run));
    return run;
  };
  return {
    command: (name, listener) => listeners.command(name, track(listener)),
    action: (actionId, listener) => listeners.action(actionId, track(listener)),
    view: (callbackId, listener) => listeners.view(callbackId, track(listener)),
    event: (type, listener) => listeners.event(type, track(listener)),
  };
}

function healthz(services: Services) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, warehouse: services.adapters.warehouse.kind, store: services.adapters.store.kind }));
  };
}

export async function createBot(config: Config, logger: Logger, adapters: Adapters, options: BotOptions = {}): Promise<Bot> {
  const { botToken, signingSecret, appToken } = config.slack;
  if (!botToken) throw new ConfigError('SLACK_BOT_TOKEN', 'is required to start the Slack app');
  if (!signingSecret && config.slack.mode !== 'socket') throw new ConfigError('SLACK_SIGNING_SECRET', 'is required to start the Slack app over HTTP');

  const { services, jobs, directory } = await createRuntime(config, logger, adapters, options);

  const customRoutes = [
    { path: '/healthz', method: ['GET'], handler: healthz(services) },
    ...tasksRoutes({
      config: config.tasks,
      runner: jobs,
      checkFreshness: () => services.freshness.check(),
      logger,
      ...(options.oidcCertsUrl ? { oidcCertsUrl: options.oidcCertsUrl } : {}),
    }),
  ];
  const common = {
    token: botToken,
    logger: boltLogger(logger.child({ component: 'bolt' })),
    deferInitialization: true,
    // Bolt's conversation store is an in-memory map per instance, wrong with more than one (Cloud Run), and
    // unused here: no listener reads `context.conversation`. On every request with a channel it looked one up
    // and, finding none, built an Error (and its stack) to say so, on the event loop that acks.
    convoStore: false as const,
    clientOptions: slackClientOptions(config, logger, 'interactive'),
  };
  const socket = config.slack.mode === 'socket';
  const receiver = socket
    ? undefined
    : new HTTPReceiver({
        signingSecret: signingSecret!,
        endpoints: '/slack/events',
        customRoutes,
        processBeforeResponse: false,
        logger: common.logger,
      });
  // Timestamps from the future, and payloads that are not objects, never reach Bolt.
  if (receiver && signingSecret) guardSlackRequests(receiver, { signingSecret, logger });
  const app = socket
    ? new App({ ...common, appToken, socketMode: true, customRoutes, port: config.port })
    : new App({ ...common, receiver });

  app.error(async (err) => {
    const coded = toCodedError(err);
    logger.error('unhandled listener error', { code: coded.code, err: coded });
  });
  // What a listener does after its ack (a lookup and its answer through response_url) is work under way too: a stop
  // gives it the grace, as it gives the jobs, rather than exiting with the person's answer half made.
  const afterAck = new Set<Promise<unknown>>();
  const listeners = trackedListeners(routedListeners(app), afterAck);
  const commands = registerAll(listeners, services, { directory, jobs, telemetryNoteAfterMs: options.telemetryNoteAfterMs });
  // Bolt asks Slack who the token is (auth.test): a token Slack refuses, or a Web API that does not answer, is said
  // naming the setting to fix, not as Bolt's "An API error occurred: invalid_auth".
  await app.init().catch((err: unknown) => {
    throw initError(err, config);
  });

  let server: Server | undefined;
  return {
    app,
    services,
    jobs,
    commands,
    listeners,
    async start(port, host = '0.0.0.0') {
      const started = await app.start(socket ? port : { port, host });
      server = socket ? undefined : (started as Server);
      if (server) trackForeground(server);
      const address = server?.address() as AddressInfo | undefined;
      const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
      if (server && options.firstAckWaitMs) await firstAnswer(server, options.firstAckWaitMs);
      const slow = setTimeout(() => {
        logger.warn('start-up is waiting on the store, which has not answered yet: the bot serves, but what it stores or runs waits for it', {
          store: adapters.store.kind, waitedMs: options.storeSlowAtStartMs ?? STORE_SLOW_AT_START_MS,
        });
      }, options.storeSlowAtStartMs ?? STORE_SLOW_AT_START_MS).unref();
      try {
        // A single-process store: claims left by the previous process are nobody's now.
        if (adapters.store.kind === 'embedded') await jobs.releaseAbandonedClaims();
        // Recurring work, enqueued once across replicas (fixed keys); due work waits for its trigger.
        await jobs.enqueue(...services.recurringJobs());
      } finally {
        clearTimeout(slow);
      }
      // Jobs an older version set aside (it had no handler for them) run now rather than after the set-aside.
      await jobs.resumeSetAside().catch((err: unknown) => logger.warn('could not look for jobs set aside by an older version', { err }));
      if (config.jobs.trigger === 'timer') jobs.start(config.jobs.pollMs);
      services.freshness.start();
      void services.telemetry.warmUp().catch((err) => logger.warn('customer list warm-up failed', { err }));
      void services.queries.warmUp().catch((err) => logger.warn('saved-query warm-up failed', { err }));
      return { url: `http://${shownHost}:${address?.port ?? port}` };
    },
    async stop(graceMs = STOP_GRACE_MS) {
      const deadline = Date.now() + graceMs;
      // No new jobs first: a /tasks/run in progress stops claiming and answers with what it did,
      // and the jobs running now get the grace to finish (what is cut off is due again after its lease).
      const jobsStopped = jobs.stop(graceMs);
      services.freshness.stop();
      // Then no new requests; those open get what is left of the grace.
      await Promise.race([app.stop(), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
      await Promise.race([Promise.allSettled([...afterAck]), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
      await jobsStopped;
      await services.close();
    },
  };
}
