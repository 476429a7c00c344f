/**
 * The `/query` use case: find a saved query, check its parameters, run it
 * within the cost cap (dry run first, `maximumBytesBilled` always set, a
 * timeout), cache the result in the store, and draw it.
 *
 * Two people asking for the same thing at once run it once: within a replica
 * through a map of runs in flight, across replicas through a `createOnce` lock
 * in the store while the holder computes and the others wait for its result.
 * The holder renews the lock (`renewedAt`) every `lockRenewMs` while it runs,
 * by a write that only its own lock passes. A lock not renewed for
 * `lockStaleMs` was left by a holder that is gone (kill -9, an instance
 * stopped): a waiter takes it over by a compare-and-set that only that stale
 * lock passes, and runs the query itself, instead of waiting out the lock's
 * TTL (the warehouse timeout plus 30 s), which stays the outer bound. Stale
 * is judged by the clocks of two replicas, which (NTP-synced, as leases and
 * `expiresAt` already assume) agree far closer than `lockStaleMs`.
 */
import { headOf, localeNumber, quoteTyped, trimText } from '../format.js';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Row, TableFreshness, Warehouse } from '../ports/warehouse.js';
import { expiresIn, type Store } from '../ports/store.js';
import { CostCapError, CustomerCheckError, toCodedError } from '../errors.js';
import { editDistance, type CustomerIndex } from '../domain/customer-match.js';
import { CustomerList } from './customers.js';
import { isoDay, type Catalog, type SavedQuery } from '../catalog/catalog.js';
import { parseParamText, resolveParams, type CustomerLookup, type ParamResolution, type ResolvedParams } from '../catalog/params.js';
import type { ChartRenderer, ChartSpec } from '../charts/renderer.js';
import { chartSpecFor, dateRange, humanizeColumn } from '../charts/spec.js';
import { enqueue, JOBS } from '../jobs/model.js';
import { freeClick, holdClick, holdFor, holds, type JobHold } from './clicks.js';

/** The job that runs a saved query and posts its result (src/slack/query-delivery.ts). */
export const QUERY_DELIVER_JOB = 'query.deliver';

/** A result asked to be posted (by a typed `/query`, its form, or a button): where and for whom, the query and its canonical values (re-checked when it runs). */
export interface QueryDeliveryAsked {
  [k: string]: string | boolean | null | Record<string, string>;
  /** `result`: the chart or table where it was asked for; `csv`: the whole result as a file in the thread. */
  format: 'result' | 'csv';
  q: string;
  p: Record<string, string>;
  channel: string;
  threadTs: string | null;
  userId: string;
  force: boolean;
}

/** A `/query` delivery job's payload. */
export interface QueryDelivery extends QueryDeliveryAsked {
  /**
   * The click that asked for it (Refresh, Run, Download CSV: as freeClick names it), held while it is on its way
   * and freed if it comes to nothing; null for a typed command or a form. Absent (read as null: test it for
   * truth) in deliveries recorded before it was kept.
   */
  click: string | null;
}

/** Longest `/query` text read; anything longer is refused before parsing. */
export const MAX_QUERY_TEXT = 10_000;
/** Rows kept from a result (shown, cached, exported). */
export const MAX_RESULT_ROWS = 5000;
/** Cached payloads above this are not cached (Firestore documents hold at most 1 MiB). */
const MAX_CACHE_CHARS = 900_000;
const CACHE = 'query_cache';
const LOCKS = 'query_locks';
/** How often a query's lock is renewed while its holder runs it (lockRenewMs). */
const LOCK_RENEW_MS = 5_000;
/** A typed `/query` whose result is on its way, by its question: the job delivering it (see requestAskedDelivery). */
const ASKS = 'query_asks';

/** A run's result, fresh or from the cache. */
export interface QueryOutput {
  query: SavedQuery;
  params: ResolvedParams;
  columns: string[];
  rows: Row[];
  /** Rows the query returned (more than `rows` when cut at MAX_RESULT_ROWS). */
  totalRows: number;
  computedAt: Date;
  bytesProcessed: number;
  cacheHit: boolean;
  /** Freshness of the tables the query reads (empty when unknown). */
  freshness: TableFreshness[];
}

