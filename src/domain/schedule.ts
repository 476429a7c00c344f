/**
 * When a scheduled delivery or alert runs: daily, on weekdays, weekly on a
 * day, monthly on a date, at a time of day in the subscriber's time zone, or
 * a cron expression for the rare case. Every kind is a cron expression in a
 * time zone underneath, computed by cron-parser (which keeps local times
 * through daylight-saving changes: 09:00 stays 09:00). Pure: no clock, no I/O.
 */
import { CronExpressionParser } from 'cron-parser';
import { headOf } from '../format.js';

export const SCHEDULE_KINDS = ['daily', 'weekdays', 'weekly', 'monthly', 'cron'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** Monday first, as people say them; cron numbers Sunday 0. */
export const WEEKDAYS = [
  { id: 'mon', label: 'Monday', cron: 1 },
  { id: 'tue', label: 'Tuesday', cron: 2 },
  { id: 'wed', label: 'Wednesday', cron: 3 },
  { id: 'thu', label: 'Thursday', cron: 4 },
  { id: 'fri', label: 'Friday', cron: 5 },
  { id: 'sat', label: 'Saturday', cron: 6 },
  { id: 'sun', label: 'Sunday', cron: 0 },
] as const;
export type Weekday = (typeof WEEKDAYS)[number]['id'];

/** Monthly dates stop at 28, so every month has the day. */
export const MAX_MONTH_DAY = 28;
/** A cron schedule may not run more often than this. */
export const MIN_CRON_INTERVAL_MS = 15 * 60_000;
/**
 * A cron's runs are looked for from this day, over this many days only (a year
 * and a month: every cron that runs at least once a year runs in it), so a
 * check walks at most this much calendar before the form's ack.
 */
export const CRON_CHECK_FROM = Date.UTC(2026, 0, 1);
export const CRON_CHECK_DAYS = 400;

export type Schedule =
  | { kind: 'daily' | 'weekdays'; time: string; tz: string }
  | { kind: 'weekly'; day: Weekday; time: string; tz: string }
  | { kind: 'monthly'; date: number; time: string; tz: string }
  | { kind: 'cron'; cron: string; tz: string };

export type ScheduleField = 'kind' | 'time' | 'day' | 'date' | 'cron' | 'tz';

export type ScheduleCheck = { ok: true; schedule: Schedule } | { ok: false; errors: Partial<Record<ScheduleField, string>> };

/** What a form collected, before checking (any of it may be missing or malformed). */
export interface ScheduleInput {
  kind?: string | null;
  time?: string | null;
  day?: string | null;
  date?: string | null;
  cron?: string | null;
  tz?: string | null;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks a schedule as a form gave it; every problem is reported against its field. */
export function checkSchedule(input: ScheduleInput): ScheduleCheck {
  const errors: Partial<Record<ScheduleField, string>> = {};
  const kind = (input.kind ?? '').trim();
  const tz = (input.tz ?? '').trim() || 'UTC';
  // Quoted back as it came (only a tampered form brings one): cut as every text is (headOf: no emoji cut in half),
  // without the invisible characters that turn the sentence around it (right-to-left marks) or hide in it.
  if (!isTimeZone(tz)) errors.tz = `“${headOf(tz.replace(/[\p{Cc}\p{Cf}]/gu, ''), 40)}” is not a time zone I know (e.g. America/Los_Angeles).`;
  if (!(SCHEDULE_KINDS as readonly string[]).includes(kind)) {
    errors.kind = 'Choose how often: daily, weekdays, weekly, monthly, or a cron expression.';
    return { ok: false, errors };
  }
  if (kind === 'cron') {
    const cron = (input.cron ?? '').trim().replace(/\s+/g, ' ');
    const problem = cronProblem(cron, isTimeZone(tz) ? tz : 'UTC');
    if (problem) errors.cron = problem;
    if (Object.keys(errors).length) return { ok: false, errors };
    return { ok: true, schedule: { kind: 'cron', cron, tz } };
  }
  const time = (input.time ?? '').trim();
  if (!TIME.test(time)) errors.time = 'Pick a time of day (HH:MM, 24-hour).';
  if (kind === 'weekly') {
    const day = (input.day ?? '').trim();
    if (!WEEKDAYS.some((d) => d.id === day)) errors.day = 'Pick a day of the week.';
    if (Object.keys(errors).length) return { ok: false, errors };
    return { ok: true, schedule: { kind: 'weekly', day: day as Weekday, time, tz } };
  }
  if (kind === 'monthly') {
    const raw = (input.date ?? '').trim();
    const date = /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
    if (!(date >= 1 && date <= MAX_MONTH_DAY)) errors.date = `Pick a day of the month from 1 to ${MAX_MONTH_DAY} (every month has it).`;
    if (Object.keys(errors).length) return { ok: false, errors };
    return { ok: true, schedule: { kind: 'monthly', date, time, tz } };
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, schedule: { kind: kind as 'daily' | 'weekdays', time, tz } };
}

/** The fields of a cron expression, by the range cron-parser names for each ("expected range 0-23"). */
const CRON_RANGES: Record<string, string> = { '0-59': 'a minute is 0 to 59', '0-23': 'an hour is 0 to 23', '1-31': 'a day of the month is 1 to 31', '1-12': 'a month is 1 to 12', '0-7': 'a day of the week is 0 to 7 (0 and 7 are Sunday)' };

/** The fields of a cron expression, by the name cron-parser gives each in its validation errors. */
const CRON_FIELD_NAMES: Record<string, string> = { Minute: 'the minute', Hour: 'the hour', DayOfMonth: 'the day of the month', Month: 'the month', DayOfWeek: 'the day of the week' };

/** cron-parser's refusal, in words: a value out of its field's range, a day no month given has, or its own text. */
function cronParseProblem(message: string): string {
  // Stryker disable next-line Regex: equivalent; every range cron-parser names starts with one digit
  const range = /got (?:value|range) (\S+) expected range (\d+-\d+)/.exec(message);
  const field = range && !range[1]!.includes('NaN') ? CRON_RANGES[range[2]!] : undefined;
  if (field) return `That cron expression has ${range![1]!.slice(0, 10)} where ${field}.`;
  const alias = /cannot resolve alias "([^"]{0,20})/.exec(message);
  if (alias) return `That cron expression has “${alias[1]!.toUpperCase()}”, which is not a month (\`JAN\` to \`DEC\`) or a weekday (\`SUN\` to \`SAT\`).`;
  if (/occurrence number/.test(message)) return 'That cron expression asks for a weekday past the fifth of its month (`#` takes 1 to 5, e.g. `1#2` for the second Monday).';
  if (/explicit day of month/i.test(message)) return 'That cron expression never runs: no month it names has that day (e.g. 31 in February).';
  if (/repeat at every 0 time/.test(message)) return 'That cron expression has a step of 0 (`/0`): a step is 1 or more, e.g. `*/2` for every other one.';
  const backwards = /Invalid range: (\S{1,20}), min/.exec(message);
  if (backwards) return `That cron expression has a range that runs backwards (“${backwards[1]!}”, names as numbers): a range runs from the smaller to the larger; for one that wraps around, write both parts (e.g. \`5-6,0\`).`;
  if (/got range \d+-NaN/.test(message)) return 'That cron expression has a range without its end (like `1-`): write both ends, e.g. `1-5`.';
  if (/Invalid list value format/.test(message)) return 'That cron expression has a list with a gap (a comma with nothing beside it), e.g. `1,,3`.';
  // cron-parser names the field by its class ("CronDayOfWeek Validation error, duplicate values found: 0"): said in words.
  const twice = /Cron(Minute|Hour|DayOfMonth|Month|DayOfWeek) Validation error, duplicate values found: (\S{1,10})/.exec(message);
  if (twice) {
    const field = CRON_FIELD_NAMES[twice[1]!]!;
    const same = twice[1] === 'DayOfWeek' ? ' (0 and 7 are both Sunday, and a name is its number: `MON` is 1)' : twice[1] === 'Month' ? ' (a name is its number: `JAN` is 1)' : '';
    return `That cron expression names ${field} ${twice[2]!} more than once${same}: name each one once, e.g. \`1-5\` rather than \`1-5,3\`.`;
  }
  const characters = /Invalid characters, got value: (.*)$/.exec(message);
  if (characters) return `That cron expression has “${[...characters[1]!].slice(0, 10).join('')}” where a number, a range (\`1-5\`) or a step (\`*/15\`) goes (or, for months and weekdays, a name: \`JAN\`, \`MON\`).`;
  // Stryker disable next-line MethodExpression,StringLiteral: cron-parser's messages are one short line; the cut and the stand-in are for a future one
  return `That is not a cron expression I can read (${message.slice(0, 80) || 'invalid'}).`;
}

