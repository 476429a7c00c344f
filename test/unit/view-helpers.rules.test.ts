/**
 * The helpers every view uses (views/common.ts): escaping user text for
 * mrkdwn, cutting text to Slack's limits, dates, "3 hours ago", what a
 * person sees when something behind the bot failed, and a list's pages.
 */
import { describe, expect, it } from 'vitest';
import { SLACK_LIMITS, ago, escapeAndTruncate, escapeMrkdwn, failureMessage, formGoneModal, isChannelId, joinWithin, noteMessage, queryGoneModal, pageByOrder, pageOf, pagerBlocks, slackDate, truncate, truncateMrkdwn, userText } from '../../views/common.js';

describe('escaping user text for mrkdwn', () => {
  it.each([
    ['plain text', 'plain text'],
    ['<!channel>', '&lt;!channel&gt;'],
    ['<@U123>', '&lt;@U123&gt;'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    ['Procter & Gamble', 'Procter &amp; Gamble'],
    ['a < b > c < d > e', 'a &lt; b &gt; c &lt; d &gt; e'],
    ['&&', '&amp;&amp;'],
    // An ampersand is escaped first, so escapes are not escaped twice.
    ['&lt;', '&amp;lt;'],
    ['<&>', '&lt;&amp;&gt;'],
  ])('%j → %j', (text, escaped) => {
    expect(escapeMrkdwn(text)).toBe(escaped);
  });
});

describe('channel IDs written as <#C…>', () => {
  it('takes public and private channel IDs', () => {
    expect(isChannelId('C0ANALYTIC')).toBe(true);
    expect(isChannelId('G012AB')).toBe(true);
    expect(isChannelId('C12')).toBe(true);
  });

  it('refuses anything else: DMs, users, short, lower case, mrkdwn, not a string', () => {
    for (const id of ['D0DM', 'U0USER', 'C1', 'C', '', 'c0analytic', 'C0AN|x', 'C0AN>', '<#C0AN>', ' C0AN', 'C0AN ', 'xC0AN'])
      expect(isChannelId(id), id).toBe(false);
    for (const id of [null, undefined, 42, {}, ['C0AN']]) expect(isChannelId(id)).toBe(false);
  });
});

describe('cutting text to a length', () => {
  it.each([
    ['abcdef', 10, 'abcdef'],
    ['abcdef', 6, 'abcdef'],
    ['abcdefg', 6, 'abcde…'],
    ['abcdefghijklmnop', 6, 'abcde…'],
    ['ab', 1, '…'],
    ['ab', 0, '…'],
    ['', 0, ''],
  ])('%j cut to %i → %j', (text, max, cut) => {
    expect(truncate(text, max)).toBe(cut);
  });

  it('never returns more than asked (for any positive limit)', () => {
    const text = 'x'.repeat(SLACK_LIMITS.sectionText + 500);
    expect(truncate(text, SLACK_LIMITS.sectionText)).toHaveLength(SLACK_LIMITS.sectionText);
    expect(truncate(text, SLACK_LIMITS.sectionText).endsWith('…')).toBe(true);
  });

  it('never cuts an emoji in half (a lone surrogate shows as �, and is not valid UTF-8 for Slack)', () => {
    expect(truncate('a😀😀😀', 3)).toBe('a…');
    expect(truncate('😀😀😀', 4)).toBe('😀…');
    expect(truncate('😀😀😀', 5)).toBe('😀😀…');
  });
});

describe('cutting mrkdwn without breaking it', () => {
  it.each([
    ['abc', 3, 'abc'],
    ['abc', 2, 'a…'],
    ['abc', 1, '…'],
    ['abc', 0, '…'],
    // An entity the cut would split goes whole: &amp; &lt; &gt;
    ['x&amp;y', 5, 'x…'],
    ['ab&lt;cd', 5, 'ab…'],
    ['ab&gt;cd', 6, 'ab…'],
    // An entity before the cut stays whole.
    ['x&amp;yz', 7, 'x&amp;…'],
    // A bare & is no entity: cut as text.
    ['a & bcdef', 5, 'a & …'],
    ['a &ampx bcdef', 6, 'a &am…'],
    // The bare & right at the cut, an entity after it: only the & is text.
    ['ab&&lt;x', 4, 'ab&…'],
    // A <…> token (mention, link, date) the cut would split goes whole; one before the cut stays.
    ['see <@U0REGULAR> now', 10, 'see …'],
    ['abc<def', 5, 'abc…'],
    ['a <@U1> bcdef', 9, 'a <@U1> …'],
    // A < after the cut is not looked at.
    ['abcde<fg', 5, 'abcd…'],
    // A surrogate pair is not split; a whole one before the cut stays.
    ['ok 😀😀', 5, 'ok …'],
    ['ok😀xyz', 5, 'ok😀…'],
    ['ok 😀xy', 5, 'ok …'],
    // The first and the last high surrogate (U+10000, U+10FFFF).
    ['ok \u{10000}xy', 5, 'ok …'],
    ['ok \u{10FFFF}xy', 5, 'ok …'],
  ])('%j cut to %i → %j', (text, max, cut) => {
    expect(truncateMrkdwn(text, max)).toBe(cut);
  });

  it('never returns more than asked, and cuts user text after escaping it', () => {
    const text = '&<>'.repeat(2000);
    for (const max of [1, 2, 5, 100, SLACK_LIMITS.sectionText]) {
      expect(escapeAndTruncate(text, max).length).toBeLessThanOrEqual(max);
      expect(truncateMrkdwn(escapeMrkdwn(text), max).length).toBeLessThanOrEqual(max);
    }
    expect(escapeAndTruncate('a < b', 100)).toBe('a &lt; b');
    expect(escapeAndTruncate('&&', 8)).toBe('&amp;…');
    expect(escapeAndTruncate('<b>', 9)).toBe('&lt;b&gt;');
    expect(escapeAndTruncate('<b>', 8)).toBe('&lt;b…');
  });

  it('drops the direction controls that would turn the rest of a line around, and keeps right-to-left text', () => {
    expect(escapeAndTruncate('report\u202Etxt.exe', 100)).toBe('reporttxt.exe');
    expect(escapeAndTruncate('a\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069b', 100)).toBe('ab');
    expect(escapeAndTruncate('שלום \u200F<x>', 100)).toBe('שלום \u200F&lt;x&gt;');
  });

  it('drops control characters (NUL, BEL, an escape sequence, DEL, C1) and keeps tabs and line breaks', () => {
    expect(escapeAndTruncate('\u0000\u0001\u0007\u001b[31mred\u007f\u0085\u009f', 100)).toBe('[31mred');
    expect(escapeAndTruncate('a\tb\nc\r\nd', 100)).toBe('a\tb\nc\r\nd');
    expect(userText('why\u0007 *now*\u0000', 100)).toBe('why ∗now∗');
  });
});

describe('Slack limits the views are checked against', () => {
  it('are the ones Slack documents', () => {
    expect(SLACK_LIMITS).toMatchObject({
      messageBlocks: 50,
      modalBlocks: 100,
      sectionText: 3000,
      actionId: 255,
      buttonText: 75,
      optionText: 75,
      selectOptions: 100,
      contextElements: 10,
      fields: 10,
      fieldText: 2000,
    });
  });
});

describe('dates in the reader’s time zone', () => {
  const at = new Date('2026-11-28T09:05:42Z');

  it('uses Slack’s date token, with a UTC fallback to the minute', () => {
    expect(slackDate(at)).toBe('<!date^1795856742^{date_short_pretty} at {time}|2026-11-28 09:05 UTC>');
  });

  it('takes another format, and whole seconds only', () => {
    expect(slackDate(new Date('2026-11-28T09:05:42.999Z'), '{date_long}')).toBe('<!date^1795856742^{date_long}|2026-11-28 09:05 UTC>');
  });
});

describe('"how long ago"', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  const before = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  it.each([
    [0, 'just now'],
    [89, 'just now'],
    [90, '2 minutes ago'],
    [150, '3 minutes ago'],
    [89 * 60, '89 minutes ago'],
    [90 * 60, '2 hours ago'],
    [35 * 3600, '35 hours ago'],
    [36 * 3600, '2 days ago'],
    [10 * 86_400, '10 days ago'],
    // a clock slightly ahead of ours
    [-600, 'just now'],
  ])('%i s ago → %s', (seconds, text) => {
    expect(ago(before(seconds), now)).toBe(text);
  });
});

