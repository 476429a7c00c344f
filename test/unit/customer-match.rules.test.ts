/**
 * How `/telemetry <text>` finds a customer (src/domain/customer-match.ts), as
 * rules with tables of what someone types and what it finds: exact names win,
 * legal suffixes do not count, prefixes and whole words need 3 characters,
 * typos are tolerated by length (none under 4 characters, 1 from 4, 2 from 8),
 * ties are listed best first, and "did you mean" offers at most 3 names.
 */
import { describe, expect, it } from 'vitest';
import { CustomerIndex, MAX_QUERY, editDistance, normalize, swapDistance, type CustomerName, type MatchResult } from '../../src/domain/customer-match.js';

let n = 0;
const customer = (name: string, more: Partial<CustomerName> = {}): CustomerName => ({ customerId: `c${++n}`, name, aliases: [], domain: null, ...more });

/** What a match found, as names: "one: X", "several: X, Y", "none (closest: X)". */
function found(m: MatchResult): string {
  switch (m.kind) {
    case 'one':
      return `one: ${m.customer.name}`;
    case 'several':
      return `several: ${m.customers.map((c) => c.name).join(', ')}${m.more !== undefined ? ` (+${m.more} more)` : ''}`;
    case 'none':
      return `none (closest: ${m.closest.map((c) => c.name).join(', ')})`;
  }
}

const match = (customers: CustomerName[], text: string, maxSeveral?: number) => found(new CustomerIndex(customers).match(text, maxSeveral));

describe('normalizing what was typed', () => {
  it.each([
    ['ACME', 'acme'],
    ['  Acme,   Inc.  ', 'acme inc'],
    ['Nestlé S.A.', 'nestle s a'],
    // Accents stripped whether or not there is plain ASCII around them.
    ['ÉÀÜ', 'eau'],
    ['Zürich-Ost', 'zurich ost'],
    ['Crème Brûlée', 'creme brulee'],
    ['https://www.acme.com', 'acme'],
    ['http://acme.io', 'acme'],
    ['www.acme.net', 'acme'],
    ['acme.com/pricing', 'acme'],
    ['https://www.acme.com/pricing?ref=x#top', 'acme'],
    ['jane.doe@acme.com', 'acme'],
    // A host under the customer's domain names the customer: its last two labels.
    ['https://app.acme.com/login', 'acme'],
    ['docs.acme.com', 'acme'],
    ['jane@eu.acme.com', 'acme'],
    ['a.b.acme.io', 'acme'],
    ['co.acme.com', 'acme'],
    // Not under a country's second-level domain, nor for a last label that is no known TLD.
    ['eu.acme.co.uk', 'eu acme co'],
    ['x.org.uk', 'x org'],
    ['shop.acme.com.au', 'shop acme com au'],
    ['AT&T / Bell Labs', 'at t bell labs'],
    ['Acme/Labs', 'acme labs'],
    ['x@y', 'x y'],
    ['shop.www.acme', 'shop www acme'],
    ['wwwacme.org', 'wwwacme'],
    ['xhttps://acme.io', 'xhttps acme'],
    ['https://acme', 'acme'],
    ['acme.company', 'acme company'],
    ['acme.com.au', 'acme com au'],
    ['Ünïcödé_Ltd', 'unicode ltd'],
    ['R2-D2 & C-3PO', 'r2 d2 c 3po'],
    // An address among other words is read as one too, without the brackets or punctuation around it.
    ['contact jane@acme.com', 'contact acme'],
    ['jane@acme.com is here', 'acme is here'],
    ['see acme.com/pricing', 'see acme'],
    ['acme.com/pricing now', 'acme now'],
    ['telemetry for https://app.acme.io/login, please', 'telemetry for acme please'],
    ['status\t(www.acme.dev)?', 'status acme'],
    ['“acme.ai”', 'acme'],
    ['<https://acme.com>', 'acme'],
    ['Nestlé S.A.', 'nestle s a'],
    ['acme.com. globex.io;', 'acme globex'],
    ['((https://acme.io/x))', 'acme'],
    // The address is the whole word, or none: punctuation within it splits it.
    ['end.', 'end'],
    ['a/b@c', 'a b c'],
    ['a/b@acme.com', 'a b acme'],
    ['a<b@acme.com', 'a b acme'],
    ['jane@acme.com/x', 'jane acme com x'],
    // A possessive is the name; other letters after an apostrophe are not dropped.
    ["acme's", 'acme'],
    ['Acme’s dashboards', 'acme dashboards'],
    ["ACME'S", 'acme'],
    ["R2's", 'r2'],
    ["acme'ss", 'acme ss'],
    ["acme 's", 'acme s'],
    ["O'Sullivan", 'o sullivan'],
    ["'s", 's'],
    ['', ''],
    ['!!!', ''],
  ])('%j → %j', (text, normalized) => {
    expect(normalize(text)).toBe(normalized);
  });

  it('reads a word of up to 2,048 characters as an address, and a longer one as it is', () => {
    const host = (n: number) => `${'a'.repeat(n - '.com'.length)}.com`;
    expect(normalize(`for ${host(2_048)}`)).toBe(`for ${'a'.repeat(2_044)}`);
    expect(normalize(`for ${host(2_049)}`)).toBe(`for ${'a'.repeat(2_045)} com`);
  });

  // How long it takes is not asserted here (no timed tests): the regex starts only at a run's first mark.
  it('strips only the run of closing marks at the end of a word, however long the runs within it', () => {
    const word = `a${')'.repeat(2_040)}a`;
    expect(normalize(Array.from({ length: 100 }, () => word).join(' '))).toBe(Array.from({ length: 100 }, () => 'a a').join(' '));
    // Only the run at the end goes, however long: `acme.io,,,` is acme, `(acme.io)),` too.
    expect(normalize(`acme.io${','.repeat(2_000)}`)).toBe('acme');
    expect(normalize('(acme.io)),')).toBe('acme');
  });

  it.each(['com', 'io', 'net', 'org', 'co', 'ai', 'dev', 'app', 'de', 'uk', 'fr', 'jp', 'us'])('drops the top-level domain .%s', (tld) => {
    expect(normalize(`globex.${tld}`)).toBe('globex');
  });
});

