/**
 * Telemetry levels (src/domain/telemetry.ts): each level reads differently at a
 * glance, and the level follows from the pings and events seen, at the edge of
 * each count (0 is nothing, 1 is something).
 */
import { describe, expect, it } from 'vitest';
import { LEVEL_INFO, TELEMETRY_LEVELS, deriveTelemetryLevel } from '../../src/domain/telemetry.js';

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
