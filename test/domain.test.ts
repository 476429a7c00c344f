import { describe, expect, it } from 'vitest';
import { deriveTelemetryLevel, LEVEL_INFO, TELEMETRY_LEVELS } from '../src/domain/telemetry.js';
import { CustomerIndex, editDistance, normalize } from '../src/domain/customer-match.js';

describe('deriveTelemetryLevel', () => {
  it.each([
    [{ criticalPings: 0, fullPings: 0, userLevelEvents: 0 }, 'none'],
    [{ criticalPings: 3, fullPings: 0, userLevelEvents: 0 }, 'critical'],
    [{ criticalPings: 3, fullPings: 1, userLevelEvents: 0 }, 'full'],
    [{ criticalPings: 0, fullPings: 5, userLevelEvents: 0 }, 'full'],
    [{ criticalPings: 0, fullPings: 5, userLevelEvents: 12 }, 'full_user_level'],
    // Events without full pings never claim more than the pings show.
    [{ criticalPings: 2, fullPings: 0, userLevelEvents: 12 }, 'critical'],
    [{ criticalPings: 0, fullPings: 0, userLevelEvents: 12 }, 'none'],
  ] as const)('%o → %s', (activity, level) => {
    expect(deriveTelemetryLevel(activity)).toBe(level);
  });

  it('has exactly the four handbook levels, in order, each explained', () => {
    expect(TELEMETRY_LEVELS.map((l) => LEVEL_INFO[l].label)).toEqual([
      'No telemetry',
      'Critical pings',
      'Full pings',
      'Full pings + user-level data',
    ]);
    for (const l of TELEMETRY_LEVELS) {
      expect(LEVEL_INFO[l].meaning.length).toBeGreaterThan(20);
      expect(LEVEL_INFO[l].whereToLook.length).toBeGreaterThan(20);
    }
  });
});

describe('customer matching', () => {
  // Built in each test rather than while the file is collected, so that mutation
  // testing (npm run test:mutation) sees which test ran which line.
  const index = () => new CustomerIndex([
    { customerId: 'acme', name: 'Acme Corp', aliases: ['Acme', 'ACME Inc'], domain: 'acme.com' },
    { customerId: 'globex', name: 'Globex', aliases: [], domain: 'globex.io' },
    { customerId: 'stark-ind', name: 'Stark Industries', aliases: [], domain: 'starkindustries.com' },
    { customerId: 'stark-log', name: 'Stark Logistics', aliases: [], domain: 'starklogistics.com' },
    { customerId: 'initech', name: 'Initech', aliases: ['Initrode'], domain: 'initech.com' },
    { customerId: 'nestle', name: 'Nestlé S.A.', aliases: [], domain: 'nestle.com' },
  ]);

  it.each(['acme', 'Acme Corp', 'acme.com', 'acm', 'ACME', '  Acme, Inc.  ', 'https://www.acme.com', 'Acme Crop', 'acmee'])(
    '%s finds Acme Corp',
    (q) => {
      const m = index().match(q);
      expect(m.kind).toBe('one');
      expect(m.kind === 'one' && m.customer.customerId).toBe('acme');
    },
  );

  it('finds by alias and ignores accents', () => {
    expect(index().match('initrode')).toMatchObject({ kind: 'one', customer: { customerId: 'initech' } });
    expect(index().match('nestle')).toMatchObject({ kind: 'one', customer: { customerId: 'nestle' } });
  });

  it('returns several when a prefix is shared', () => {
    const m = index().match('stark');
    expect(m.kind).toBe('several');
    expect(m.kind === 'several' && m.customers.map((c) => c.customerId).sort()).toEqual(['stark-ind', 'stark-log']);
  });

  it('returns none with the closest names', () => {
    const m = index().match('globx corporation international');
    expect(m.kind).toBe('none');
    const none = index().match('zzzzqqq');
    expect(none.kind).toBe('none');
  });

  it('treats SQL metacharacters, quotes, emoji and huge input as text', () => {
    for (const q of ["'; DROP TABLE customers; --", '"acme"', '🚀🚀', '%', '_', 'x'.repeat(5000), '\u0000']) {
      const m = index().match(q);
      expect(['one', 'several', 'none']).toContain(m.kind);
    }
    expect(index().match('"acme"')).toMatchObject({ kind: 'one', customer: { customerId: 'acme' } });
  });

  it('normalizes and measures distance', () => {
    expect(normalize('  ACME, Inc. ')).toBe('acme inc');
    expect(editDistance('acme', 'acne', 2)).toBe(1);
    expect(editDistance('acme', 'globex', 2)).toBe(3);
  });

  it('measures the textbook distance up to the bound (and more than the bound beyond it), whatever the lengths and order of calls', () => {
    const levenshtein = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      return d[a.length]![b.length]!;
    };
    // Short and long words (past the rows first allocated), in an order that leaves longer rows behind shorter calls.
    const words = ['', 'a', 'acme', 'acne', 'acme corp', 'globex', 'initech', 'stark industries', 'stark logistics',
      'x'.repeat(70), `${'ab'.repeat(40)}c`, `${'ab'.repeat(39)}cc`, 'nestle s a', 'umbrella corporation'];
    for (const a of words) {
      for (const b of words) {
        const exact = levenshtein(a, b);
        for (const max of [0, 1, 2, 4, 100]) {
          const d = editDistance(a, b, max);
          if (exact <= max) expect(d, `${a} / ${b} / ${max}`).toBe(exact);
          else expect(d, `${a} / ${b} / ${max}`).toBeGreaterThan(max);
        }
      }
    }
  });
});
