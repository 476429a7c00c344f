/**
 * Slack Web API facts: every method the bot calls (and Bolt calls for it),
 * as Slack's method reference describes it, in our own form (form.ts). The
 * Slack stand-in checks every request against these (check.ts); a test fails
 * on a request they refuse, or on a call to a method they do not describe.
 *
 * Sources (see `slackWebApiFacts.sources`), read 2026-11-30:
 * - Slack's Web API method reference, docs.slack.dev/reference/methods/<method>
 *   (formerly api.slack.com/methods/<method>): arguments, content types,
 *   scopes, errors. Its full argument and error lists were read from the copy
 *   in smstoslack/slack_kit priv/docs/methods/<method>.json (commit a1294c4e,
 *   "Update Slack API docs to 2026-05-25"), checked against the pages.
 * - slackapi/slack-api-specs web-api/slack_web_openapi_v2.json (v1.7.0, last
 *   changed 2020-10-06): predates message metadata and files.*External.
 * - Second witnesses: slackapi/node-slack-sdk packages/web-api/src/types/request
 *   (commit 4322e14f, 2026-08-21) and slackapi/python-slack-sdk
 *   slack_sdk/web/client.py (3.43.0, commit ae87985e, 2026-08-05).
 *
 * What matters to a client:
 * - An argument a method does not take is ignored, silently: nothing tells
 *   the caller. That is how the chart's alt text was lost (@slack/web-api's
 *   filesUploadV2 sends `alt_text`; files.getUploadURLExternal takes `alt_txt`).
 * - Errors come back as HTTP 200 `{ ok: false, error }`; Block Kit errors add
 *   `errors` and `response_metadata.messages` (`[ERROR] … [json-pointer:/blocks/0/text]`),
 *   which echo the request: never show them to a user as they are.
 */
import type { SlackArgFact, SlackArgType, SlackMethodFact, SlackWebApiFacts } from './form.js';

const str: SlackArgType = { kind: 'string' };
const bool: SlackArgType = { kind: 'boolean' };
const ts: SlackArgType = { kind: 'ts' };
const FORM_AND_JSON = ['application/x-www-form-urlencoded', 'application/json'] as const;
const ref = (method: string) => `docs.slack.dev/reference/methods/${method} (args and errors as in slack_kit priv/docs/methods/${method}.json)`;

/** Arguments of chat.postMessage and chat.postEphemeral that the bot may use or that are harmless to know. */
const MESSAGE_ARGS: Record<string, SlackArgFact> = {
  text: { type: str, note: 'not required with blocks or attachments, but the fallback for notifications and screen readers' },
  blocks: { type: { kind: 'blocks' } },
  attachments: { type: { kind: 'json' } },
  thread_ts: { type: ts, note: "a parent's ts, never a reply's" },
  markdown_text: { type: { kind: 'string', maxLength: 12_000 }, note: 'not with text or blocks (markdown_text_conflict)' },
  mrkdwn: { type: bool },
  parse: { type: { kind: 'string', enum: ['none', 'full', 'mrkdwn', 'false', 'client'] } },
  link_names: { type: bool },
  icon_emoji: { type: str },
  icon_url: { type: str },
  username: { type: str },
  as_user: { type: bool, note: 'legacy; classic apps only' },
};

const CHANNEL_MISSING = { ifMissing: 'channel_not_found' } as const;
/** A conversation ID (public or private channel, DM): where the reference says "ID", not a name or a user ID. */
const conversationId: SlackArgType = { kind: 'string', pattern: /^[CGD][A-Z0-9]{2,}$/ };
const userId: SlackArgType = { kind: 'string', pattern: /^[UW][A-Z0-9]{2,}$/ };