describe('edit distance (bounded)', () => {
  it.each([
    ['acme', 'acme', 2, 0],
    ['', '', 2, 0],
    ['', 'ab', 2, 2],
    ['acme', 'acne', 2, 1],
    ['acme', 'acm', 2, 1],
    ['acm', 'acme', 2, 1],
    ['acme', 'cme', 2, 1],
    ['acme', 'xacme', 2, 1],
    ['acme', 'maco', 3, 3],
    ['kitten', 'sitting', 3, 3],
  ])('%j to %j (at most %i) is %i', (a, b, max, d) => {
    expect(editDistance(a, b, max)).toBe(d);
    expect(editDistance(b, a, max)).toBe(d);
  });

  it.each([
    ['kitten', 'sitting', 2],
    ['abcdef', 'uvwxyz', 2],
    ['a', 'abcd', 2],
    ['ab', 'abcdef', 2],
    ['acme', 'globex', 2],
  ])('%j to %j is over %i: says max+1, not the full distance', (a, b, max) => {
    expect(editDistance(a, b, max)).toBe(max + 1);
  });

  it('measures words of every length from 1 to 200 in turn (the rows it keeps grow as they must)', () => {
    for (let n = 1; n <= 200; n++) {
      const word = 'a'.repeat(n);
      expect(editDistance(`${word.slice(1)}b`, word, 2), `length ${n}`).toBe(1);
      expect(editDistance(word, word, 0), `length ${n}`).toBe(0);
    }
  });
});

