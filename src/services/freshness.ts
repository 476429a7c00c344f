/**
 * Freshness: when each source last updated, against its SLA. On BigQuery it
 * reads table metadata only (tables.get: 0 bytes billed), whatever the
 * source's measure; on the embedded warehouse a `column` measure reads the
 * max of that column (e.g. `_fivetran_synced`).
 */
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { TableFreshnessOptions, Warehouse } from '../ports/warehouse.js';
import type { Source, SourceCatalog } from '../sources/catalog.js';
import { WarehouseAccessError, toCodedError } from '../errors.js';

/** What the data says. */
export type DataState = 'fresh' | 'stale' | 'unknown';
/** What `/pipeline status` shows: the data state, or `running` while a rerun is under way. */
export type DisplayState = DataState | 'running';

/** A rerun in progress, from its lock in the store. */
export interface ActiveRerun {
  requestedBy: string;
  startedAt: string;
  /** Permalink of the rerun message, once posted. */
  link: string | null;
}

export interface SourceFreshness {
  source: Source;
  /** The oldest last update among the source's tables; null when unknown. */
  lastUpdated: Date | null;
  dataState: DataState;
  state: DisplayState;
  /** When it becomes (or became) stale: lastUpdated + SLA. */
  dueAt: Date | null;
  /** How far past the SLA (0 unless stale). */
  lateByMs: number;
  /** Why the state is unknown. */
  problem?: string;
  rerun?: ActiveRerun;
  checkedAt: Date;
}

/** Store collection of rerun locks: one document per source while a rerun of it runs. */
export const RERUN_LOCKS = 'rerun_locks';

const HOUR = 3_600_000;
const RANK: Record<DisplayState, number> = { stale: 0, unknown: 1, running: 2, fresh: 3 };

/** Worst first: stale (latest first), unknown, running, then fresh (closest to its SLA first). */
export function worstFirst(a: SourceFreshness, b: SourceFreshness): number {
  if (RANK[a.state] !== RANK[b.state]) return RANK[a.state] - RANK[b.state];
  if (a.state === 'stale') return b.lateByMs - a.lateByMs || a.source.name.localeCompare(b.source.name);
  const ratio = (s: SourceFreshness) => (s.lastUpdated ? (s.checkedAt.getTime() - s.lastUpdated.getTime()) / (s.source.slaHours * HOUR) : 0);
  return ratio(b) - ratio(a) || a.source.name.localeCompare(b.source.name);
}

export interface FreshnessServiceOptions {
  catalog: SourceCatalog;
  warehouse: Warehouse;
  store: Store;
  logger: Logger;
  now?: () => Date;
  /** Runs once before the first measurement (creates the demo source tables on the embedded warehouse). */
  prepare?: () => Promise<void>;
}

export class FreshnessService {
  readonly catalog: SourceCatalog;
  private readonly now: () => Date;

