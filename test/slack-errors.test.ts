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
import { slackErrorCode, toSlackError } from '../src/slack/errors.js';

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