describe('what a person sees when something behind the bot failed', () => {
  it('says what failed and what to do, in the text and in one section', () => {
    const msg = failureMessage('The warehouse did not answer.');
    expect(msg.text).toBe(':warning: The warehouse did not answer. Please try again in a minute.');
    expect(msg.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: msg.text } }]);
  });

  it('takes another hint', () => {
    const msg = failureMessage('Looker refused the change.', 'Ask a Looker admin.');
    expect(msg.text).toBe(':warning: Looker refused the change. Ask a Looker admin.');
    expect(msg.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: ':warning: Looker refused the change. Ask a Looker admin.' } }]);
  });
});

describe('a form that can no longer do what it was for', () => {
  it('turns into a note with only a Close button, saying what happened (by default, that the form is from an earlier version)', () => {
    expect(formGoneModal()).toEqual({
      type: 'modal',
      title: { type: 'plain_text', text: 'analytics-bot' },
      close: { type: 'plain_text', text: 'Close' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'This form is from an earlier version of analytics-bot, and nothing was saved. Please open it again from its command or button.' } }],
    });
  });

  it('names the saved query that left the catalog as it was typed, escaped and cut, and says what did not happen', () => {
    const run = queryGoneModal('weekly-<active>', 'run').blocks[0] as { text: { text: string } };
    expect(run.text.text).toBe('The saved query “weekly-&lt;active&gt;” is no longer in the catalog (it may have been renamed or removed), so nothing was run. `/query` lists the saved queries there are now.');
    const saved = queryGoneModal('q'.repeat(200), 'saved').blocks[0] as { text: { text: string } };
    expect(saved.text.text).toMatch(/^The saved query “q{79}…” is no longer in the catalog .*so nothing was saved\./);
  });
});

