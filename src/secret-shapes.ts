/**
 * Secrets recognisable by their shape alone, whoever's they are: Slack tokens,
 * Slack's response and webhook URLs, Google OAuth access tokens, JWTs, PEM
 * private keys, and a bearer credential.
 * The logger masks them in every line (a secret it was not told of: another
 * workspace's token in an error, an access token a library put in a message),
 * and vendor text loses them with the rest of its credential patterns
 * (`adapters/vendor-text.ts`). Only shapes ordinary words never take: the
 * looser guesses (a long mixed run, `token …`) stay with vendor text.
 */

const REDACTED = '[redacted]';

// The logger masks the serialized JSON line, where a line break is the two characters `\n`: a shape begins at a
// word boundary or just after such an escape (`\nxoxb-…` has no boundary before the x).
export const SECRET_SHAPES: readonly RegExp[] = [
  // Slack's token prefixes (bot, user, app-level, refresh, configuration, legacy workspace, session), not `xoxo-`.
  /(?:(?<=\\[nrt])|\b)xox[abcdeprs]-[A-Za-z0-9-]+/g,
  // A response_url (a click's, a command's; an Edit form keeps its list's in private_metadata, which Bolt's debug
  // lines show) or an incoming webhook: whoever holds one may post as the app.
  /https?:\/\/hooks\.slack\.com\/(?:actions|commands|services|workflows|triggers)\/[A-Za-z0-9_/%.-]+/gi,
  /(?:(?<=\\[nrt])|\b)ya29\.[A-Za-z0-9._-]+/g,
  /(?:(?<=\\[nrt])|\b)eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?/g,
  // Up to its END line; one cut short, up to a quote or the end. Never past a quote: in a JSON line the rest of the
  // line (the string's end, the fields after it) would go too, and the line would no longer be JSON. An escape (`\"`,
  // `\n`) is taken whole, so an escaped quote inside the string does not stop it.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[^"\\]|\\[\s\S])*?(?:-----END [A-Z ]*PRIVATE KEY-----|(?="|$))/g,
  // The scheme in any case (RFC 9110: case-insensitive); its credential holds a digit, as tokens do and words
  // (`Bearer authentication refused`) do not.
  /(?:(?<=\\[nrt])|\b)bearer\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** `text` with every secret recognisable by its shape replaced by `[redacted]`. */
export function withoutSecretShapes(text: string): string {
  return SECRET_SHAPES.reduce((s, shape) => s.replace(shape, REDACTED), text);
}