const methods: SlackMethodFact[] = [
  {
    method: 'auth.test',
    description: 'Checks authentication and identity (Bolt calls it once at start-up).',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: [],
    args: {},
    response: '{ url, team, user, team_id, user_id, bot_id?, is_enterprise_install?, enterprise_id? }',
    variations: ['bot_id only for bot tokens', 'enterprise_id only on Enterprise Grid'],
    errors: [],
    source: ref('auth.test'),
  },
  {
    method: 'chat.postMessage',
    description: 'Posts a message to a channel, a thread, or a DM (channel = a user ID opens the DM).',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['chat:write'],
    args: {
      channel: { type: str, required: true, ...CHANNEL_MISSING },
      ...MESSAGE_ARGS,
      metadata: { type: { kind: 'metadata' }, note: 'JSON { event_type, event_payload }, or its JSON text' },
      reply_broadcast: { type: bool },
      unfurl_links: { type: bool },
      unfurl_media: { type: bool },
      current_draft_last_updated_ts: { type: str },
    },
    oneOf: [{ args: ['text', 'blocks', 'attachments', 'markdown_text'], error: 'no_text' }],
    response: '{ channel, ts, message }',
    variations: [
      'channel is the conversation ID (a D… ID when a user ID was given)',
      'text over 40,000 characters is truncated, not refused',
      'message.blocks get a block_id each when they had none',
    ],
    errors: [
      'as_user_not_supported', 'attachment_payload_limit_exceeded', 'cannot_reply_to_message', 'channel_not_found', 'duplicate_channel_not_found',
      'duplicate_message_not_found', 'invalid_blocks', 'invalid_blocks_format', 'invalid_metadata_format', 'invalid_metadata_schema', 'is_archived',
      'markdown_text_conflict', 'message_limit_exceeded', 'messages_tab_disabled', 'metadata_must_be_sent_from_app', 'metadata_too_large',
      'msg_blocks_too_long', 'no_text', 'not_in_channel', 'rate_limited', 'restricted_action', 'restricted_action_non_threadable_channel',
      'restricted_action_read_only_channel', 'restricted_action_thread_locked', 'restricted_action_thread_only_channel', 'team_not_found',
      'too_many_attachments', 'too_many_contact_cards',
    ],
    source: ref('chat.postMessage'),
    witness: 'node-slack-sdk types/request/chat.ts ChatPostMessageArguments; python client.chat_postMessage',
  },
  {
    method: 'chat.postEphemeral',
    description: 'Posts a message only one user in the channel sees.',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['chat:write'],
    args: {
      channel: { type: str, required: true, ...CHANNEL_MISSING },
      user: { type: str, required: true, ifMissing: 'user_not_in_channel', note: 'must be in the channel' },
      ...MESSAGE_ARGS,
    },
    oneOf: [{ args: ['text', 'blocks', 'attachments', 'markdown_text'], error: 'no_text' }],
    response: '{ message_ts }',
    variations: ['no metadata argument: ephemeral messages carry none', 'ephemeral messages cannot be updated or read back'],
    errors: [
      'cannot_reply_to_message', 'channel_not_found', 'invalid_attachments', 'invalid_blocks', 'invalid_blocks_format', 'is_archived', 'markdown_text_conflict',
      'message_limit_exceeded', 'messages_tab_disabled', 'msg_too_long', 'no_text', 'not_in_channel', 'restricted_action', 'too_many_attachments', 'user_not_in_channel',
    ],
    source: ref('chat.postEphemeral'),
  },
  {
    method: 'chat.update',
    description: 'Edits a message the bot posted.',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['chat:write'],
    args: {
      channel: { type: conversationId, required: true, ...CHANNEL_MISSING, ifInvalid: 'channel_not_found', note: 'a conversation ID: for a DM the D… ID, not the user ID' },
      ts: { type: ts, required: true, ifMissing: 'message_not_found' },
      text: { type: { kind: 'string', maxLength: 4_000 }, ifInvalid: 'msg_too_long', note: 'text without blocks removes the blocks' },
      blocks: { type: { kind: 'blocks' } },
      attachments: { type: { kind: 'json' } },
      metadata: { type: { kind: 'metadata' }, note: 'absent: the previous metadata is kept; {} removes it' },
      markdown_text: { type: { kind: 'string', maxLength: 12_000 } },
      parse: { type: { kind: 'string', enum: ['none', 'full', 'client'] } },
      link_names: { type: bool },
      reply_broadcast: { type: bool },
      file_ids: { type: { kind: 'json' } },
      unfurled_attachments: { type: { kind: 'json' } },
      as_user: { type: bool },
    },
    response: '{ channel, ts, text, message }',
    variations: ['blocks absent and text absent: the previous blocks stay', 'metadata absent: the previous metadata stays', 'ephemeral messages: cant_update_message'],
    errors: [
      'as_user_not_supported', 'block_mismatch', 'cant_broadcast_message', 'cant_update_message', 'channel_not_found', 'edit_window_closed', 'invalid_attachments',
      'invalid_blocks', 'invalid_blocks_format', 'invalid_metadata_format', 'invalid_metadata_schema', 'is_inactive', 'markdown_text_conflict', 'message_limit_exceeded',
      'message_not_found', 'metadata_must_be_sent_from_app', 'metadata_too_large', 'msg_too_long', 'no_text', 'streaming_state_conflict', 'team_not_found',
      'too_many_attachments', 'update_failed',
    ],
    source: `${ref('chat.update')}; msg_too_long: "The text field cannot exceed 4,000 characters"`,
  },
  {
    method: 'chat.delete',
    description: 'Deletes a message the bot posted (tests use it; the bot does not).',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['chat:write'],
    args: { channel: { type: str, required: true, ...CHANNEL_MISSING }, ts: { type: ts, required: true, ifMissing: 'message_not_found' }, as_user: { type: bool } },
    response: '{ channel, ts }',
    errors: ['cant_delete_message', 'channel_not_found', 'message_not_found'],
    source: ref('chat.delete'),
  },
  {
    method: 'chat.getPermalink',
    description: "A message's permalink.",
    http: 'GET',
    contentTypes: ['application/x-www-form-urlencoded'],
    botScopes: [],
    args: {
      channel: { type: conversationId, required: true, ...CHANNEL_MISSING, ifInvalid: 'channel_not_found', note: '"The ID of the conversation or channel containing the message"' },
      message_ts: { type: ts, required: true, ifMissing: 'message_not_found' },
    },
    response: '{ channel, permalink }',
    variations: ['a thread reply links with ?thread_ts=…&cid=…'],
    errors: ['channel_not_found', 'message_not_found'],
    source: ref('chat.getPermalink'),
  },
  {
    method: 'conversations.open',
    description: "Opens (or finds) the bot's DM with a user.",
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['im:write', 'mpim:write', 'channels:manage', 'groups:write'],
    args: {
      users: { type: str, note: 'comma-separated user IDs; one user: a 1:1 DM' },
      channel: { type: str, note: 'resume an im or mpim by ID, instead of users' },
      return_im: { type: bool },
      prevent_creation: { type: bool },
    },
    oneOf: [{ args: ['users', 'channel'], error: 'users_list_not_supplied' }],
    response: '{ channel: { id, … }, no_op?, already_open? }',
    variations: ['channel holds only id unless return_im is true', 'no_op and already_open when it existed'],
    errors: ['channel_not_found', 'invalid_user_combination', 'method_not_supported_for_channel_type', 'not_enough_users', 'too_many_users', 'user_disabled', 'user_not_found', 'user_not_visible', 'users_list_not_supplied'],
    source: ref('conversations.open'),
  },
  {
    method: 'conversations.info',
    description: 'What a conversation is: whether it exists and the bot is in it (a delivery to a channel is checked with it before it is scheduled).',
    http: 'GET',
    contentTypes: ['application/x-www-form-urlencoded'],
    botScopes: ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
    args: { channel: { type: str, required: true, ...CHANNEL_MISSING }, include_locale: { type: bool }, include_num_members: { type: bool } },
    response: '{ channel: Conversation }',
    errors: ['channel_is_limited_access', 'channel_not_found'],
    source: ref('conversations.info'),
  },
  {
    method: 'conversations.members',
    description: 'Who is in a conversation, paged by cursor (a delivery to a private channel is saved only by someone in it).',
    http: 'GET',
    contentTypes: ['application/x-www-form-urlencoded'],
    botScopes: ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
    args: {
      channel: { type: conversationId, required: true, ...CHANNEL_MISSING, ifInvalid: 'channel_not_found', note: '"ID of the conversation to retrieve members for"' },
      cursor: { type: str, ifInvalid: 'invalid_cursor', note: "a previous answer's response_metadata.next_cursor; none: the first page" },
      limit: { type: { kind: 'integer', min: 1 }, ifInvalid: 'invalid_limit', note: 'default 100; "Fewer than the requested number of items may be returned, even if the end of the users list hasn\'t been reached"' },
    },
    response: '{ members: string[] (user IDs), response_metadata: { next_cursor } }',
    variations: [
      'fewer members than limit even when more exist: follow response_metadata.next_cursor until it is empty',
      'a private channel the bot is not in: channel_not_found',
    ],
    errors: ['channel_not_found', 'fetch_members_failed', 'invalid_cursor', 'invalid_limit', 'method_not_supported_for_channel_type'],
    source: `${ref('conversations.members')} (read at slack_kit commit 1c50d9ff)`,
    witness: 'node-slack-sdk ConversationsMembersArguments (channel, cursor, limit) and ConversationsMembersResponse (members, response_metadata)',
  },
  {
    method: 'conversations.history',
    description: 'Messages of a conversation, newest first, paged by cursor.',
    http: 'GET',
    contentTypes: FORM_AND_JSON,
    botScopes: ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
    args: {
      channel: { type: conversationId, required: true, ...CHANNEL_MISSING, ifInvalid: 'channel_not_found', note: '"Conversation ID to fetch history for"' },
      oldest: { type: ts, ifInvalid: 'invalid_ts_oldest' },
      latest: { type: ts, ifInvalid: 'invalid_ts_latest' },
      inclusive: { type: bool },
      limit: { type: { kind: 'integer', min: 1, max: 999 }, note: 'default 100, "Maximum of 999"' },
      cursor: { type: str },
      include_all_metadata: { type: bool },
    },
    response: '{ messages, has_more, pin_count, channel_actions_ts, channel_actions_count, response_metadata: { next_cursor } }',
    variations: [
      'fewer messages than limit even when more exist: follow response_metadata.next_cursor',
      'thread replies are not listed (only parents, with reply_count and latest_reply)',
      'metadata only with include_all_metadata',
      'not_in_channel / missing_scope when the bot cannot read the conversation',
    ],
    errors: ['channel_is_limited_access', 'channel_not_found', 'invalid_cursor', 'invalid_metadata_filter_keys', 'invalid_ts_latest', 'invalid_ts_oldest', 'not_in_channel'],
    source: ref('conversations.history'),
  },
  {
    method: 'conversations.replies',
    description: 'A thread: its parent, then the replies, oldest first.',
    http: 'GET',
    contentTypes: FORM_AND_JSON,
    botScopes: ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
    args: {
      channel: { type: conversationId, required: true, ...CHANNEL_MISSING, ifInvalid: 'channel_not_found' },
      ts: { type: ts, required: true, ifMissing: 'thread_not_found', note: "the parent's ts or any reply's" },
      oldest: { type: ts, ifInvalid: 'invalid_ts_oldest' },
      latest: { type: ts, ifInvalid: 'invalid_ts_latest' },
      inclusive: { type: bool },
      limit: { type: { kind: 'integer', min: 1, max: 1000 }, note: 'default 1000' },
      cursor: { type: str },
      include_all_metadata: { type: bool },
    },
    response: '{ messages, has_more, response_metadata: { next_cursor } }',
    variations: [
      'the parent is listed first on every page', 'paged by cursor',
      'has_more is optional (slack-api-specs slack_web_openapi_v2.json requires only ok and messages): a non-empty response_metadata.next_cursor says there is more',
    ],
    errors: ['channel_not_found', 'invalid_cursor', 'invalid_metadata_filter_keys', 'invalid_ts_latest', 'invalid_ts_oldest', 'method_not_supported_for_channel_type', 'thread_not_found'],
    source: ref('conversations.replies'),
  },
  {
    method: 'usergroups.users.list',
    description: 'Members of a user group (who is BizOps, who is a Looker admin).',
    http: 'GET',
    contentTypes: ['application/x-www-form-urlencoded'],
    botScopes: ['usergroups:read'],
    args: { usergroup: { type: { kind: 'string', pattern: /^S[A-Z0-9]{2,}$/ }, required: true, ifMissing: 'no_such_subteam', ifInvalid: 'no_such_subteam' }, include_disabled: { type: bool }, team_id: { type: str } },
    response: '{ users: string[] }',
    variations: ['a disabled group answers no users unless include_disabled'],
    errors: ['invalid_cursor', 'no_such_subteam', 'plan_upgrade_required'],
    source: ref('usergroups.users.list'),
  },
  {
    method: 'users.info',
    description: "A user's profile (email, names, deleted, is_bot).",
    http: 'GET',
    contentTypes: ['application/x-www-form-urlencoded'],
    botScopes: ['users:read'],
    args: { user: { type: userId, required: true, ifMissing: 'user_not_found', ifInvalid: 'user_not_found' }, include_locale: { type: bool } },
    response: '{ user: User }',
    variations: [
      'profile.email only with the users:read.email scope',
      'deleted: true for deactivated users',
      'first_name / last_name may be empty; real_name may be absent for bots',
    ],
    errors: ['too_many_users', 'user_not_found', 'user_not_visible'],
    source: ref('users.info'),
  },
  {
    method: 'views.open',
    description: 'Opens a modal for the user whose trigger_id it is (within 3 seconds, once).',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: [],
    args: {
      view: { type: { kind: 'view' }, required: true },
      trigger_id: { type: str },
      interactivity_pointer: { type: str },
    },
    oneOf: [{ args: ['trigger_id', 'interactivity_pointer'], error: 'invalid_arguments' }],
    response: '{ view: View (id, hash, state, …) }',
    variations: ['Block Kit errors: invalid_arguments with response_metadata.messages'],
    errors: ['duplicate_external_id', 'exchanged_trigger_id', 'expired_trigger_id', 'invalid_trigger_id', 'view_too_large'],
    source: ref('views.open'),
  },
  {
    method: 'views.push',
    description: 'Pushes a modal on the stack (at most 3).',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: [],
    args: { view: { type: { kind: 'view' }, required: true }, trigger_id: { type: str }, interactivity_pointer: { type: str } },
    oneOf: [{ args: ['trigger_id', 'interactivity_pointer'], error: 'invalid_arguments' }],
    response: '{ view }',
    errors: ['duplicate_external_id', 'exchanged_trigger_id', 'expired_trigger_id', 'invalid_trigger_id', 'not_found', 'push_limit_reached', 'view_too_large'],
    source: ref('views.push'),
  },
  {
    method: 'views.update',
    description: 'Replaces an open view, by view_id or external_id.',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: [],
    args: {
      view: { type: { kind: 'view' }, required: true },
      view_id: { type: str },
      external_id: { type: { kind: 'string', maxLength: 255 } },
      hash: { type: str, note: 'hash_conflict when the view changed since' },
    },
    oneOf: [{ args: ['view_id', 'external_id'], error: 'invalid_arguments' }],
    response: '{ view }',
    variations: ['what the user typed in inputs that stay is kept'],
    errors: ['duplicate_external_id', 'hash_conflict', 'not_found', 'view_too_large'],
    source: ref('views.update'),
  },
  {
    method: 'views.publish',
    description: "Publishes a user's App Home tab.",
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: [],
    args: { user_id: { type: userId, required: true }, view: { type: { kind: 'view' }, required: true }, hash: { type: str } },
    response: '{ view }',
    variations: ['view.type must be home', 'a user_id Slack does not know: invalid_arguments, response_metadata.messages ["invalid `user_id`"] (the reference\'s error example)'],
    errors: ['duplicate_external_id', 'hash_conflict', 'missing_profile_id', 'not_enabled', 'not_implemented', 'view_too_large'],
    source: ref('views.publish'),
  },
  {
    method: 'files.getUploadURLExternal',
    description: 'Step 1 of an upload: an upload URL and a file ID (step 2 POSTs the bytes there, raw or multipart; step 3 is files.completeUploadExternal).',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['files:write'],
    args: {
      filename: { type: str, required: true },
      length: { type: { kind: 'integer', min: 1 }, required: true, ifMissing: 'missing_argument', ifInvalid: 'missing_argument', note: 'size in bytes; 0 answers missing_argument' },
      alt_txt: { type: { kind: 'string', maxLength: 1000 }, ifInvalid: 'alt_txt_too_large', note: 'description of an image for screen readers: alt_txt, not alt_text' },
      snippet_type: { type: str },
    },
    response: '{ upload_url, file_id }',
    variations: ['the upload URL answers HTTP 200 when the bytes arrived, anything else is a failure'],
    errors: [
      'alt_txt_too_large', 'file_type_not_allowed', 'file_upload_size_restricted', 'file_uploads_disabled', 'file_uploads_except_images_disabled', 'missing_argument',
      'snippet_too_large', 'storage_limit_reached', 'unknown_snippet_type', 'unknown_subtype',
    ],
    source: `${ref('files.getUploadURLExternal')}; alt_txt_too_large: "longer than the limit of 1000 character"`,
    witness:
      'python-slack-sdk files_getUploadURLExternal sends alt_txt (as the reference). node-slack-sdk FilesGetUploadURLExternalArguments names it alt_text, ' +
      'and WebClient.filesUploadV2 (fetchAllUploadURLExternal) sends alt_text, which Slack ignores: the SDK is wrong here.',
  },
  {
    method: 'files.completeUploadExternal',
    description: 'Step 3 of an upload: finishes it and shares the file where asked, with a message.',
    http: 'POST',
    contentTypes: FORM_AND_JSON,
    botScopes: ['files:write'],
    args: {
      files: { type: { kind: 'files' }, required: true, note: '[{ id, title? }]' },
      channel_id: {
        type: { kind: 'string', pattern: /^[CGDZ][A-Z0-9]{8,}$/ },
        ifInvalid: 'invalid_arguments',
        note:
          '"Channel ID where the file will be shared"; without it the file stays private. A user ID is refused: for a DM, the D… ID from conversations.open ' +
          '(Slack answers invalid_arguments, "input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ [json-pointer:/channel_id]": slackapi/bolt-js#2115, 2024-05-15)',
      },
      channels: { type: str, note: 'comma-separated channel or user IDs' },
      thread_ts: { type: ts },
      initial_comment: { type: str },
      blocks: { type: { kind: 'blocks' }, note: 'ignored when initial_comment is given' },
    },
    response: '{ files: File[] }',
    variations: ['blocks are ignored when initial_comment is given', 'files[].shares may be empty while the share is processed'],
    errors: [
      'channel_not_found', 'channels_limit_exceeded', 'file_not_found', 'file_type_not_allowed', 'file_update_failed', 'file_uploads_except_images_disabled',
      'invalid_blocks', 'invalid_channel', 'not_in_channel', 'posting_to_channel_denied',
    ],
    source: `${ref('files.completeUploadExternal')}; channel_id's pattern and answer: Slack's error as quoted in slackapi/bolt-js#2115 (2024-05-15; [CGD] in node-slack-sdk#1653, 2023-08-29)`,
    witness:
      'node-slack-sdk FilesCompleteUploadExternalArguments (files, channel_id, thread_ts, initial_comment, blocks); ' +
      "its maintainers on bolt-js#2115 and java-slack-sdk#1309: pass the DM's D… ID (conversations.open), not the user ID",
  },
];

