/**
 * Schedules and alert conditions (src/domain/schedule.ts,
 * src/domain/alert-condition.ts), as tables: what a form may say, when the
 * next run is (time zones and daylight-saving changes included), what a
 * missed run does, when an alert fires, stays quiet, and resolves.
 */
import { describe, expect, it } from 'vitest';
import { checkSchedule, cronOf, describeSchedule, isTimeZone, nextRun, ordinal, runAfter, runDecision, type Schedule } from '../src/domain/schedule.js';
import { alertStep, checkCondition, describeCondition, evaluate, type AlertCondition } from '../src/domain/alert-condition.js';

const iso = (d: Date) => d.toISOString();

describe('checking a schedule from the form', () => {
  it.each([
    [{ kind: 'daily', time: '09:00', tz: 'Europe/Berlin' }, { kind: 'daily', time: '09:00', tz: 'Europe/Berlin' }],
    [{ kind: 'weekdays', time: '23:59', tz: 'UTC' }, { kind: 'weekdays', time: '23:59', tz: 'UTC' }],
    [{ kind: 'weekly', day: 'mon', time: '00:00', tz: 'UTC' }, { kind: 'weekly', day: 'mon', time: '00:00', tz: 'UTC' }],
    [{ kind: 'monthly', date: '1', time: '07:30', tz: 'UTC' }, { kind: 'monthly', date: 1, time: '07:30', tz: 'UTC' }],
    [{ kind: 'monthly', date: '28', time: '07:30', tz: 'UTC' }, { kind: 'monthly', date: 28, time: '07:30', tz: 'UTC' }],
    [{ kind: 'cron', cron: '0  9 * * 1 ', tz: 'America/New_York' }, { kind: 'cron', cron: '0 9 * * 1', tz: 'America/New_York' }],
    [{ kind: 'cron', cron: '*/15 * * * *', tz: 'UTC' }, { kind: 'cron', cron: '*/15 * * * *', tz: 'UTC' }],
    [{ kind: 'cron', cron: '0 9 * * THU', tz: 'UTC' }, { kind: 'cron', cron: '0 9 * * THU', tz: 'UTC' }],
    [{ kind: 'daily', time: '09:00' }, { kind: 'daily', time: '09:00', tz: 'UTC' }],
    // Where the clocks go back, runs still 15 minutes apart or more are accepted.
    [{ kind: 'cron', cron: '*/15 * * * *', tz: 'Australia/Lord_Howe' }, { kind: 'cron', cron: '*/15 * * * *', tz: 'Australia/Lord_Howe' }],
    [{ kind: 'cron', cron: '*/15 * * * *', tz: 'America/New_York' }, { kind: 'cron', cron: '*/15 * * * *', tz: 'America/New_York' }],
    [{ kind: 'cron', cron: '0,50 1 * * *', tz: 'America/New_York' }, { kind: 'cron', cron: '0,50 1 * * *', tz: 'America/New_York' }],
    [{ kind: 'cron', cron: '10,40 * * * *', tz: 'Australia/Lord_Howe' }, { kind: 'cron', cron: '10,40 * * * *', tz: 'Australia/Lord_Howe' }],
    // Chatham's runs as they go (cron-parser's own step back from 02:45 to 02:00 is no run: nextRun skips it).
    [{ kind: 'cron', cron: '*/15 * * * *', tz: 'Pacific/Chatham' }, { kind: 'cron', cron: '*/15 * * * *', tz: 'Pacific/Chatham' }],
  ])('accepts %j', (input, schedule) => {
    expect(checkSchedule(input)).toEqual({ ok: true, schedule });
  });

  it.each([
    [{ kind: 'hourly', time: '09:00', tz: 'UTC' }, 'kind'],
    [{ kind: '', tz: 'UTC' }, 'kind'],
    [{ kind: 'daily', time: '24:00', tz: 'UTC' }, 'time'],
    [{ kind: 'daily', time: '9:00', tz: 'UTC' }, 'time'],
    [{ kind: 'daily', time: '09:60', tz: 'UTC' }, 'time'],
    [{ kind: 'daily', time: '', tz: 'UTC' }, 'time'],
    [{ kind: 'weekly', day: 'funday', time: '09:00', tz: 'UTC' }, 'day'],
    [{ kind: 'weekly', time: '09:00', tz: 'UTC' }, 'day'],
    [{ kind: 'monthly', date: '0', time: '09:00', tz: 'UTC' }, 'date'],
    [{ kind: 'monthly', date: '29', time: '09:00', tz: 'UTC' }, 'date'],
    [{ kind: 'monthly', date: '1.5', time: '09:00', tz: 'UTC' }, 'date'],
    [{ kind: 'cron', cron: '', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '0 9 * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '0 0 9 * * 1', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '61 9 * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '*/14 * * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '* * * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: `0 9 * * ${'1,'.repeat(60)}1`, tz: 'UTC' }, 'cron'],
    // `H` is a random value to cron-parser, drawn again at each next run: runs at random times, minutes apart.
    [{ kind: 'cron', cron: 'H * * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: 'H H * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '0,H 9 * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: 'H(0-29)/20 * * * *', tz: 'UTC' }, 'cron'],
    [{ kind: 'cron', cron: '0 9 * * H', tz: 'UTC' }, 'cron'],
    [{ kind: 'daily', time: '09:00', tz: 'Mars/Olympus_Mons' }, 'tz'],
  ])('refuses %j on %s', (input, field) => {
    const r = checkSchedule(input);
    expect(r.ok).toBe(false);
    expect(Object.keys(r.ok ? {} : r.errors)).toContain(field);
  });

  it('knows real time zones and no others', () => {
    expect(isTimeZone('America/Los_Angeles')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Nowhere/Special')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('the next run', () => {
  const at = (s: Schedule, after: string) => iso(nextRun(s, new Date(after)));

  it.each([
    // Daily at 09:00 in New York: 14:00 UTC in winter, 13:00 UTC in summer.
    [{ kind: 'daily', time: '09:00', tz: 'America/New_York' }, '2026-03-07T12:00:00Z', '2026-03-07T14:00:00.000Z'],
    [{ kind: 'daily', time: '09:00', tz: 'America/New_York' }, '2026-03-07T14:00:00Z', '2026-03-08T13:00:00.000Z'],
    [{ kind: 'daily', time: '09:00', tz: 'America/New_York' }, '2026-10-31T14:00:00Z', '2026-11-01T14:00:00.000Z'],
    // Exactly at the time: the next one, not the same.
    [{ kind: 'daily', time: '09:00', tz: 'UTC' }, '2026-01-01T09:00:00Z', '2026-01-02T09:00:00.000Z'],
    [{ kind: 'daily', time: '09:00', tz: 'UTC' }, '2026-01-01T08:59:59Z', '2026-01-01T09:00:00.000Z'],
    // Weekdays skip the weekend (Friday 2026-11-27 → Monday 2026-11-30, Berlin is UTC+1).
    [{ kind: 'weekdays', time: '09:00', tz: 'Europe/Berlin' }, '2026-11-27T09:00:00Z', '2026-11-30T08:00:00.000Z'],
    [{ kind: 'weekly', day: 'mon', time: '09:00', tz: 'UTC' }, '2026-11-30T09:00:01Z', '2026-12-07T09:00:00.000Z'],
    [{ kind: 'weekly', day: 'sun', time: '18:00', tz: 'UTC' }, '2026-11-30T00:00:00Z', '2026-12-06T18:00:00.000Z'],
    [{ kind: 'monthly', date: 28, time: '06:00', tz: 'UTC' }, '2027-02-01T00:00:00Z', '2027-02-28T06:00:00.000Z'],
    [{ kind: 'monthly', date: 1, time: '06:00', tz: 'UTC' }, '2026-12-15T00:00:00Z', '2027-01-01T06:00:00.000Z'],
    [{ kind: 'cron', cron: '30 8 * * 1-5', tz: 'Asia/Tokyo' }, '2026-11-30T00:00:00Z', '2026-11-30T23:30:00.000Z'],
  ] as const)('%j after %s is %s', (schedule, after, next) => {
    expect(at(schedule, after)).toBe(next);
  });

  it('keeps a weekly 09:00 at 09:00 local across the spring change (New York, 8 March 2026)', () => {
    const s: Schedule = { kind: 'weekly', day: 'mon', time: '09:00', tz: 'America/New_York' };
    const first = nextRun(s, new Date('2026-03-01T00:00:00Z'));
    const second = nextRun(s, first);
    expect([iso(first), iso(second)]).toEqual(['2026-03-02T14:00:00.000Z', '2026-03-09T13:00:00.000Z']);
  });

  it('runs a time that does not exist on the spring-change day an hour later, and a doubled one once', () => {
    const gap: Schedule = { kind: 'daily', time: '02:30', tz: 'America/New_York' };
    expect(iso(nextRun(gap, new Date('2026-03-07T12:00:00Z')))).toBe('2026-03-08T07:30:00.000Z');
    const doubled: Schedule = { kind: 'daily', time: '01:30', tz: 'America/New_York' };
    const first = nextRun(doubled, new Date('2026-10-31T12:00:00Z'));
    expect(iso(first)).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(nextRun(doubled, first))).toBe('2026-11-02T06:30:00.000Z');
  });

  it('writes each kind as its cron expression', () => {
    expect(cronOf({ kind: 'daily', time: '07:05', tz: 'UTC' })).toBe('5 7 * * *');
    expect(cronOf({ kind: 'weekdays', time: '07:05', tz: 'UTC' })).toBe('5 7 * * 1-5');
    expect(cronOf({ kind: 'weekly', day: 'sun', time: '07:05', tz: 'UTC' })).toBe('5 7 * * 0');
    expect(cronOf({ kind: 'weekly', day: 'mon', time: '07:05', tz: 'UTC' })).toBe('5 7 * * 1');
    expect(cronOf({ kind: 'monthly', date: 15, time: '07:05', tz: 'UTC' })).toBe('5 7 15 * *');
  });

  it('says a schedule in words', () => {
    expect(describeSchedule({ kind: 'weekdays', time: '09:00', tz: 'America/Los_Angeles' })).toBe('Weekdays at 09:00 (America/Los_Angeles)');
    expect(describeSchedule({ kind: 'weekly', day: 'fri', time: '16:00', tz: 'UTC' })).toBe('Every Friday at 16:00 (UTC)');
    expect(describeSchedule({ kind: 'monthly', date: 3, time: '08:00', tz: 'UTC' })).toBe('Monthly on the 3rd at 08:00 (UTC)');
    expect(describeSchedule({ kind: 'daily', time: '08:00', tz: 'UTC' })).toBe('Every day at 08:00 (UTC)');
  });

  it.each([[1, '1st'], [2, '2nd'], [3, '3rd'], [4, '4th'], [11, '11th'], [12, '12th'], [13, '13th'], [21, '21st'], [22, '22nd'], [23, '23rd'], [28, '28th']])('%i is %s', (n, s) => {
    expect(ordinal(n)).toBe(s);
  });
});

describe('a run the bot missed', () => {
  const hour = 3_600_000;
  it.each([
    [0, 'run'],
    [hour - 1, 'run'],
    [hour, 'run'],
    [hour + 1, 'missed'],
    [48 * hour, 'missed'],
  ])('%i ms late with an hour of grace: %s', (late, decision) => {
    expect(runDecision(1_000_000, 1_000_000 + late, hour)).toBe(decision);
  });
});

describe('the run after one', () => {
  const hour = 3_600_000;
  const daily: Schedule = { kind: 'daily', time: '09:00', tz: 'UTC' };
  const run = (dueAt: string, now: string) => iso(runAfter(daily, Date.parse(dueAt), Date.parse(now), hour));
  it('is the next on the schedule when that is still to come', () => {
    expect(run('2026-12-01T09:00:00Z', '2026-12-01T09:00:05Z')).toBe('2026-12-02T09:00:00.000Z');
    expect(run('2026-12-01T09:00:00Z', '2026-12-01T09:50:00Z')).toBe('2026-12-02T09:00:00.000Z');
  });
  it('is the latest time the bot was down past, while it is within the grace (due: it runs at once)', () => {
    expect(run('2026-12-01T09:00:00Z', '2026-12-03T09:10:00Z')).toBe('2026-12-03T09:00:00.000Z');
    expect(run('2026-12-01T09:00:00Z', '2026-12-02T09:00:00Z')).toBe('2026-12-02T09:00:00.000Z');
    expect(run('2026-12-01T09:00:00Z', '2026-12-02T10:00:00Z')).toBe('2026-12-02T09:00:00.000Z');
  });
  it('is the first after now when the latest missed one is past the grace', () => {
    expect(run('2026-12-01T09:00:00Z', '2026-12-02T10:00:00.001Z')).toBe('2026-12-03T09:00:00.000Z');
    expect(run('2026-12-01T09:00:00Z', '2026-12-04T20:00:00Z')).toBe('2026-12-05T09:00:00.000Z');
  });
  it('finds a run moved out of a daylight-saving gap (New York, 8 March 2026), and never returns the run it follows', () => {
    // 02:30 does not exist that night: the run is at 03:30 EDT (07:30 UTC), as nextRun has it.
    const twice: Schedule = { kind: 'cron', cron: '30 1,2 * * *', tz: 'America/New_York' };
    expect(iso(runAfter(twice, Date.parse('2026-03-08T06:30:00Z'), Date.parse('2026-03-08T07:35:00Z'), 2 * hour))).toBe('2026-03-08T07:30:00.000Z');
    const nightly: Schedule = { kind: 'daily', time: '02:30', tz: 'America/New_York' };
    expect(iso(runAfter(nightly, Date.parse('2026-03-07T07:30:00Z'), Date.parse('2026-03-08T07:40:00Z'), hour))).toBe('2026-03-08T07:30:00.000Z');
    for (const s of [twice, nightly, { kind: 'cron', cron: '*/15 * * * *', tz: 'Europe/London' } as Schedule]) {
      for (let t = Date.parse('2026-03-07T00:00:00Z'); t < Date.parse('2026-03-09T00:00:00Z'); t += 17 * 60_000) {
        const due = nextRun(s, new Date(t)).getTime();
        for (const late of [0, 60_000, hour, 3 * hour]) expect(runAfter(s, due, due + late, 2 * hour).getTime()).toBeGreaterThan(due);
      }
    }
  });

  it('runs a daily 01:30 once on the night the clocks go back (New York, 1 November 2026), however late it is recorded', () => {
    const nightly: Schedule = { kind: 'daily', time: '01:30', tz: 'America/New_York' };
    const due = Date.parse('2026-11-01T05:30:00Z'); // 01:30 EDT; 01:30 EST (06:30 UTC) is the same time of day again
    for (const late of [0, 45, 91, 100, 119, 180]) expect(iso(runAfter(nightly, due, due + late * 60_000, hour))).toBe('2026-11-02T06:30:00.000Z');
    expect(iso(runAfter(nightly, due, due + 45 * 60_000, 0))).toBe('2026-11-02T06:30:00.000Z');
  });

  it('finds the next run where cron-parser gives up on a half-hour daylight-saving change (Lord Howe Island)', () => {
    const nightly: Schedule = { kind: 'daily', time: '02:00', tz: 'Australia/Lord_Howe' };
    const next = nextRun(nightly, new Date('2027-04-02T15:00:00Z'));
    expect(next.getTime()).toBeGreaterThan(Date.parse('2027-04-02T15:00:00Z'));
    expect(next.getTime()).toBeLessThan(Date.parse('2027-04-04T16:00:00Z'));
    expect(runAfter(nightly, Date.parse('2027-04-02T15:00:00Z'), Date.parse('2027-04-03T16:30:00Z'), hour).getTime()).toBeGreaterThan(Date.parse('2027-04-02T15:00:00Z'));
    // A weekly one: the Sunday it cannot place is skipped, and the next goes on.
    const sundays: Schedule = { kind: 'weekly', day: 'sun', time: '02:00', tz: 'Australia/Lord_Howe' };
    const after = nextRun(sundays, new Date('2026-03-30T00:00:00Z')).getTime();
    expect(after).toBeGreaterThan(Date.parse('2026-03-30T00:00:00Z'));
    expect(after).toBeLessThan(Date.parse('2026-04-14T00:00:00Z'));
  });

  it('never steps back where the clocks go back by other than an hour (Chatham, 5 April 2026: 03:45 back to 02:45)', () => {
    // cron-parser, after 02:45 (+13:45), gives 02:00 of the same night again: a time already past, run at once, for ever.
    const quarter: Schedule = { kind: 'cron', cron: '*/15 * * * *', tz: 'Pacific/Chatham' };
    expect(iso(nextRun(quarter, new Date('2026-04-04T13:00:00Z')))).toBe('2026-04-04T14:15:00.000Z');
    expect(iso(runAfter(quarter, Date.parse('2026-04-04T13:00:00Z'), Date.parse('2026-04-04T13:00:05Z'), hour))).toBe('2026-04-04T14:15:00.000Z');
    for (let t = Date.parse('2026-04-04T12:00:00Z'); t < Date.parse('2026-04-04T15:00:00Z'); t += 7 * 60_000) {
      expect(nextRun(quarter, new Date(t)).getTime()).toBeGreaterThan(t);
      const due = nextRun(quarter, new Date(t)).getTime();
      for (const late of [5_000, 20 * 60_000, 2 * hour]) expect(runAfter(quarter, due, due + late, hour).getTime()).toBeGreaterThan(due);
    }
  });

  it('is the latest of several times within the grace, once (a run every 15 minutes, an hour of grace)', () => {
    const quarter: Schedule = { kind: 'cron', cron: '*/15 * * * *', tz: 'UTC' };
    expect(iso(runAfter(quarter, Date.parse('2026-12-01T10:00:00Z'), Date.parse('2026-12-01T10:20:00Z'), hour))).toBe('2026-12-01T10:15:00.000Z');
    expect(iso(runAfter(quarter, Date.parse('2026-12-01T10:00:00Z'), Date.parse('2026-12-01T13:20:00Z'), hour))).toBe('2026-12-01T13:15:00.000Z');
    // Past 2,000 times to walk (a run every minute, three days down, a week of grace): the first still to come.
    const minute: Schedule = { kind: 'cron', cron: '* * * * *', tz: 'UTC' };
    expect(iso(runAfter(minute, Date.parse('2026-12-01T10:00:00Z'), Date.parse('2026-12-04T10:00:30Z'), 7 * 24 * hour))).toBe('2026-12-04T10:01:00.000Z');
    expect(iso(runAfter(minute, Date.parse('2026-12-01T10:00:00Z'), Date.parse('2026-12-01T10:30:30Z'), 7 * 24 * hour))).toBe('2026-12-01T10:30:00.000Z');
    // No grace: the first still to come.
    expect(iso(runAfter(quarter, Date.parse('2026-12-01T10:00:00Z'), Date.parse('2026-12-01T10:20:00Z'), 0))).toBe('2026-12-01T10:30:00.000Z');
  });

  it('keeps to the schedule\'s time zone and days', () => {
    const weekdays: Schedule = { kind: 'weekdays', time: '09:00', tz: 'America/New_York' };
    // Friday's run, back on Monday ten minutes after its run (14:00 UTC): Monday's goes out.
    expect(iso(runAfter(weekdays, Date.parse('2026-12-04T14:00:00Z'), Date.parse('2026-12-07T14:10:00Z'), hour))).toBe('2026-12-07T14:00:00.000Z');
    expect(iso(runAfter(weekdays, Date.parse('2026-12-04T14:00:00Z'), Date.parse('2026-12-06T14:10:00Z'), hour))).toBe('2026-12-07T14:00:00.000Z');
  });
});

describe('alert conditions', () => {
  const numeric = ['instances', 'pings'];
  it.each([
    [{ column: 'instances', op: 'above', value: '1000' }, { column: 'instances', op: 'above', value: 1000 }],
    [{ column: 'pings', op: 'below', value: '-2.5' }, { column: 'pings', op: 'below', value: -2.5 }],
    [{ column: 'pings', op: 'change_pct', value: '20' }, { column: 'pings', op: 'change_pct', value: 20 }],
    [{ column: 'pings', op: 'above', value: '1,000,000' }, { column: 'pings', op: 'above', value: 1_000_000 }],
  ])('accepts %j', (input, condition) => {
    expect(checkCondition(input, numeric)).toEqual({ ok: true, condition });
  });

  it.each([
    [{ column: 'week', op: 'above', value: '1' }, 'column'],
    [{ column: 'instances', op: 'equals', value: '1' }, 'op'],
    [{ column: 'instances', op: 'above', value: 'lots' }, 'value'],
    [{ column: 'instances', op: 'above', value: '' }, 'value'],
    [{ column: 'instances', op: 'change_pct', value: '0' }, 'value'],
    [{ column: 'instances', op: 'change_pct', value: '-5' }, 'value'],
  ])('refuses %j on %s', (input, field) => {
    const r = checkCondition(input, numeric);
    expect(Object.keys(r.ok ? {} : r.errors)).toEqual([field]);
  });

  const rows = [
    { week: new Date('2026-11-16'), hosting: 'cloud', instances: 300 },
    { week: new Date('2026-11-16'), hosting: 'managed', instances: 500 },
    { week: new Date('2026-11-23'), hosting: 'cloud', instances: 400 },
    { week: new Date('2026-11-23'), hosting: 'managed', instances: 600 },
  ];
  it('totals the column at the latest period (series summed), in x order whatever the row order', () => {
    const shuffled = [rows[3]!, rows[0]!, rows[2]!, rows[1]!];
    expect(evaluate({ column: 'instances', op: 'above', value: 999 }, shuffled, 'week')).toEqual({ holds: true, latest: 1000, previous: 800, changePct: 25, byPeriod: true });
  });

  it.each([
    [{ column: 'instances', op: 'above', value: 999 } as AlertCondition, true],
    [{ column: 'instances', op: 'above', value: 1000 } as AlertCondition, false],
    [{ column: 'instances', op: 'below', value: 1001 } as AlertCondition, true],
    [{ column: 'instances', op: 'below', value: 1000 } as AlertCondition, false],
    [{ column: 'instances', op: 'change_pct', value: 24.9 } as AlertCondition, true],
    [{ column: 'instances', op: 'change_pct', value: 25 } as AlertCondition, false],
  ])('%j holds: %s', (condition, holds) => {
    expect(evaluate(condition, rows, 'week').holds).toBe(holds);
  });

  it('counts a fall as a change too, and nothing without a period before or from zero', () => {
    const falling = [{ d: 1, n: 100 }, { d: 2, n: 50 }];
    expect(evaluate({ column: 'n', op: 'change_pct', value: 49 }, falling, 'd')).toMatchObject({ holds: true, changePct: -50 });
    expect(evaluate({ column: 'n', op: 'change_pct', value: 1 }, [{ d: 1, n: 5 }], 'd')).toMatchObject({ holds: false, previous: null, changePct: null });
    expect(evaluate({ column: 'n', op: 'change_pct', value: 1 }, [{ d: 1, n: 0 }, { d: 2, n: 5 }], 'd')).toMatchObject({ holds: false, changePct: null });
  });

  it('holds nothing on an empty result or a column of no numbers', () => {
    expect(evaluate({ column: 'n', op: 'below', value: 10 }, [], 'd')).toEqual({ holds: false, latest: null, previous: null, changePct: null, byPeriod: true });
    expect(evaluate({ column: 'n', op: 'below', value: 10 }, [{ d: 1, n: null }, { d: 2, n: 'x' }], 'd').holds).toBe(false);
  });

  it('fires when the condition becomes true, stays quiet while it holds, resolves once, then can fire again', () => {
    const states = [false, true, true, false, false, true];
    let state: 'ok' | 'firing' = 'ok';
    const actions = states.map((holds) => {
      const step = alertStep(state, holds);
      state = step.next;
      return step.action;
    });
    expect(actions).toEqual(['quiet', 'fire', 'quiet', 'resolve', 'quiet', 'fire']);
  });

  it('says a condition in words', () => {
    expect(describeCondition({ column: 'instances', op: 'above', value: 1000 })).toBe('instances is above 1,000');
    expect(describeCondition({ column: 'pings', op: 'below', value: 2.5 }, 'Pings')).toBe('Pings is below 2.5');
    expect(describeCondition({ column: 'pings', op: 'change_pct', value: 20 })).toBe('pings changes by more than 20% from the period before');
  });
});
