/**
 * The rules for `/query` parameters (src/catalog/params.ts), stated as tables:
 * what a person types, and what the bot binds or says. Every bound is checked
 * on both sides. No warehouse, no files: the saved query is built in the test.
 */
import { describe, expect, it } from 'vitest';
import type { CustomerName, MatchResult } from '../../src/domain/customer-match.js';
import type { DateParam, EnumParam, IntParam, ParamDef, SavedQuery, StringParam } from '../../src/catalog/catalog.js';
import { describeParam, enumOptionOf, parseParamText, resolveParams, type CustomerLookup, type ResolveContext } from '../../src/catalog/params.js';

const base = { description: undefined, required: false };
const weeks: IntParam = { ...base, name: 'weeks', label: 'Weeks', kind: 'int', min: 1, max: 13, default: 12 };
const hosting: EnumParam = {
  ...base,
  name: 'hosting',
  label: 'Hosting',
  kind: 'enum',
  default: 'all',
  options: [
    { value: 'all', label: 'All hosting' },
    { value: 'cloud', label: 'Sourcegraph cloud' },
    { value: 'self-hosted', label: 'Self-hosted' },
  ],
};
const version: StringParam = { ...base, name: 'version', label: 'Version', kind: 'string', maxLength: 20, pattern: /^\d+\.\d+$/, patternHint: 'a version like 5.4', default: undefined, required: true };
const since: DateParam = { ...base, name: 'since', label: 'Since', kind: 'date', default: '-7d', min: '-1w', max: 'today' };

function savedQuery(params: ParamDef[], name = 'weekly-active-instances'): SavedQuery {
  return {
    name, title: name, description: '', owner: 'me', params,
    display: { type: 'table', x: undefined, y: [], series: undefined, xLabel: undefined, yLabel: undefined },
    ttlMs: 3_600_000, sql: 'SELECT 1', duckdbSql: undefined, tables: ['pings'], version: 'v1', file: `${name}.sql`,
  };
}

const acme: CustomerName = { customerId: 'acme', name: 'Acme Corp', aliases: [], domain: 'acme.com' };
const stark = (n: number): CustomerName => ({ customerId: `stark-${n}`, name: `Stark ${n}`, aliases: [], domain: null });
const noCustomers: CustomerLookup = async () => ({ kind: 'none', closest: [] });
const today = new Date('2025-06-15T12:00:00Z');
const ctx = (customers: CustomerLookup = noCustomers): ResolveContext => ({ today, customers });

async function resolved(params: ParamDef[], given: Record<string, string>, customers?: CustomerLookup) {
  const r = await resolveParams(savedQuery(params), given, ctx(customers));
  if (!r.ok) throw new Error(`expected the values to be accepted, got ${JSON.stringify(r.problems)}`);
  return r.params;
}

