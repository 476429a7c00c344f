/**
 * The local page's dates (src/slack-standin/web/client/dates.ts): Slack's
 * `<!date^…>` tokens and a message's time, in the reader's Slack time zone as
 * Slack shows them, whatever the zone of the machine running the page.
 */
import { describe, expect, it } from 'vitest';
import { formatSlackDate, tsTime } from '../../src/slack-standin/web/client/dates.js';

// 2026-12-06 03:30 UTC: the evening of the 5th in Los Angeles, midday of the 6th in Tokyo.
const at = Date.UTC(2026, 11, 6, 3, 30) / 1000;
const now = new Date(Date.UTC(2026, 11, 6, 4, 0));

describe('the local page\'s dates', () => {
  it('fills each token in the zone given: its day, its time, and Today/Yesterday by that zone\'s calendar', () => {
    expect(formatSlackDate(at, '{date_num} {time}', 'America/Los_Angeles', now)).toBe('2026-12-05 7:30 PM');
    expect(formatSlackDate(at, '{date_num} {time}', 'Asia/Tokyo', now)).toBe('2026-12-06 12:30 PM');
    expect(formatSlackDate(at, '{date} · {date_short} · {date_long} · {time_secs}', 'America/Los_Angeles', now)).toBe('December 5th, 2026 · Dec 5, 2026 · Saturday, December 5th, 2026 · 7:30:00 PM');
    expect(formatSlackDate(at, '{date_short_pretty} at {time}', 'America/Los_Angeles', now)).toBe('Today at 7:30 PM');
    // The next day in Tokyo for a time of the day before there.
    expect(formatSlackDate(at - 6 * 3600, '{date_pretty}', 'Asia/Tokyo', now)).toBe('Today');
    expect(formatSlackDate(at - 13 * 3600, '{date_pretty}', 'Asia/Tokyo', now)).toBe('Yesterday');
    expect(formatSlackDate(at + 86_400, '{date_long_pretty}', 'America/Los_Angeles', now)).toBe('Tomorrow');
    expect(formatSlackDate(at - 3 * 86_400, '{ago}', 'America/Los_Angeles', now)).toBe('3 days ago');
  });

  it('reads a message\'s time in the zone given, and the machine\'s for a zone the runtime does not know', () => {
    expect(tsTime(`${at}.000100`, 'America/Los_Angeles')).toBe('7:30 PM');
    expect(tsTime(`${at}.000100`, 'Asia/Tokyo')).toBe('12:30 PM');
    expect(tsTime(`${at}.000100`, 'Mars/Olympus_Mons')).toBe(tsTime(`${at}.000100`));
    expect(formatSlackDate(Number.NaN, '{time}', 'Asia/Tokyo', now)).toBeNull();
  });
});