export type RunOutcome =
  | { kind: 'ok'; output: QueryOutput }
  | { kind: 'over_cap'; query: SavedQuery; estimatedBytes: number; capBytes: number };

/** What `/query <text>` should show. */
export type QueryCommand =
  | { kind: 'list'; search: string; queries: SavedQuery[] }
  | { kind: 'too_long'; max: number }
  /** `values`: the parameters typed after the name, for the suggestions' buttons. */
  | { kind: 'unknown'; name: string; closest: SavedQuery[]; values: Record<string, string> }
  | { kind: 'needs_params'; query: SavedQuery; problems: Record<string, string>; values: Record<string, string> }
  | { kind: 'ready'; query: SavedQuery; params: ResolvedParams }
  /**
   * The values name a customer and the customer list is not loaded yet (a
   * cold instance): `answer` is what it will be once the list is read, which
   * on BigQuery may take longer than a trigger ID lives (3 s).
   */
  | { kind: 'checking'; query: SavedQuery; answer: Promise<QueryParamsAnswer> };

/** What `/query <name> [params]` comes to once its values are checked. */
export type QueryParamsAnswer = Extract<QueryCommand, { kind: 'needs_params' | 'ready' }>;

export interface QueryServiceOptions {
  catalog: Catalog;
  warehouse: Warehouse;
  store: Store;
  logger: Logger;
  charts: ChartRenderer;
  /** Cost cap per query (bytes); also sent as maximumBytesBilled. */
  maxBytes: number;
  timeoutMs: number;
  now?: () => Date;
  /** How often a replica waiting for another's run looks for its result. */
  pollMs?: number;
  /** How often the holder of a query's lock renews it while it runs (default 5 s). */
  lockRenewMs?: number;
  /**
   * A lock not renewed for this long was left by a holder that is gone, and a waiter takes it over
   * (default three renewals: one or two late renewals, a slow store write, do not lose a live holder its lock).
   */
  lockStaleMs?: number;
  /** The shared customer list (for `customer` parameters); one of its own when omitted. */
  customers?: CustomerList;
  /** Asks the job runner to look for due jobs now. */
  kick?: () => void;
}

/** What the chart upload carries. */
export interface RenderedChart {
  png: Buffer;
  filename: string;
  title: string;
  altText: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A query's lock (`query_locks`, by cache key): who runs it, and since when it last said it still does. */
interface LockDoc {
  [k: string]: unknown;
  holder: string;
  query: string;
  /** When it was taken (epoch ms). */
  at: number;
  /** When the holder last renewed it (epoch ms); absent in locks taken before it was kept, which only expire. */
  renewedAt?: number;
  expiresAt: number;
}

interface CacheDoc {
  [k: string]: unknown;
  query: string;
  version: string;
  computedAt: number;
  /** When its run started: the warehouse's CURRENT_DATE is that day's (absent from results cached before it was kept). */
  startedAt?: number;
  expiresAt: number;
  bytesProcessed: number;
  totalRows: number;
  columns: string[];
  /** Columns holding timestamps (revived as Dates). */
  timestampColumns: string[];
  /** Rows as arrays, JSON: Firestore holds no nested arrays. */
  rows: string;
  /**
   * The cells holding NaN or an infinity, which JSON makes null in `rows`: `[row, column, "NaN"]` triples, JSON.
   * Beside the rows, not in them, so that a replica of an earlier version reads null there, as it wrote it.
   */
  nonFinite?: string;
}

export class QueryService {
  private readonly inflight = new Map<string, Promise<RunOutcome>>();
  private readonly holder = randomUUID();
  private readonly now: () => Date;
  private readonly customerList: CustomerList;
  private freshnessCache = new Map<string, { at: number; value: TableFreshness[] }>();

  constructor(private readonly opts: QueryServiceOptions) {
    this.now = opts.now ?? (() => new Date());
    this.customerList = opts.customers ?? new CustomerList({ warehouse: opts.warehouse, logger: opts.logger });
  }

