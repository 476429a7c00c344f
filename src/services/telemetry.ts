/**
 * The `/telemetry` use case: find a customer from what someone typed and tell
 * them, per instance, what telemetry we receive and where to look at it.
 */
import type { Logger } from '../logger.js';
import type { Row, Warehouse } from '../ports/warehouse.js';
import type { CustomerIndex, CustomerName, Listed, MatchResult } from '../domain/customer-match.js';
import { CustomerList } from './customers.js';
import { compareInstances, deriveTelemetryLevel, parseHosting, telemetryWindow, type Hosting, type InstanceActivity, type TelemetryLevel } from '../domain/telemetry.js';
import { trimText } from '../format.js';

/** Longest command text we accept; anything longer is not a customer name. */
export const MAX_TELEMETRY_TEXT = 200;

export interface InstanceTelemetry {
  siteId: string;
  /** A known hosting, or the warehouse's own text for one we do not know. */
  hosting: Hosting | { other: string };
  version: string | null;
  lastPingAt: Date | null;
  level: TelemetryLevel;
  activity: InstanceActivity;
}

export interface CustomerTelemetry {
  customer: CustomerName;
  instances: InstanceTelemetry[];
  windowDays: number;
  /** How far back the last ping is looked for (at least the window): "none in the last N days". */
  lookbackDays?: number;
  /** When the warehouse's telemetry tables were last updated. */
  dataUpdatedAt: Date | null;
  generatedAt: Date;
}

export type TelemetryAnswer =
  | { kind: 'usage' }
  | { kind: 'too_long'; max: number }
  /** `also`: other customers the text matched, when it named this one exactly (the card says so). */
  | { kind: 'card'; telemetry: CustomerTelemetry; also?: { query: string } & Listed }
  /** `more`: customers that matched too but are not listed (type more of the name to reach them). */
  | { kind: 'several'; query: string; customers: CustomerName[]; more?: number }
  | { kind: 'none'; query: string; closest: CustomerName[] };

export interface TelemetryServiceOptions {
  warehouse: Warehouse;
  logger: Logger;
  windowDays: number;
  /** The shared customer list; one of its own when omitted. */
  customers?: CustomerList;
  now?: () => Date;
}

/** Pings older than this are not read at all (bounds the bytes scanned on BigQuery). */
const LOOKBACK_DAYS = 90;
/** How long a card whose rows are in waits for the tables' update time (a footnote). */
const FRESHNESS_GRACE_MS = 500;

const INSTANCES_SQL = `
SELECT i.site_id, i.hosting, i.version, p.last_ping_at,
  COALESCE(p.critical_pings, 0) AS critical_pings,
  COALESCE(p.full_pings, 0) AS full_pings,
  COALESCE(e.events, 0) AS user_level_events
FROM {{instances}} AS i
LEFT JOIN (
  SELECT site_id, MAX(received_at) AS last_ping_at,
    SUM(CASE WHEN ping_type = 'critical' AND received_at >= @since THEN 1 ELSE 0 END) AS critical_pings,
    SUM(CASE WHEN ping_type = 'full' AND received_at >= @since THEN 1 ELSE 0 END) AS full_pings
  FROM {{pings}}
  WHERE received_at >= @lookback
    AND site_id IN (SELECT site_id FROM {{instances}} WHERE customer_id = @customer_id)
  GROUP BY site_id
) AS p ON p.site_id = i.site_id
LEFT JOIN (
  SELECT site_id, COUNT(*) AS events
  FROM {{events}}
  WHERE occurred_at >= @since
    AND site_id IN (SELECT site_id FROM {{instances}} WHERE customer_id = @customer_id)
  GROUP BY site_id
) AS e ON e.site_id = i.site_id
WHERE i.customer_id = @customer_id
ORDER BY i.site_id`;

const str = (v: Row[string] | undefined): string => (v === null || v === undefined ? '' : String(v));
const num = (v: Row[string] | undefined): number => (typeof v === 'number' ? v : Number(v ?? 0));

