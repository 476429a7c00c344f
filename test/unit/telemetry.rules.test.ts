/**
 * Telemetry levels (src/domain/telemetry.ts): each level reads differently at a
 * glance, and the level follows from the pings and events seen, at the edge of
 * each count (0 is nothing, 1 is something).
 */
import { describe, expect, it } from 'vitest';
import { LEVEL_INFO, TELEMETRY_LEVELS, compareInstances, deriveTelemetryLevel } from '../../src/domain/telemetry.js';

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