describe('exact names, aliases and domains', () => {
  const acme = customer('Acme Corp', { aliases: ['ACME Inc', 'Roadrunner Supplies'], domain: 'acme-widgets.com' });
  const acmeLabs = customer('Acme Labs');
  const all = [acme, acmeLabs];

  it.each([
    ['Acme Corp', 'one: Acme Corp'],
    ['acme corp', 'one: Acme Corp'],
    ['ACME', 'one: Acme Corp'],
    ['Acme, Inc.', 'one: Acme Corp'],
    ['roadrunner supplies', 'one: Acme Corp'],
    ['acme-widgets.com', 'one: Acme Corp'],
    ['https://www.acme-widgets.com', 'one: Acme Corp'],
    ['https://app.acme-widgets.com/login', 'one: Acme Corp'],
    ['jane@eu.acme-widgets.com', 'one: Acme Corp'],
    ['acme labs', 'one: Acme Labs'],
  ])('%j → %s', (text, result) => {
    expect(match(all, text)).toBe(result);
  });

  it('lists every customer that is an exact match, in name order', () => {
    const twins = [customer('Zeta Two', { aliases: ['Zeta'] }), customer('Zeta One', { aliases: ['Zeta'] }), customer('Zetamax')];
    expect(match(twins, 'zeta')).toBe('several: Zeta One, Zeta Two');
  });
});

describe('legal suffixes are not part of a name', () => {
  const suffixes = ['Inc', 'Corp', 'Corporation', 'Co', 'LLC', 'Ltd', 'Limited', 'GmbH', 'SA', 'AG', 'PLC', 'Company', 'The', 'Group', 'Holdings'];

  // "Zenith <suffix>" is exactly "zenith", so it wins over Zenithal, which only starts with it.
  it.each(suffixes)('"Zenith %s" is the customer "zenith" means', (suffix) => {
    expect(match([customer(`Zenith ${suffix}`), customer('Zenithal')], 'zenith')).toBe(`one: Zenith ${suffix}`);
  });

  it.each(suffixes)('typing "Zenithal %s" means Zenithal', (suffix) => {
    expect(match([customer('Zenith Labs'), customer('Zenithal')], `Zenithal ${suffix}`)).toBe('one: Zenithal');
  });

  it('"The Zenith Group" is "zenith" too', () => {
    expect(match([customer('The Zenith Group'), customer('Zenithal')], 'zenith')).toBe('one: The Zenith Group');
  });

  it('keeps words that only contain a suffix ("Incubator", "Cooper")', () => {
    expect(match([customer('Incubator'), customer('Cooper'), customer('Zenith')], 'incubator')).toBe('one: Incubator');
    expect(match([customer('Cooper Zenith'), customer('Zenith')], 'zenith')).toBe('one: Zenith');
  });

  it('finds a name made only of such words by the whole name', () => {
    expect(match([customer('The Company'), customer('Company Store')], 'The Company')).toBe('one: The Company');
  });
});