export class TelemetryService {
  private readonly list: CustomerList;
  private freshness: { at: number; value: Date | null } | null = null;
  private freshnessLoading: Promise<Date | null> | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: TelemetryServiceOptions) {
    this.list = opts.customers ?? new CustomerList({ warehouse: opts.warehouse, logger: opts.logger });
    this.now = opts.now ?? (() => new Date());
  }

  /** Answers `/telemetry <text>`. Throws only when the warehouse fails. */
  async answer(text: string, context: { userId: string }): Promise<TelemetryAnswer> {
    const query = trimText(text);
    if (!query || /^(help|\?)$/i.test(query)) return { kind: 'usage' };
    if (query.length > MAX_TELEMETRY_TEXT) return { kind: 'too_long', max: MAX_TELEMETRY_TEXT };
    const match: MatchResult = (await this.customers()).match(query);
    switch (match.kind) {
      case 'one':
        return { kind: 'card', telemetry: await this.telemetryOf(match.customer, context), ...(match.also ? { also: { query, ...match.also } } : {}) };
      case 'several':
        return { kind: 'several', query, customers: match.customers, ...(match.more ? { more: match.more } : {}) };
      case 'none':
        // Words that only ask (`/telemetry telemetry`, `/telemetry for`) are a question about the command.
        return match.asksOnly ? { kind: 'usage' } : { kind: 'none', query, closest: match.closest };
    }
  }

  /** The card for a customer chosen by ID (from a picker or Share button); null if unknown. */
  async cardFor(customerId: string, context: { userId: string }): Promise<CustomerTelemetry | null> {
    const customer = (await this.customers()).byId(customerId);
    return customer ? this.telemetryOf(customer, context) : null;
  }

  /** Loads the customer list now (start-up warm-up). */
  async warmUp(): Promise<void> {
    await this.customers();
  }

  private customers(): Promise<CustomerIndex> {
    return this.list.current();
  }

  private async telemetryOf(customer: CustomerName, context: { userId: string }): Promise<CustomerTelemetry> {
    const now = this.now();
    const lookbackDays = Math.max(LOOKBACK_DAYS, this.opts.windowDays);
    const { since, lookback } = telemetryWindow(now, this.opts.windowDays, lookbackDays);
    const updated = this.dataUpdatedAt();
    const result = await this.opts.warehouse.query(
      INSTANCES_SQL,
      {
        customer_id: { type: 'STRING', value: customer.customerId },
        since: { type: 'TIMESTAMP', value: since },
        lookback: { type: 'TIMESTAMP', value: lookback },
      },
      { labels: { command: 'telemetry', user: context.userId } },
    );
    // A footnote must not hold the card: metadata that is slow (or retried by the client after a
    // 503) gets a moment after the rows are in; then the card says what was last known, if anything
    // (older than the truth, never newer), and the answer that arrives later serves the next card.
    let grace: NodeJS.Timeout | undefined;
    const dataUpdatedAt = await Promise.race([
      updated,
      new Promise<Date | null>((resolve) => (grace = setTimeout(() => resolve(this.freshness?.value ?? null), FRESHNESS_GRACE_MS))),
    ]).finally(() => clearTimeout(grace));
    const instances = result.rows.map((r): InstanceTelemetry => {
      const activity = {
        criticalPings: num(r.critical_pings),
        fullPings: num(r.full_pings),
        userLevelEvents: num(r.user_level_events),
      };
      return {
        siteId: str(r.site_id),
        hosting: parseHosting(str(r.hosting)),
        version: str(r.version) || null,
        lastPingAt: r.last_ping_at instanceof Date ? r.last_ping_at : null,
        level: deriveTelemetryLevel(activity),
        activity,
      };
    });
    // Best level first, then newest ping: the card shows the first 12, so the best are never the ones left out.
    instances.sort(compareInstances);
    return { customer, instances, windowDays: this.opts.windowDays, lookbackDays, dataUpdatedAt, generatedAt: now };
  }

  /**
   * When the card's data was last current: the older of the two telemetry tables' last
   * updates (from metadata), as the card reads both; cached for a minute. The newer one
   * would call the card fresh while the pings stopped loading days ago, and a CE would
   * read "last ping 3 days ago" as the customer's instance going quiet.
   */
  private dataUpdatedAt(): Promise<Date | null> {
    if (this.freshness && Date.now() - this.freshness.at < 60_000) return Promise.resolve(this.freshness.value);
    // One metadata read at a time, however many cards wait on it.
    return (this.freshnessLoading ??= (async () => {
      try {
        const tables = await this.opts.warehouse.tableFreshness(['pings', 'events']);
        const times = tables.map((t) => t.lastModified?.getTime() ?? 0).filter((t) => t > 0);
        const value = times.length ? new Date(Math.min(...times)) : null;
        this.freshness = { at: Date.now(), value };
        return value;
      } catch (err) {
        // Freshness is a footnote: its failure must not cost the user the card.
        this.opts.logger.warn('table freshness unavailable', { err });
        return null;
      } finally {
        this.freshnessLoading = null;
      }
    })());
  }
}