export const slackWebApiFacts: SlackWebApiFacts = {
  vendor: 'Slack Web API',
  sources: [
    { what: 'Slack Web API method reference, docs.slack.dev/reference/methods/<method>', version: 'pages as stored 2026 (the reference carries no version)', read: '2026-11-30' },
    { what: 'smstoslack/slack_kit priv/docs/methods/*.json and priv/docs/common_errors.json @a1294c4e0b787afe6063af69706f2c0718dec84e: a copy of that reference', version: '"Update Slack API docs to 2026-05-25"', read: '2026-11-30' },
    { what: 'slackapi/slack-api-specs web-api/slack_web_openapi_v2.json @bc08db49625630e3585bf2f1322128ea04f2a7f3', version: 'OpenAPI 2, info.version 1.7.0 (2020-10-06)', read: '2026-11-30' },
    { what: 'slackapi/node-slack-sdk packages/web-api/src/types/request/*.ts and src/WebClient.ts @4322e14f116ac7551073767c533b9aca77fd9552', version: '2026-08-21', read: '2026-11-30' },
    { what: 'slackapi/python-slack-sdk slack_sdk/web/client.py @ae87985e2c3811ead978f31ea5a1e4a7ca5c3515', version: 'slack_sdk 3.43.0 (2026-08-05)', read: '2026-11-30' },
  ],
  auth: 'Authorization: Bearer <bot token, xoxb-…> (or a `token` argument); not_authed without one, invalid_auth for a bad one',
  errorShape:
    'HTTP 200 { ok: false, error: code, warning?, response_metadata?: { messages?: string[], warnings?: string[] } }; Block Kit errors add errors: string[]; ' +
    'HTTP 429 with Retry-After (seconds) when rate limited',
  anyMethodArgs: {
    token: 'the token as an argument, where no Authorization header is sent (the reference: "or alternatively, as a POST parameter")',
    team_id:
      "added to every call by the client Bolt hands a listener (WebClient's teamId option, App.js: \"Add teamId to clientOptions so it can be automatically " +
      'added to web-api calls"), for org-wide installs; methods that do not take it ignore it',
  },
  commonErrors: [
    'access_denied', 'accesslimited', 'account_inactive', 'deprecated_endpoint', 'ekm_access_denied', 'enterprise_is_restricted', 'fatal_error', 'internal_error',
    'invalid_arg_name', 'invalid_arguments', 'invalid_array_arg', 'invalid_auth', 'invalid_charset', 'invalid_form_data', 'invalid_post_type', 'method_deprecated',
    'missing_post_type', 'missing_scope', 'no_permission', 'not_allowed_token_type', 'not_authed', 'org_login_required', 'ratelimited', 'request_timeout',
    'service_unavailable', 'team_access_not_granted', 'team_added_to_org', 'token_expired', 'token_revoked', 'two_factor_setup_required',
  ],
  methods,
};

/** The facts of one method, or undefined when the facts do not describe it. */
export function methodFact(method: string): SlackMethodFact | undefined {
  return methods.find((m) => m.method === method);
}
