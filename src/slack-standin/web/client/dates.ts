/** Slack's `<!date^…>` tokens, rendered in the reader's time zone as Slack does. */

function ordinal(n: number): string {
  const suffixes = ['th', 'st', 'nd', 'rd'];
  return n + (suffixes[((n % 100) - 20) % 10] ?? suffixes[n % 100] ?? 'th');
}

/** `format` with Slack's date tokens filled in for `seconds`; null when the time is not a date. */
export function formatSlackDate(seconds: number, format: string, now = new Date()): string | null {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return null;
  const dayDiff = Math.round((new Date(now.toDateString()).getTime() - new Date(d.toDateString()).getTime()) / 86_400_000);
  const pretty = (fallback: string) => (dayDiff === 0 ? 'Today' : dayDiff === 1 ? 'Yesterday' : dayDiff === -1 ? 'Tomorrow' : fallback);
  const month = d.toLocaleString('en-US', { month: 'long' });
  const monthShort = d.toLocaleString('en-US', { month: 'short' });
  const date = `${month} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
  const dateShort = `${monthShort} ${d.getDate()}, ${d.getFullYear()}`;
  const dateLong = `${d.toLocaleString('en-US', { weekday: 'long' })}, ${date}`;
  const agoSec = Math.round((now.getTime() - d.getTime()) / 1000);
  const ago = agoSec < 60 ? 'just now'
    : agoSec < 3600 ? `${Math.round(agoSec / 60)} minutes ago`
      : agoSec < 86_400 ? `${Math.round(agoSec / 3600)} hours ago`
        : `${Math.round(agoSec / 86_400)} days ago`;
  const tokens: Record<string, string> = {
    date_num: d.toLocaleDateString('sv-SE'),
    date, date_short: dateShort, date_long: dateLong,
    date_pretty: pretty(date), date_short_pretty: pretty(dateShort), date_long_pretty: pretty(dateLong),
    time: d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' }),
    time_secs: d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago,
  };
  return format.replace(/\{(\w+)\}/g, (m, k: string) => tokens[k] ?? m);
}

/** A message's time as Slack shows it beside the name. */
export function tsTime(ts: string): string {
  return new Date(Number(ts) * 1000).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
}
