/**
 * When a scheduled delivery or alert runs: daily, on weekdays, weekly on a
 * day, monthly on a date, at a time of day in the subscriber's time zone, or
 * a cron expression for the rare case. Every kind is a cron expression in a
 * time zone underneath, computed by cron-parser (which keeps local times
 * through daylight-saving changes: 09:00 stays 09:00). Pure: no clock, no I/O.
 */
import { CronExpressionParser } from 'cron-parser';

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
  if (!isTimeZone(tz)) errors.tz = `“${tz.slice(0, 40)}” is not a time zone I know (e.g. America/Los_Angeles).`;
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

/** Why a cron expression is refused, or null: five fields (minute to weekday), and not more often than every 15 minutes. */
function cronProblem(cron: string, tz: string): string | null {
  if (!cron) return 'Write a cron expression, e.g. `0 9 * * 1` (Mondays at 09:00).';
  if (cron.length > 100) return 'That cron expression is too long.';
  if (cron.split(' ').length !== 5) return 'A cron expression here has five fields: minute hour day-of-month month day-of-week (e.g. `0 9 * * 1`).';
  // cron-parser reads `H` as a value picked at random, and picks again each time the next run is worked
  // out: the runs would move about at random, minutes apart at times (under the floor checked below).
  if (cron.replace(/THU/gi, '').includes('H')) return 'Write the minutes and hours out: `H` (a time picked at random) is not supported here.';
  let times: number[];
  try {
    const it = CronExpressionParser.parse(cron, { currentDate: new Date(Date.UTC(2026, 0, 1)), tz });
    times = Array.from({ length: 6 }, () => it.next().getTime());
  } catch (err) {
    return `That is not a cron expression I can read (${err instanceof Error ? err.message.split('\n')[0]!.slice(0, 80) : 'invalid'}).`;
  }
  for (let i = 1; i < times.length; i++) {
    if (times[i]! - times[i - 1]! < MIN_CRON_INTERVAL_MS) return 'Scheduled runs must be at least 15 minutes apart.';
  }
  return null;
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

/** The first run strictly after `after`. */
export function nextRun(s: Schedule, after: Date): Date {
  return CronExpressionParser.parse(cronOf(s), { currentDate: after, tz: s.tz }).next().toDate();
}

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
 * time, else skip it; the next run is always after now, never a burst of
 * missed ones.
 */
export function runDecision(dueAt: number, now: number, graceMs: number): 'run' | 'missed' {
  return now - dueAt <= graceMs ? 'run' : 'missed';
}
