/**
 * Slack's `<!date^…>` tokens, and a message's time, rendered in the reader's
 * Slack time zone as Slack does (the page's user's, not the browser's: a
 * reader in Los Angeles sees 9:38 PM wherever the page is opened).
 */

function ordinal(n: number): string {
  const suffixes = ['th', 'st', 'nd', 'rd'];
  return n + (suffixes[((n % 100) - 20) % 10] ?? suffixes[n % 100] ?? 'th');
}

/** `d`'s calendar day in `timeZone` (the browser's when undefined): its year, month, day, and a day number to subtract. */
function dayIn(d: Date, timeZone: string | undefined): { year: number; month: number; day: number; dayNumber: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(d);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const [year, month, day] = [part('year'), part('month'), part('day')];
  return { year, month, day, dayNumber: Date.UTC(year, month - 1, day) / 86_400_000 };
}

/** A zone the browser knows, or undefined (the browser's own) for one it does not. */
function knownZone(timeZone: string | undefined): string | undefined {
  if (!timeZone) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    return undefined;
  }
}

/** `format` with Slack's date tokens filled in for `seconds`, in `timeZone` (the browser's when undefined); null when the time is not a date. */
export function formatSlackDate(seconds: number, format: string, timeZone?: string, now = new Date()): string | null {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return null;
  const tz = knownZone(timeZone);
  const at = dayIn(d, tz);
  const dayDiff = dayIn(now, tz).dayNumber - at.dayNumber;
  const pretty = (fallback: string) => (dayDiff === 0 ? 'Today' : dayDiff === 1 ? 'Yesterday' : dayDiff === -1 ? 'Tomorrow' : fallback);
  const month = d.toLocaleString('en-US', { month: 'long', timeZone: tz });
  const monthShort = d.toLocaleString('en-US', { month: 'short', timeZone: tz });
  const date = `${month} ${ordinal(at.day)}, ${at.year}`;
  const dateShort = `${monthShort} ${at.day}, ${at.year}`;
  const dateLong = `${d.toLocaleString('en-US', { weekday: 'long', timeZone: tz })}, ${date}`;
  const agoSec = Math.round((now.getTime() - d.getTime()) / 1000);
  const ago = agoSec < 60 ? 'just now'
    : agoSec < 3600 ? `${Math.round(agoSec / 60)} minutes ago`
      : agoSec < 86_400 ? `${Math.round(agoSec / 3600)} hours ago`
        : `${Math.round(agoSec / 86_400)} days ago`;
  const tokens: Record<string, string> = {
    date_num: `${at.year}-${String(at.month).padStart(2, '0')}-${String(at.day).padStart(2, '0')}`,
    date, date_short: dateShort, date_long: dateLong,
    date_pretty: pretty(date), date_short_pretty: pretty(dateShort), date_long_pretty: pretty(dateLong),
    time: d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone: tz }),
    time_secs: d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZone: tz }),
    ago,
  };
  return format.replace(/\{(\w+)\}/g, (m, k: string) => tokens[k] ?? m);
}

/** A message's time as Slack shows it beside the name, in `timeZone` (the browser's when undefined). */
export function tsTime(ts: string, timeZone?: string): string {
  return new Date(Number(ts) * 1000).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone: knownZone(timeZone) });
}
