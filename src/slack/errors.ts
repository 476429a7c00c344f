/**
 * What a failed Web API call means for whoever made it: retry later (rate
 * limited, Slack or the network failed) or not (the channel is gone, the bot
 * is not in it, the message is malformed).
 *
 * The coded error's message holds Slack's error code or the HTTP status only:
 * it becomes a job's failure, which people see (cards, the audit log). Slack's
 * response_metadata.messages echo the request, and a network error may quote
 * a URL; both stay in the cause, which only the logs see.
 */
import { ErrorCode } from '@slack/web-api';
import { SlackApiError } from '../errors.js';

/** Slack errors that waiting will not fix. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text',
  'cant_update_message', 'message_not_found', 'edit_window_closed', 'user_not_found', 'users_not_found', 'user_not_in_channel', 'user_disabled',
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'missing_scope', 'restricted_action', 'not_allowed_token_type',
  'invalid_arguments', 'invalid_arg_name', 'too_many_attachments', 'cannot_dm_bot', 'no_permission', 'file_not_found',
  'ekm_access_denied', 'team_access_not_granted', 'invalid_metadata_format', 'invalid_metadata_schema', 'metadata_too_large', 'unknown_method',
]);

/** What Slack's error codes look like (`channel_not_found`): anything else is not passed on. */
const SLACK_CODE = /^[a-z0-9_]{1,64}$/;

/** The Slack error code of a failed call (`channel_not_found`), if it has one. */
export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' && SLACK_CODE.test(data.error) ? data.error : undefined;
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
  // The request never got an answer (network, timeout): worth another try. The error's own text (which may
  // quote a URL, an upload URL's signature included) stays in the cause, for the logs.
  const kind = typeof e?.code === 'string' && /^[a-z_]{1,64}$/.test(e.code) ? e.code : 'network or upload error';
  return new SlackApiError('request_failed', `Slack ${method} did not answer (${kind})`, { retryable: true, cause: err });
}
