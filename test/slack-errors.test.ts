/**
 * What a failed Slack call becomes: a coded error whose message holds only
 * Slack's error code (or the HTTP status), never text Slack or the network
 * sent back. The message is what a job keeps as its failure, and failures
 * reach people (the Looker card's "did not accept the grant (…)", a rerun's
 * error, the audit log in /analytics audit): Slack's response_metadata.messages
 * echo the request, and a network error can quote an upload URL's signature.
 */
import { ErrorCode } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { PERMANENT_SLACK_ERRORS, TRANSIENT_SLACK_ERRORS, slackErrorCode, toSlackError } from '../src/slack/errors.js';
import { slackWebApiFacts } from '../src/slack-standin/facts/web-api.js';

const platform = (error: unknown, messages: string[] = []) =>
  Object.assign(new Error(`An API error occurred: ${String(error)}`), { code: ErrorCode.PlatformError, data: { ok: false, error, response_metadata: { messages } } });

describe('toSlackError', () => {
  it('keeps the code and drops response_metadata.messages', () => {
    const err = toSlackError(platform('invalid_blocks', ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text] <!channel> xoxb-1-secret']), 'chat.postMessage');
    expect(err.slackError).toBe('invalid_blocks');
    expect(err.message).toBe('Slack chat.postMessage failed: invalid_blocks');
    expect(err.retryable).toBe(false);
  });

  it('does not pass on an error "code" that is not one of Slack\'s', () => {
    const weird = 'Authorization: Bearer xoxb-123-secret <!channel>';
    expect(slackErrorCode(platform(weird))).toBeUndefined();
    const err = toSlackError(platform(weird), 'chat.update');
    expect(err.message).not.toContain('xoxb');
    expect(err.message).not.toContain('<!channel>');
  });

  it('says a call got no answer without quoting the network error', () => {
    const network = Object.assign(new Error('A request error occurred: request to https://files.slack.com/upload/v1/CwABAAAAXgoAAV?sig=s3cr3t failed'), { code: ErrorCode.RequestError });
    const err = toSlackError(network, 'files.completeUploadExternal');
    expect(err.message).toBe('Slack files.completeUploadExternal did not answer (slack_webapi_request_error)');
    expect(err.retryable).toBe(true);
    expect(toSlackError(new Error('the upload URL answered HTTP 500 at https://files.slack.com/upload/v1/x?sig=s3cr3t'), 'file upload').message).toBe('Slack file upload did not answer (network or upload error)');
  });
});

describe('which Slack errors are retried', () => {
  const documented = new Set([...slackWebApiFacts.commonErrors, ...slackWebApiFacts.methods.flatMap((m) => m.errors)]);

  it('gives up at once on an error waiting will not fix, e.g. a DM to someone who turned off the app\'s Messages tab', () => {
    for (const code of ['messages_tab_disabled', 'restricted_action_read_only_channel', 'posting_to_channel_denied', 'msg_blocks_too_long', 'file_uploads_disabled', 'thread_not_found',
      // a DM or post to someone or somewhere the bot cannot reach (conversations.open, chat.postMessage)
      'user_not_visible', 'user_not_found', 'user_disabled', 'cannot_dm_bot', 'channel_not_found', 'not_in_channel', 'is_archived']) {
      expect(toSlackError(platform(code), 'chat.postMessage').retryable, code).toBe(false);
    }
  });

  it('retries what says Slack is busy or failed for now, and codes Slack does not document', () => {
    for (const code of ['ratelimited', 'rate_limited', 'message_limit_exceeded', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org', 'org_login_required', 'some_new_code']) {
      expect(toSlackError(platform(code), 'chat.postMessage').retryable, code).toBe(true);
    }
  });

  it('classifies every error the facts document for the methods the bot calls, as permanent or transient, not both', () => {
    const unclassified = [...documented].filter((c) => PERMANENT_SLACK_ERRORS.has(c) === TRANSIENT_SLACK_ERRORS.has(c));
    expect(unclassified).toEqual([]);
    expect(documented.size).toBeGreaterThan(100);
  });
});
