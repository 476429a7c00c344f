/**
 * The schedule form's rules at their edges: times and time zones as typed,
 * cron expressions too long, badly spaced or unreadable, and how a schedule
 * is said in words.
 */
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it, vi } from 'vitest';
import { CRON_CHECK_DAYS, CRON_CHECK_FROM, checkSchedule, describeSchedule, isTimeZone } from '../../src/domain/schedule.js';

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
    // No emoji cut in half (40 UTF-16 units are 20 of them; 41 would end in half of one); invisible and right-to-left marks left out.
    expect(checkSchedule({ kind: 'daily', time: '09:00', tz: `\u202E${'🌍'.repeat(45)}` })).toEqual({ ok: false, errors: { tz: `“${'🌍'.repeat(20)}” is not a time zone I know (e.g. America/Los_Angeles).` } });
    expect(checkSchedule({ kind: 'daily', time: '09:00', tz: `x${'🌍'.repeat(45)}` })).toEqual({ ok: false, errors: { tz: `“x${'🌍'.repeat(19)}” is not a time zone I know (e.g. America/Los_Angeles).` } });
    expect(checkSchedule({ kind: 'daily', time: '09:00', tz: 'Mars/\u200BBase\u0007\u2066' })).toEqual({ ok: false, errors: { tz: '“Mars/Base” is not a time zone I know (e.g. America/Los_Angeles).' } });
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

  it('says in words which value is out of its field\'s range, and that a day no month has never runs', () => {
    const cron = (c: string) => (checkSchedule({ kind: 'cron', cron: c, tz: 'UTC' }) as { errors: { cron: string } }).errors.cron;
    expect(cron('61 9 * * *')).toBe('That cron expression has 61 where a minute is 0 to 59.');
    expect(cron('0 25 * * *')).toBe('That cron expression has 25 where an hour is 0 to 23.');
    expect(cron('0 9 32 * *')).toBe('That cron expression has 32 where a day of the month is 1 to 31.');
    expect(cron('0 9 * 13 *')).toBe('That cron expression has 13 where a month is 1 to 12.');
    expect(cron('0 9 * * 8')).toBe('That cron expression has 8 where a day of the week is 0 to 7 (0 and 7 are Sunday).');
    expect(cron('0 99999999999999 * * *')).toBe('That cron expression has 9999999999 where an hour is 0 to 23.');
    expect(cron('0 9 31 2 *')).toBe('That cron expression never runs: no month it names has that day (e.g. 31 in February).');
    expect(cron('0 9 * * MON-XYZ')).toBe('That cron expression has “XYZ”, which is not a month (`JAN` to `DEC`) or a weekday (`SUN` to `SAT`).');
    expect(cron('5-70 9 * * *')).toBe('That cron expression has 5-70 where a minute is 0 to 59.');
    expect(cron('0 9 * * 1-9')).toBe('That cron expression has 1-9 where a day of the week is 0 to 7 (0 and 7 are Sunday).');
    expect(cron('0 9 * * 1#6')).toBe('That cron expression asks for a weekday past the fifth of its month (`#` takes 1 to 5, e.g. `1#2` for the second Monday).');
  });

  it('says what the cron parser found wrong, on one line', () => {
    const r = checkSchedule({ kind: 'cron', cron: '0 9 L-2 * *', tz: 'UTC' });
    expect(r.ok).toBe(false);
    const message = (r as { errors: { cron: string } }).errors.cron;
    expect(message).toMatch(/^That is not a cron expression I can read \(.+\)\.$/);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThanOrEqual(130);
  });

  it('says in words a step of 0, a range backwards or without its end, a list with a gap, and what is not a value', () => {
    const cron = (c: string) => (checkSchedule({ kind: 'cron', cron: c, tz: 'UTC' }) as { errors: { cron: string } }).errors.cron;
    const step = 'That cron expression has a step of 0 (`/0`): a step is 1 or more, e.g. `*/2` for every other one.';
    expect(cron('0 */0 * * *')).toBe(step);
    expect(cron('0 9 * * 1/0')).toBe(step);
    expect(cron('5-2 9 * * *')).toBe('That cron expression has a range that runs backwards (“5-2”, names as numbers): a range runs from the smaller to the larger; for one that wraps around, write both parts (e.g. `5-6,0`).');
    expect(cron('0 9 * * 1-')).toBe('That cron expression has a range without its end (like `1-`): write both ends, e.g. `1-5`.');
    expect(cron('0 9 * * ,')).toBe('That cron expression has a list with a gap (a comma with nothing beside it), e.g. `1,,3`.');
    const value = (v: string) => `That cron expression has “${v}” where a number, a range (\`1-5\`) or a step (\`*/15\`) goes (or, for months and weekdays, a name: \`JAN\`, \`MON\`).`;
    expect(cron('a b c d e')).toBe(value('a'));
    expect(cron('🙂 * * * *')).toBe(value('🙂'));
    // Cut at 10 characters (not halfway through one).
    expect(cron(`${'🙂'.repeat(12)} 9 * * *`)).toBe(value('🙂'.repeat(10)));
  });

  it('says in words a value given twice in one field, naming the field rather than cron-parser\'s class for it', () => {
    const cron = (c: string) => (checkSchedule({ kind: 'cron', cron: c, tz: 'UTC' }) as { errors: { cron: string } }).errors.cron;
    expect(cron('0 0 * * 0,7')).toBe('That cron expression names the day of the week 0 more than once (0 and 7 are both Sunday, and a name is its number: `MON` is 1): name each one once, e.g. `1-5` rather than `1-5,3`.');
    expect(cron('0 9 * * 1-5,3')).toMatch(/^That cron expression names the day of the week 3 more than once/);
    expect(cron('0,0 9 * * *')).toMatch(/^That cron expression names the minute 0 more than once: name each one once/);
    expect(cron('0 9 1,1 * *')).toMatch(/^That cron expression names the day of the month 1 more than once/);
    expect(cron('0 9 * 1,JAN *')).toMatch(/^That cron expression names the month 1 more than once \(a name is its number: `JAN` is 1\)/);
    expect(cron('0 9,9 * * *')).toMatch(/^That cron expression names the hour 9 more than once/);
    expect(cron('0,30,30 9 * * *')).toMatch(/^That cron expression names the minute 30 more than once/);
    for (const c of ['0 0 * * 0,7', '0,0 9 * * *', '0 9 * 1,JAN *']) expect(cron(c)).not.toMatch(/Cron[A-Z]|Validation error/);
  });

  it('refuses runs closer than 15 minutes only when they are', () => {
    expect(checkSchedule({ kind: 'cron', cron: '*/15 * * * *', tz: 'UTC' }).ok).toBe(true);
    expect(checkSchedule({ kind: 'cron', cron: '0,14 * * * *', tz: 'UTC' })).toEqual({ ok: false, errors: { cron: 'Scheduled runs must be at least 15 minutes apart.' } });
    expect(checkSchedule({ kind: 'cron', cron: '0 0,1,2 1 1 *', tz: 'UTC' }).ok).toBe(true);
  });

  describe('runs that come close past the first six', () => {
    const refused = { ok: false, errors: { cron: 'Scheduled runs must be at least 15 minutes apart.' } };
    const check = (cron: string, tz = 'UTC') => checkSchedule({ kind: 'cron', cron, tz });

    it('at the turn of an hour: the minute field wraps around into the next run hour', () => {
      expect(check('10,55 9,10 * * *')).toEqual({ ok: true, schedule: { kind: 'cron', cron: '10,55 9,10 * * *', tz: 'UTC' } }); // 10:10 is 15 minutes after 09:55
      expect(check('10,56 9,10 * * *')).toEqual(refused); // 14 minutes
      expect(check('10,56 9,11 * * *').ok).toBe(true); // the hours do not follow each other
      expect(check('0,15,30,45 * * * *').ok).toBe(true);
      expect(check('0,15,30,44 * * * *')).toEqual(refused); // 14 to the next hour's :00
      expect(check('0,15,30,44,59 2 * * *')).toEqual(refused); // within the hour: 44 and 59 are 15, 30 and 44 are 14
      expect(check('56 9,10 * * *').ok).toBe(true); // one minute: an hour apart
    });

    it('at midnight, only on two run days in a row', () => {
      expect(check('0,55 0,23 1,31 * *')).toEqual(refused); // 31 January 23:55, then 1 February 00:00 (the first six runs are all in January)
      expect(check('0,55 0,23 1,15 * *').ok).toBe(true);
      expect(check('0,50 23,0 * * 6,0')).toEqual(refused); // Saturday 23:50, then Sunday 00:00
      expect(check('0,50 23,0 * * 1,3').ok).toBe(true);
      expect(check('0,50 23,0 28,29 2 *')).toEqual(refused);
      expect(check('0,50 23,0 28 2 *').ok).toBe(true); // 28 February, and 1 March is no run day
      expect(check('0,50 23,0 29 2,3 1')).toEqual(refused); // either day field will do: the 29th, or a Monday the day after it
      expect(check('0,50 23,0 13 * 5')).toEqual(refused); // Friday 12 June 2026, then Saturday the 13th
      expect(check('0,50 23,0 L * *')).toEqual(refused); // a last day is taken to follow a run day: refused rather than let through
    });

    it('across the hour a daylight-saving change skips, in that zone only', () => {
      expect(check('0,59 1,3 * * *', 'America/New_York')).toEqual({ ok: false, errors: { cron: 'Scheduled runs must be at least 15 minutes apart.' } }); // 01:59 EST, then 03:00 EDT
      expect(check('0,59 1,3 * * *', 'UTC').ok).toBe(true);
      expect(check('0,59 1,3 * * *', 'Europe/London').ok).toBe(true); // London skips 01:00, not 02:00
      expect(check('0,59 0,2 * * *', 'Europe/London')).toEqual(refused);
      expect(check('0,45 1,3 * * *', 'America/New_York').ok).toBe(true); // 01:45 EST, then 03:00 EDT: 15 minutes
      expect(check('0,46 1,3 * * *', 'America/New_York')).toEqual(refused);
    });

    it('across every hour of a two-hour jump: Troll goes from +00 to +02, skipping 01 and 02', () => {
      expect(check('0,50 0,3 * * *', 'Antarctica/Troll')).toEqual(refused); // 00:50 (+00), then 03:00 (+02): 10 minutes
      expect(check('0,50 0,2 * * *', 'Antarctica/Troll')).toEqual(refused);
      expect(check('0,45 0,3 * * *', 'Antarctica/Troll').ok).toBe(true); // 15 minutes
      expect(check('0,50 0,3 * * *', 'UTC').ok).toBe(true);
      expect(check('0,50 0,4 * * *', 'Antarctica/Troll').ok).toBe(true); // hour 03 is not skipped: 00:50, then 04:00
      expect(check('0,50 3,23 * * *', 'Antarctica/Troll').ok).toBe(true); // 00 is not skipped: 23:50, then 03:00 hours later
    });
  });

  describe('how often a cron runs: at least once a year, looked for over a bounded window', () => {
    const check = (cron: string, tz = 'UTC') => checkSchedule({ kind: 'cron', cron, tz });
    const rare = { ok: false, errors: { cron: 'That cron expression runs less than once a year; choose one that runs at least once a year.' } };

    it.each(['*/15 * * * *', '0 9 * * 1-5', '30 8 1 * *', '0 */2 * * *', '45 23 * * *', '0,30 * * * *', '0 9 1 1,4,7,10 *', '0 9 1 1 *', '0 9 31 12 *'])('takes the common %j', (cron) => {
      expect(check(cron, 'America/New_York')).toEqual({ ok: true, schedule: { kind: 'cron', cron, tz: 'America/New_York' } });
    });

    it('refuses, saying why, a cron that skips years: 29 February, a fifth weekday of February or March', () => {
      expect(check('0 0 29 2 *')).toEqual(rare);
      expect(check('0 0 * 2 1#5')).toEqual(rare);
      expect(check('0 0 * 2 6#5', 'Asia/Kathmandu')).toEqual(rare);
      expect(check('59 23 * 2 0#5', 'America/New_York')).toEqual(rare);
      expect(check('0 0 * 3 3#5')).toEqual(rare); // none in 2026; 31 March 2027 is past the window
    });

    it('takes a cron whose first run is over a year away but in the window', () => {
      expect(check('0 0 * 1 0#5').ok).toBe(true); // Sunday 31 January 2027
    });

    it('gives the parser an end: no check walks more than the window of calendar', () => {
      expect(CRON_CHECK_FROM).toBe(Date.UTC(2026, 0, 1));
      expect(CRON_CHECK_DAYS).toBe(400);
      const parse = vi.spyOn(CronExpressionParser, 'parse');
      try {
        check('0 0 * 2 1#5');
        expect(parse).toHaveBeenCalledTimes(1);
        const options = parse.mock.calls[0]![1]!;
        expect(new Date(options.currentDate as Date).getTime()).toBe(Date.UTC(2026, 0, 1));
        expect(new Date(options.endDate as Date).getTime()).toBe(Date.UTC(2027, 1, 5));
        // The parser's own walk stops at the end: from the start, the next run is past it.
        const runs = parse.mock.results[0]!.value as ReturnType<typeof CronExpressionParser.parse>;
        expect(() => runs.next()).toThrow('Out of the time span range');
      } finally {
        parse.mockRestore();
      }
    });
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