/** Why a cron expression is refused, or null: five fields (minute to weekday), and not more often than every 15 minutes. */
function cronProblem(cron: string, tz: string): string | null {
  if (!cron) return 'Write a cron expression, e.g. `0 9 * * 1` (Mondays at 09:00).';
  if (cron.length > 100) return 'That cron expression is too long.';
  if (cron.split(' ').length !== 5) return 'A cron expression here has five fields: minute hour day-of-month month day-of-week (e.g. `0 9 * * 1`).';
  // cron-parser reads `H` as a value picked at random, and picks again each time the next run is worked
  // out: the runs would move about at random, minutes apart at times (under the floor checked below).
  if (cron.replace(/THU/gi, '').includes('H')) return 'Write the minutes and hours out: `H` (a time picked at random) is not supported here.';
  let it: ReturnType<typeof CronExpressionParser.parse>;
  try {
    it = CronExpressionParser.parse(cron, { currentDate: new Date(CRON_CHECK_FROM), endDate: new Date(CRON_CHECK_FROM + CRON_CHECK_DAYS * 86_400_000), tz });
  } catch (err) {
    return cronParseProblem(err instanceof Error ? err.message.split('\n')[0]! : '');
  }
  const fields = it.fields;
  // Runs within the window only: a rare cron (`0 0 * 2 1#5`, a fifth Monday in February) would have the parser walk decades.
  const times = it.take(6).map((run) => run.getTime());
  if (times.length === 0) return 'That cron expression runs less than once a year; choose one that runs at least once a year.';
  for (let i = 1; i < times.length; i++) {
    if (times[i]! - times[i - 1]! < MIN_CRON_INTERVAL_MS) return 'Scheduled runs must be at least 15 minutes apart.';
  }
  // The first runs show only the start; two runs can also come close at an hour's turn, at midnight, or across a skipped hour.
  if (closeRuns(fields, tz)) return 'Scheduled runs must be at least 15 minutes apart.';
  return null;
}

