import { createHmac } from 'node:crypto';

/** The two headers Slack adds to every request it sends to an app. */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/**
 * Signs a request body the way Slack does (signing secret, scheme v0):
 * `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}`.
 *
 * @param signingSecret the app's signing secret
 * @param rawBody the exact bytes that will be sent, as a string
 * @param timestampSec Unix seconds; pass an old value to produce a stale request
 */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const timestamp = String(Math.floor(timestampSec));
  const hmac = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${hmac}`, 'x-slack-request-timestamp': timestamp };
}
