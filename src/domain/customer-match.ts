/**
 * Finding a customer from what someone typed: case- and punctuation-insensitive,
 * tolerant of small typos, matching names, aliases and domains. `acme`,
 * `Acme Corp`, `acme.com` and `acm` all find Acme Corp, and so do a pasted URL
 * (`https://www.acme.com/pricing`) and e-mail address (`jane@acme.com`), a
 * possessive (`acme's`), and text that has the name among other words
 * (`telemetry for acme please`).
 */
export interface CustomerName {
  customerId: string;
  name: string;
  aliases: string[];
  domain: string | null;
}

/** Customers listed up to a maximum; `more`: how many further ones there were, when the list was cut. */
export interface Listed {
  customers: CustomerName[];
  more?: number;
}

export type MatchResult =
  /**
   * `also`: for an exact match, the other customers whose name (alias, domain) starts with
   * the text or has it as a word ("acme" is Acme exactly, and Acme Labs too), best first.
   */
  | { kind: 'one'; customer: CustomerName; also?: Listed }
  /** `more`: how many further customers matched as well as these, when the list was cut at its maximum. */
  | { kind: 'several'; customers: CustomerName[]; more?: number }
  /** `asksOnly`: the text is only words that ask (`telemetry`, `for`, `status please`) and names no one. */
  | { kind: 'none'; closest: CustomerName[]; asksOnly?: true };

/** The first `max` of the customers found, and how many more there were (none said when there were none). */
function listed(found: ReadonlyArray<{ customer: CustomerName }>, max: number): Listed {
  const customers = found.slice(0, max).map((x) => x.customer);
  return found.length > max ? { customers, more: found.length - max } : { customers };
}

function several(found: ReadonlyArray<{ customer: CustomerName }>, max: number): MatchResult {
  return { kind: 'several', ...listed(found, max) };
}

/** Longest query worth matching; customer names are shorter. */
export const MAX_QUERY = 80;

/** The most words a name found among other words may have (see CustomerIndex.namedWithin). */
const WORDS_IN_A_NAME = 4;
/**
 * Words around a customer's name that ask for it and say nothing more (`telemetry for acme please`,
 * `acme and globex`). Any other word beside a name may be part of another company's name.
 */
const FILLER = new Set([
  'telemetry', 'status', 'usage', 'level', 'levels', 'instance', 'instances', 'customer', 'customers', 'account', 'pings', 'info',
  'send', 'sends', 'sending', 'sent', 'managed', 'cloud', 'self', 'hosted', 'com',
  'for', 'of', 'on', 'about', 'at', 'from', 'and', 'or', 'vs', 'versus', 'plus', 'also', 'with',
  'please', 'pls', 'plz', 'thanks', 'thx', 'hi', 'hey', 'show', 'me', 'us', 'check', 'find', 'look', 'up', 'lookup',
  'get', 'what', 'whats', 'is', 'are', 'how', 'does', 'do', 's', 'a', 'an', 'my', 'our', 'their', 'its',
]);

/** Answers an index keeps, by normalized text (see CustomerIndex.match). */
const MATCH_ANSWERS_KEPT = 500;

const SUFFIXES = new Set(['inc', 'corp', 'corporation', 'co', 'llc', 'ltd', 'limited', 'gmbh', 'sa', 'ag', 'plc', 'company', 'the', 'group', 'holdings']);
const TLD_LIST = 'com|io|net|org|co|ai|dev|app|de|uk|fr|jp|us';
const TLDS = new RegExp(`\\.(${TLD_LIST})$`);
/**
 * A host under a customer's domain (app.acme.com, eu.acme.io): its last two labels. Not when those are a
 * second-level domain of a country (acme.co.uk keeps its three), nor for a last label that is no known TLD.
 */
const SUBDOMAINS = new RegExp(`^(?:[a-z0-9-]+\\.)+((?!(?:co|com|org|net|ac|gov)\\.)[a-z0-9-]+\\.(?:${TLD_LIST}))$`);