describe('beginnings of names and whole words (3 characters or more)', () => {
  const list = [customer('Globex'), customer('Initech'), customer('Tony Stark Co')];

  it.each([
    ['glo', 'one: Globex'],
    ['gl', 'none (closest: Globex)'],
    ['init', 'one: Initech'],
    ['stark', 'one: Tony Stark Co'],
    ['ton', 'one: Tony Stark Co'],
    // the beginning of a later word is not enough
    ['sta', 'none (closest: )'],
  ])('%j → %s', (text, result) => {
    expect(match(list, text)).toBe(result);
  });

  it('a whole word needs 3 characters too', () => {
    expect(match([customer('Blue Ox'), customer('Red Ant')], 'ox')).toBe('none (closest: )');
    expect(match([customer('Blue Ox'), customer('Red Ant')], 'ant')).toBe('one: Red Ant');
  });

  it('an exact match beats a longer name starting the same', () => {
    expect(match([customer('Globex International'), customer('Globex')], 'globex')).toBe('one: Globex');
  });

  it('lists names that start the same, shortest (closest) first, then by name', () => {
    const starks = [customer('Stark Logistics International'), customer('Stark Industries'), customer('Stark Labs'), customer('Stark Apps')];
    expect(match(starks, 'stark')).toBe('several: Stark Apps, Stark Labs, Stark Industries, Stark Logistics International');
  });

  it('lists a long name that starts with the text along with the short ones', () => {
    const long = customer(`Stark ${'x'.repeat(94)}`);
    expect(long.name).toHaveLength(100);
    expect(match([long, customer('Stark Labs')], 'stark')).toBe(`several: Stark Labs, ${long.name}`);
  });

  it('a name whose first word is the text ranks above one whose first word only begins with it, however long', () => {
    const long = customer(`Stark ${'x'.repeat(300)}`);
    const list = [customer('Starkey'), customer('Stark Industries'), customer('Starkweather Partners'), customer('Tony Stark'), long, customer('Stark Labs')];
    expect(match(list, 'stark')).toBe(`several: Stark Labs, Stark Industries, ${long.name}, Starkey, Starkweather Partners, Tony Stark`);
  });

  it('a name that starts with the text ranks above one that only has it as a word', () => {
    expect(match([customer('Tony Stark'), customer('Starkweather Partners')], 'stark')).toBe('several: Starkweather Partners, Tony Stark');
  });
});

describe('an exact match names the others that start with the text or have it as a word', () => {
  /** What an exact match said besides its customer: "one: X; also: Y, Z (+n more)". */
  function withAlso(customers: CustomerName[], text: string, maxSeveral?: number): string {
    const m = new CustomerIndex(customers).match(text, maxSeveral);
    if (m.kind !== 'one') return found(m);
    if (!('also' in m)) return `one: ${m.customer.name}`;
    return `one: ${m.customer.name}; also: ${m.also!.customers.map((c) => c.name).join(', ')}${m.also!.more !== undefined ? ` (+${m.also!.more} more)` : ''}`;
  }

  it.each([
    // Acme Corp is "acme" exactly; Acme Labs and Acme Rockets start with it, Old Acme has it as a word.
    ['acme', [customer('Acme Corp'), customer('Acme Rockets'), customer('Old Acme'), customer('Acme Labs')], 'one: Acme Corp; also: Acme Labs, Acme Rockets, Old Acme'],
    // by an alias or a domain too
    ['acme', [customer('Acme Corp'), customer('Roadrunner', { aliases: ['Acme Roadrunner'] }), customer('Coyote', { domain: 'acme-coyote.com' })], 'one: Acme Corp; also: Coyote, Roadrunner'],
    // nothing else matches: nothing said
    ['acme', [customer('Acme Corp'), customer('Globex')], 'one: Acme Corp'],
    // a typo of the text is not another match of it
    ['acme', [customer('Acme Corp'), customer('Acne')], 'one: Acme Corp'],
    ['globex', [customer('Globex'), customer('Globax'), customer('Globex Labs')], 'one: Globex; also: Globex Labs'],
    // the one that matched best is not among the others
    ['acme labs', [customer('Acme Corp'), customer('Acme Labs')], 'one: Acme Labs'],
  ])('%j among %#', (text, customers, result) => {
    expect(withAlso(customers, text)).toBe(result);
  });

  it('says nothing more of a best match that is not exact', () => {
    expect(withAlso([customer('Initech'), customer('Initrode')], 'initr')).toBe('one: Initrode');
    expect(withAlso([customer('Globex International'), customer('Globax')], 'globex')).toBe('one: Globex International');
  });

  it('lists the others as a match lists several: best first, cut at the maximum with how many more', () => {
    const others = Array.from({ length: 12 }, (_, i) => customer(`Stark ${String.fromCharCode(65 + i)}`));
    const all = [customer('Stark'), ...others];
    expect(withAlso(all, 'stark', 2)).toBe('one: Stark; also: Stark A, Stark B (+10 more)');
    expect(withAlso(all, 'stark')).toBe(`one: Stark; also: ${others.slice(0, 10).map((c) => c.name).join(', ')} (+2 more)`);
    expect(withAlso(all, 'stark', 12)).toBe(`one: Stark; also: ${others.map((c) => c.name).join(', ')}`);
    expect(withAlso([customer('Stark'), customer('Stark Logistics International'), customer('Stark Labs')], 'stark')).toBe('one: Stark; also: Stark Labs, Stark Logistics International');
  });
});