  get catalog(): Catalog {
    return this.opts.catalog;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /**
   * Records that a result is to be posted (a job, run at once). `key` names
   * the request (the Slack trigger): the same request delivered twice posts once.
   * `click`: the button that asked (Refresh, Run, Download CSV), held in the same
   * transaction for `holdMs` and while the delivery is pending, up to
   * `HOLD_WHILE_PENDING_MS` (see freeClick);
   * false when a click holds it already.
   */
  async requestDelivery(key: string, delivery: QueryDeliveryAsked, click?: { scope: string; holdMs: number }): Promise<boolean> {
    const at = this.now().getTime();
    const jobKey = `${QUERY_DELIVER_JOB}:${key}`;
    const created = await this.opts.store.runTransaction(async (tx) => {
      const name = click ? await freeClick(tx, click.scope) : null;
      if (click && !name) return false;
      if (!(await enqueue(tx, { key: jobKey, kind: QUERY_DELIVER_JOB, payload: { ...delivery, click: name } }, at))) return false;
      if (click && name) holdClick(tx, name, click.scope, click.holdMs, jobKey);
      return true;
    });
    if (created) this.opts.kick?.();
    return created;
  }

  /**
   * Records a typed `/query`'s result for delivery (as {@link requestDelivery}, keyed on the trigger) unless
   * the same question (`ask`: the person, channel, query and canonical values) was recorded before and its
   * result is still on its way: a double Enter sends the command twice, with two triggers. 'seen' when this
   * trigger was recorded already (Slack delivering the same request again), 'repeated' for the second
   * question. One transaction, so across replicas too; a result delivered (its job done or given up) frees
   * the question at once, and one still pending after `HOLD_WHILE_PENDING_MS` (clicks.ts) no longer holds it.
   */
  async requestAskedDelivery(key: string, ask: string, delivery: QueryDeliveryAsked): Promise<'recorded' | 'seen' | 'repeated'> {
    const jobKey = `${QUERY_DELIVER_JOB}:${key}`;
    const askId = createHash('sha256').update(ask).digest('hex').slice(0, 40);
    const at = this.now().getTime();
    const outcome = await this.opts.store.runTransaction(async (tx): Promise<'recorded' | 'seen' | 'repeated'> => {
      if (await tx.get(JOBS, jobKey)) return 'seen';
      // An ask recorded before holds kept `holdUntil` held only while its job was pending, as one with it at 0 does.
      const prior = (await tx.get<JobHold>(ASKS, askId))?.data;
      if (await holds(tx, prior && { holdUntil: 0, ...prior })) return 'repeated';
      await enqueue(tx, { key: jobKey, kind: QUERY_DELIVER_JOB, payload: { ...delivery, click: null } }, at);
      tx.put<JobHold>(ASKS, askId, holdFor(jobKey, 0));
      return 'recorded';
    });
    if (outcome === 'recorded') this.opts.kick?.();
    return outcome;
  }

  /** A dry run against the cost cap: what a run would process, and whether it is over the cap. */
  async estimate(query: SavedQuery, params: ResolvedParams): Promise<{ bytes: number; capBytes: number; overCap: boolean }> {
    const { warehouse, maxBytes, timeoutMs } = this.opts;
    const sql = warehouse.kind === 'embedded' ? (query.duckdbSql ?? query.sql) : query.sql;
    const estimate = await warehouse.dryRun(sql, params.bound, { labels: { command: 'query_estimate', query: query.name }, maximumBytesBilled: maxBytes, timeoutMs });
    return { bytes: estimate.bytesProcessed, capBytes: maxBytes, overCap: estimate.bytesProcessed > maxBytes };
  }

  /** Reads `/query` text: list, search, or a query with its parameters checked. */
  async command(text: string): Promise<QueryCommand> {
    if (text.length > MAX_QUERY_TEXT) return { kind: 'too_long', max: MAX_QUERY_TEXT };
    let trimmed = trimText(text);
    let [first = '', ...rest] = trimmed.split(/\s+/);
    // `run <name>` is `<name>`, as the buttons call it Run (unless a saved query is called "run").
    if (first.toLowerCase() === 'run' && rest.length > 0 && !this.find('run')) {
      trimmed = trimText(trimmed.slice(first.length));
      [first = '', ...rest] = trimmed.split(/\s+/);
    }
    const word = first.toLowerCase();
    // `run` alone asks which one, as `/query` alone does: the list, each with its Run.
    const runAlone = word === 'run' && rest.length === 0 && !this.find('run');
    if (!trimmed || word === 'list' || word === 'help' || word === '?' || runAlone) {
      const search = word === 'list' ? headOf(rest.join(' '), 100) : '';
      return { kind: 'list', search, queries: this.search(search) };
    }
    const query = this.find(word);
    const parsed = parseParamText(trimmed.slice(first.length));
    if (!query) return { kind: 'unknown', name: headOf(first, 80), closest: this.closest(word), values: { ...parsed.values } };
    if (!this.resolvesAtOnce(query, parsed.values)) {
      const answer = this.checkParams(query, parsed);
      // Awaited by the caller once it has answered Slack; a failure meanwhile is not an unhandled rejection.
      answer.catch(() => undefined);
      return { kind: 'checking', query, answer };
    }
    return this.checkParams(query, parsed);
  }

  private async checkParams(query: SavedQuery, { values, stray, conflicts }: ReturnType<typeof parseParamText>): Promise<QueryParamsAnswer> {
    const resolution = await this.resolve(query, values);
    const twice = Object.entries(conflicts).filter(([name]) => query.params.some((p) => p.name === name));
    if (!resolution.ok || stray.length || twice.length) {
      const problems = resolution.ok ? {} : { ...resolution.problems };
      for (const s of stray.slice(0, 3)) problems[`_${s.slice(0, 20)}`] = `${quoteTyped(s, 40)} is not name=value (e.g. ${query.params[0]?.name ?? 'weeks'}=${exampleValue(query)})`;
      for (const [name, seen] of twice) problems[name] = `given ${seen.length === 2 ? 'twice' : `${seen.length} times`} with different values (${seen.slice(0, 3).map((v) => quoteTyped(v, 20)).join(', ')}${seen.length > 3 ? ', …' : ''}): which one?`;
      return { kind: 'needs_params', query, problems, values: resolution.ok ? { ...values } : resolution.values };
    }
    return { kind: 'ready', query, params: resolution.params };
  }

  /**
   * Whether {@link resolve} answers without the warehouse: false when a value
   * names a customer and the customer list is not loaded yet (a cold instance),
   * so a listener answers Slack first.
   */
  resolvesAtOnce(query: SavedQuery, values: Record<string, string>): boolean {
    if (this.customerList.loaded) return true;
    return !query.params.some((p) => p.kind === 'customer' && Object.hasOwn(values, p.name) && values[p.name]!.trim() !== '');
  }

  /** The UTC day (`YYYY-MM-DD`) parameters resolve against (`today`, `-30d`): a form's dates are drawn from it. */
  today(): string {
    return isoDay(this.now());
  }

  /** Checks values (from a modal or a button) against a query's parameters. */
  resolve(query: SavedQuery, values: Record<string, string>): Promise<ParamResolution> {
    return resolveParams(query, values, { today: this.now(), customers: this.lookupCustomer });
  }

  /** Queries whose name, title, description or owner hold every word of `search`. */
  search(search: string): SavedQuery[] {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    return this.opts.catalog.queries.filter((q) => {
      const hay = `${q.name} ${q.title} ${q.description} ${q.owner}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
  }

  /**
   * The saved query a typed name means, in any case, with `_` for `-`
   * (`Weekly_Active_Instances`): no name holds an underscore, so none is mistaken.
   */
  find(name: string): SavedQuery | undefined {
    const word = plainHyphens(name.toLowerCase());
    return this.opts.catalog.get(word) ?? this.opts.catalog.get(word.replaceAll('_', '-'));
  }

  /**
   * The `/query` word an unknown name is a typo of (`subscription` for `subscriptions`), among `words`:
   * the nearest within two edits, or none. A saved query is looked for first, so no name is hidden.
   */
  nearWord(name: string, words: readonly string[]): string | undefined {
    const q = plainHyphens(name.toLowerCase()).slice(0, 60);
    if (q.length < 4) return undefined;
    const ranked = words.map((w) => ({ w, d: editDistance(q, w, 3) })).filter((r) => r.d <= 2).sort((a, b) => a.d - b.d);
    return ranked[0]?.w;
  }

  /** The names nearest to an unknown one. */
  closest(name: string, n = 3): SavedQuery[] {
    const q = plainHyphens(name.toLowerCase()).slice(0, 60);
    // Ranked by edit distance: a typo of one name beats names that merely share a word with it
    // ("weekly-activ-instances" is weekly-active-instances first, not the three instances-… ones).
    // A name that holds the text, or whose first word the text holds, is offered however far.
    const ranked = this.opts.catalog.queries.map((s) => ({
      s,
      d: editDistance(q, s.name, 60),
      contains: s.name.includes(q) || (q.length >= 4 && q.includes(s.name.split('-')[0]!)),
    }));
    ranked.sort((a, b) => a.d - b.d || a.s.name.localeCompare(b.s.name));
    return ranked.filter((r) => r.contains || r.d <= Math.max(3, Math.ceil(q.length / 2))).slice(0, n).map((r) => r.s);
  }

  /**
   * Runs a query (or serves it from the cache). `force` skips the cache
   * (Refresh). Throws WarehouseError / WarehouseTimeoutError when the warehouse fails.
   */
  async run(query: SavedQuery, params: ResolvedParams, ctx: { userId: string; force?: boolean }): Promise<RunOutcome> {
    const key = cacheKey(query, params);
    // The clock that stamps results (computedAt): a Refresh serves only a result computed after it was asked for.
    const requestedAt = this.now().getTime();
    if (!ctx.force) {
      const hit = await this.readCache(key, query, params, 0);
      if (hit) return { kind: 'ok', output: { ...hit, freshness: await this.freshness(query) } };
    }
    let running = this.inflight.get(key);
    if (!running) {
      running = this.runOnce(key, query, params, ctx.userId, ctx.force ? requestedAt : 0).finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    const outcome = await running;
    if (outcome.kind !== 'ok') return outcome;
    return { kind: 'ok', output: { ...outcome.output, freshness: await this.freshness(query) } };
  }

  /**
   * Start-up warm-up, after the bot listens: loads the customer list (a modal
   * submission must answer within 3 s). Charts are drawn in worker threads
   * that start with the first chart, so there is nothing to warm here.
   */
  async warmUp(): Promise<void> {
    await this.customers();
  }

  /** Draws a result (a chart query with rows). */
  async renderChart(output: QueryOutput): Promise<RenderedChart> {
    const { query, params } = output;
    const subtitle = params.shown.map((s) => `${s.label}: ${s.value}`).join(' · ');
    const spec = chartSpecFor(output.rows, query.display, { title: query.title, subtitle });
    const png = await this.opts.charts.render(spec);
    const range = dateRange(output.rows, query.display.x);
    const kind = { line: 'Line chart', bar: 'Bar chart', 'stacked-bar': 'Stacked bar chart', pie: 'Pie chart' }[spec.type];
    // The spec's subtitle and type: with what the chart says about itself (nothing to draw, a pie drawn as bars).
    const altText = [
      `${kind}: ${query.title}${spec.subtitle ? ` (${spec.subtitle})` : ''}.`,
      spec.type === 'pie' ? `Slices by ${humanizeColumn(query.display.x!)}.` : `${spec.yLabel ?? 'Values'} by ${spec.xLabel ?? humanizeColumn(query.display.x!)}${range ? `, ${range.from} to ${range.to}` : ''}.`,
      `Series: ${spec.series.map((s) => s.label).slice(0, 12).join(', ')}.`,
      chartValuesText(spec, range !== null),
    ].join(' ');
    return { png, filename: `${query.name}.png`, title: query.title, altText: altTextWithin(altText, 1000) };
  }

  private async runOnce(key: string, query: SavedQuery, params: ResolvedParams, userId: string, notBefore: number): Promise<RunOutcome> {
    const lockTtl = this.opts.timeoutMs + 30_000;
    const pollMs = this.opts.pollMs ?? 250;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const lock: Omit<LockDoc, 'expiresAt'> = { holder: this.holder, query: query.name, at: now, renewedAt: now };
      if (await this.opts.store.createOnce(LOCKS, key, lock, { ttlMs: lockTtl })) return this.whileHolding(key, query, params, userId, notBefore);
      // Another replica is running it: wait for its result rather than paying twice.
      const deadline = Date.now() + lockTtl;
      while (Date.now() < deadline) {
        await sleep(pollMs);
        const hit = await this.readCache(key, query, params, notBefore);
        if (hit) return { kind: 'ok', output: { ...hit, cacheHit: true } };
        const held = await this.opts.store.get<LockDoc>(LOCKS, key);
        if (!held) {
          // Done (its result may have landed since the read above), or it gave up (over the cap, or failed): then try ourselves.
          const landed = await this.readCache(key, query, params, notBefore);
          if (landed) return { kind: 'ok', output: { ...landed, cacheHit: true } };
          break;
        }
        if (this.isStale(held.data)) {
          // Its holder is gone, and with it the result it would have written: take the lock over (only this stale lock
          // passes, so of two waiters one wins; the other sees a live lock again), or wait for whoever did.
          const at = Date.now();
          const taken = await this.opts.store.transition<LockDoc>(LOCKS, key, (current) => this.isStale(current), () => ({
            holder: this.holder, at, renewedAt: at, expiresAt: expiresIn(lockTtl),
          }));
          if (taken.ok) {
            this.opts.logger.warn('query lock taken over from a holder that stopped renewing it', { query: query.name, lastRenewedAt: held.data.renewedAt });
            return this.whileHolding(key, query, params, userId, notBefore);
          }
        }
      }
    }
    return this.compute(key, query, params, userId);
  }

  /**
   * A lock whose holder has not renewed it for `lockStaleMs`. Ours too: runs in flight are one per key here, so a lock
   * of ours that a waiter here sees is one a failed release left. One without renewals (taken before they were kept)
   * only expires: its holder may be alive and not renewing.
   */
  private isStale(lock: LockDoc): boolean {
    const staleMs = this.opts.lockStaleMs ?? 3 * (this.opts.lockRenewMs ?? LOCK_RENEW_MS);
    return typeof lock.renewedAt === 'number' && Date.now() - lock.renewedAt > staleMs;
  }

  /** Runs the query under the lock just taken: renews it meanwhile, and lets go of it after, if it is still ours. */
  private async whileHolding(key: string, query: SavedQuery, params: ResolvedParams, userId: string, notBefore: number): Promise<RunOutcome> {
    const { store, logger } = this.opts;
    // Typed so: the interval assigns it, which narrowing does not see.
    let renewing = null as Promise<void> | null;
    let lost = false;
    const renew = setInterval(() => {
      // One renewal at a time: a slow store write is not stacked on.
      if (lost || renewing) return;
      renewing = store
        .transition<LockDoc>(LOCKS, key, (current) => current.holder === this.holder, () => ({ renewedAt: Date.now() }))
        .then((r) => {
          // Taken over: this process went quiet for longer than lockStaleMs (a stalled event loop, an unreachable store).
          // The run goes on (the warehouse has it); the other replica's lock is left alone.
          if (!r.ok && r.reason === 'precondition_failed') {
            lost = true;
            logger.warn('query lock taken over by another replica while this one ran it', { query: query.name });
          }
        })
        .catch((err: unknown) => logger.warn('query lock renewal failed', { err, query: query.name }))
        .finally(() => {
          renewing = null;
        });
    }, this.opts.lockRenewMs ?? LOCK_RENEW_MS);
    renew.unref?.();
    try {
      // Another replica may have run it and let go of the lock between our cache read and this lock: its
      // result is in the cache (a lock held is released only after the result is written).
      const landed = await this.readCache(key, query, params, notBefore);
      if (landed) return { kind: 'ok', output: { ...landed, cacheHit: true } };
      return await this.compute(key, query, params, userId);
    } finally {
      clearInterval(renew);
      if (renewing) await renewing;
      // Only our own lock: one taken over from us is the other replica's now.
      await store
        .runTransaction(async (tx) => {
          if ((await tx.get<LockDoc>(LOCKS, key))?.data.holder === this.holder) tx.delete(LOCKS, key);
        })
        .catch((err) => logger.warn('query lock release failed', { err, query: query.name }));
    }
  }

  private async compute(key: string, query: SavedQuery, params: ResolvedParams, userId: string): Promise<RunOutcome> {
    const { warehouse, maxBytes, timeoutMs, logger } = this.opts;
    const sql = warehouse.kind === 'embedded' ? (query.duckdbSql ?? query.sql) : query.sql;
    const options = { labels: { command: 'query', query: query.name, user: userId }, maximumBytesBilled: maxBytes, timeoutMs };
    // The day the warehouse's CURRENT_DATE is taken on: a run started at 23:59:50 and done after midnight is the day before's.
    const startedAt = this.now().getTime();
    const estimate = await warehouse.dryRun(sql, params.bound, options);
    if (estimate.bytesProcessed > maxBytes) {
      logger.info('query refused over the cost cap', { query: query.name, user: userId, estimatedBytes: estimate.bytesProcessed, capBytes: maxBytes });
      return { kind: 'over_cap', query, estimatedBytes: estimate.bytesProcessed, capBytes: maxBytes };
    }
    let result;
    try {
      result = await warehouse.query(sql, params.bound, options);
    } catch (err) {
      if (err instanceof CostCapError) return { kind: 'over_cap', query, estimatedBytes: err.estimatedBytes, capBytes: maxBytes };
      throw err;
    }
    const computedAt = this.now();
    const columns = result.rows[0] ? Object.keys(result.rows[0]) : [];
    const rows = result.rows.slice(0, MAX_RESULT_ROWS);
    const output: QueryOutput = {
      query, params, columns, rows, totalRows: result.rows.length, computedAt,
      bytesProcessed: result.bytesProcessed, cacheHit: false, freshness: [],
    };
    logger.info('query ran', { query: query.name, user: userId, rows: result.rows.length, bytesProcessed: result.bytesProcessed, ms: result.durationMs });
    await this.writeCache(key, output, startedAt).catch((err) => logger.warn('query cache write failed', { err, query: query.name }));
    return { kind: 'ok', output };
  }

  private async readCache(key: string, query: SavedQuery, params: ResolvedParams, notBefore: number): Promise<QueryOutput | null> {
    let doc;
    try {
      doc = await this.opts.store.get<CacheDoc>(CACHE, key);
    } catch (err) {
      this.opts.logger.warn('query cache read failed', { err, query: query.name });
      return null;
    }
    const d = doc?.data;
    if (!d || d.version !== query.version || d.expiresAt <= Date.now() || d.computedAt < notBefore) return null;
    // Started before midnight UTC: the queries' "today" (BigQuery's CURRENT_DATE, the last whole week) has moved
    // since, so a weekly chart cached on Sunday evening would leave out the week that ended at midnight.
    if (utcDay(d.startedAt ?? d.computedAt) !== utcDay(this.now().getTime())) return null;
    let raw: unknown[][];
    let nonFinite: Array<[number, number, string]>;
    try {
      raw = JSON.parse(d.rows) as unknown[][];
      nonFinite = d.nonFinite ? (JSON.parse(d.nonFinite) as Array<[number, number, string]>) : [];
    } catch {
      return null;
    }
    const ts = new Set(d.timestampColumns);
    const rows = raw.map((values) => {
      const row: Row = {};
      d.columns.forEach((c, i) => {
        const v = values[i] ?? null;
        row[c] = ts.has(c) && typeof v === 'string' ? new Date(v) : (v as Row[string]);
      });
      return row;
    });
    for (const [i, j, v] of nonFinite) {
      const row = rows[i];
      const column = d.columns[j];
      if (row && column !== undefined) row[column] = Number(v);
    }
    return {
      query, params, columns: d.columns, rows, totalRows: d.totalRows, computedAt: new Date(d.computedAt),
      bytesProcessed: d.bytesProcessed, cacheHit: true, freshness: [],
    };
  }

  private async writeCache(key: string, o: QueryOutput, startedAt: number): Promise<void> {
    const timestampColumns = o.columns.filter((c) => o.rows.some((r) => r[c] instanceof Date));
    const marked: Array<[number, number, string]> = [];
    const rows = JSON.stringify(o.rows.map((r, i) => o.columns.map((c, j) => {
      const v = r[c];
      if (v instanceof Date) return v.toISOString();
      if (typeof v === 'number' && !Number.isFinite(v)) marked.push([i, j, String(v)]);
      return v ?? null;
    })));
    const nonFinite = marked.length ? JSON.stringify(marked) : undefined;
    if (rows.length + (nonFinite?.length ?? 0) > MAX_CACHE_CHARS) return;
    const doc: CacheDoc = {
      query: o.query.name, version: o.query.version, computedAt: o.computedAt.getTime(), startedAt, expiresAt: expiresIn(o.query.ttlMs),
      bytesProcessed: o.bytesProcessed, totalRows: o.totalRows, columns: o.columns, timestampColumns, rows, ...(nonFinite ? { nonFinite } : {}),
    };
    await this.opts.store.put(CACHE, key, doc);
  }

  /** Freshness of the query's tables, from metadata (0 bytes); reused for a minute; never fails the answer. */
  private async freshness(query: SavedQuery): Promise<TableFreshness[]> {
    const k = query.tables.join(',');
    const cached = this.freshnessCache.get(k);
    if (cached && Date.now() - cached.at < 60_000) return cached.value;
    try {
      const value = await this.opts.warehouse.tableFreshness(query.tables);
      this.freshnessCache.set(k, { at: Date.now(), value });
      return value;
    } catch (err) {
      this.opts.logger.warn('table freshness unavailable', { err, query: query.name });
      return [];
    }
  }

  private readonly lookupCustomer: CustomerLookup = async (text) => {
    let index: CustomerIndex;
    try {
      index = await this.customers();
    } catch (err) {
      // Told apart from a query that failed: nothing ran, and fewer weeks would not help.
      throw new CustomerCheckError(toCodedError(err).code, { cause: err });
    }
    const byId = index.byId(text);
    const match = index.match(text);
    return byId ? { ...match, byId: { customerId: byId.customerId, name: byId.name } } : match;
  };

  private customers(): Promise<CustomerIndex> {
    return this.customerList.current();
  }
}

/** The UTC calendar day of a time (ms), as a day number. */
const utcDay = (ms: number): number => Math.floor(ms / 86_400_000);

/** Cache (and lock) key: the query, its version and its canonical parameter values. */
export function cacheKey(query: SavedQuery, params: ResolvedParams): string {
  const canonical = Object.keys(params.canonical).sort().map((k) => [k, params.canonical[k]]);
  return createHash('sha256').update(JSON.stringify([query.name, query.version, canonical])).digest('hex').slice(0, 40);
}

function exampleValue(query: SavedQuery): string {
  const p = query.params[0];
  if (!p) return '1';
  if (p.kind === 'int') return String(p.default ?? p.min);
  if (p.kind === 'enum') return p.options[0]!.value;
  if (p.kind === 'date') return '2025-01-01';
  return 'acme';
}

/** Hyphens as a keyboard or a phone may type them (‐ ‑ ‒ – — −, small and full-width): the ASCII one names use. */
function plainHyphens(text: string): string {
  return text.replace(/[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g, '-');
}

/**
 * Alt text within Slack's `max` characters, cut where an entry ends (`; `, `, `, `. `), or else a word does, and
 * marked cut: a cut in the middle of "Acme 123,456" would have a screen reader say "Acme 123", a wrong value.
 */
function altTextWithin(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = headOf(text, max - 1);
  const entry = Math.max(head.lastIndexOf('; '), head.lastIndexOf(', '), head.lastIndexOf('. '));
  const at = entry > 0 ? entry : head.lastIndexOf(' ');
  return `${at > 0 ? head.slice(0, at) : head}…`;
}

/**
 * The numbers a chart shows, for its alt text: a screen reader hears the values, not only the axes. Dates along x:
 * each series' value at the last point; categories: each category's value (a pie's labels already carry theirs). At most 12 of
 * each; the alt text is cut to Slack's 1,000 characters after.
 */
function chartValuesText(spec: ChartSpec, dated: boolean): string {
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'no value' : localeNumber(v, 4));
  const series = spec.series.slice(0, 12);
  if (!spec.labels.length || !series.length) return '';
  if (spec.type === 'pie') return `Slices: ${spec.labels.slice(0, 12).join(', ')}.`;
  if (dated) {
    // The right-most point, as the chart draws it (in the query's order: the latest in every saved query, which sort by date).
    const last = spec.labels.length - 1;
    return `Last point, ${spec.labels[last]}: ${series.map((s) => `${s.label} ${fmt(s.data[last])}`).join(', ')}.`;
  }
  const at = (i: number) => (series.length === 1 ? fmt(series[0]!.data[i]) : `(${series.map((s) => `${s.label} ${fmt(s.data[i])}`).join(', ')})`);
  return `Values: ${spec.labels.slice(0, 12).map((label, i) => `${label} ${at(i)}`).join('; ')}${spec.labels.length > 12 ? '; …' : ''}.`;
}
