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
import type { Logger } from '../logger.js';

/**
 * Slack errors that waiting will not fix: every error Slack's method reference
 * documents for the methods the bot calls (src/slack-standin/facts/web-api.ts)
 * and its common errors, except the few in {@link TRANSIENT_SLACK_ERRORS}. A
 * job that meets one gives up at once, and says so, instead of retrying for
 * minutes (`messages_tab_disabled`: the app's Messages tab is turned off in its App Home settings, so it cannot DM anyone;
 * `restricted_action_read_only_channel`: only admins may post there).
 * A code Slack does not document is retried.
 */
export const PERMANENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  // the conversation, the message, the thread
  'channel_not_found', 'not_in_channel', 'is_archived', 'channel_is_limited_access', 'duplicate_channel_not_found', 'duplicate_message_not_found',
  'message_not_found', 'thread_not_found', 'cant_update_message', 'cant_delete_message', 'cant_broadcast_message', 'cannot_reply_to_message',
  'edit_window_closed', 'is_inactive', 'block_mismatch', 'method_not_supported_for_channel_type', 'messages_tab_disabled', 'cannot_dm_bot',
  'restricted_action', 'restricted_action_non_threadable_channel', 'restricted_action_read_only_channel', 'restricted_action_thread_locked',
  'restricted_action_thread_only_channel', 'posting_to_channel_denied', 'invalid_channel', 'channels_limit_exceeded', 'team_not_found',
  // what was sent
  'invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'msg_blocks_too_long', 'no_text', 'markdown_text_conflict', 'too_many_attachments',
  'too_many_contact_cards', 'invalid_attachments', 'attachment_payload_limit_exceeded', 'as_user_not_supported', 'invalid_metadata_format',
  'invalid_metadata_schema', 'invalid_metadata_filter_keys', 'metadata_must_be_sent_from_app', 'metadata_too_large', 'invalid_cursor',
  'invalid_limit', 'invalid_ts_latest', 'invalid_ts_oldest', 'invalid_arguments', 'invalid_arg_name', 'invalid_array_arg', 'invalid_charset', 'invalid_form_data',
  'invalid_post_type', 'missing_post_type', 'invalid_json', 'json_not_object', 'missing_argument', 'unknown_method', 'method_deprecated',
  'deprecated_endpoint', 'upgrade_required',
  // people and groups
  'user_not_found', 'users_not_found', 'user_not_in_channel', 'user_disabled', 'user_not_visible', 'invalid_user_combination', 'not_enough_users',
  'too_many_users', 'users_list_not_supplied', 'no_such_subteam', 'plan_upgrade_required',
  // views
  'duplicate_external_id', 'exchanged_trigger_id', 'expired_trigger_id', 'invalid_trigger_id', 'not_found', 'push_limit_reached', 'hash_conflict',
  'view_too_large', 'missing_profile_id', 'not_enabled', 'not_implemented',
  // files
  'file_not_found', 'alt_txt_too_large', 'file_type_not_allowed', 'file_upload_size_restricted', 'file_uploads_disabled',
  'file_uploads_except_images_disabled', 'snippet_too_large', 'storage_limit_reached', 'unknown_snippet_type', 'unknown_subtype',
  // the token, the app, the workspace
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'not_allowed_token_type', 'no_permission',
  'access_denied', 'accesslimited', 'ekm_access_denied', 'enterprise_is_restricted', 'team_access_not_granted',
  'two_factor_setup_required',
]);

/**
 * Documented Slack errors that say Slack or the workspace is busy or failed
 * for now: waiting may fix them (rate limits, internal errors, a workspace
 * moving into an Enterprise organization or in the middle of that migration
 * (`org_login_required`: "will not be available until migration is complete"),
 * "intermittently unavailable").
 */
export const TRANSIENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'ratelimited', 'rate_limited', 'message_limit_exceeded', 'internal_error', 'fatal_error', 'request_timeout', 'service_unavailable',
  'update_failed', 'file_update_failed', 'streaming_state_conflict', 'team_added_to_org', 'org_login_required',
  // conversations.members: Slack could not read the list this time.
  'fetch_members_failed',
]);

/**
 * Slack's refusals of the app's token itself (revoked, expired, its workspace or bot user deleted: `account_inactive`,
 * "Authentication token is for a deleted user or workspace when using a bot token"). Permanent for a retry, but
 * not for the message or the person: every call fails until whoever runs the bot reinstalls it, and then works.
 */
export const TOKEN_REFUSED_SLACK_ERRORS: ReadonlySet<string> = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/** Whether a failed call's error is Slack refusing the app's token (see TOKEN_REFUSED_SLACK_ERRORS). */
export function tokenRefused(err: unknown): boolean {
  const code = slackErrorCode(err) ?? (err as { slackError?: unknown } | null)?.slackError;
  return typeof code === 'string' && TOKEN_REFUSED_SLACK_ERRORS.has(code);
}

/** What Slack's error codes look like (`channel_not_found`): anything else is not passed on. */
const SLACK_CODE = /^[a-z0-9_]{1,64}$/;

/** The Slack error code of a failed call (`channel_not_found`), if it has one. */
export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' && SLACK_CODE.test(data.error) ? data.error : undefined;
}

/**
 * Whether Slack refused a call for an argument it names in response_metadata.messages (`invalid_arguments`,
 * "invalid `user_id`", as views.publish's reference shows for a user it does not know).
 */
export function slackRefusedArgument(err: unknown, argument: string): boolean {
  if (slackErrorCode(err) !== 'invalid_arguments') return false;
  const messages = (err as { data?: { response_metadata?: { messages?: unknown } } }).data?.response_metadata?.messages;
  return Array.isArray(messages) && messages.some((m) => typeof m === 'string' && m.includes(`\`${argument}\``));
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
    return new SlackApiError(code, `Slack ${method} failed: ${code}`, { retryable: !PERMANENT_SLACK_ERRORS.has(code), cause: err });
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

/**
 * Whether a views.open failed because its trigger had opened a form already: the same command or click
 * delivered again (Slack's retry, a replayed request). That form is open, so there is nothing to tell.
 */
function openedAlready(err: unknown): boolean {
  return slackErrorCode(err) === 'exchanged_trigger_id';
}

/**
 * `openedAlready`, and when so said in the log (info), so that "the bot said nothing" can be looked into:
 * "`form` already opened by an earlier delivery of this `trigger`", with `fields`.
 */
export function loggedOpenedAlready(err: unknown, logger: Logger, form: string, trigger: 'command' | 'click', fields: Record<string, unknown>): boolean {
  if (!openedAlready(err)) return false;
  logger.info(`${form} already opened by an earlier delivery of this ${trigger}`, fields);
  return true;
}
