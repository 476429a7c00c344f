/**
 * Telemetry levels, from the handbook. An instance's level is derived from what
 * the warehouse received from it in the last N days; `deriveTelemetryLevel` is
 * the one place that rule lives.
 */
export const TELEMETRY_LEVELS = ['none', 'critical', 'full', 'full_user_level'] as const;
export type TelemetryLevel = (typeof TELEMETRY_LEVELS)[number];

export const HOSTINGS = ['cloud', 'self-hosted', 'managed'] as const;
export type Hosting = (typeof HOSTINGS)[number];

/**
 * An instance's hosting as the warehouse wrote it: one of the known ones (whatever its case
 * and surrounding spaces), or else the text itself, trimmed (empty when there is none).
 */
export function parseHosting(raw: string): Hosting | { other: string } {
  const text = raw.trim();
  const known = HOSTINGS.find((h) => h === text.toLowerCase());
  return known ?? { other: text };
}

export interface LevelInfo {
  label: string;
  emoji: string;
  /** What the level means, in the handbook's words. */
  meaning: string;
  /** Which data tool to use for an instance at this level, and why. */
  whereToLook: string;
}

export const LEVEL_INFO: Record<TelemetryLevel, LevelInfo> = {
  none: {
    label: 'No telemetry',
    emoji: ':no_entry_sign:',
    meaning: 'Air-gapped, or pings turned off. We have no data about this instance\'s product usage.',
    whereToLook: 'Nothing to look at in Looker: no usage data reaches us. Ask the customer (Customer Environment Questions) or use license and subscription data on the site-admin pages.',
  },
  critical: {
    label: 'Critical pings',
    emoji: ':large_yellow_circle:',
    meaning: 'Only the pings required for billing, support, updates and security notices.',
    whereToLook: 'Looker: server instances overview, for version, license and user counts only; no feature usage.',
  },
  full: {
    label: 'Full pings',
    emoji: ':large_green_circle:',
    meaning: 'All aggregated, anonymous ping data.',
    whereToLook: 'Looker: server instances overview and the sales/customer engineering board, for aggregated feature usage.',
  },
  full_user_level: {
    label: 'Full pings + user-level data',
    emoji: ':star:',
    meaning: 'All aggregated ping data plus the anonymous, user-level event stream from the event logger.',
    whereToLook: 'Looker: the product/engineering board for user-level events (what users did, when, and the outcome), plus the server instances overview.',
  },
};

/** What the warehouse saw from one instance in the telemetry window. */
export interface InstanceActivity {
  criticalPings: number;
  fullPings: number;
  userLevelEvents: number;
}

/**
 * The telemetry level of an instance from its activity in the window:
 * no pings → none; full pings and user-level events → full + user-level;
 * full pings → full; only critical pings → critical. User-level events without
 * any full ping cannot happen by the handbook's definitions; they count as the
 * ping level alone, so we never claim more than the pings show.
 */
export function deriveTelemetryLevel(a: InstanceActivity): TelemetryLevel {
  if (a.fullPings > 0) return a.userLevelEvents > 0 ? 'full_user_level' : 'full';
  if (a.criticalPings > 0) return 'critical';
  return 'none';
}

/**
 * The order a customer's instances are listed in: the best telemetry level
 * first, then the newest last ping (none last), so that the instances a card
 * leaves out are the least telling ones. Stable for ties (sort keeps the
 * warehouse's site order).
 */
export function compareInstances(a: { level: TelemetryLevel; lastPingAt: Date | null }, b: { level: TelemetryLevel; lastPingAt: Date | null }): number {
  const byLevel = TELEMETRY_LEVELS.indexOf(b.level) - TELEMETRY_LEVELS.indexOf(a.level);
  if (byLevel !== 0) return byLevel;
  return (b.lastPingAt?.getTime() ?? -Infinity) - (a.lastPingAt?.getTime() ?? -Infinity) || 0;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The times a lookup reads from: `since`, the start of the window (`windowDays` before `now`,
 * down to the start of its minute), and `lookback`, how far back a last ping is looked for
 * (`lookbackDays` before `now`, down to the start of its hour). Rounded so that lookups in
 * the same minute send the warehouse the same query, which BigQuery can answer from its
 * cache; a window of days read up to a minute longer says the same.
 */
export function telemetryWindow(now: Date, windowDays: number, lookbackDays: number): { since: Date; lookback: Date } {
  const at = now.getTime();
  return {
    since: new Date(Math.floor((at - windowDays * DAY_MS) / MINUTE_MS) * MINUTE_MS),
    lookback: new Date(Math.floor((at - lookbackDays * DAY_MS) / HOUR_MS) * HOUR_MS),
  };
}