describe('two words apart, letters swapped counting as one edit', () => {
  it.each([
    ['corp', 'corp', 0],
    ['crop', 'corp', 1],
    ['corp', 'cope', 2],
    ['ab', 'ba', 1],
    ['abc', 'cba', 2],
    ['health', 'realty', 2],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['acme', 'amce', 1],
    ['ca', 'abc', 3],
  ])('%j and %j: %i', (a, b, d) => {
    expect(swapDistance(a, b)).toBe(d);
  });
});

describe('typos, tolerated by length', () => {
  const list = [customer('Vox'), customer('Nova'), customer('Globex'), customer('Initech'), customer('Umbrella')];

  it.each([
    // under 4 characters: no typo
    ['vax', 'none (closest: Vox, Nova)'],
    // 4 to 7 characters: one typo
    ['nuva', 'one: Nova'],
    ['nuvo', 'none (closest: Nova, Vox)'],
    ['glbex', 'one: Globex'],
    ['glovex', 'one: Globex'],
    ['gloebx', 'none (closest: Globex)'],
    ['inetech', 'one: Initech'],
    ['intiech', 'none (closest: Initech)'],
    // 8 characters or more: two typos
    ['umbrelal', 'one: Umbrella'],
    ['umbrxlla', 'one: Umbrella'],
    ['uxbxexla', 'none (closest: Umbrella)'],
  ])('%j → %s', (text, result) => {
    expect(match(list, text)).toBe(result);
  });

  it.each([
    // Several words: each is held to its own length's allowance, as one word is.
    ['bright reality', 'one: Bright Realty GmbH'],
    // Two letters swapped in a word are one typo of it.
    ['bright relaty', 'one: Bright Realty GmbH'],
    ['brigt realty', 'one: Bright Realty GmbH'],
    ['brigt reality', 'one: Bright Realty GmbH'],
    ['bright health', 'none (closest: Bright Realty GmbH, Bright Bank)'],
    ['brient bank', 'none (closest: Bright Bank)'],
    ['vax labs', 'none (closest: Vox Labs)'],
    ['umbrelal labs', 'one: Umbrella Labs'],
    // ... and the whole to the allowance of its length.
    ['umbrelal labz', 'none (closest: Umbrella Labs)'],
    ['vox labsx', 'one: Vox Labs'],
    // Words joined or split: one typo at most.
    ['brightrealty', 'one: Bright Realty GmbH'],
    ['brightrealtty', 'none (closest: Bright Realty GmbH, Bright Bank)'],
  ])('%j → %s (names of several words)', (text, result) => {
    const words = [customer('Bright Realty GmbH'), customer('Bright Bank'), customer('Vox Labs'), customer('Umbrella Labs')];
    expect(match(words, text)).toBe(result);
  });

  it('fewer typos win', () => {
    const twins = [customer('Umbrella'), customer('Umbrello')];
    expect(match(twins, 'umbrelxa')).toBe('one: Umbrella');
    expect(match(twins, 'umbrellx')).toBe('several: Umbrella, Umbrello');
  });

  it('a name that starts with the text wins over a typo', () => {
    expect(match([customer('Initech'), customer('Initrode')], 'initr')).toBe('one: Initrode');
  });
});

