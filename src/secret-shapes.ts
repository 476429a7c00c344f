/**
 * Secrets recognisable by their shape alone, whoever's they are: Slack tokens,
 * Google OAuth access tokens, JWTs, PEM private keys, and a bearer credential.
 * The logger masks them in every line (a secret it was not told of: another
 * workspace's token in an error, an access token a library put in a message),
 * and vendor text loses them with the rest of its credential patterns
 * (`adapters/vendor-text.ts`). Only shapes ordinary words never take: the
 * looser guesses (a long mixed run, `token …`) stay with vendor text.
 */

const REDACTED = '[redacted]';

export const SECRET_SHAPES: readonly RegExp[] = [
  /\bxox[a-z]-[A-Za-z0-9-]+/g,
  /\bya29\.[A-Za-z0-9._-]+/g,
  /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g,
];

/** `text` with every secret recognisable by its shape replaced by `[redacted]`. */
export function withoutSecretShapes(text: string): string {
  return SECRET_SHAPES.reduce((s, shape) => s.replace(shape, REDACTED), text);
}
