/**
 * Telemetry levels (src/domain/telemetry.ts): each level reads differently at a
 * glance, and the level follows from the pings and events seen, at the edge of
 * each count (0 is nothing, 1 is something).
 */
import { describe, expect, it } from 'vitest';
import { LEVEL_INFO, TELEMETRY_LEVELS, compareInstances, deriveTelemetryLevel, parseHosting, telemetryWindow } from '../../src/domain/telemetry.js';

describe('telemetry levels at a glance', () => {
  it('each has its own Slack emoji and its own label', () => {
    const emojis = TELEMETRY_LEVELS.map((l) => LEVEL_INFO[l].emoji);
    for (const e of emojis) expect(e).toMatch(/^:[a-z_]+:$/);
    expect(new Set(emojis).size).toBe(TELEMETRY_LEVELS.length);
    expect(new Set(TELEMETRY_LEVELS.map((l) => LEVEL_INFO[l].label)).size).toBe(TELEMETRY_LEVELS.length);
  });

  it('says where to look, and that there is nothing to look at without telemetry', () => {
    expect(LEVEL_INFO.none.whereToLook).toMatch(/^Nothing to look at in Looker/);
    for (const l of ['critical', 'full', 'full_user_level'] as const) expect(LEVEL_INFO[l].whereToLook).toMatch(/^Looker: /);
  });
});

describe('the level from one ping or event', () => {
  it.each([
    [0, 0, 0, 'none'],
    [1, 0, 0, 'critical'],
    [0, 1, 0, 'full'],
    [0, 1, 1, 'full_user_level'],
    [0, 0, 1, 'none'],
    [1, 0, 1, 'critical'],
  ] as const)('critical %i, full %i, user-level events %i → %s', (criticalPings, fullPings, userLevelEvents, level) => {
    expect(deriveTelemetryLevel({ criticalPings, fullPings, userLevelEvents })).toBe(level);
  });
});

describe('the order of a customer\'s instances', () => {
  it('lists the best level first, then the newest last ping, an instance that never pinged last; ties keep their order', () => {
    const at = (d: number | null) => (d === null ? null : new Date(Date.UTC(2026, 0, d)));
    const list = [
      { id: 'a', level: 'none' as const, lastPingAt: at(null) },
      { id: 'b', level: 'critical' as const, lastPingAt: at(2) },
      { id: 'c', level: 'full' as const, lastPingAt: at(1) },
      { id: 'd', level: 'full_user_level' as const, lastPingAt: at(1) },
      { id: 'e', level: 'full' as const, lastPingAt: at(3) },
      { id: 'f', level: 'none' as const, lastPingAt: at(5) },
      { id: 'g', level: 'critical' as const, lastPingAt: at(null) },
      { id: 'h', level: 'critical' as const, lastPingAt: at(9) },
      { id: 'i', level: 'none' as const, lastPingAt: at(null) },
    ];
    expect([...list].sort(compareInstances).map((x) => x.id)).toEqual(['d', 'e', 'c', 'h', 'b', 'g', 'f', 'a', 'i']);
    expect(compareInstances(list[0]!, list[8]!)).toBe(0);
    expect(compareInstances(list[2]!, list[2]!)).toBe(0);
  });
});

describe('the window a lookup reads', () => {
  const DAY = 86_400_000;
  const at = (iso: string) => new Date(iso);

  it('starts the window days before, at the start of that minute, and the lookback at the start of that hour', () => {
    expect(telemetryWindow(at('2026-12-02T14:37:42.123Z'), 30, 90)).toEqual({ since: at('2026-11-02T14:37:00.000Z'), lookback: at('2026-09-03T14:00:00.000Z') });
    expect(telemetryWindow(at('2026-12-02T14:37:42.123Z'), 7, 180)).toEqual({ since: at('2026-11-25T14:37:00.000Z'), lookback: at('2026-06-05T14:00:00.000Z') });
  });

  it('keeps a time already on the minute, or on the hour', () => {
    expect(telemetryWindow(at('2026-12-02T14:00:00.000Z'), 30, 90)).toEqual({ since: at('2026-11-02T14:00:00.000Z'), lookback: at('2026-09-03T14:00:00.000Z') });
  });

  it('is the same for every lookup in the same minute, and moves on with the next one', () => {
    const first = telemetryWindow(at('2026-12-02T14:37:00.000Z'), 30, 90);
    expect(telemetryWindow(at('2026-12-02T14:37:59.999Z'), 30, 90)).toEqual(first);
    const next = telemetryWindow(at('2026-12-02T14:38:00.000Z'), 30, 90);
    expect(next.since.getTime() - first.since.getTime()).toBe(60_000);
    expect(next.lookback).toEqual(first.lookback);
  });

  it('never reads less than the days asked, and less than a minute (an hour for the lookback) more', () => {
    for (const ms of [0, 1, 59_999, 60_000, 3_599_999, 1_234_567_890]) {
      const now = new Date(Date.UTC(2026, 11, 2) + ms);
      const { since, lookback } = telemetryWindow(now, 30, 90);
      const sinceExtra = now.getTime() - 30 * DAY - since.getTime();
      const lookbackExtra = now.getTime() - 90 * DAY - lookback.getTime();
      expect(sinceExtra).toBeGreaterThanOrEqual(0);
      expect(sinceExtra).toBeLessThan(60_000);
      expect(lookbackExtra).toBeGreaterThanOrEqual(0);
      expect(lookbackExtra).toBeLessThan(3_600_000);
    }
  });
});

describe('hosting as the warehouse wrote it', () => {
  it.each([
    ['cloud', 'cloud'],
    ['self-hosted', 'self-hosted'],
    ['managed', 'managed'],
    ['  Managed ', 'managed'],
    ['SELF-HOSTED', 'self-hosted'],
  ])('%j is the known hosting %s', (raw, known) => {
    expect(parseHosting(raw)).toBe(known);
  });

  it.each([
    ['on-prem', 'on-prem'],
    ['  air-gapped  ', 'air-gapped'],
    ['self hosted', 'self hosted'],
    ['toString', 'toString'],
    ['constructor', 'constructor'],
    ['', ''],
    ['   ', ''],
  ])('%j is another hosting, %j', (raw, other) => {
    expect(parseHosting(raw)).toEqual({ other });
  });
});