type CronFields = ReturnType<typeof CronExpressionParser.parse>['fields'];

/**
 * Whether two runs of the cron can ever come closer than the floor, from its
 * fields rather than from some runs (every run would be too many to list).
 * Within an hour, runs are the minute field's gaps. From one hour to the next
 * run hour, the gap is the minute field's wrap-around (60 − last + first), and
 * it matters only when two run hours follow each other: adjacent hours on a
 * run day, 23 and 0 on two run days in a row, or the hours either side of the
 * hour a daylight-saving change skips (01:59 EST, then 03:00 EDT: a minute).
 * Days given with `L` or `#` are taken to follow each other (refused, rather than let through).
 */
function closeRuns(fields: CronFields, tz: string): boolean {
  const floor = MIN_CRON_INTERVAL_MS / 60_000;
  const minutes = fields.minute.values.map(Number).sort((a, b) => a - b);
  for (let i = 1; i < minutes.length; i++) if (minutes[i]! - minutes[i - 1]! < floor) return true;
  if (60 - minutes.at(-1)! + minutes[0]! >= floor) return false;
  const hours = new Set(fields.hour.values.map(Number));
  for (const h of hours) if (hours.has(h + 1)) return true;
  if (hours.has(23) && hours.has(0) && runDaysInARow(fields)) return true;
  // A run hour and the first run hour after the hours skipped past it (one, or two at Troll's +00 to +02) follow each other.
  const skipped = new Set(skippedHours(tz));
  for (const h of hours) {
    for (let next = (h + 1) % 24; skipped.has(next) && next !== h; next = (next + 1) % 24) if (hours.has((next + 1) % 24)) return true;
  }
  return false;
}

