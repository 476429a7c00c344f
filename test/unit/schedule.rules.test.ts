/**
 * The schedule form's rules at their edges: times and time zones as typed,
 * cron expressions too long, badly spaced or unreadable, and how a schedule
 * is said in words.
 */
import { describe, expect, it } from 'vitest';
import { checkSchedule, describeSchedule, isTimeZone } from '../../src/domain/schedule.js';

describe('checkSchedule at the edges', () => {
  it.each(['9:00', '09:00x', 'x09:00', '24:00', '09:60', '0900', ' '])('refuses the time %j', (time) => {
    expect(checkSchedule({ kind: 'daily', time, tz: 'UTC' })).toEqual({ ok: false, errors: { time: 'Pick a time of day (HH:MM, 24-hour).' } });
  });

  it('trims the time and the time zone, and takes UTC when none is given', () => {
    expect(checkSchedule({ kind: ' weekdays ', time: ' 23:59 ', tz: ' Europe/Paris ' })).toEqual({ ok: true, schedule: { kind: 'weekdays', time: '23:59', tz: 'Europe/Paris' } });
    expect(checkSchedule({ kind: 'daily', time: '00:00', tz: null })).toEqual({ ok: true, schedule: { kind: 'daily', time: '00:00', tz: 'UTC' } });
    expect(checkSchedule({ kind: 'daily', time: '00:00' })).toEqual({ ok: true, schedule: { kind: 'daily', time: '00:00', tz: 'UTC' } });
  });

  it('says which time zone it does not know, cut to 40 characters', () => {
    const r = checkSchedule({ kind: 'daily', time: '09:00', tz: `Mars/${'x'.repeat(60)}` });
    expect(r).toEqual({ ok: false, errors: { tz: `“Mars/${'x'.repeat(35)}” is not a time zone I know (e.g. America/Los_Angeles).` } });
  });

  it('reports a bad time zone and a missing kind together', () => {
    expect(checkSchedule({ kind: null, tz: 'Nowhere/Land' })).toEqual({
      ok: false,
      errors: { tz: '“Nowhere/Land” is not a time zone I know (e.g. America/Los_Angeles).', kind: 'Choose how often: daily, weekdays, weekly, monthly, or a cron expression.' },
    });
  });

  it('reports a weekly schedule’s missing day and time together', () => {
    expect(checkSchedule({ kind: 'weekly', tz: 'UTC' })).toEqual({ ok: false, errors: { time: 'Pick a time of day (HH:MM, 24-hour).', day: 'Pick a day of the week.' } });
  });

  it.each(['0', '29', '1.5', '-1', 'first', '100'])('refuses %j as a day of the month', (date) => {
    expect(checkSchedule({ kind: 'monthly', date, time: '09:00', tz: 'UTC' })).toMatchObject({ ok: false, errors: { date: 'Pick a day of the month from 1 to 28 (every month has it).' } });
  });

  it('takes 1 and 28 as days of the month, with a leading zero or spaces', () => {
    expect(checkSchedule({ kind: 'monthly', date: ' 01 ', time: '09:00', tz: 'UTC' })).toEqual({ ok: true, schedule: { kind: 'monthly', date: 1, time: '09:00', tz: 'UTC' } });
    expect(checkSchedule({ kind: 'monthly', date: '28', time: '09:00', tz: 'UTC' })).toMatchObject({ ok: true, schedule: { date: 28 } });
  });

  it('folds the spaces of a cron expression, and reads it in the given time zone', () => {
    expect(checkSchedule({ kind: 'cron', cron: '  0   9 * *  1 ', tz: 'Asia/Tokyo' })).toEqual({ ok: true, schedule: { kind: 'cron', cron: '0 9 * * 1', tz: 'Asia/Tokyo' } });
  });

  it('refuses an empty, too long or six-field cron expression, each saying why', () => {
    expect(checkSchedule({ kind: 'cron', cron: ' ', tz: 'UTC' })).toEqual({ ok: false, errors: { cron: 'Write a cron expression, e.g. `0 9 * * 1` (Mondays at 09:00).' } });
    expect(checkSchedule({ kind: 'cron', cron: `0 9 * * ${'1,'.repeat(50)}1`, tz: 'UTC' })).toEqual({ ok: false, errors: { cron: 'That cron expression is too long.' } });
    expect(checkSchedule({ kind: 'cron', cron: '0 0 9 * * 1', tz: 'UTC' })).toEqual({ ok: false, errors: { cron: 'A cron expression here has five fields: minute hour day-of-month month day-of-week (e.g. `0 9 * * 1`).' } });
  });

  it('takes a cron expression of exactly 100 characters when it is one', () => {
    const cron = `0 9 1 * ${Array.from({ length: 7 }, (_, i) => i).join(',')}`.padEnd(100, ' ');
    expect(checkSchedule({ kind: 'cron', cron, tz: 'UTC' }).ok).toBe(true);
  });

  it('says what the cron parser found wrong, on one line', () => {
    const r = checkSchedule({ kind: 'cron', cron: '0 25 * * *', tz: 'UTC' });
    expect(r.ok).toBe(false);
    const message = (r as { errors: { cron: string } }).errors.cron;
    expect(message).toMatch(/^That is not a cron expression I can read \(.+\)\.$/);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThanOrEqual(130);
  });

  it('refuses runs closer than 15 minutes only when they are', () => {
    expect(checkSchedule({ kind: 'cron', cron: '*/15 * * * *', tz: 'UTC' }).ok).toBe(true);
    expect(checkSchedule({ kind: 'cron', cron: '0,14 * * * *', tz: 'UTC' })).toEqual({ ok: false, errors: { cron: 'Scheduled runs must be at least 15 minutes apart.' } });
    expect(checkSchedule({ kind: 'cron', cron: '0 0,1,2 1 1 *', tz: 'UTC' }).ok).toBe(true);
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and refuses the empty and the overlong', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('')).toBe(false);
    expect(isTimeZone('Not/AZone')).toBe(false);
    expect(isTimeZone(`America/${'A'.repeat(57)}`)).toBe(false);
  });
});

describe('describeSchedule', () => {
  it('says a cron schedule with its zone', () => {
    expect(describeSchedule({ kind: 'cron', cron: '0 9 * * 1', tz: 'Europe/Paris' })).toMatch(/^Cron `0 9 \* \* 1`.*Europe\/Paris/);
  });
});