describe('how many are listed', () => {
  const twelve = Array.from({ length: 12 }, (_, i) => customer(`Stark ${String.fromCharCode(65 + i)}`));

  it('lists at most 10 matches by default, or as many as asked', () => {
    expect(match(twelve, 'stark')).toBe(`several: ${twelve.slice(0, 10).map((c) => c.name).join(', ')} (+2 more)`);
    expect(match(twelve, 'stark', 2)).toBe('several: Stark A, Stark B (+10 more)');
    expect(match(twelve, 'stark', 11)).toBe(`several: ${twelve.slice(0, 11).map((c) => c.name).join(', ')} (+1 more)`);
    expect(match(twelve, 'stark', 12)).toBe(`several: ${twelve.map((c) => c.name).join(', ')}`);
  });

  it('caps exact matches the same way', () => {
    const same = Array.from({ length: 12 }, (_, i) => customer(`Apex ${String.fromCharCode(65 + i)}`, { aliases: ['apex'] }));
    expect(match(same, 'apex', 3)).toBe('several: Apex A, Apex B, Apex C (+9 more)');
    expect(match(same, 'apex')).toBe(`several: ${same.slice(0, 10).map((c) => c.name).join(', ')} (+2 more)`);
    expect(match(same, 'apex', 12)).toBe(`several: ${same.map((c) => c.name).join(', ')}`);
  });
});

describe('"did you mean": nothing matches', () => {
  const list = [customer('Nolan'), customer('Novak'), customer('Nomad'), customer('Novella'), customer('Norse')];

  it('offers the 3 nearest names, nearest first, then by name', () => {
    // Novak is 2 changes away; Nolan, Nomad and Norse 3
    expect(match(list, 'novxq')).toBe('none (closest: Novak, Nolan, Nomad)');
  });

  it('compares with the beginning of each name', () => {
    expect(match([customer('Initech Global Holdings Worldwide'), customer('Zzyzx')], 'inixecx')).toBe('none (closest: Initech Global Holdings Worldwide)');
  });

  it('offers nothing when no name is near', () => {
    expect(match(list, 'qqqqqqqq')).toBe('none (closest: )');
  });

  it.each([
    // changes allowed: half the length of the text, at least 3
    ['abcdwxyz', 'Abcdefgh', 4, true],
    ['abcvwxyz', 'Abcdefgh', 5, false],
    ['abcdevwxyz', 'Abcdefghij', 5, true],
    ['abcuvwxyzq', 'Abcdefghij', 6, false],
    ['xyz', 'Abc', 3, true],
    ['wxyz', 'Abcd', 4, false],
  ])('%j and %s (%i changes apart): offered is %s', (text, name, _changes, offered) => {
    expect(match([customer(name), customer('Aaaaaaaaaaaaaaaaaaaa')], text)).toBe(`none (closest: ${offered ? name : ''})`);
  });

  it('offers nothing for text without a letter or digit', () => {
    expect(new CustomerIndex(list).match('!!!')).toEqual({ kind: 'none', closest: [] });
    expect(new CustomerIndex(list).match('')).toEqual({ kind: 'none', closest: [] });
  });

  it('does not offer a name made only of legal words for any short text', () => {
    expect(match([customer('The Company')], 'xyz')).toBe('none (closest: )');
  });
});

