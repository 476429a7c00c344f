/**
 * `POST /tasks/run`: runs the jobs that are due, within a time budget, and
 * answers with what it did. On Cloud Run, Cloud Scheduler calls it every
 * minute; that call is what makes recurring work (freshness checks, Looker
 * expiry, reminders, rerun polling) happen while no one uses the bot.
 *
 * Authenticated by Cloud Scheduler's OIDC token (the audience the job mints
 * it for, and the service account it names, verified with
 * google-auth-library against Google's certificates), or by a shared secret
 * (`Authorization: Bearer <TASKS_SECRET>`, compared in constant time).
 * Neither configured: 404. Anything else: 401, and nothing runs.
 *
 * `POST /tasks/check-freshness` (the route of earlier versions) checks
 * freshness now, runs due jobs, and lists each source's state.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OAuth2Client } from 'google-auth-library';
import { pacedWarning, type Logger } from './logger.js';
import type { TasksConfig } from './config.js';
import { toCodedError } from './errors.js';
import type { JobRunner, RunSummary } from './jobs/runner.js';
import type { SourceFreshness } from './services/freshness.js';

/** Constant-time comparison of a presented secret with the configured one. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

export interface TasksRouteOptions {
  config: TasksConfig;
  runner: JobRunner;
  /** Measures every source and applies the alerts. */
  checkFreshness: () => Promise<SourceFreshness[]>;
  logger: Logger;
  /** Where Google's token-signing certificates are (tests serve their own). */
  oidcCertsUrl?: string;
}

type Verdict = { ok: true; by: 'secret' | 'oidc' } | { ok: false; status: 401 | 404; error: string };

/** The paths Cloud Scheduler calls. */
const TASK_PATHS = ['/tasks/run', '/tasks/check-freshness'];

/**
 * The audiences a token may be minted for: the configured one (the service
 * URL), with or without a trailing slash, and the target URL of a scheduler
 * job made without `--oidc-token-audience` (Cloud Scheduler then uses the
 * full URI it calls). All name this service.
 */
export function audiencesOf(audience: string): string[] {
  const base = audience.replace(/\/+$/, '');
  return [...new Set([audience, base, `${base}/`, ...TASK_PATHS.map((p) => `${base}${p}`)])];
}

/** A message with anything shaped like a JWT (or its first part) cut out. */
function withoutTokens(text: string): string {
  return text.replace(/eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g, '[token]');
}

/** How often a refusal of a tasks call is logged, at most: a flood of forged calls is not a flood of log lines. */
const REFUSAL_LOG_EVERY_MS = 60_000;

/** Decides whether a request may run tasks. */
export function tasksAuthenticator(opts: Pick<TasksRouteOptions, 'config' | 'logger' | 'oidcCertsUrl'>): (req: IncomingMessage) => Promise<Verdict> {
  const { secret, oidc } = opts.config;
  // Paced apart from the route's "refused" line: why a token did not verify is the line worth having.
  const refused = pacedWarning(opts.logger, REFUSAL_LOG_EVERY_MS);
  // google-auth-library is loaded with the first token to verify: an ack never waits for it, and a bot without OIDC never loads it.
  let client: Promise<OAuth2Client> | undefined;
  const oidcClient = () =>
    (client ??= import('google-auth-library').then(({ OAuth2Client }) => new OAuth2Client(opts.oidcCertsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: opts.oidcCertsUrl } } : {})));
  return async (req) => {
    if (!secret && !oidc) return { ok: false, status: 404, error: 'not_configured' };
    // The scheme is case-insensitive (RFC 9110, 11.1): a scheduler other than Cloud Scheduler may send `bearer`.
    const presented = /^Bearer +(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
    if (!presented) return { ok: false, status: 401, error: 'unauthorized' };
    if (secret && secretMatches(presented, secret)) return { ok: true, by: 'secret' };
    if (oidc && presented.split('.').length === 3) {
      try {
        const ticket = await (await oidcClient()).verifyIdToken({ idToken: presented, audience: audiencesOf(oidc.audience) });
        const payload = ticket.getPayload();
        if (payload?.email === oidc.serviceAccount && payload.email_verified === true) return { ok: true, by: 'oidc' };
        refused('refused a tasks call: the token names another account', { email: payload?.email ?? null });
      } catch (err) {
        // Wrong audience, expired, bad signature: say why in the log, never what the token was.
        // (google-auth-library quotes the token in some of its messages: "Invalid token signature: eyJ…".)
        const reason = err instanceof Error ? withoutTokens(err.message.split('\n')[0] ?? '').slice(0, 200) : 'unknown';
        refused('refused a tasks call: the OIDC token did not verify', { reason });
      }
    }
    return { ok: false, status: 401, error: 'unauthorized' };
  };
}

/** The custom routes for Bolt's HTTP receiver. */
export function tasksRoutes(opts: TasksRouteOptions) {
  const authenticate = tasksAuthenticator(opts);
  const refused = pacedWarning(opts.logger, REFUSAL_LOG_EVERY_MS);
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const guarded = (path: string, run: () => Promise<unknown>) => ({
    path,
    method: ['POST'],
    handler: (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      void authenticate(req)
        .then(async (verdict) => {
          if (!verdict.ok) {
            if (verdict.status === 401) refused(`refused ${path}`, { from: req.socket.remoteAddress });
            return reply(res, verdict.status, { ok: false, error: verdict.error });
          }
          reply(res, 200, { ok: true, ...((await run()) as object) });
        })
        .catch((err: unknown) => {
          const coded = toCodedError(err);
          opts.logger.error(`${path} failed`, { code: coded.code, err: coded });
          if (!res.headersSent) reply(res, 500, { ok: false, error: coded.code });
        });
    },
  });
  /**
   * The due jobs run, or `{ stopping: true }` as soon as the process is told to stop (Cloud Run's SIGTERM, with
   * SIGKILL 10 s later): the scheduler gets its answer, not a reset connection, while the jobs still running
   * finish within the grace or are due again after their lease, on this instance or another.
   */
  const runDue = async (): Promise<{ jobs: RunSummary } | { stopping: true }> => {
    let off = () => {};
    const stopping = new Promise<{ stopping: true }>((resolve) => (off = opts.runner.onStop(() => resolve({ stopping: true }))));
    try {
      return await Promise.race([opts.runner.runDue({ budgetMs: opts.config.budgetMs }).then((jobs) => ({ jobs })), stopping]);
    } finally {
      off();
    }
  };
  return [
    guarded('/tasks/run', runDue),
    guarded('/tasks/check-freshness', async () => {
      const results = await opts.checkFreshness();
      return {
        checked: true,
        sources: results.map((r) => ({ id: r.source.id, state: r.state, lastUpdated: r.lastUpdated?.toISOString() ?? null })),
        ...(await runDue()),
      };
    }),
  ];
}