describe('a list a page at a time', () => {
  const items = Array.from({ length: 45 }, (_, i) => i);

  it.each([
    [0, 0, 0, 20],
    [1, 1, 20, 20],
    [2, 2, 40, 5],
    // Past the last (forged, or its only item deleted since): the last there is.
    [3, 2, 40, 5],
    [9999, 2, 40, 5],
    // Before the first, between pages, not a number: the nearest there is.
    [-1, 0, 0, 20],
    [1.7, 1, 20, 20],
    [Number.NaN, 0, 0, 20],
    [Number.POSITIVE_INFINITY, 0, 0, 20],
  ])('page %s of 45 items, 20 to a page, is page %s from item %s, showing %s', (asked, page, from, count) => {
    const p = pageOf(items, 20, asked);
    expect(p).toEqual({ shown: items.slice(from, from + count), page, pages: 3, from });
  });

  it('counts a last page that is exactly full, and one empty page for an empty list', () => {
    expect(pageOf(items.slice(0, 40), 20, 5)).toMatchObject({ page: 1, pages: 2, from: 20 });
    expect(pageOf(items.slice(0, 41), 20, 5)).toMatchObject({ page: 2, pages: 3, from: 40, shown: [40] });
    expect(pageOf([], 20, 3)).toEqual({ shown: [], page: 0, pages: 1, from: 0 });
  });

  describe('by order', () => {
    // 0 to 44 in order; a key is a number, and `order` says how an item compares with it.
    const byOrder = (place: Parameters<typeof pageByOrder<number, number>>[3], list: readonly number[] = items) => pageByOrder(list, 20, (item: number, key: number) => item - key, place);
    const run = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    it('is the first page without a place, and counts the pages as pageOf does', () => {
      expect(byOrder({})).toEqual({ shown: run(0, 19), from: 0, page: 0, pages: 3 });
      expect(byOrder({}, [])).toEqual({ shown: [], from: 0, page: 0, pages: 1 });
      expect(byOrder({ a: 3 }, [])).toEqual({ shown: [], from: 0, page: 0, pages: 1 });
      expect(byOrder({ b: 3 }, [])).toEqual({ shown: [], from: 0, page: 0, pages: 1 });
    });

    it('goes on after `a`, gone or not, and shows the last page when nothing comes after it', () => {
      expect(byOrder({ a: 19 })).toEqual({ shown: run(20, 39), from: 20, page: 1, pages: 3 });
      expect(byOrder({ a: 18.5 })).toEqual({ shown: run(19, 38), from: 19, page: 1, pages: 3 });
      expect(byOrder({ a: 39 })).toEqual({ shown: run(40, 44), from: 40, page: 2, pages: 3 });
      // A key of 0 is a key: the page after it, not the first.
      expect(byOrder({ a: 0 })).toMatchObject({ shown: run(1, 20), page: 1, pages: 4 });
      // Past the end: the last page, whole.
      expect(byOrder({ a: 44 })).toEqual({ shown: run(25, 44), from: 25, page: 2, pages: 3 });
      expect(byOrder({ a: 99 }, run(0, 9))).toEqual({ shown: run(0, 9), from: 0, page: 0, pages: 1 });
    });

    it('starts at `at`, or the first after it when it is gone', () => {
      expect(byOrder({ at: 20 })).toEqual({ shown: run(20, 39), from: 20, page: 1, pages: 3 });
      expect(byOrder({ at: 19.5 })).toEqual({ shown: run(20, 39), from: 20, page: 1, pages: 3 });
      expect(byOrder({ at: 0 })).toEqual({ shown: run(0, 19), from: 0, page: 0, pages: 3 });
      expect(byOrder({ at: 45 })).toEqual({ shown: run(25, 44), from: 25, page: 2, pages: 3 });
      // `a` goes on strictly after; `at` from it: `a` wins when both are given.
      expect(byOrder({ a: 20, at: 20 })).toMatchObject({ shown: run(21, 40) });
    });

    it('ends before `b`, or is the first page whole when fewer than a page come before it', () => {
      expect(byOrder({ b: 40 })).toEqual({ shown: run(20, 39), from: 20, page: 1, pages: 3 });
      expect(byOrder({ b: 39.5 })).toEqual({ shown: run(20, 39), from: 20, page: 1, pages: 3 });
      expect(byOrder({ b: 30 })).toEqual({ shown: run(10, 29), from: 10, page: 1, pages: 3 });
      expect(byOrder({ b: 20 })).toEqual({ shown: run(0, 19), from: 0, page: 0, pages: 3 });
      expect(byOrder({ b: 5 })).toEqual({ shown: run(0, 19), from: 0, page: 0, pages: 3 });
      expect(byOrder({ b: 99 })).toEqual({ shown: run(25, 44), from: 25, page: 2, pages: 3 });
      // Pages counted either side of one that starts off the grid: 5 before it (one page), 20 after it (one).
      expect(byOrder({ a: 4 })).toEqual({ shown: run(5, 24), from: 5, page: 1, pages: 3 });
      // `a` or `at` wins over `b`.
      expect(byOrder({ a: 9, b: 40 })).toMatchObject({ shown: run(10, 29) });
      expect(byOrder({ at: 9, b: 40 })).toMatchObject({ shown: run(9, 28) });
    });
  });

  const foot = { summary: 'things 21 to 40 of 45.', blockId: 'pages', previous: 'prev', next: 'next', valueOf: (n: number, direction: 'previous' | 'next') => `${direction}:${n}` };

  it('has no foot for a list of one page', () => {
    expect(pagerBlocks(pageOf(items.slice(0, 20), 20, 0), foot)).toEqual([]);
    expect(pagerBlocks(pageOf([], 20, 0), foot)).toEqual([]);
  });

  it('says which page of how many, then offers the pages either side, valued for the page each shows', () => {
    expect(pagerBlocks(pageOf(items, 20, 1), foot)).toEqual([
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Page 2 of 3: things 21 to 40 of 45.' }] },
      {
        type: 'actions',
        block_id: 'pages',
        elements: [
          { type: 'button', action_id: 'prev', text: { type: 'plain_text', text: 'Previous page' }, value: 'previous:0' },
          { type: 'button', action_id: 'next', text: { type: 'plain_text', text: 'Next page' }, value: 'next:2' },
        ],
      },
    ]);
  });

  it('offers no Previous on the first page and no Next on the last', () => {
    const ids = (page: number) => (pagerBlocks(pageOf(items, 20, page), foot)[1] as { elements: Array<{ action_id: string; value: string }> }).elements.map((b) => `${b.action_id}=${b.value}`);
    expect(ids(0)).toEqual(['next=next:1']);
    expect(ids(2)).toEqual(['prev=previous:1']);
    // Two pages are enough for a foot.
    expect(pagerBlocks(pageOf(items.slice(0, 40), 20, 1), foot)).toHaveLength(2);
  });
});

