/**
 * Block Kit for `/pipeline request`: the modal and its "already syncs" step,
 * the card BizOps triage in the channel, the decline modal, the requester's
 * DMs and the short notices. Pure functions of data.
 */
import type { ActionsBlock, Button, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds, Commands, isUserId } from '../src/ids.js';
import { SOURCE_SYSTEMS, SOURCE_SYSTEM_LABEL, type SourceSystem, type SyncedSource } from '../src/services/pipeline-request-sources.js';
import {
  FREQUENCIES,
  FREQUENCY_LABEL,
  PIPELINE_REQUEST_LIMITS,
  requestRef,
  type PipelineRequest,
  type PipelineRequestDraft,
  type PipelineRequestStatus,
} from '../src/services/pipeline-request.js';
import { escapeMrkdwn, joinWithin, slackDate, truncate, escapeAndTruncate, truncateMrkdwn, userText, SLACK_LIMITS, type MessageBody } from './common.js';
import { withoutControls } from '../src/blockkit/mrkdwn.js';
import { localeNumber } from '../src/format.js';

/**
 * What was typed into a field of at most `max` characters (as stored), as mrkdwn: cut to `max` as typed, then
 * escaped, so an `&`, `<` or `>` costs nothing of the limit. Escaping can still grow it (`&` is five
 * characters): past `room`, it is cut again, never inside an entity, so the block stays within Slack's limit.
 */
function typedText(text: string, max: number, room: number): string {
  return truncateMrkdwn(escapeMrkdwn(truncate(withoutControls(text), max)), room);
}

/** Room in a section for what was typed, beside the bot's own words around it (at most this many characters). */
const TYPED_ROOM = SLACK_LIMITS.sectionText - 400;

const plain = (text: string) => ({ type: 'plain_text' as const, text });
const option = (text: string, value: string): PlainTextOption => ({ text: plain(text), value });

const STATUS_LABEL: Record<PipelineRequestStatus, string> = {
  open: ':hourglass_flowing_sand: Waiting for BizOps',
  accepted: ':white_check_mark: Accepted, being built',
  declined: ':no_entry: Declined',
  live: ':rocket: Live',
};

/** Short status words for lists (App Home). */
export const PIPELINE_STATUS_WORDS: Record<PipelineRequestStatus, string> = {
  open: 'waiting for BizOps',
  accepted: 'accepted, being built',
  declined: 'declined',
  live: 'live',
};

/** "HubSpot → `marketing`": what a request is, in a line. */
export function pipelineRequestTitle(r: Pick<PipelineRequest, 'source' | 'destination'>): string {
  return `${SOURCE_SYSTEM_LABEL[r.source]} → \`${escapeMrkdwn(r.destination)}\``;
}

/** A text answer to refill a field with: a string Slack takes as its initial value (at most `max`), or nothing. */
function refill(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.trim() !== '' && v.length <= max ? v : undefined;
}


/**
 * The first step: what the requester wants. `initial` refills it (e.g. after a
 * Back); it may come from a tampered private_metadata, so only values Slack
 * accepts are drawn (a string within the field's length, a user ID, an option).
 */