/** Lowercase, strip accents and punctuation, fold whitespace. */
export function normalize(text: string): string {
  // Plain ASCII has no accent to strip: the decomposition, the costliest step over 50,000 customers' names, is skipped.
  // Stryker disable next-line ConditionalExpression: equivalent when false (ASCII decomposes to itself), only slower
  const folded = ASCII.test(text) ? text : text.normalize('NFKD').replace(/\p{M}/gu, '');
  return folded
    .toLowerCase()
    // Each word on its own: an address among other words (`telemetry for https://app.acme.io/login`) names its domain too.
    .split(/\s/)
    .map(domainIn)
    .join(' ')
    // A possessive is the name ("acme's" is Acme): the 's goes before the apostrophe would split it off as a word.
    .replace(/(?<=[\p{L}\p{N}])['’]s(?![\p{L}\p{N}])/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// Stryker disable next-line Regex: equivalent when it matches less (one character, say): only slower
const ASCII = /^[\x00-\x7f]*$/;
/** A word that is letters, digits and hyphens only: no address, nothing around it (see domainIn). */
// Stryker disable next-line Regex: equivalent when it matches less, or punctuation alone (which the steps strip, and normalize after them too)
const PLAIN_WORD = /^[a-z0-9-]*$/;

/** Longest word read as an address (an e-mail address, a URL, a domain): longer ones are read as they are. */
const LONGEST_ADDRESS = 2_048;

/**
 * A pasted e-mail address or URL names its domain: the scheme, `www.`, the mailbox, the path or query, a host's
 * labels under the domain and a known TLD go, as do the brackets or sentence punctuation around it
 * (`(acme.io)`, `acme.io,`). The address must be the whole word: `a/jane@acme.com` is none.
 */
function domainIn(word: string): string {
  // Stryker disable next-line ConditionalExpression: equivalent when false (none of the steps below changes such a word), only slower
  if (word.length > LONGEST_ADDRESS || PLAIN_WORD.test(word)) return word;
  return word
    .replace(/^[(<[“"'‘]+/, '')
    // From the first of the closing marks only (the lookbehind): tried from each mark of a long run, the match
    // would scan the rest of the run every time (quadratic on `a))))…)a`).
    .replace(/(?<![)>\]”"'’.,;:!?])[)>\]”"'’.,;:!?]+$/, '')
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .replace(/^[^@/<>]+@(?=[^@/]+\.[a-z]{2,}$)/, '')
    .replace(/^([^/?#@]+\.[a-z]{2,})[/?#].*/, '$1')
    .replace(SUBDOMAINS, '$1')
    .replace(TLDS, '');
}

/** A normalized text without legal suffixes ("acme corp" → "acme"). */
function withoutSuffixes(normalized: string): string {
  const words = normalized.split(' ').filter((w) => w && !SUFFIXES.has(w));
  return words.join(' ');
}

/** Levenshtein distance, bounded: above max, some value above max (max+1 as soon as a whole row exceeds it). */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Two rows, reused from call to call: matching runs this for every key of every customer.
  // Stryker disable next-line ConditionalExpression: equivalent; allocating new rows on every call is only slower
  if (rows.prev.length <= b.length) rows = { prev: new Uint16Array(b.length + 33), cur: new Uint16Array(b.length + 33) };
  let { prev, cur } = rows;
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === b.charCodeAt(j - 1) ? 0 : 1));
      cur[j] = v;
      // Stryker disable next-line EqualityOperator: `<=` keeps the same minimum (equal values do not change it)
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}
let rows = { prev: new Uint16Array(64), cur: new Uint16Array(64) };

interface Key {
  text: string;
  /** Its words, split once when the index is built. */
  words: string[];
}

interface Indexed {
  customer: CustomerName;
  keys: Key[];
}

/** Score of how well a query matches one key: lower is better; null: no match. */
function score(query: string, queryWords: string[], key: Key): number | null {
  const k = key.text;
  if (k === query) return 0;
  // A name whose first word is the text (`stark`: Stark Industries) before one whose first word only begins with it
  // (Starkey Hearing), shorter first within each: from 1 up to 1.2, and from 1.25 up to 1.45, under a word's 1.5.
  if (query.length >= 3 && k.startsWith(query)) return (k[query.length] === ' ' ? 1 : 1.25) + Math.min(k.length - query.length, 200) / 1000;
  if (query.length >= 3 && key.words.includes(query)) return 1.5;
  const allowed = typosAllowed(query);
  // Stryker disable next-line ConditionalExpression: only a shortcut; with 0 edits allowed only an identical key passes, and that returned 0 above
  if (allowed === 0) return null;
  const d = editDistance(query, k, allowed);
  if (d > allowed) return null;
  return typosWithinWords(queryWords, key.words, d) ? 2 + d : null;
}

/** Typos tolerated in a text (or a word) of this length: none under 4 characters, 1 from 4, 2 from 8. */
function typosAllowed(text: string): number {
  return text.length >= 8 ? 2 : text.length >= 4 ? 1 : 0;
}

/**
 * Whether `d` typos are typos, not other words: with as many words as the key (one, or several),
 * each word is held to its own length's allowance (`bright health` is not Bright Realty, though
 * only 2 letters differ); a text that joins or splits the key's words may differ by one.
 */
function typosWithinWords(queryWords: string[], keyWords: string[], d: number): boolean {
  if (queryWords.length !== keyWords.length) return d <= 1;
  return queryWords.every((w, i) => swapDistance(w, keyWords[i]!) <= typosAllowed(w));
}

/**
 * Edits between two words, two letters swapped counting as one (`crop` is one typo of `corp`): the
 * optimal string alignment distance. Words are short: the whole table is fine.
 */
export function swapDistance(a: string, b: string): number {
  // The first row and column: that many letters added or removed (the rest is filled in below).
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : i)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      // A swap of the last two letters (at the first letter, a[-1] or b[-1] is undefined and never equal).
      if (a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** An index over the customer list, built once per refresh of that list. */
export class CustomerIndex {
  private readonly entries: Indexed[];

  constructor(customers: CustomerName[]) {
    this.entries = customers.map((customer) => {
      const keys = new Set<string>();
      for (const t of [customer.name, ...customer.aliases, customer.domain ?? '']) {
        // Stryker disable next-line ConditionalExpression: equivalent; an empty name only adds the empty key, which is deleted below
        if (!t) continue;
        const n = normalize(t);
        keys.add(n);
        keys.add(withoutSuffixes(n));
      }
      keys.delete('');
      return { customer, keys: [...keys].map((text) => ({ text, words: text.split(' ') })) };
    });
    for (const e of this.entries) for (const k of e.keys) this.exact.set(k.text, [...(this.exact.get(k.text) ?? []), e.customer]);
  }

  /** Every key, exactly, and whose it is. */
  private readonly exact = new Map<string, CustomerName[]>();

  get size(): number {
    return this.entries.length;
  }

  byId(customerId: string): CustomerName | undefined {
    return this.entries.find((e) => e.customer.customerId === customerId)?.customer;
  }

  /**
   * Matches text against names, aliases and domains. The index never changes,
   * so the answers to the last texts asked are kept: the same few customers are
   * looked up again and again, and matching one text scores every key.
   */
  match(text: string, maxSeveral = 10): MatchResult {
    // Long input cannot name a customer better than its first words; bounding it keeps matching cheap.
    const n = normalize(text);
    const q = (withoutSuffixes(n) || n).slice(0, MAX_QUERY);
    const memoKey = `${maxSeveral}:${q}`;
    const known = this.answers.get(memoKey);
    if (known) {
      // Most recently asked last: the customers asked about often stay.
      this.answers.delete(memoKey);
      this.answers.set(memoKey, known);
      return known;
    }
    const answer = this.matchNormalized(q, maxSeveral);
    // Stryker disable next-line EqualityOperator,ConditionalExpression: a bound on memory, not on answers
    if (this.answers.size >= MATCH_ANSWERS_KEPT) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(memoKey, answer);
    return answer;
  }

  private readonly answers = new Map<string, MatchResult>();

  private matchNormalized(q: string, maxSeveral: number): MatchResult {
    if (!q) return { kind: 'none', closest: [] };
    const words = q.split(' ');
    const scored: Array<{ customer: CustomerName; s: number }> = [];
    for (const e of this.entries) {
      let best: number | null = null;
      for (const k of e.keys) {
        const s = score(q, words, k);
        // Stryker disable next-line EqualityOperator: `<=` keeps the same best score
        if (s !== null && (best === null || s < best)) best = s;
      }
      if (best !== null) scored.push({ customer: e.customer, s: best });
    }
    scored.sort((a, b) => a.s - b.s || a.customer.name.localeCompare(b.customer.name));
    if (scored.length === 0) {
      if (words.every((w) => FILLER.has(w))) return { kind: 'none', closest: [], asksOnly: true };
      return this.namedWithin(q, maxSeveral) ?? { kind: 'none', closest: this.closest(q, 3) };
    }
    const top = scored[0]!;
    const exact = scored.filter((x) => x.s === 0);
    if (exact.length === 1) {
      // The name is exact, but others start with it or have it as a word: the card says so. Typos of it do not count.
      // Stryker disable next-line EqualityOperator: `<= 2` is equivalent; a score of 2 would be a typo of no edits, an exact match
      const also = scored.filter((x) => x.s > 0 && x.s < 2);
      return also.length > 0 ? { kind: 'one', customer: exact[0]!.customer, also: listed(also, maxSeveral) } : { kind: 'one', customer: exact[0]!.customer };
    }
    // Several exact matches are also what the tie rule below picks, since every other score is 1 or more;
    // this line says it first, so mutants that skip it are equivalent.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, see above
    if (exact.length > 1) return several(exact, maxSeveral);
    // One clearly best candidate (the rest are weaker kinds of match) is the answer.
    const tied = scored.filter((x) => Math.floor(x.s) === Math.floor(top.s));
    if (tied.length === 1) return { kind: 'one', customer: top.customer };
    return several(tied, maxSeveral);
  }

  /**
   * For text that matches no name as a whole, the names it has exactly among other words
   * (`telemetry for acme please`, `acme and globex`): runs of up to {@link WORDS_IN_A_NAME} words,
   * longest first, each word in one name at most. They are the answer only when every other word
   * is one of {@link FILLER} (`acme please` is Acme; `united health` is not United Airlines, nor
   * `acme industries` Acme Corp): otherwise they are offered first as "did you mean". One run is
   * answered as that name alone would be. Only exact names: a typo among other words is not told
   * from another word.
   */
  private namedWithin(q: string, maxSeveral: number): MatchResult | null {
    const words = q.split(' ');
    // Stryker disable next-line ArrowFunction: equivalent; undefined is as unused as false
    const used = words.map(() => false);
    const runs: string[] = [];
    for (let n = Math.min(words.length, WORDS_IN_A_NAME); n >= 1; n--) {
      // Stryker disable next-line ArithmeticOperator: equivalent; a run cut short at the end is one of the shorter runs, tried after
      for (let i = 0; i + n <= words.length; i++) {
        if (used.slice(i, i + n).some(Boolean)) continue;
        const run = words.slice(i, i + n).join(' ');
        if (run.length < 3 || !this.exact.has(run)) continue;
        runs.push(run);
        used.fill(true, i, i + n);
      }
    }
    // Without a run every word is unused, and one is no filler (text of fillers only is answered before): the
    // "none" below, with the nearest names, is the caller's answer to null too.
    // Stryker disable next-line ConditionalExpression: equivalent, see above
    if (runs.length === 0) return null;
    const named = [...new Set(runs.flatMap((run) => this.exact.get(run)!))].sort((a, b) => a.name.localeCompare(b.name));
    if (words.some((w, i) => !used[i] && !FILLER.has(w))) {
      const closest = [...new Set([...named, ...this.closest(q, 3)])].slice(0, 3);
      return { kind: 'none', closest };
    }
    if (new Set(runs).size === 1) return this.matchNormalized(runs[0]!, maxSeveral);
    return named.length === 1 ? { kind: 'one', customer: named[0]! } : several(named.map((customer) => ({ customer })), maxSeveral);
  }

  /** The `n` names nearest to the text, for "did you mean". */
  private closest(q: string, n: number): CustomerName[] {
    // No further than this, or not offered. The distance is bounded by it: a name further off is told apart at the first
    // row past it, not measured out (a text that names no one was measured against every key: 0.2 to 0.8 s at 50,000
    // customers, all of it blocking the event loop).
    const within = Math.max(3, Math.ceil(q.length / 2));
    const ranked: Array<{ customer: CustomerName; d: number }> = [];
    for (const e of this.entries) {
      let best = within + 1;
      for (const k of e.keys) best = Math.min(best, editDistance(q, k.text.slice(0, q.length + 2), within));
      if (best <= within) ranked.push({ customer: e.customer, d: best });
    }
    ranked.sort((a, b) => a.d - b.d || a.customer.name.localeCompare(b.customer.name));
    return ranked.slice(0, n).map((r) => r.customer);
  }
}
