/**
 * Vendor error text (Looker, Fivetran, Google) may end up in a Slack message,
 * the audit log or a log line. Vendors sometimes echo the request back in
 * their errors, headers included, so their text is never passed on as is:
 * `vendorSummary` keeps a short, single-line summary with anything that looks
 * like a credential cut out. Every adapter uses it for every vendor string it
 * puts in an error or a result, and passes its own credentials (`secrets`),
 * which are cut out exactly: the patterns only guess at what a secret looks like.
 */

import { SECRET_SHAPES } from '../secret-shapes.js';

/** Longest summary kept (characters, before the ellipsis). */
export const VENDOR_SUMMARY_MAX = 200;

const REDACTED = '[redacted]';

// Order matters: whole header lines first, then schemes, then bare token-looking strings.
const labelled = (match: string) => {
  const label = /^[^:=\s]+\s*[:=]/.exec(match)?.[0];
  return label ? `${label} ${REDACTED}` : REDACTED;
};
const CREDENTIAL_PATTERNS: Array<[RegExp, (match: string, group?: string) => string]> = [
  // `Authorization: Bearer …`, `Proxy-Authorization: …`, `Cookie: …`, `X-Api-Key: …` up to the end of the line or a quote.
  [/\b(?:proxy-)?authorization\s*[:=]\s*[^\n\r"',;}]*/gi, labelled],
  [/\b(?:set-)?cookie\s*[:=]\s*[^\n\r"'}]*/gi, labelled],
  [/\bx-[a-z-]*(?:key|token|secret)\s*[:=]\s*[^\s"',;}]*/gi, labelled],
  // Auth schemes followed by their credential (Looker's `token …` included).
  [/\b(?:bearer|basic|token|digest)\s+[A-Za-z0-9._~+/=-]{8,}/gi, () => REDACTED],
  // key=value and "key": "value" pairs whose key names a secret.
  [/\b[\w-]*(?:secret|password|passwd|token|api[_-]?key|access[_-]?key|client[_-]?id|credential|signature)[\w-]*["']?\s*[:=]\s*["']?[^\s"'&,;}]+/gi, labelled],
  // Slack tokens, Google OAuth access tokens, JWTs, private keys (and a bearer credential, cut already above).
  ...SECRET_SHAPES.map((shape): [RegExp, () => string] => [shape, () => REDACTED]),
  // URL credentials and query strings (signed URLs, `?access_token=`): the address stays, the secret part goes.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, (_m, scheme) => `${scheme ?? ''}${REDACTED}@`],
  [/(\bhttps?:\/\/[^\s?#"']+)\?[^\s"']*/gi, (_m, address) => `${address ?? ''}?${REDACTED}`],
];

// A long run of token characters that mixes letters and digits: an API key, a hash, a secret.
const TOKEN_LIKE = /[A-Za-z0-9+/_=.-]{24,}/g;

function looksLikeSecret(s: string): boolean {
  if (/^[a-z]+(?:[._-][a-z]+)*$/i.test(s)) return false; // a long word or dotted name, not a key
  // A resource path (projects/123/locations/us/…): some segment is a plain word.
  if (s.includes('/') && s.split('/').some((seg) => /^[a-z]{3,}$/i.test(seg))) return false;
  const letters = /[A-Za-z]/.test(s);
  const digits = /[0-9]/.test(s);
  return letters && digits;
}

/**
 * `text` with every occurrence of the caller's own credentials cut out. The
 * patterns below only guess at what a secret looks like (a 16-character
 * Fivetran API key looks like a word to them); an adapter knows its own.
 */
export function withoutSecrets(text: string, secrets: readonly (string | undefined | null)[]): string {
  let s = text;
  // Longest first, so a secret that contains another is cut whole; very short values would cut ordinary words.
  for (const secret of [...secrets].filter((v): v is string => typeof v === 'string' && v.length >= 4).sort((a, b) => b.length - a.length)) {
    s = s.split(secret).join(REDACTED);
  }
  return s;
}

/**
 * A short, single-line, credential-free summary of a vendor's text.
 *
 * @param text whatever the vendor sent (non-strings and blanks give `fallback`)
 * @param fallback what to say when there is nothing usable
 * @param secrets the caller's own credentials (API key and secret, access token): cut out wherever they appear
 */
export function vendorSummary(text: unknown, fallback = '', secrets: readonly (string | undefined | null)[] = []): string {
  if (typeof text !== 'string') return fallback;
  let s = withoutSecrets(text, secrets);
  for (const [pattern, replace] of CREDENTIAL_PATTERNS) {
    s = s.replace(pattern, (match: string, group?: unknown) => replace(match, typeof group === 'string' ? group : undefined));
  }
  s = s.replace(TOKEN_LIKE, (m) => (looksLikeSecret(m) ? REDACTED : m));
  // One line, no control characters, no runs of spaces.
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  if (!s) return fallback;
  if (s.length > VENDOR_SUMMARY_MAX) {
    const cut = s.slice(0, VENDOR_SUMMARY_MAX);
    const sentence = cut.lastIndexOf('. ');
    s = (sentence > VENDOR_SUMMARY_MAX / 2 ? cut.slice(0, sentence + 1) : cut.trimEnd()) + '…';
  }
  return s;
}