export function pipelineRequestModal(input: { requester: string; initial?: Partial<Record<keyof PipelineRequestDraft, unknown>>; fromHome?: boolean }): ModalView {
  const given = input.initial ?? {};
  const initial = {
    source: given.source,
    frequency: given.frequency,
    objects: refill(given.objects, PIPELINE_REQUEST_LIMITS.objects),
    destination: refill(given.destination, PIPELINE_REQUEST_LIMITS.destination),
    why: refill(given.why, PIPELINE_REQUEST_LIMITS.why),
    owner: isUserId(given.owner) ? given.owner : undefined,
  };
  const sourceOptions = SOURCE_SYSTEMS.map((s) => option(SOURCE_SYSTEM_LABEL[s], s));
  const frequencyOptions = FREQUENCIES.map((f) => option(FREQUENCY_LABEL[f], f));
  const initialSource = sourceOptions.find((o) => o.value === initial.source);
  const initialFrequency = frequencyOptions.find((o) => o.value === (initial.frequency ?? 'daily'));
  return {
    type: 'modal',
    callback_id: CallbackIds.pipelineRequest,
    // Opened from the Home tab: once the request is sent, the tab is drawn again to list it.
    ...(input.fromHome ? { private_metadata: JSON.stringify({ from: 'home' }) } : {}),
    title: plain('Request a pipeline'),
    submit: plain('Send to BizOps'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'Ask BizOps for a new data pipeline into BigQuery (Fivetran, scheduled query or sheet). They triage requests in the analytics channel, and I tell you in a DM how it goes.' },
      },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestSource,
        label: plain('Source system'),
        element: {
          type: 'static_select',
          action_id: ActionIds.pipelineRequestSource,
          placeholder: plain('Where the data lives'),
          options: sourceOptions,
          ...(initialSource ? { initial_option: initialSource } : {}),
        },
      },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestObjects,
        label: plain('Objects or tables wanted'),
        hint: plain('e.g. deals, companies, deal_pipeline_stages; or the Postgres tables'),
        element: {
          type: 'plain_text_input',
          action_id: ActionIds.pipelineRequestObjects,
          multiline: true,
          max_length: PIPELINE_REQUEST_LIMITS.objects,
          ...(initial.objects ? { initial_value: initial.objects } : {}),
        },
      },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestDestination,
        label: plain('Destination dataset'),
        hint: plain('The BigQuery dataset it should land in: letters, digits, underscores'),
        element: {
          type: 'plain_text_input',
          action_id: ActionIds.pipelineRequestDestination,
          max_length: PIPELINE_REQUEST_LIMITS.destination,
          placeholder: plain('hubspot'),
          ...(initial.destination ? { initial_value: initial.destination } : {}),
        },
      },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestFrequency,
        label: plain('Sync frequency'),
        element: {
          type: 'static_select',
          action_id: ActionIds.pipelineRequestFrequency,
          options: frequencyOptions,
          ...(initialFrequency ? { initial_option: initialFrequency } : {}),
        },
      },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestOwner,
        label: plain('Business owner'),
        hint: plain('Who owns this data and can answer questions about it'),
        element: {
          type: 'users_select',
          action_id: ActionIds.pipelineRequestOwner,
          initial_user: initial.owner ?? input.requester,
        },
      },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestWhy,
        label: plain('Why'),
        hint: plain('What decision or report needs it, and by when'),
        element: {
          type: 'plain_text_input',
          action_id: ActionIds.pipelineRequestWhy,
          multiline: true,
          max_length: PIPELINE_REQUEST_LIMITS.why,
          ...(initial.why ? { initial_value: initial.why } : {}),
        },
      },
    ],
  };
}

/** "HubSpot already syncs daily into `hubspot` (contact, company, deal)." */
export function existingSyncText(s: SyncedSource): string {
  const tables = s.tables.length ? ` (${s.tables.slice(0, 8).map((t) => `\`${escapeMrkdwn(t)}\``).join(', ')}${s.tables.length > 8 ? ', …' : ''})` : '';
  // "daily, in the afternoon PST" needs its closing comma before "into".
  const schedule = escapeMrkdwn(s.schedule) + (s.schedule.includes(',') ? ',' : '');
  return `*${escapeMrkdwn(s.name)}* already syncs ${schedule} into \`${escapeMrkdwn(s.dataset)}\`${tables}.`;
}

/** Most existing syncs the second step names, one line each. */
const MAX_SYNCS_NAMED = 10;

/** "Some of this may already be in BigQuery:" and what syncs, within Slack's 3,000 characters a section, the rest counted. */
function existingSyncsText(source: SourceSystem, syncs: readonly SyncedSource[]): string {
  const head = ':information_source: Some of this may already be in BigQuery:\n';
  const more = (left: number) => `\n…and ${localeNumber(left)} more from ${SOURCE_SYSTEM_LABEL[source]} in the sources file: BizOps can tell you which has what you need.`;
  // A source's name, dataset and tables may be long, and sources.yml may have dozens from one system: the lines that fit whole.
  return head + joinWithin(syncs.map((s) => `• ${existingSyncText(s)}`), '\n', SLACK_LIMITS.sectionText - head.length, more, MAX_SYNCS_NAMED);
}

/**
 * The second step, shown when the data already syncs: what exists, and a
 * Continue that sends the request anyway. The draft rides in private_metadata.
 */
export function pipelineRequestConfirmModal(draft: PipelineRequestDraft, syncs: SyncedSource[], privateMetadata: string): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackIds.pipelineRequestConfirm,
    title: plain('Request a pipeline'),
    submit: plain('Continue'),
    close: plain('Cancel'),
    private_metadata: privateMetadata,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: existingSyncsText(draft.source, syncs) } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncateMrkdwn(`You asked for *${SOURCE_SYSTEM_LABEL[draft.source]}*: ${userText(draft.objects, 300)}, into \`${escapeMrkdwn(draft.destination)}\`, ${FREQUENCY_LABEL[draft.frequency].toLowerCase()}.`, 3000),
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'If the existing data covers it, cancel and query it directly. If you need more (other objects, fresher data), *Continue* and BizOps will look.' }] },
    ],
  };
}