/** Whether the cron runs on two days in a row, over the 28 years after which the calendar's weekdays repeat. */
function runDaysInARow(fields: CronFields): boolean {
  const dom = fields.dayOfMonth.values;
  const dow = fields.dayOfWeek.values;
  if (!dom.every((v) => typeof v === 'number') || !dow.every((v) => typeof v === 'number') || fields.dayOfWeek.nthDay) return true;
  const months = new Set(fields.month.values.map(Number));
  const dates = new Set<number>(dom.map(Number));
  const weekdays = new Set(dow.map((d) => Number(d) % 7));
  // Cron's rule: with both day fields given, either one will do; with one a wildcard, the other decides.
  const either = !fields.dayOfMonth.isWildcard && !fields.dayOfWeek.isWildcard;
  const runs = (day: Date) => {
    if (!months.has(day.getUTCMonth() + 1)) return false;
    const onDate = dates.has(day.getUTCDate());
    const onWeekday = weekdays.has(day.getUTCDay());
    return either ? onDate || onWeekday : onDate && onWeekday;
  };
  let before = false;
  for (let d = 0; d < 28 * 366; d++) {
    const now = runs(new Date(Date.UTC(2026, 0, 1 + d)));
    if (now && before) return true;
    before = now;
  }
  return false;
}

/** The local hours a daylight-saving change skips in `tz`, every one of them (none where the clocks never go forward). */
function skippedHours(tz: string): number[] {
  const local = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  const partsOf = (t: number) => Object.fromEntries(local.formatToParts(t).map((x) => [x.type, Number(x.value)]));
  const offset = (t: number) => {
    const p = partsOf(t);
    return Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!) - Math.floor(t / 60_000) * 60_000;
  };
  const skipped: number[] = [];
  // Each week of a year: where the offset grows, the change is found to the minute, and every local hour in the gap is skipped
  // (from the minute after the last one before the change, for as many minutes as the offset grew).
  const start = Date.UTC(2026, 0, 1);
  for (let week = 0; week < 53; week++) {
    let lo = start + week * 7 * 86_400_000;
    let hi = lo + 7 * 86_400_000;
    if (offset(hi) <= offset(lo)) continue;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (offset(mid) > offset(lo)) hi = mid;
      else lo = mid;
    }
    const gap = (offset(hi) - offset(lo)) / 60_000;
    const p = partsOf(lo);
    const first = p['hour']! * 60 + p['minute']! + 1;
    for (let m = 0; m < gap; m++) {
      const hour = Math.floor(((first + m) % 1440) / 60);
      if (!skipped.includes(hour)) skipped.push(hour);
    }
  }
  return skipped;
}

/** The cron expression a schedule means. */
export function cronOf(s: Schedule): string {
  if (s.kind === 'cron') return s.cron;
  const [h, m] = s.time.split(':').map(Number) as [number, number];
  switch (s.kind) {
    case 'daily': return `${m} ${h} * * *`;
    case 'weekdays': return `${m} ${h} * * 1-5`;
    case 'weekly': return `${m} ${h} * * ${WEEKDAYS.find((d) => d.id === s.day)!.cron}`;
    case 'monthly': return `${m} ${h} ${s.date} * *`;
  }
}

