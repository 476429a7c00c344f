/**
 * What the bot sends Slack outside the Web API: posts to a `response_url`
 * (Bolt's `respond()`), and the bodies of its acks (Bolt's `ack(…)`) to slash
 * commands and view submissions. Same form as the Web API facts (form.ts);
 * checked by check.ts.
 *
 * Sources, read 2026-11-30:
 * - docs.slack.dev/interactivity/handling-user-interaction ("Message
 *   responses": a response_url takes a message payload plus response_type,
 *   replace_original, delete_original; up to 5 times within 30 minutes),
 *   docs.slack.dev/messaging/modifying-messages, and
 *   docs.slack.dev/interactivity/implementing-slash-commands (an immediate
 *   response is a message payload in the HTTP 200 body; ephemeral unless
 *   response_type is in_channel).
 * - docs.slack.dev/surfaces/modals ("Responding to view_submission": an empty
 *   200 closes the modal; response_action errors | update | push | clear; errors
 *   is an object keyed by the block_id of input blocks).
 * - Second witness: slackapi/bolt-js src/types/utilities.ts RespondArguments
 *   (ChatPostMessageArguments without channel, plus response_type,
 *   replace_original, delete_original), and src/types/view ViewResponseAction.
 */
import type { SlackArgFact, SlackArgType } from './form.js';

const str: SlackArgType = { kind: 'string' };
const bool: SlackArgType = { kind: 'boolean' };

/** A message payload as response_url posts and command acks take it. */
const MESSAGE_FIELDS: Record<string, SlackArgFact> = {
  text: { type: str },
  blocks: { type: { kind: 'blocks' } },
  attachments: { type: { kind: 'json' } },
  thread_ts: { type: { kind: 'ts' } },
  mrkdwn: { type: bool },
  response_type: { type: { kind: 'string', enum: ['ephemeral', 'in_channel'] }, note: 'ephemeral unless in_channel' },
  unfurl_links: { type: bool },
  unfurl_media: { type: bool },
  parse: { type: { kind: 'string', enum: ['none', 'full'] } },
  link_names: { type: bool },
};

export interface SlackPayloadFact {
  name: string;
  fields: Readonly<Record<string, SlackArgFact>>;
  variations: readonly string[];
  source: string;
}

export const responseUrlFacts: SlackPayloadFact = {
  name: 'response_url post',
  fields: {
    ...MESSAGE_FIELDS,
    replace_original: { type: bool, note: 'replaces the message the action came from; a command\'s response_url has none (its posts are new messages)' },
    delete_original: { type: bool },
    metadata: { type: { kind: 'metadata' } },
    reply_broadcast: { type: bool },
  },
  variations: [
    'usable 5 times within 30 minutes: then used_url / expired_url',
    'replace_original on an action from an ephemeral message replaces that ephemeral message',
    'an error answers a non-200 status with a short text or JSON body',
  ],
  source: 'docs.slack.dev/interactivity/handling-user-interaction#message_responses; bolt-js RespondArguments',
};

export const commandAckFacts: SlackPayloadFact = {
  name: 'slash command ack body',
  fields: MESSAGE_FIELDS,
  variations: ['an empty body shows nothing', 'a plain-text body is shown as the text of an ephemeral reply'],
  source: 'docs.slack.dev/interactivity/implementing-slash-commands (responding immediately)',
};

export const viewSubmissionAckFacts: SlackPayloadFact = {
  name: 'view_submission ack body',
  fields: {
    response_action: { type: { kind: 'string', enum: ['errors', 'update', 'push', 'clear'] } },
    errors: { type: { kind: 'json' }, note: 'with errors: { [block_id of an input block]: message }' },
    view: { type: { kind: 'view' }, note: 'with update and push' },
  },
  variations: ['an empty body closes the modal', 'push: at most 3 modals in the stack'],
  source: 'docs.slack.dev/surfaces/modals#responding_to_view_submission; bolt-js ViewResponseAction',
};