function decisionLines(r: PipelineRequest): string[] {
  const lines: string[] = [];
  if (r.acceptedBy && r.acceptedAt) lines.push(`Accepted by <@${r.acceptedBy}> ${slackDate(new Date(r.acceptedAt))}`);
  if (r.declinedBy && r.declinedAt) lines.push(`Declined by <@${r.declinedBy}> ${slackDate(new Date(r.declinedAt))}: ${escapeAndTruncate(r.declineReason ?? '', 500)}`);
  if (r.liveBy && r.liveAt) lines.push(`Marked live by <@${r.liveBy}> ${slackDate(new Date(r.liveAt))}`);
  return lines;
}

function decisionButtons(r: PipelineRequest): ActionsBlock | null {
  const accept: Button = { type: 'button', action_id: ActionIds.pipelineRequestAccept, text: plain('Accept'), style: 'primary', value: r.id };
  const decline: Button = { type: 'button', action_id: ActionIds.pipelineRequestDecline, text: plain('Decline…'), style: 'danger', value: r.id };
  const live: Button = { type: 'button', action_id: ActionIds.pipelineRequestLive, text: plain('Mark live'), value: r.id };
  const elements = r.status === 'open' ? [accept, decline, live] : r.status === 'accepted' ? [live, decline] : [];
  return elements.length ? { type: 'actions', block_id: BlockIds.pipelineRequestActions, elements } : null;
}

/** The card in the analytics channel; edited in place at each decision. */
export function pipelineRequestCard(r: PipelineRequest): MessageBody {
  const title = `${requestRef(r.id)}: ${SOURCE_SYSTEM_LABEL[r.source]} → ${r.destination}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(truncate(`Pipeline request ${title}`, 150)) },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n<@${r.requester}>` },
        { type: 'mrkdwn', text: `*Business owner*\n<@${r.owner}>` },
        { type: 'mrkdwn', text: `*Source*\n${SOURCE_SYSTEM_LABEL[r.source]}` },
        { type: 'mrkdwn', text: `*Destination dataset*\n\`${escapeMrkdwn(r.destination)}\`` },
        { type: 'mrkdwn', text: `*Sync frequency*\n${FREQUENCY_LABEL[r.frequency]}` },
        { type: 'mrkdwn', text: `*Status*\n${STATUS_LABEL[r.status]}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Objects or tables*\n${typedText(r.objects, PIPELINE_REQUEST_LIMITS.objects, TYPED_ROOM)}` } },
    { type: 'section', text: { type: 'mrkdwn', text: `*Why*\n${typedText(r.why, PIPELINE_REQUEST_LIMITS.why, TYPED_ROOM)}` } },
  ];
  if (r.alreadySyncing.length) {
    const head = `:information_source: Already syncing from ${SOURCE_SYSTEM_LABEL[r.source]}: `;
    const tail = '; the requester went on anyway.';
    // Every source of the system (sources.yml may have dozens): those that fit in Slack's 3,000 characters, then how many more.
    const ids = joinWithin(r.alreadySyncing.map((s) => `\`${escapeMrkdwn(s)}\``), ', ', SLACK_LIMITS.textObject - head.length - tail.length, (left) => ` and ${localeNumber(left)} more in the sources file`);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${head}${ids}${tail}` }] });
  }
  const lines = [`Requested ${slackDate(new Date(r.createdAt))}`, ...decisionLines(r)];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(lines.join(' · '), 3000) }] });
  const buttons = decisionButtons(r);
  if (buttons) blocks.push(buttons);
  return { text: `Pipeline request ${title} from <@${r.requester}>: ${STATUS_LABEL[r.status]}`, blocks };
}

/** BizOps' decline modal: a reason is required. */
export function pipelineRequestDeclineModal(r: PipelineRequest): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackIds.pipelineRequestDecline,
    title: plain('Decline request'),
    submit: plain('Decline'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({ id: r.id }),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Decline *${requestRef(r.id)}*, ${pipelineRequestTitle(r)}, from <@${r.requester}>. They will get your reason in a DM.` } },
      {
        type: 'input',
        block_id: BlockIds.pipelineRequestDeclineReason,
        label: plain('Reason'),
        element: {
          type: 'plain_text_input',
          action_id: ActionIds.pipelineRequestDeclineReason,
          multiline: true,
          max_length: PIPELINE_REQUEST_LIMITS.declineReason,
          placeholder: plain('e.g. The existing hubspot dataset has deals; use hubspot.deal'),
        },
      },
    ],
  };
}