describe('a list joined within a length', () => {
  const more = (left: number) => ` +${left}`;

  it('is every item when they fit, up to the length exactly, and as many as the most allowed', () => {
    expect(joinWithin(['a', 'b', 'c'], ', ', 100, more)).toBe('a, b, c');
    expect(joinWithin(['a', 'b', 'c'], ', ', 7, more)).toBe('a, b, c');
    expect(joinWithin(['a', 'b', 'c'], ', ', 100, more, 3)).toBe('a, b, c');
    expect(joinWithin([], ', ', 100, more)).toBe('');
  });

  it('is as many whole items as fit with what follows them, which counts the rest', () => {
    expect(joinWithin(['aaaa', 'bbbb', 'cccc', 'dddd'], ', ', 13, more)).toBe('aaaa, bbbb +2');
    expect(joinWithin(['aaaa', 'bbbb', 'cccc', 'dddd'], ', ', 12, more)).toBe('aaaa +3');
    expect(joinWithin(['a', 'b', 'c'], ', ', 6, more)).toBe('a +2');
  });

  it('is no more than the most allowed, however short', () => {
    expect(joinWithin(['a', 'b', 'c', 'd', 'e'], ', ', 1_000, more, 2)).toBe('a, b +3');
    expect(joinWithin(['a', 'b', 'c'], '\n', 1_000, more, 1)).toBe('a +2');
  });

  it('is the count alone, cut to the length, when not even one item fits', () => {
    expect(joinWithin(['abcdefghij'], ', ', 5, more)).toBe(' +1');
    expect(joinWithin(['abcdefghij', 'k'], ', ', 5, (left) => ` and ${left} more`)).toBe(' and…');
  });
});

describe('a short note', () => {
  it('is its text, in one section', () => {
    expect(noteMessage('Nothing to show.')).toEqual({ text: 'Nothing to show.', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Nothing to show.' } }] });
  });
});
