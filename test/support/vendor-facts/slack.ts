/**
 * Slack: the facts the Slack stand-in checks every request against, and the
 * after-each check that fails a test on what it refused.
 *
 * The facts themselves live with the stand-in, because the stand-in also runs
 * outside tests (local mode, `npm start`; `npm run slack`), where it answers a
 * refused request as Slack would and logs it, and the app's build (which ships
 * the stand-in) holds no test code:
 * - src/slack-standin/facts/web-api.ts: every Web API method the bot calls
 *   (arguments and their types, content types, scopes, response shapes and
 *   variations, documented errors), with sources and the date read;
 * - src/slack-standin/facts/messages.ts: response_url posts and ack bodies;
 * - src/blockkit/limits.ts: Block Kit limits (the one source of truth, also
 *   used by the views and the local page);
 * - src/slack-standin/facts/check.ts: the checker.
 */
export { slackWebApiFacts, methodFact } from '../../../src/slack-standin/facts/web-api.js';
export { commandAckFacts, responseUrlFacts, viewSubmissionAckFacts } from '../../../src/slack-standin/facts/messages.js';
export { checkCommandAck, checkResponseUrlBody, checkScopes, checkViewSubmissionAck, checkWebApiCall } from '../../../src/slack-standin/facts/check.js';

/** Throws (failing the current test) when a live Slack stand-in saw a request Slack refuses or ignores; clears them. */
export { assertNoStandinViolations as assertNoSlackViolations } from '../../../src/slack-standin/violations.js';
