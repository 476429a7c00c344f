import { describe, expect, it } from 'vitest';
import { commandWords, headOf, localeNumber, reasonProblem, trimText } from '../../src/format.js';

describe('localeNumber', () => {
  it('separates thousands and keeps up to 3 decimals by default, as toLocaleString does', () => {
    expect(localeNumber(1234567)).toBe('1,234,567');
    expect(localeNumber(1234.56789)).toBe((1234.56789).toLocaleString('en-US'));
    expect(localeNumber(1234.56789)).toBe('1,234.568');
  });

  it('rounds to the decimals asked for, each precision with its own formatter', () => {
    expect(localeNumber(1234.56789, 0)).toBe('1,235');
    expect(localeNumber(1234.56789, 2)).toBe('1,234.57');
    expect(localeNumber(0.25, 1)).toBe('0.3');
    expect(localeNumber(1234.56789)).toBe('1,234.568');
  });
});

describe('trimText', () => {
  it.each([
    ['  why  ', 'why'],
    ['\u200b', ''],
    [' \u200b\u200d\u2060\ufeff\n\t ', ''],
    ['\u200bwhy\u200b', 'why'],
    ['\u3164\u2800\u115f\u1160\uffa0\u034f', ''],
    ['\u3164 why', 'why'],
    // Inside the text they stay: an emoji sequence joins with U+200D.
    ['👩\u200d💻 team', '👩\u200d💻 team'],
    ['a\u200bb', 'a\u200bb'],
    ['', ''],
    // A flag of tag characters keeps them at the end (Scotland is a black flag and six tags).
    ['why 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} ', 'why 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}'],
    ['🙂\u200b', '🙂'],
    ['\u200b🙂', '🙂'],
    ['\u{1D173}why\u{1D173}', 'why'],
    ['x', 'x'],
    [' ', ''],
    // Control characters show as nothing (the views drop them): a reason of only those says nothing.
    ['\u0007\u001b\u0000\u0001', ''],
    ['\u0000why\u0085', 'why'],
  ])('%j → %j', (text, trimmed) => {
    expect(trimText(text)).toBe(trimmed);
  });

  it('trims a long run of blanks inside the text in one pass (a forged payload of 100,000)', () => {
    const blanks = ' \u200b'.repeat(50_000);
    expect(trimText(`${blanks}a${blanks}b${blanks}`)).toBe(`a${blanks}b`);
  });
});

describe('reasonProblem', () => {
  const needed = { max: 10, missing: 'Say why.' };
  it.each([
    ['', needed, 'Say why.'],
    [' \u200b ', needed, 'Say why.'],
    ['\u0007\u001b\u0000\u0001', needed, 'Say why.'],
    ['', { max: 10 }, null],
    ['\u200b', { max: 10 }, null],
    ['x'.repeat(10), needed, null],
    [` ${'x'.repeat(10)}\u200b `, needed, null],
    ['x'.repeat(11), needed, 'Keep the reason to 10 characters (an emoji counts as two or more); it has 11.'],
    ['x'.repeat(11), { max: 10 }, 'Keep the reason to 10 characters (an emoji counts as two or more); it has 11.'],
    ['🙂'.repeat(6), needed, 'Keep the reason to 10 characters (an emoji counts as two or more); it has 12.'],
    ['x'.repeat(1234), { max: 1000 }, 'Keep the reason to 1,000 characters (an emoji counts as two or more); it has 1,234.'],
  ])('%j (%j) → %j', (text, limits, problem) => {
    expect(reasonProblem(text, limits)).toBe(problem);
  });
});

describe('commandWords', () => {
  it.each([
    ['', []],
    ['\u200b', []],
    ['  rerun   hubspot ', ['rerun', 'hubspot']],
    ['\u200brerun \u2060 hubspot\u200b', ['rerun', 'hubspot']],
    ['audit\n5', ['audit', '5']],
  ])('%j → %j', (text, words) => {
    expect(commandWords(text)).toEqual(words);
  });
});

describe('headOf', () => {
  it.each([
    ['abc', 5, 'abc'],
    ['abcdef', 3, 'abc'],
    // Never half an emoji (a lone surrogate is not valid UTF-8): the whole pair goes.
    ['ab🙂', 3, 'ab'],
    ['ab🙂', 4, 'ab🙂'],
    ['🙂🙂', 3, '🙂'],
    ['', 0, ''],
  ])('%j to %d → %j', (text, max, head) => {
    expect(headOf(text, max)).toBe(head);
  });
});