  constructor(private readonly opts: FreshnessServiceOptions) {
    this.catalog = opts.catalog;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Every source, worst first. A source whose measurement fails is `unknown`, not an error. `background`: no
   * person waits on it (the scheduled check), so a person's reads meanwhile go first.
   */
  async check(now: Date = this.now(), options: TableFreshnessOptions = {}): Promise<SourceFreshness[]> {
    const results = await Promise.all(this.catalog.sources.map((s) => this.checkSource(s, now, options)));
    return results.sort(worstFirst);
  }

  /** One source. */
  async checkSource(source: Source, now: Date = this.now(), options: TableFreshnessOptions = {}): Promise<SourceFreshness> {
    await this.opts.prepare?.();
    const [measured, rerun] = await Promise.all([this.measure(source, options), this.activeRerun(source.id)]);
    const { lastUpdated, problem } = measured;
    const dueAt = lastUpdated ? new Date(lastUpdated.getTime() + source.slaHours * HOUR) : null;
    const dataState: DataState = !lastUpdated ? 'unknown' : now.getTime() > dueAt!.getTime() ? 'stale' : 'fresh';
    return {
      source,
      lastUpdated,
      dataState,
      state: rerun ? 'running' : dataState,
      dueAt,
      lateByMs: dataState === 'stale' ? now.getTime() - dueAt!.getTime() : 0,
      ...(problem ? { problem } : {}),
      ...(rerun ? { rerun } : {}),
      checkedAt: now,
    };
  }

  /** The last update of a source: the oldest among its tables (it is only as fresh as its stalest table). */
  private async measure(source: Source, options: TableFreshnessOptions): Promise<{ lastUpdated: Date | null; problem?: string }> {
    const w = this.opts.warehouse;
    try {
      let times: Array<Date | null>;
      let absent: string[] = [];
      if (w.kind === 'bigquery' || source.freshness.measure === 'table_modified') {
        const names = source.tables.map((t) => (w.kind === 'bigquery' ? (t.bigquery ?? `${source.dataset}.${t.name}`) : t.name));
        const read = await w.tableFreshness(names, options);
        times = read.map((f) => f.lastModified);
        absent = read.flatMap((f, i) => (f.missing ? [names[i]!] : []));
      } else {
        const column = source.freshness.column;
        times = await Promise.all(
          source.tables.map(async (t) => {
            // Names come from the validated sources file, never from Slack.
            const { rows } = await w.query(`SELECT MAX(${column}) AS last_update FROM {{${t.name}}}`, {}, { labels: { purpose: 'freshness', source: source.id } });
            const v = rows[0]?.['last_update'];
            return v instanceof Date ? v : null;
          }),
        );
      }
      // A table not there is said so (its name in the sources file, or a table not created yet): "no update time" is
      // what a view or an external table has, whose fix is to list the tables it reads.
      if (absent.length) return { lastUpdated: null, problem: `${absent.join(', ')} ${absent.length === 1 ? 'does' : 'do'} not exist in the warehouse: check ${absent.length === 1 ? 'its name' : 'their names'} in the sources file` };
      const missing = source.tables.filter((_t, i) => !times[i]).map((t) => t.name);
      if (missing.length) return { lastUpdated: null, problem: `no update time for ${missing.join(', ')}` };
      return { lastUpdated: new Date(Math.min(...times.map((t) => t!.getTime()))) };
    } catch (err) {
      const coded = toCodedError(err);
      this.opts.logger.warn('freshness measurement failed', { source: source.id, code: coded.code, err: coded });
      if (err instanceof WarehouseAccessError) return { lastUpdated: null, problem: `the bot may not read the metadata of ${err.table}: grant its service account BigQuery Metadata Viewer there` };
      const problem: Record<string, string> = {
        warehouse_timeout: 'the warehouse did not answer in time',
        // BigQuery's API limit, spent by a busy hour (other replicas and tools under the same service account).
        warehouse_busy: 'BigQuery is at its API rate limit just now; try again in a minute',
      };
      return { lastUpdated: null, problem: problem[coded.code] ?? 'the warehouse could not be read' };
    }
  }

  /** The rerun running for a source, if its lock is held and not expired. */
  async activeRerun(sourceId: string): Promise<ActiveRerun | undefined> {
    return activeRerunOf((await this.opts.store.get(RERUN_LOCKS, sourceId))?.data);
  }
}

/** The rerun a source's lock document says is running, unless it has expired (or there is none). */
export function activeRerunOf(d: Record<string, unknown> | undefined): ActiveRerun | undefined {
  if (!d) return undefined;
  // Lock expiry is wall-clock time (the store sets it), whatever `now` a caller passes.
  if (typeof d['expiresAt'] === 'number' && d['expiresAt'] <= Date.now()) return undefined;
  return {
    requestedBy: String(d['requestedBy'] ?? ''),
    startedAt: String(d['startedAt'] ?? ''),
    link: typeof d['link'] === 'string' ? d['link'] : null,
  };
}