function plainMessage(text: string): MessageBody {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** DM to the requester once the card is posted (or could not be). */
export function pipelineRequestReceivedDm(r: PipelineRequest, where: { channel: string; permalink?: string } | null): MessageBody {
  // A channel mention cannot sit inside a link's label (Slack shows it raw): the link gets its own words.
  const place = where ? `in <#${where.channel}>${where.permalink ? ` (<${where.permalink}|see the card>)` : ''}` : null;
  return plainMessage(
    place
      ? `:inbox_tray: Your pipeline request *${requestRef(r.id)}* (${pipelineRequestTitle(r)}) is ${place}. BizOps will accept or decline it; I'll tell you here.`
      : `:warning: Your pipeline request *${requestRef(r.id)}* (${pipelineRequestTitle(r)}) is saved, but I could not post it in the analytics channel yet. I will keep trying; BizOps can see it in their App Home meanwhile, and you may also mention it in the channel.`,
  );
}

/** The same request is still open: on the form (plain text), in the modal that replaces the last step, or by DM. */
export function pipelineRequestSameText(same: PipelineRequest): string {
  return `You already asked for this: ${requestRef(same.id)}, ${PIPELINE_STATUS_WORDS[same.status]}. Nothing new was sent; change what you ask for, or close this form.`;
}

/** The "already syncs" step, when the same request is still open: there is no field to say it on. */
export function pipelineRequestSameModal(same: PipelineRequest): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackIds.pipelineRequestConfirm,
    title: plain('Request a pipeline'),
    close: plain('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:information_source: You already asked for this: *${requestRef(same.id)}* (${pipelineRequestTitle(same)}), ${PIPELINE_STATUS_WORDS[same.status]}. Nothing new was sent to BizOps.` } }],
  };
}

/** By DM, when the form had closed before the same request was found. */
export function pipelineRequestSameDm(same: PipelineRequest): MessageBody {
  return plainMessage(`:information_source: You already asked for this: *${requestRef(same.id)}* (${pipelineRequestTitle(same)}), ${PIPELINE_STATUS_WORDS[same.status]}. Nothing new was sent to BizOps.`);
}

/** DM to the requester after a decision. */
export function pipelineRequestDecisionDm(r: PipelineRequest): MessageBody {
  const what = `*${requestRef(r.id)}* (${pipelineRequestTitle(r)})`;
  switch (r.status) {
    case 'accepted': return plainMessage(`:white_check_mark: <@${r.acceptedBy}> accepted your pipeline request ${what}. I'll tell you when it is live.`);
    case 'declined': {
      // Each line of the reason quoted; the quote marks count against the room too.
      const reason = truncateMrkdwn(typedText(r.declineReason ?? '', PIPELINE_REQUEST_LIMITS.declineReason, TYPED_ROOM).replace(/\n/g, '\n>'), TYPED_ROOM);
      return plainMessage(`:no_entry: <@${r.declinedBy}> declined your pipeline request ${what}.\n>${reason}`);
    }
    case 'live': return plainMessage(`:rocket: Your pipeline request ${what} is live: data lands in \`${escapeMrkdwn(r.destination)}\` (marked by <@${r.liveBy}>).`);
    case 'open': return plainMessage(`Your pipeline request ${what} is waiting for BizOps.`);
  }
}

/** Someone outside BizOps clicked a decision button (or forged the click). */
export function pipelineRequestNotAllowedMessage(groupConfigured: boolean): MessageBody {
  return plainMessage(
    groupConfigured
      ? ':lock: Only BizOps can accept, decline or mark pipeline requests live. Nothing was changed.'
      : ':lock: No BizOps group is configured (`BIZOPS_USERGROUP`), so nobody can decide pipeline requests yet. Nothing was changed.',
  );
}

/** Slack could not tell us who is in BizOps. */
export function pipelineRequestRoleUnknownMessage(): MessageBody {
  return plainMessage(':warning: I could not check the BizOps group with Slack, so nothing was changed. Please try again in a minute.');
}

/** The request was decided before this click. */
export function pipelineRequestAlreadyDecidedMessage(r: PipelineRequest): MessageBody {
  const lines = decisionLines(r);
  return plainMessage(`:information_source: *${requestRef(r.id)}* is already ${PIPELINE_STATUS_WORDS[r.status]}${lines.length ? ` (${lines.at(-1)})` : ''}. Nothing was changed.`);
}

/** A decision the service refused as malformed (e.g. a decline without a reason). */
export function pipelineRequestInvalidDecisionMessage(why: string): MessageBody {
  return plainMessage(`:warning: ${escapeMrkdwn(why)} Nothing was changed.`);
}

/** A click on a request that does not exist (deleted, or a forged ID). */
export function pipelineRequestNotFoundMessage(): MessageBody {
  return plainMessage(':grey_question: I have no record of that pipeline request. Nothing was changed.');
}

/** `/pipeline request` cannot work without the channel to post to. */
export function pipelineRequestNotConfiguredMessage(): MessageBody {
  return plainMessage(`:warning: Pipeline requests are not set up here: the bot has no analytics channel (\`ANALYTICS_CHANNEL\`). Ask the data team, or post your request in #analytics.`);
}

/** The request was saved but something after it failed. */
export function pipelineRequestFailedDm(what: string): MessageBody {
  return plainMessage(`:warning: ${what} Please try again in a minute; run \`${Commands.pipeline} request\`.`);
}
