/**
 * The rules of a threshold alert's condition, one by one: what the form
 * accepts and what it says otherwise, how periods are totalled and ordered,
 * and the condition on the latest one.
 */
import { describe, expect, it } from 'vitest';
import { checkCondition, describeCondition, evaluate, type AlertCondition } from '../../src/domain/alert-condition.js';

const numbers = ['instances', 'users'];

describe('checkCondition', () => {
  it('accepts a condition, trimming what was typed and dropping thousands separators', () => {
    expect(checkCondition({ column: ' instances ', op: ' above ', value: ' 1,000 ' }, numbers)).toEqual({ ok: true, condition: { column: 'instances', op: 'above', value: 1000 } });
    expect(checkCondition({ column: 'users', op: 'below', value: '-12.5' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'below', value: -12.5 } });
    expect(checkCondition({ column: 'users', op: 'change_pct', value: '0.5' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'change_pct', value: 0.5 } });
    // "-0" is said back as 0, never "above -0".
    expect(Object.is((checkCondition({ column: 'users', op: 'above', value: '-0' }, numbers) as { condition: { value: number } }).condition.value, 0)).toBe(true);
    expect(Object.is((checkCondition({ column: 'users', op: 'above', value: '-0.0' }, numbers) as { condition: { value: number } }).condition.value, 0)).toBe(true);
  });

  it('says which numbers the query has when the column is not one of them', () => {
    const r = checkCondition({ column: 'hosting', op: 'above', value: '1' }, numbers);
    expect(r).toEqual({ ok: false, errors: { column: "Pick one of the query's numbers: instances, users." } });
  });

  it('says the query has nothing to watch when it has no numeric column', () => {
    expect(checkCondition({ column: '', op: 'above', value: '1' }, [])).toEqual({ ok: false, errors: { column: 'This query has no numeric column to watch.' } });
  });

  it('names every field that is missing, each with its own message', () => {
    expect(checkCondition({}, numbers)).toEqual({
      ok: false,
      errors: {
        column: "Pick one of the query's numbers: instances, users.",
        op: 'Pick a condition: above, below, or changed by more than a percentage.',
        value: 'Enter a number, e.g. 1000 or 12.5.',
      },
    });
    expect(checkCondition({ column: null, op: null, value: null }, numbers)).toMatchObject({ ok: false, errors: { column: expect.any(String), op: expect.any(String), value: expect.any(String) } });
  });

  it('refuses an unknown condition', () => {
    expect(checkCondition({ column: 'users', op: 'equals', value: '1' }, numbers)).toEqual({ ok: false, errors: { op: 'Pick a condition: above, below, or changed by more than a percentage.' } });
  });

  it.each(['abc', '1e3', '12.', '.5', '1.2.3', '12 apples', 'apples 12', '--1', '0x10', 'Infinity'])('refuses %j as a number', (value) => {
    expect(checkCondition({ column: 'users', op: 'above', value }, numbers)).toEqual({ ok: false, errors: { value: 'Enter a number, e.g. 1000 or 12.5.' } });
  });

  it.each([['1,000', 1000], ['12,500', 12500], ['1,234,567', 1234567], ['-1,000', -1000], ['1,000.25', 1000.25], ['999', 999]])('reads %j as %d: commas only as thousands groups', (value, expected) => {
    expect(checkCondition({ column: 'users', op: 'above', value }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'above', value: expected } });
  });

  it.each(['1,5', '1,5,0', '12,50', '1,0000', '1234,567', ',100', '100,', '1,000,00', '1.000,5', '-1,5', 'a1,000', '1,000b'])('refuses %j, saying a dot marks decimals', (value) => {
    expect(checkCondition({ column: 'users', op: 'above', value }, numbers)).toEqual({ ok: false, errors: { value: 'Use a dot for decimals (12.5); a comma only separates thousands (1,000).' } });
  });

  it.each(['0', '-5', '0.0'])('refuses a change of %j%, which is no change', (value) => {
    expect(checkCondition({ column: 'users', op: 'change_pct', value }, numbers)).toEqual({ ok: false, errors: { value: 'A change is more than 0%: enter a percentage such as 20.' } });
  });

  it.each([['20%', 20], ['20 %', 20], ['12.5%', 12.5], ['1,000%', 1000]])('takes a change of %j with its percent sign as %d', (value, expected) => {
    expect(checkCondition({ column: 'users', op: 'change_pct', value }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'change_pct', value: expected } });
  });

  it('refuses a percent sign on a threshold, saying to leave it off; a change that is only a sign is no number', () => {
    for (const op of ['above', 'below']) {
      expect(checkCondition({ column: 'users', op, value: '20%' }, numbers)).toEqual({ ok: false, errors: { value: "Enter the number itself, without %: above and below compare the column's own values." } });
    }
    expect(checkCondition({ column: 'users', op: 'change_pct', value: '%' }, numbers)).toEqual({ ok: false, errors: { value: 'Enter a number, e.g. 1000 or 12.5.' } });
    expect(checkCondition({ column: 'users', op: 'change_pct', value: '20%%' }, numbers)).toEqual({ ok: false, errors: { value: 'Enter a number, e.g. 1000 or 12.5.' } });
    expect(checkCondition({ column: 'users', op: 'change_pct', value: '1,5%' }, numbers)).toEqual({ ok: false, errors: { value: 'Use a dot for decimals (12.5); a comma only separates thousands (1,000).' } });
  });

  it('refuses a threshold too large to be kept exactly, on either side of zero', () => {
    expect(checkCondition({ column: 'users', op: 'above', value: '1000000000000000' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'above', value: 1e15 } });
    expect(checkCondition({ column: 'users', op: 'below', value: '-1,000,000,000,000,000' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'below', value: -1e15 } });
    for (const value of ['1000000000000001', '-1000000000000001', '99999999999999999999999']) {
      expect(checkCondition({ column: 'users', op: 'above', value }, numbers)).toEqual({ ok: false, errors: { value: 'That number is too large to keep exactly: stay within ±1,000,000,000,000,000.' } });
    }
  });

  it('takes a threshold with up to 6 decimals (trailing zeros do not count), and refuses more, saying so', () => {
    expect(checkCondition({ column: 'users', op: 'above', value: '0.000001' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'above', value: 0.000001 } });
    expect(checkCondition({ column: 'users', op: 'above', value: '12.345600000' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'above', value: 12.3456 } });
    expect(checkCondition({ column: 'users', op: 'change_pct', value: '0.1234560%' }, numbers)).toEqual({ ok: true, condition: { column: 'users', op: 'change_pct', value: 0.123456 } });
    for (const value of ['0.0000001', '-1.1234567', '1,000.0000001']) {
      expect(checkCondition({ column: 'users', op: 'below', value }, numbers)).toEqual({ ok: false, errors: { value: 'Use at most 6 decimals (e.g. 0.000001).' } });
    }
  });

  it('takes 0 and negatives as thresholds for above and below', () => {
    expect(checkCondition({ column: 'users', op: 'above', value: '0' }, numbers).ok).toBe(true);
    expect(checkCondition({ column: 'users', op: 'below', value: '-1' }, numbers).ok).toBe(true);
  });
});