/**
 * The first run strictly after `after`. Should cron-parser fail to find it (it gives up, "loop limit exceeded", on
 * some times around a half-hour daylight-saving change, as Lord Howe Island's), it looks again from further on
 * (`RETRY_FROM`): the run it could not place is skipped, and the schedule goes on.
 */
export function nextRun(s: Schedule, after: Date): Date {
  let failure: unknown;
  for (const ms of RETRY_FROM) {
    try {
      const at = CronExpressionParser.parse(cronOf(s), { currentDate: new Date(after.getTime() + ms), tz: s.tz }).next().toDate();
      // cron-parser can step back where the clocks go back by other than an hour (Chatham's 03:45 to 02:45: after
      // 02:45 it gives 02:00 again, before it): a time not after `after` is no next run, and it looks further on.
      if (at.getTime() > after.getTime()) return at;
      // Stryker disable next-line StringLiteral: what is thrown when every look steps back; its words are for the logs
      failure = new Error(`no run after ${after.toISOString()} (cron-parser stepped back)`);
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}

/** How much later `nextRun` looks again: an hour, a day, past a week's and a month's run. */
const RETRY_FROM = [0, 1, 24, 8 * 24, 32 * 24].map((hours) => hours * 3_600_000);

/**
 * The run after one due at `dueAt`, recorded at `now`: the next on the schedule. Should the bot have been down
 * past later times too, the latest of them while it is within `graceMs` (due already, so it runs at once, as it
 * would have had the bot been down for it alone), else the first after now: one missed run at most, never a burst.
 * Walked forward from `dueAt`, as `nextRun` goes (cron-parser's `prev` misses a run moved out of a daylight-saving
 * gap, and a walk begun inside a repeated hour finds that hour's times twice), at most `MAX_STEPS` times; past
 * them (a run every minute, days down), from where the grace begins.
 */
export function runAfter(s: Schedule, dueAt: number, now: number, graceMs: number): Date {
  try {
    for (const from of [dueAt, Math.max(dueAt, now - graceMs - 1)]) {
      const times = CronExpressionParser.parse(cronOf(s), { currentDate: new Date(from), tz: s.tz });
      let latest: Date | undefined;
      let before = from;
      for (let step = 0; step < MAX_STEPS; step++) {
        const at = times.next().toDate();
        // A walk that steps back (see nextRun) would go round the same times for ever: the first after now, as nextRun finds it.
        if (at.getTime() <= before) break;
        before = at.getTime();
        if (at.getTime() > now) return latest ?? at;
        if (runDecision(at.getTime(), now, graceMs) === 'run') latest = at;
      }
    }
  } catch {
    // cron-parser gave up on a time (see nextRun): the first after now, looked for as nextRun does.
  }
  return nextRun(s, new Date(now));
}

/** How many scheduled times `runAfter` walks through at most, from each start. */
const MAX_STEPS = 2_000;

/** "Weekdays at 09:00 (America/Los_Angeles)": a schedule in words. */
export function describeSchedule(s: Schedule): string {
  const zone = ` (${s.tz})`;
  switch (s.kind) {
    case 'daily': return `Every day at ${s.time}${zone}`;
    case 'weekdays': return `Weekdays at ${s.time}${zone}`;
    case 'weekly': return `Every ${WEEKDAYS.find((d) => d.id === s.day)!.label} at ${s.time}${zone}`;
    case 'monthly': return `Monthly on the ${ordinal(s.date)} at ${s.time}${zone}`;
    case 'cron': return `Cron \`${s.cron}\`${zone}`;
  }
}

/** 1st, 2nd, 3rd, 4th, … 21st, 22nd, 23rd, 28th. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/**
 * What to do with a run that was due at `dueAt` and is carried out at `now`
 * (the bot may have been down): run it if it is within `graceMs` of its
 * time, else skip it (`runAfter` says which run comes next).
 */
export function runDecision(dueAt: number, now: number, graceMs: number): 'run' | 'missed' {
  return now - dueAt <= graceMs ? 'run' : 'missed';
}