describe('a name among other words', () => {
  const acme = customer('Acme Corp', { aliases: ['acme'], domain: 'acme.com' });
  const labs = customer('Acme Labs');
  const globex = customer('Globex');
  const big = customer('Big Data Partners');
  const stark = customer('Stark Industries');
  const united = customer('United Airlines', { domain: 'united.com' });
  const list = [acme, labs, globex, big, stark, united, customer('Initech')];

  it.each([
    ['acme please', 'one: Acme Corp'],
    ['telemetry for acme', 'one: Acme Corp'],
    ["what's acme's usage", 'one: Acme Corp'],
    ['telemetry for acme.com', 'one: Acme Corp'],
    ['telemetry for https://www.acme.com/pricing please', 'one: Acme Corp'],
    ['what is jane@eu.acme.com sending?', 'one: Acme Corp'],
    ['acme.com, globex', 'several: Acme Corp, Globex'],
    // The longest run that is a name is taken first: "acme labs", not "acme".
    ['telemetry for acme labs please', 'one: Acme Labs'],
    ['telemetry of big data partners', 'one: Big Data Partners'],
    // Every name found is listed, by name, whatever its length.
    ['acme and globex', 'several: Acme Corp, Globex'],
    ['globex vs acme or initech', 'several: Acme Corp, Globex, Initech'],
    ['acme vs stark industries', 'several: Acme Corp, Stark Industries'],
  ])('%j finds %s', (text, result) => {
    expect(match(list, text)).toBe(result);
  });

  it.each([
    // A word that is no filler may be another company's name: the names found are offered, not opened.
    ['united health', 'none (closest: United Airlines)'],
    ['united health group', 'none (closest: United Airlines)'],
    ['acme industries', 'none (closest: Acme Corp, Stark Industries)'],
    ['acme pl', 'none (closest: Acme Corp, Acme Labs)'],
    ['globex initech', 'several: Globex, Initech'],
  ])('%j: %s', (text, result) => {
    expect(match(list, text)).toBe(result);
  });

  it('offers the names found first, then the nearest names, three in all', () => {
    const m = new CustomerIndex(list).match('initech or unitedd health');
    expect(m).toMatchObject({ kind: 'none' });
    expect((m as { closest: CustomerName[] }).closest[0]).toBe(list[6]);
    expect((m as { closest: CustomerName[] }).closest.length).toBeLessThanOrEqual(3);
  });

  it.each([
    'telemetry', 'status', 'usage', 'level', 'levels', 'instance', 'instances', 'customer', 'customers', 'account', 'pings', 'info',
    'send', 'sends', 'sending', 'sent', 'managed', 'cloud', 'self', 'hosted', 'com',
    'for', 'of', 'on', 'about', 'at', 'from', 'and', 'or', 'vs', 'versus', 'plus', 'also', 'with',
    'please', 'pls', 'plz', 'thanks', 'thx', 'hi', 'hey', 'show', 'me', 'us', 'check', 'find', 'look', 'up', 'lookup',
    'get', 'what', 'whats', 'is', 'are', 'how', 'does', 'do', 's', 'a', 'an', 'my', 'our', 'their', 'its',
  ])('"%s" beside a name asks for it and says nothing more', (word) => {
    expect(match([acme, globex], `acme ${word}`)).toBe('one: Acme Corp');
  });

  it('finds nothing in filler alone, and says the text only asks', () => {
    expect(match(list, 'telemetry please')).toMatch(/^none/);
    for (const text of ['telemetry', 'for', 'Status, please?', 'what is the telemetry of']) {
      expect(new CustomerIndex(list).match(text)).toEqual({ kind: 'none', closest: [], asksOnly: true });
    }
    // Not when a word asks nothing, nor when a customer has that name.
    expect(new CustomerIndex(list).match('telemetry xyzzy')).not.toHaveProperty('asksOnly');
    expect(new CustomerIndex([customer('Status')]).match('status')).toMatchObject({ kind: 'one' });
  });

  it('uses each word in one name at most: a name overlapping a longer one found first is not found', () => {
    // "big data" is taken first; "data partners" would need its "data" too, so "partners" is left over.
    expect(match([customer('Big Data'), customer('Data Partners')], 'big data partners please')).toMatch(/^none \(closest: Big Data/);
  });

  it('offers at most 3 names: those found, then the nearest', () => {
    const names = [customer('Alpha'), customer('Bravo'), customer('Charlie'), customer('Alpha Bravo Charlie Deltas')];
    expect(match(names, 'alpha bravo charlie deltaforc')).toBe('none (closest: Alpha, Bravo, Charlie)');
  });

  it('answers one name as the name alone would, naming the others that start with it', () => {
    const m = new CustomerIndex(list).match('acme please');
    expect(m).toMatchObject({ kind: 'one', customer: acme, also: { customers: [labs] } });
  });

  it('lists names found together up to the maximum, with how many more', () => {
    expect(match(list, 'acme globex initech', 2)).toBe('several: Acme Corp, Globex (+1 more)');
  });

  it('finds one customer named twice in the text once', () => {
    expect(match(list, 'acme or acme.com')).toBe('one: Acme Corp');
    // Two of its names.
    expect(match([customer('Globex', { aliases: ['initrode'] }), acme], 'globex or initrode')).toBe('one: Globex');
  });

  it('lists twins a run names', () => {
    const twin = customer('Acme', { customerId: 'twin' });
    expect(match([acme, twin], 'acme please')).toBe('several: Acme, Acme Corp');
  });

  it('needs an exact name: a typo or a beginning among other words finds nothing', () => {
    expect(match(list, 'acmee please')).toMatch(/^none/);
    expect(match(list, 'glob please')).toMatch(/^none/);
  });

  it('needs 3 characters: a two-letter name is not found among other words', () => {
    expect(match([customer('GE'), customer('Initech')], 'ge please')).toMatch(/^none/);
    expect(match([customer('GEX'), customer('Initech')], 'gex please')).toBe('one: GEX');
  });

  it('looks at runs of up to 4 words', () => {
    const long = customer('One Two Three Four Five');
    const four = customer('Alpha Beta Gamma Delta');
    expect(match([long, four], 'show alpha beta gamma delta please')).toBe('one: Alpha Beta Gamma Delta');
    expect(match([long, four], 'show one two three four five please')).toMatch(/^none/);
  });

  it('is only for text that matches nothing as a whole', () => {
    // A whole match (a name that starts with the text) is kept over a run inside it.
    expect(match([customer('Acme Plastics'), acme], 'acme plas')).toBe('one: Acme Plastics');
  });
});

describe('long input', () => {
  it(`reads only the first ${MAX_QUERY} characters`, () => {
    const long = customer(`Acme ${'x'.repeat(MAX_QUERY - 5)}`);
    expect(match([long], `${long.name}yyyy`)).toBe(`one: ${long.name}`);
    expect(MAX_QUERY).toBe(80);
  });
});

describe('the index', () => {
  const a = customer('Acme Corp');
  const b = customer('Globex');

  it('knows its size and finds a customer by ID', () => {
    const index = new CustomerIndex([a, b]);
    expect(index.size).toBe(2);
    expect(index.byId(b.customerId)).toBe(b);
    expect(index.byId('nope')).toBeUndefined();
  });

  it('keeps its answers: the same text asked again gets the same answer without matching again', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => customer(`Stark ${String.fromCharCode(65 + i)}`));
    const index = new CustomerIndex([a, b, ...twelve]);
    const first = index.match('acme');
    expect(index.match('acme')).toBe(first);
    // Kept by what the text means ("ACME, Inc." is "acme"), and apart per list length.
    expect(index.match('ACME, Inc.')).toBe(first);
    expect(found(index.match('globex'))).toBe('one: Globex');
    expect(found(index.match('stark', 2))).toBe('several: Stark A, Stark B (+10 more)');
    expect(found(index.match('stark'))).toBe(`several: ${twelve.slice(0, 10).map((c) => c.name).join(', ')} (+2 more)`);
    // A text asked again and again stays kept while hundreds of others come and go.
    for (let i = 0; i < 600; i++) {
      index.match(`nobody ${i}`);
      if (i % 100 === 0) expect(index.match('acme')).toBe(first);
    }
    expect(index.match('acme')).toBe(first);
    // Many other texts later, the answers are still right.
    for (let i = 600; i < 1200; i++) index.match(`nobody ${i}`);
    expect(found(index.match('acme'))).toBe('one: Acme Corp');
    expect(found(index.match('stark', 2))).toBe('several: Stark A, Stark B (+10 more)');
  });

  it('skips missing domains and aliases', () => {
    expect(found(new CustomerIndex([customer('Globex', { aliases: [''], domain: '' })]).match('globex'))).toBe('one: Globex');
  });
});