describe('evaluate', () => {
  const above = (value: number, column = 'n'): AlertCondition => ({ column, op: 'above', value });

  it('totals the column per period and looks at the latest, whatever the rows’ order', () => {
    const rows = [
      { week: '2026-11-16', n: 5 },
      { week: '2026-11-23', n: 7 },
      { week: '2026-11-09', n: 100 },
      { week: '2026-11-23', n: 3 },
    ];
    expect(evaluate(above(9), rows, 'week')).toEqual({ holds: true, latest: 10, previous: 5, changePct: 100, byPeriod: true });
    expect(evaluate(above(10), rows, 'week').holds).toBe(false);
  });

  it('orders numbers by value and dates by time, not as text', () => {
    expect(evaluate(above(0), [{ x: 10, n: 1 }, { x: 9, n: 2 }], 'x')).toMatchObject({ latest: 1, previous: 2 });
    const rows = [{ d: new Date('2026-11-30T00:00:00Z'), n: 4 }, { d: new Date('2026-02-01T00:00:00Z'), n: 8 }];
    expect(evaluate(above(0), rows, 'd')).toMatchObject({ latest: 4, previous: 8, changePct: -50 });
  });

  it('orders periods given as ISO dates or datetimes in text by time, and an empty x first', () => {
    const rows = [{ x: '2026-11-02', n: 2 }, { x: null, n: 9 }, { x: '2026-10-26', n: 1 }];
    expect(evaluate(above(0), rows, 'x')).toMatchObject({ latest: 2, previous: 1, byPeriod: true });
    const times = [{ x: '2026-11-02T10:00:00', n: 4 }, { x: '2026-11-02T09:00:00.5', n: 3 }, { x: '2026-11-02T08:00:00', n: 5 }];
    expect(evaluate(above(0), times, 'x')).toMatchObject({ latest: 4, previous: 3, byPeriod: true });
    const periods = [
      '2026-11-02 09:00+01:00', '2026-11-02T09:00:00Z', '2026-11-02T09:00:00-0500', '2026-11-02T09:00', '2026-11-02 09:00:00+00',
      '2026-11-02 09:00:00.123456 UTC', '2026-11', '2026-W45', '2026-Q1', '09:00', '09:00:00.5',
    ];
    for (const x of periods) expect(evaluate(above(0), [{ x, n: 1 }], 'x').byPeriod, x).toBe(true);
    for (const x of ['2026-Q5', '2026-W4', '2026-1', '9:00', '09:00 am', 'Q1 2026', '2026-11-02 09:00:00 +0']) {
      expect(evaluate(above(0), [{ x, n: 1 }], 'x').byPeriod, x).toBe(false);
    }
    // Months as labels: the latest month, and the one before.
    expect(evaluate(above(0), [{ x: '2026-10', n: 1 }, { x: '2026-11', n: 2 }, { x: '2026-09', n: 3 }], 'x')).toMatchObject({ latest: 2, previous: 1 });
  });

  it('totals every row when x is a category, not a period: no latest hosting, no period before', () => {
    const rows = [{ hosting: 'self-hosted', n: 962 }, { hosting: 'managed', n: 359 }, { hosting: 'cloud', n: 40 }];
    expect(evaluate(above(1000), rows, 'hosting')).toEqual({ holds: true, latest: 1361, previous: null, changePct: null, byPeriod: false });
    expect(evaluate({ column: 'n', op: 'change_pct', value: 1 }, rows, 'hosting')).toMatchObject({ holds: false, changePct: null, byPeriod: false });
    // One category among dates makes them categories; so do text that only starts like a date, and booleans.
    expect(evaluate(above(0), [{ x: '2026-11-02', n: 1 }, { x: 'total', n: 5 }], 'x')).toMatchObject({ latest: 6, byPeriod: false });
    expect(evaluate(above(0), [{ x: '2026-11-02 and after', n: 1 }, { x: '2026-11-03', n: 5 }], 'x')).toMatchObject({ latest: 6, byPeriod: false });
    expect(evaluate(above(0), [{ x: '2026-11-02T10', n: 1 }, { x: '2026-11-03', n: 5 }], 'x')).toMatchObject({ latest: 6, byPeriod: false });
    expect(evaluate(above(0), [{ x: 'x2026-11-02', n: 1 }, { x: '2026-11-03', n: 5 }], 'x')).toMatchObject({ latest: 6, byPeriod: false });
    expect(evaluate(above(0), [{ x: true, n: 1 }, { x: false, n: 5 }], 'x')).toMatchObject({ latest: 6, byPeriod: false });
  });

  it('takes every row as one period without an x', () => {
    expect(evaluate(above(5), [{ n: 2 }, { n: 4 }])).toEqual({ holds: true, latest: 6, previous: null, changePct: null, byPeriod: false });
  });

  it('skips cells that are not finite numbers', () => {
    const rows = [{ x: 1, n: 2 }, { x: 2, n: 'n/a' }, { x: 2, n: '' }, { x: 2, n: ' ' }, { x: 2, n: 'Infinity' }, { x: 2, n: null }, { x: 2, n: Number.NaN }, { x: 2, n: Number.POSITIVE_INFINITY }, { x: 2, n: 3 }];
    expect(evaluate(above(0), rows as never, 'x')).toMatchObject({ latest: 3, previous: 2 });
    expect(evaluate(above(-1), [{ x: 1, n: '' }, { x: 2, n: ' ' }], 'x')).toEqual({ holds: false, latest: null, previous: null, changePct: null, byPeriod: true });
  });

  it('reads a number that came as its exact text (one a double cannot hold) as a number', () => {
    const rows = [{ x: 1, n: '3333333.333333333' }, { x: 2, n: '12345678901234567.5' }, { x: 2, n: 1 }];
    const e = evaluate(above(1e16), rows, 'x');
    expect(e.holds).toBe(true);
    expect(e.latest).toBeCloseTo(12345678901234568.5, -2);
    expect(e.previous).toBeCloseTo(3333333.333333333, 6);
  });

  it('does not hold with no numbers at all', () => {
    expect(evaluate(above(-1), [], 'x')).toEqual({ holds: false, latest: null, previous: null, changePct: null, byPeriod: true });
    expect(evaluate({ column: 'n', op: 'below', value: 1 }, [{ x: 1, n: null }], 'x').holds).toBe(false);
  });

  it('is strict: equal to the threshold is neither above nor below', () => {
    expect(evaluate(above(3), [{ n: 3 }]).holds).toBe(false);
    expect(evaluate({ column: 'n', op: 'below', value: 3 }, [{ n: 3 }]).holds).toBe(false);
    expect(evaluate({ column: 'n', op: 'below', value: 3 }, [{ n: 2 }]).holds).toBe(true);
  });

  it('measures a change against the size of the period before, up or down', () => {
    const change = (value: number): AlertCondition => ({ column: 'n', op: 'change_pct', value });
    const down = [{ x: 1, n: -200 }, { x: 2, n: -100 }];
    expect(evaluate(change(49), down, 'x')).toEqual({ holds: true, latest: -100, previous: -200, changePct: 50, byPeriod: true });
    expect(evaluate(change(50), down, 'x').holds).toBe(false);
    expect(evaluate(change(30), [{ x: 1, n: 100 }, { x: 2, n: 60 }], 'x')).toMatchObject({ holds: true, changePct: -40 });
    // From 0, or with one period only, there is no change to measure.
    expect(evaluate(change(1), [{ x: 1, n: 0 }, { x: 2, n: 60 }], 'x')).toMatchObject({ holds: false, changePct: null });
    expect(evaluate(change(1), [{ x: 1, n: 60 }], 'x')).toMatchObject({ holds: false, changePct: null });
  });
});

describe('describeCondition', () => {
  it('says the condition in words, with the column’s label', () => {
    expect(describeCondition({ column: 'n', op: 'above', value: 1234.567 }, 'Active instances')).toBe('Active instances is above 1,234.567');
    // Every decimal a threshold may have: not "above 0" for 0.004, nor "more than 0%" for 0.000001.
    expect(describeCondition({ column: 'n', op: 'above', value: 0.004 })).toBe('n is above 0.004');
    expect(describeCondition({ column: 'n', op: 'change_pct', value: 0.000001 })).toBe('n changes by more than 0.000001% from the period before');
    expect(describeCondition({ column: 'n', op: 'below', value: 3 })).toBe('n is below 3');
    expect(describeCondition({ column: 'n', op: 'change_pct', value: 20 })).toBe('n changes by more than 20% from the period before');
  });
});