async function problems(params: ParamDef[], given: Record<string, string>, customers?: CustomerLookup) {
  const r = await resolveParams(savedQuery(params), given, ctx(customers));
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.params.canonical)}`);
  return r;
}

describe('/query text: name=value pairs', () => {
  it.each([
    ['weeks=6', { weeks: '6' }, []],
    ['WEEKS=6 Hosting=Cloud', { weeks: '6', hosting: 'Cloud' }, []],
    ['customer="Acme Corp"', { customer: 'Acme Corp' }, []],
    ["customer='Acme Corp'", { customer: 'Acme Corp' }, []],
    ['customer=“Acme Corp”', { customer: 'Acme Corp' }, []],
    ['customer=""', { customer: '' }, []],
    // A quote left open runs to the next name= (spaces before it are not the value's), or to the end.
    ['customer="Acme Corp since=-14d', { customer: 'Acme Corp', since: '-14d' }, []],
    ['customer=“Acme  Corp \t since=-14d weeks=2', { customer: 'Acme  Corp', since: '-14d', weeks: '2' }, []],
    ["customer='Acme Corp  ", { customer: 'Acme Corp' }, []],
    ["customer=' Acme Corp", { customer: ' Acme Corp' }, []],
    ['customer="Acme x=1', { customer: 'Acme', x: '1' }, []],
    ['customer="Acme Corp"x y', { customer: 'Acme Corp' }, ['x', 'y']],
    ['customer="', { customer: '' }, []],
    ['weeks=', { weeks: '' }, []],
    ['oops weeks=3 again', { weeks: '3' }, ['oops', 'again']],
    ['', {}, []],
    // Names that are also properties of every object are names like any other.
    ['weeks=3 __proto__=1 constructor=2', { weeks: '3', ['__proto__']: '1', constructor: '2' }, []],
  ])('%j → values %j, stray %j', (text, values, stray) => {
    expect(parseParamText(text)).toEqual({ values, stray, conflicts: {} });
  });

  it.each([
    ['weeks=5 weeks=9', { weeks: ['5', '9'] }, '9'],
    ['weeks=5 WEEKS=9 weeks=5 weeks=12', { weeks: ['5', '9', '12'] }, '12'],
    ['weeks=8 weeks=8', {}, '8'],
    ['weeks=8 hosting=cloud', {}, '8'],
  ])('%j → conflicts %j (the last value stays in values: %s)', (text, conflicts, last) => {
    const parsed = parseParamText(text);
    expect(parsed.conflicts).toEqual(conflicts);
    expect(parsed.values['weeks']).toBe(last);
  });

  it('"__proto__=1 __proto__=2" → conflicts {"__proto__":["1","2"]}, as any name given twice', () => {
    const parsed = parseParamText('__proto__=1 __proto__=2');
    expect(Object.entries(parsed.conflicts)).toEqual([['__proto__', ['1', '2']]]);
    expect(Object.entries(parsed.values)).toEqual([['__proto__', '2']]);
  });
});

describe('integer parameters (weeks: 1 to 13, default 12)', () => {
  it('keeps a number, as given, in its one spelling', async () => {
    for (const text of ['6', '06', '+6', ' 6 ']) expect((await resolved([weeks], { weeks: text })).given).toEqual({ weeks: '6' });
  });

  it.each([
    ['1', 1, '1'],
    ['13', 13, '13'],
    [' 7 ', 7, '7'],
    ['+5', 5, '5'],
    ['0012', 12, '12'],
  ])('%j is accepted as %i', async (text, value, canonical) => {
    const p = await resolved([weeks], { weeks: text });
    expect(p.bound).toEqual({ weeks: { type: 'INT64', value } });
    expect(p.canonical).toEqual({ weeks: canonical });
  });

  it.each([
    ['0', 'must be from 1 to 13, got 0'],
    ['14', 'must be from 1 to 13, got 14'],
    ['-1', 'must be from 1 to 13, got -1'],
    ['1.5', 'expects a whole number from 1 to 13, got “1.5”'],
    ['twelve', 'expects a whole number from 1 to 13, got “twelve”'],
    ['1e1', 'expects a whole number from 1 to 13, got “1e1”'],
    ['6 weeks', 'expects a whole number from 1 to 13, got “6 weeks”'],
    ['x6', 'expects a whole number from 1 to 13, got “x6”'],
    ['1.0', 'expects a whole number from 1 to 13, got “1.0”'],
    ['0x10', 'expects a whole number from 1 to 13, got “0x10”'],
    // Cut at 40 characters, never inside an emoji's surrogate pair.
    ['😀'.repeat(30), `expects a whole number from 1 to 13, got “${'😀'.repeat(19)}…”`],
    // Quoted back in mrkdwn: Slack's formatting marks become lookalikes, an underscore inside a word stays.
    ['*6* _w_ `x` ~y~ 1_000x', 'expects a whole number from 1 to 13, got “∗6∗ ˍwˍ ˋxˋ ∼y∼ 1_000x”'],
  ])('%j is refused: %s', async (text, message) => {
    expect((await problems([weeks], { weeks: text })).problems).toEqual({ weeks: message });
  });

  it('reads thousands separators, and shows big numbers with commas', async () => {
    const big: IntParam = { ...weeks, name: 'n', label: 'N', min: -5, max: 10_000_000, default: undefined };
    for (const text of ['1,234,567', '1_234_567', '1234567']) {
      const p = await resolved([big], { n: text });
      expect(p.bound).toEqual({ n: { type: 'INT64', value: 1_234_567 } });
      expect(p.canonical).toEqual({ n: '1234567' });
      expect(p.shown).toEqual([{ label: 'N', value: '1,234,567' }]);
    }
    expect((await resolved([big], { n: '-5' })).bound).toEqual({ n: { type: 'INT64', value: -5 } });
  });

  it('takes up to 15 digits; 16 are not a number it reads', async () => {
    const huge: IntParam = { ...weeks, name: 'n', label: 'N', min: 0, max: Number.MAX_SAFE_INTEGER, default: undefined };
    expect((await resolved([huge], { n: '999999999999999' })).bound).toEqual({ n: { type: 'INT64', value: 999_999_999_999_999 } });
    expect((await problems([huge], { n: '1000000000000000' })).problems.n).toContain('expects a whole number');
  });

  it('uses the default when the value is missing or empty', async () => {
    for (const given of [{}, { weeks: '' }, { weeks: '   ' }] as Array<Record<string, string>>) {
      expect((await resolved([weeks], given)).bound).toEqual({ weeks: { type: 'INT64', value: 12 } });
    }
  });

  it('asks for a required value, saying what it takes', async () => {
    const required: IntParam = { ...weeks, default: undefined, required: true };
    expect((await problems([required], {})).problems).toEqual({ weeks: 'required (a whole number from 1 to 13)' });
  });
});

describe('enum parameters (hosting: all, cloud, self-hosted)', () => {
  it.each([
    ['cloud', 'cloud', 'Sourcegraph cloud'],
    ['CLOUD', 'cloud', 'Sourcegraph cloud'],
    ['Self-Hosted', 'self-hosted', 'Self-hosted'],
    ['sourcegraph cloud', 'cloud', 'Sourcegraph cloud'],
    ['All Hosting', 'all', 'All hosting'],
  ])('%j means %s (shown as %s)', async (text, value, label) => {
    const p = await resolved([hosting], { hosting: text });
    expect(p.bound).toEqual({ hosting: { type: 'STRING', value } });
    expect(p.canonical).toEqual({ hosting: value });
    expect(p.shown).toEqual([{ label: 'Hosting', value: label }]);
  });

  it('prefers an exact value over another option whose label reads the same', async () => {
    const tricky: EnumParam = { ...hosting, name: 'tier', default: undefined, options: [{ value: 'gold', label: 'b' }, { value: 'b', label: 'Bronze' }] };
    expect((await resolved([tricky], { tier: 'b' })).canonical).toEqual({ tier: 'b' });
    // A value in another case before a label: `B` is the option valued `b`, not the one labelled `b`.
    expect((await resolved([tricky], { tier: 'B' })).canonical).toEqual({ tier: 'b' });
  });

  it('refuses anything else, listing the values', async () => {
    expect((await problems([hosting], { hosting: 'mars' })).problems).toEqual({ hosting: 'expects one of all, cloud, self-hosted; got “mars”' });
  });

  it.each([
    ['cloud', 'cloud'],
    ['Cloud', 'cloud'],
    ['SOURCEGRAPH CLOUD', 'cloud'],
    ['self-hosted', 'self-hosted'],
    ['mars', undefined],
    ['', undefined],
    [' cloud ', 'cloud'],
  ])('the option %j names, for a form to pick: %s', (text, value) => {
    expect(enumOptionOf(hosting, text)?.value).toBe(value);
  });

  it('takes a value in any case before a label in any case', () => {
    const tricky: EnumParam = { ...hosting, name: 'tier', default: undefined, options: [{ value: 'gold', label: 'Silver' }, { value: 'silver', label: 'Gold' }] };
    expect(enumOptionOf(tricky, 'SILVER')?.value).toBe('silver');
    expect(enumOptionOf(tricky, 'gold')?.value).toBe('gold');
  });

  it('keeps a choice, as given, in its one spelling (a schedule of it is the same whichever way it was typed)', async () => {
    for (const text of ['cloud', 'CLOUD', 'Sourcegraph cloud']) expect((await resolved([hosting], { hosting: text })).given).toEqual({ hosting: 'cloud' });
  });
});

describe('text parameters (version: at most 20 characters, like 5.4)', () => {
  it('accepts text that matches its pattern', async () => {
    expect((await resolved([version], { version: '5.4' })).bound).toEqual({ version: { type: 'STRING', value: '5.4' } });
  });

  it('refuses text that does not match, with the hint, or the pattern when there is no hint', async () => {
    expect((await problems([version], { version: '5.x' })).problems).toEqual({ version: 'expects a version like 5.4, got “5.x”' });
    const noHint: StringParam = { ...version, patternHint: undefined };
    expect((await problems([noHint], { version: '5.x' })).problems).toEqual({ version: 'expects text matching ^\\d+\\.\\d+$, got “5.x”' });
  });

  it('takes 20 characters and refuses 21', async () => {
    const free: StringParam = { ...version, pattern: undefined };
    expect((await resolved([free], { version: 'x'.repeat(20) })).canonical).toEqual({ version: 'x'.repeat(20) });
    expect((await problems([free], { version: 'x'.repeat(21) })).problems).toEqual({ version: 'at most 20 characters (got 21)' });
  });
});

describe('date parameters (since: from a week ago to today, default -7d; today is 2025-06-15)', () => {
  it.each([
    ['2025-06-08', '2025-06-08'],
    ['2025-06-15', '2025-06-15'],
    ['today', '2025-06-15'],
    ['TODAY', '2025-06-15'],
    ['-3d', '2025-06-12'],
    ['-1w', '2025-06-08'],
    ['+0d', '2025-06-15'],
  ])('%j is the day %s', async (text, day) => {
    const p = await resolved([since], { since: text });
    expect(p.bound).toEqual({ since: { type: 'DATE', value: day } });
    expect(p.canonical).toEqual({ since: day });
    expect(p.shown).toEqual([{ label: 'Since', value: day }]);
  });

  it.each([
    ['2025-06-07', 'must be on or after 2025-06-08, got 2025-06-07'],
    ['-8d', 'must be on or after 2025-06-08, got 2025-06-07'],
    ['2025-06-16', 'must be on or before 2025-06-15, got 2025-06-16'],
    ['+1d', 'must be on or before 2025-06-15, got 2025-06-16'],
    ['2025-02-30', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “2025-02-30”'],
    ['-10000d', 'must be on or after 2025-06-08, got “-10000d”'],
    ['-100000D', 'must be on or after 2025-06-08, got “-100000D”'],
    ['+10000w', 'must be on or before 2025-06-15, got “+10000w”'],
    ['-10000x', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “-10000x”'],
    ['--10000d', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “--10000d”'],
    ['-10000dx', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “-10000dx”'],
    ['yesterday', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “yesterday”'],
    ['x-3d', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “x-3d”'],
    ['-3dx', 'expects a date as YYYY-MM-DD (or today, -30d, -4w), got “-3dx”'],
  ])('%j is refused: %s', async (text, message) => {
    expect((await problems([since], { since: text })).problems).toEqual({ since: message });
  });

  it('has no bound when the parameter sets none', async () => {
    const open: DateParam = { ...since, min: undefined, max: undefined };
    expect((await resolved([open], { since: '1999-01-01' })).canonical).toEqual({ since: '1999-01-01' });
    expect((await resolved([open], { since: '2999-12-31' })).canonical).toEqual({ since: '2999-12-31' });
    expect((await resolved([open], { since: '-30d' })).canonical).toEqual({ since: '2025-05-16' });
    expect((await resolved([open], { since: '-9999d' })).canonical).toEqual({ since: '1998-01-29' });
    expect((await resolved([open], { since: '+52w' })).canonical).toEqual({ since: '2026-06-14' });
  });

  it('says a relative date of more than 4 digits is out of range (the form is right), on the side it is off', async () => {
    const open: DateParam = { ...since, min: undefined, max: undefined };
    expect((await problems([open], { since: '-100000d' })).problems).toEqual({ since: 'must be within 9999 days or weeks of today, got “-100000d”' });
    expect((await problems([open], { since: '+10000w' })).problems).toEqual({ since: 'must be within 9999 days or weeks of today, got “+10000w”' });
    // Off the side without a bound: no bound to name.
    expect((await problems([{ ...since, min: undefined }], { since: '-10000d' })).problems).toEqual({ since: 'must be within 9999 days or weeks of today, got “-10000d”' });
    expect((await problems([{ ...since, max: undefined }], { since: '+10000d' })).problems).toEqual({ since: 'must be within 9999 days or weeks of today, got “+10000d”' });
  });

  it('resolves its default against today', async () => {
    expect((await resolved([since], {})).canonical).toEqual({ since: '2025-06-08' });
  });
});

describe('customer parameters', () => {
  const customer: ParamDef = { ...base, name: 'customer', label: 'Customer', kind: 'customer', default: undefined, required: true };
  const answer = (m: MatchResult & { byId?: { customerId: string; name: string } }): CustomerLookup => async () => m;

  it('binds the one matching customer by its ID and shows its name', async () => {
    const p = await resolved([customer], { customer: 'acme' }, answer({ kind: 'one', customer: acme }));
    expect(p.bound).toEqual({ customer: { type: 'STRING', value: 'acme' } });
    expect(p.canonical).toEqual({ customer: 'acme' });
    expect(p.shown).toEqual([{ label: 'Customer', value: 'Acme Corp' }]);
  });

  it('takes a customer ID as given (a button value) before matching names', async () => {
    const p = await resolved([customer], { customer: 'stark-2' }, answer({ kind: 'several', customers: [stark(1), stark(2)], byId: { customerId: 'stark-2', name: 'Stark 2' } }));
    expect(p.bound).toEqual({ customer: { type: 'STRING', value: 'stark-2' } });
    expect(p.shown).toEqual([{ label: 'Customer', value: 'Stark 2' }]);
  });

  it('asks to be more specific when several match, naming at most five', async () => {
    const r = await problems([customer], { customer: 'stark' }, answer({ kind: 'several', customers: [1, 2, 3, 4, 5, 6, 7].map(stark) }));
    expect(r.problems).toEqual({ customer: '“stark” matches several customers (Stark 1, Stark 2, Stark 3, Stark 4, Stark 5); be more specific' });
  });

  it('says when none match, with the closest names if there are any', async () => {
    expect((await problems([customer], { customer: 'acne' }, answer({ kind: 'none', closest: [acme, stark(1)] }))).problems).toEqual({
      customer: 'no customer matches “acne” (closest: Acme Corp, Stark 1)',
    });
    expect((await problems([customer], { customer: 'zzz' }, answer({ kind: 'none', closest: [] }))).problems).toEqual({ customer: 'no customer matches “zzz”' });
  });

  it('is required: a customer parameter has no default', async () => {
    expect((await problems([customer], {})).problems).toEqual({ customer: 'required (a customer name, alias or domain)' });
  });
});

describe('the whole set of values', () => {
  it('shows values in the order the query declares them', async () => {
    const p = await resolved([weeks, hosting], { hosting: 'cloud', weeks: '3' });
    expect(p.shown).toEqual([{ label: 'Weeks', value: '3' }, { label: 'Hosting', value: 'Sourcegraph cloud' }]);
    expect(p.canonical).toEqual({ weeks: '3', hosting: 'cloud' });
  });

  it('reports every problem at once, and keeps the given values worth showing again', async () => {
    const r = await problems([weeks, hosting, version], { weeks: '99', hosting: 'cloud', version: '' });
    expect(r.problems).toEqual({ weeks: 'must be from 1 to 13, got 99', version: 'required (a version like 5.4, up to 20 characters)' });
    expect(r.values).toStrictEqual({ weeks: '99', hosting: 'cloud' });
  });

  it('keeps only values that were given', async () => {
    const r = await problems([weeks, version, hosting], { weeks: '99' });
    expect(r.values).toStrictEqual({ weeks: '99' });
  });

  it('refuses a name the query does not take, saying which it takes', async () => {
    expect((await problems([weeks, hosting], { colour: 'red' })).problems).toEqual({ colour: '“colour” is not a parameter of weekly-active-instances (it takes weeks, hosting)' });
    expect((await problems([], { colour: 'red' })).problems).toEqual({ colour: '“colour” is not a parameter of weekly-active-instances (it takes no parameters)' });
    // As typed (`/query weekly-active-instances __proto__=1`): refused like any other name, not dropped and run (its underscores, which Slack would read as italics, quoted as lookalikes).
    const typed = parseParamText('__proto__=1').values;
    expect(Object.entries((await problems([weeks, hosting], typed)).problems)).toEqual([['__proto__', '“ˍˍprotoˍˍ” is not a parameter of weekly-active-instances (it takes weeks, hosting)']]);
  });

  it('quotes at most 40 characters of an unknown name, and keys it by its first 40', async () => {
    const name40 = 'n'.repeat(40);
    expect((await problems([], { [name40]: '1' })).problems).toEqual({ [name40]: `“${name40}” is not a parameter of weekly-active-instances (it takes no parameters)` });
    const long = 'k'.repeat(41);
    expect((await problems([], { [long]: '1' })).problems).toEqual({ ['k'.repeat(40)]: `“${'k'.repeat(39)}…” is not a parameter of weekly-active-instances (it takes no parameters)` });
  });

  it('refuses a value over 200 characters before reading it, keeping only its first 200 (the modal knows it was given)', async () => {
    const free: StringParam = { ...version, pattern: undefined, maxLength: 200 };
    expect((await resolved([free], { version: 'x'.repeat(200) })).canonical.version).toHaveLength(200);
    const r = await problems([free], { version: 'x'.repeat(5000) });
    expect(r.problems).toEqual({ version: 'at most 200 characters (got 5,000)' });
    expect(r.values).toStrictEqual({ version: 'x'.repeat(200) });
    const over = await problems([free], { version: 'x'.repeat(201) });
    expect(over.problems).toEqual({ version: 'at most 200 characters (got 201)' });
    expect(over.values).toStrictEqual({ version: 'x'.repeat(200) });
  });

  it('says a text parameter\'s own limit when a value is over 200 characters and the limit is smaller', async () => {
    const over = await problems([version], { version: '5'.repeat(201) });
    expect(over.problems).toEqual({ version: 'at most 20 characters (got 201)' });
    expect(over.values).toStrictEqual({ version: '5'.repeat(200) });
    // Any other kind: the 200 every value is held to.
    expect((await problems([weeks], { weeks: '9'.repeat(201) })).problems).toEqual({ weeks: 'at most 200 characters (got 201)' });
  });
});

describe('what a parameter takes, in one line', () => {
  it.each([
    [weeks, 'a whole number from 1 to 13, default 12'],
    [{ ...weeks, default: undefined }, 'a whole number from 1 to 13'],
    [version, 'a version like 5.4, up to 20 characters'],
    [{ ...version, default: '5.4' }, 'a version like 5.4, up to 20 characters, default “5.4”'],
    [{ ...version, patternHint: undefined, default: '5.4' }, 'text up to 20 characters, default “5.4”'],
    [hosting, 'one of all, cloud, self-hosted, default all'],
    [{ ...hosting, default: undefined }, 'one of all, cloud, self-hosted'],
    [since, 'a date (YYYY-MM-DD, today), from 1 week ago to today, default -7d'],
    [{ ...since, default: undefined, min: undefined, max: undefined }, 'a date (YYYY-MM-DD, today, -30d)'],
    [{ ...since, default: '-30d', min: '-365d', max: '-1d' }, 'a date (YYYY-MM-DD, -30d), from 365 days ago to yesterday, default -30d'],
    [{ ...since, default: undefined, min: '-30d', max: undefined }, 'a date (YYYY-MM-DD, today, -30d), from 30 days ago on'],
    [{ ...since, default: undefined, min: '-29d', max: '+1d' }, 'a date (YYYY-MM-DD, today), from 29 days ago to tomorrow'],
    [{ ...since, default: undefined, min: undefined, max: '-0d' }, 'a date (YYYY-MM-DD, today, -30d), up to today'],
    [{ ...since, default: undefined, min: undefined, max: '-1w' }, 'a date (YYYY-MM-DD, -30d), up to 1 week ago'],
    [{ ...since, default: undefined, min: '-2w', max: '+3d' }, 'a date (YYYY-MM-DD, today), from 2 weeks ago to 3 days from today'],
    [{ ...since, default: undefined, min: '+1d', max: undefined }, 'a date (YYYY-MM-DD), from tomorrow on'],
    [{ ...since, default: undefined, min: '-5w', max: '-1d' }, 'a date (YYYY-MM-DD, -30d), from 5 weeks ago to yesterday'],
    [{ ...since, default: undefined, min: '-4w', max: '+1w' }, 'a date (YYYY-MM-DD, today), from 4 weeks ago to 1 week from today'],
    [{ ...since, default: undefined, min: '-1w', max: '+2d' }, 'a date (YYYY-MM-DD, today), from 1 week ago to 2 days from today'],
    [{ ...since, default: undefined, min: '-30d', max: '-30d' }, 'a date (YYYY-MM-DD, -30d), from 30 days ago to 30 days ago'],
    // A calendar-date bound: whether today is in it is not known without a clock, so it is not offered.
    [{ ...since, default: undefined, min: '2024-01-01', max: undefined }, 'a date (YYYY-MM-DD), from 2024-01-01 on'],
    [{ ...since, default: undefined, min: undefined, max: '2030-01-01' }, 'a date (YYYY-MM-DD), up to 2030-01-01'],
    [{ ...base, name: 'customer', label: 'Customer', kind: 'customer', default: undefined }, 'a customer name, alias or domain'],
  ] as Array<[ParamDef, string]>)('%#: %s', (p, line) => {
    expect(describeParam(p)).toBe(line);
  });
});
