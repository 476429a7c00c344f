/**
 * What a failed Web API call means for whoever made it: retry later (rate
 * limited, Slack or the network failed) or not (the channel is gone, the bot
 * is not in it, the message is malformed).
 */
import { ErrorCode } from '@slack/web-api';
import { SlackApiError } from '../errors.js';

/** Slack errors that waiting will not fix. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text',
  'cant_update_message', 'message_not_found', 'edit_window_closed', 'user_not_found', 'users_not_found', 'user_not_in_channel',
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'missing_scope', 'restricted_action', 'not_allowed_token_type',
  'invalid_arguments', 'invalid_arg_name', 'too_many_attachments', 'cannot_dm_bot', 'no_permission', 'file_not_found',
  'ekm_access_denied', 'team_access_not_granted', 'invalid_metadata_format', 'invalid_metadata_schema', 'metadata_too_large', 'unknown_method',
]);

/** The Slack error code of a failed call (`channel_not_found`), if it has one. */
export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/** A failed Web API call as a coded error that says whether to retry, and after how long. */
export function toSlackError(err: unknown, method: string): SlackApiError {
  if (err instanceof SlackApiError) return err;
  const e = err as { code?: unknown; retryAfter?: unknown; statusCode?: unknown; message?: unknown } | null;
  if (e?.code === ErrorCode.RateLimitedError) {
    const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : 30;
    return new SlackApiError('ratelimited', `Slack rate-limited ${method}; retry after ${seconds} s`, { retryable: true, retryAfterMs: seconds * 1000, cause: err });
  }
  const code = slackErrorCode(err);
  if (code) {
    return new SlackApiError(code, `Slack ${method} failed: ${code}`, { retryable: !PERMANENT.has(code), cause: err });
  }
  if (e?.code === ErrorCode.HTTPError) {
    const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
    return new SlackApiError(`http_${status}`, `Slack ${method} answered HTTP ${status}`, { retryable: status >= 500 || status === 408 || status === 0, cause: err });
  }
  // The request never got an answer (network, timeout): worth another try.
  return new SlackApiError('request_failed', `Slack ${method} did not answer: ${typeof e?.message === 'string' ? e.message.split('\n')[0] : 'unknown error'}`, { retryable: true, cause: err });
}
