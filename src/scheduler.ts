/**
 * The freshness schedule: every interval (5 minutes by default) one replica
 * checks every source and applies the alerts. A lease in the store picks the
 * replica: whoever holds `freshness-check` keeps it while it keeps ticking;
 * another takes over when it lapses. `POST /tasks/check-freshness` runs the
 * same check for an external scheduler, with a shared secret.
 * Timing (interval, clock) is injectable so tests don't wait minutes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger.js';
import type { Store } from './ports/store.js';
import { toCodedError } from './errors.js';
import type { SourceFreshness } from './services/freshness.js';

export const FRESHNESS_LEASE = 'freshness-check';

export interface FreshnessTick {
  /** Whether this replica ran the check (false: another holds the lease). */
  checked: boolean;
  results?: SourceFreshness[];
}

export interface FreshnessSchedulerOptions {
  store: Store;
  logger: Logger;
  /** Who this replica is. */
  holder: string;
  /** 0: no in-bot schedule. */
  intervalMs: number;
  /** The check itself: measure, then reconcile alerts. */
  check: (now: Date) => Promise<SourceFreshness[]>;
  now?: () => Date;
}

export class FreshnessScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<FreshnessTick> | undefined;
  private stopped = false;
  /** Ticks this replica ran the check in (tests and logs). */
  checks = 0;

  constructor(private readonly opts: FreshnessSchedulerOptions) {}

  /** Starts ticking, the first tick one interval from now. No-op when the interval is 0. */
  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.stopped = false;
    const loop = async () => {
      await this.tick().catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
    };
    this.timer = setTimeout(loop, this.opts.intervalMs);
  }

  /** Stops ticking, waits for a running check, gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await this.opts.store.releaseLease(FRESHNESS_LEASE, this.opts.holder).catch(() => undefined);
  }

  /**
   * One tick: runs the check if this replica holds (or gets) the lease.
   * `ttlMs` defaults to 1.5 intervals, so the holder keeps it between its ticks.
   */
  tick(now: Date = this.opts.now?.() ?? new Date(), ttlMs = Math.max(this.opts.intervalMs * 1.5, 30_000)): Promise<FreshnessTick> {
    // One check at a time per replica: a slow warehouse must not stack ticks.
    if (this.running) return this.running.then(() => ({ checked: false }));
    const run = (async (): Promise<FreshnessTick> => {
      const held = await this.opts.store.acquireLease(FRESHNESS_LEASE, this.opts.holder, ttlMs);
      if (!held) return { checked: false };
      this.checks++;
      const results = await this.opts.check(now);
      this.opts.logger.debug('freshness checked', { holder: this.opts.holder, stale: results.filter((r) => r.dataState === 'stale').map((r) => r.source.id) });
      return { checked: true, results };
    })();
    this.running = run;
    void run.then(
      () => (this.running = undefined),
      (err: unknown) => {
        this.running = undefined;
        const coded = toCodedError(err);
        this.opts.logger.error('freshness check failed', { code: coded.code, err: coded });
      },
    );
    return run;
  }
}

/** Constant-time comparison of a presented secret with the configured one. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

/**
 * `POST /tasks/check-freshness` for an external scheduler (e.g. Cloud
 * Scheduler), authenticated by `Authorization: Bearer <TASKS_SECRET>`. 404
 * when no secret is configured; 401 on a wrong or missing one.
 */
export function freshnessTaskRoute(opts: { secret: string | undefined; scheduler: () => FreshnessScheduler; logger: Logger }) {
  return {
    path: '/tasks/check-freshness',
    method: ['POST'],
    handler: (req: IncomingMessage, res: ServerResponse) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      req.resume();
      if (!opts.secret) return reply(404, { ok: false, error: 'not_configured' });
      const header = req.headers.authorization ?? '';
      const presented = /^Bearer (.+)$/.exec(header)?.[1] ?? '';
      if (!presented || !secretMatches(presented, opts.secret)) {
        opts.logger.warn('refused /tasks/check-freshness: bad secret', { from: req.socket.remoteAddress });
        return reply(401, { ok: false, error: 'unauthorized' });
      }
      opts.scheduler().tick(undefined, 60_000).then(
        (t) => reply(200, { ok: true, checked: t.checked, sources: t.results?.map((r) => ({ id: r.source.id, state: r.state, lastUpdated: r.lastUpdated?.toISOString() ?? null })) }),
        (err: unknown) => {
          const coded = toCodedError(err);
          reply(500, { ok: false, error: coded.code });
        },
      );
    },
  };
}
