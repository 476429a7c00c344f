/**
 * `/pipeline request` (a subcommand: commands/pipeline.ts routes and acks),
 * its modal submissions, and BizOps' Accept / Decline / Mark live buttons.
 *
 * Every decision is checked against BizOps membership on the server; the
 * service takes it atomically with its audit entry and the notices it
 * implies (the card edited in place, the requester's DM), which the job
 * runner delivers.
 */
import { trimText } from '../src/format.js';
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, ViewOutput, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { settleBy } from '../src/settle-by.js';
import { loggedOpenedAlready } from '../src/slack/errors.js';
import { formInput } from '../src/slack/form-state.js';
import {
  declineReasonProblem,
  isRequestId,
  validateDraft,
  type Decision,
  type DraftField,
  type PipelineRequest,
  type PipelineRequestDraft,
  type PipelineRequestService,
} from '../src/services/pipeline-request.js';
import { failureMessage, type MessageBody } from '../views/common.js';
import {
  pipelineRequestAlreadyDecidedMessage,
  pipelineRequestConfirmModal,
  pipelineRequestDeclineModal,
  pipelineRequestFailedDm,
  pipelineRequestSameDm,
  pipelineRequestSameModal,
  pipelineRequestSameText,
  pipelineRequestInvalidDecisionMessage,
  pipelineRequestModal,
  pipelineRequestNotAllowedMessage,
  pipelineRequestNotConfiguredMessage,
  pipelineRequestNotFoundMessage,
  pipelineRequestRoleUnknownMessage,
} from '../views/pipeline-request.js';

export interface PipelineRequestDeps {
  requests: PipelineRequestService;
  logger: Logger;
  /** Draws the requester's Home tab again after a request sent from it ("New pipeline request"): it lists their open requests. */
  refreshHome?: (client: WebClient, userId: string) => Promise<void>;
}

/** Slack's cap on private_metadata. */
const MAX_PRIVATE_METADATA = 3000;

/**
 * How long after a submission arrives its request (or a decline) may take to be
 * saved before the modal is closed anyway (Slack waits 3 s for the answer; the
 * owner check before it takes at most 1 s). Saved in time, the modal closes only
 * once it is stored, so a crash after Slack heard "done" loses nothing.
 */
const SAVE_BEFORE_ACK_MS = 2_400;

const BLOCK_OF: Record<DraftField, string> = {
  source: BlockIds.pipelineRequestSource,
  objects: BlockIds.pipelineRequestObjects,
  destination: BlockIds.pipelineRequestDestination,
  frequency: BlockIds.pipelineRequestFrequency,
  owner: BlockIds.pipelineRequestOwner,
  why: BlockIds.pipelineRequestWhy,
};

/** Reads the modal's answers; anything missing or malformed comes out empty for the validator to name. */
function draftFromState(view: ViewOutput): Partial<Record<DraftField, unknown>> {
  const at = (block: string, action: string) => formInput(view.state, block, action);
  return {
    source: at(BlockIds.pipelineRequestSource, ActionIds.pipelineRequestSource).option,
    objects: at(BlockIds.pipelineRequestObjects, ActionIds.pipelineRequestObjects).text,
    destination: at(BlockIds.pipelineRequestDestination, ActionIds.pipelineRequestDestination).text,
    frequency: at(BlockIds.pipelineRequestFrequency, ActionIds.pipelineRequestFrequency).option,
    owner: at(BlockIds.pipelineRequestOwner, ActionIds.pipelineRequestOwner).user,
    why: at(BlockIds.pipelineRequestWhy, ActionIds.pipelineRequestWhy).text,
  };
}

function errorsByBlock(errors: Partial<Record<DraftField, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [BLOCK_OF[field as DraftField], message]));
}

function parseJson(text: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** An answer to someone whose modal has closed (a decline that did not go through). */
async function dm(client: WebClient, logger: Logger, user: string, message: MessageBody): Promise<void> {
  try {
    await client.chat.postMessage({ channel: user, ...message });
  } catch (err) {
    const coded = toCodedError(err);
    logger.warn('pipeline request DM failed', { user, code: coded.code, err: coded });
  }
}

/** Opens the request modal for a user; used by `/pipeline request` and the App Home button. */
export async function openPipelineRequestModal(client: WebClient, triggerId: string, requester: string, fromHome = false): Promise<void> {
  await client.views.open({ trigger_id: triggerId, view: pipelineRequestModal({ requester, fromHome }) });
}

/**
 * `/pipeline request`: opens the modal. The router has acked already, so
 * this must not ack; the trigger ID is good for three seconds.
 */
export function pipelineRequestSubcommand(deps: PipelineRequestDeps) {
  return async ({ command, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (!deps.requests.analyticsChannel) {
      await respond({ response_type: 'ephemeral', ...pipelineRequestNotConfiguredMessage() });
      return;
    }
    try {
      await openPipelineRequestModal(client, command.trigger_id, command.user_id);
    } catch (err) {
      if (loggedOpenedAlready(err, deps.logger, 'pipeline request form', 'command', { user: command.user_id })) return;
      const coded = toCodedError(err);
      deps.logger.error('could not open the pipeline request modal', { user: command.user_id, code: coded.code, err: coded });
      await respond({ response_type: 'ephemeral', ...failureMessage('I could not open the request form.', 'Please run the command again.') });
    }
  };
}

type SubmitAck = SlackViewMiddlewareArgs<ViewSubmitAction>['ack'];

/** The answer on the form when the request could not be saved: the answers stay, to send again. */
const NOT_SAVED = 'I could not save your request just now. Your answers are still here: press Send to BizOps again in a minute.';

/**
 * Records the request once (its card and the requester's DM follow as jobs),
 * then closes the modal: the request is stored before Slack hears "done". A
 * save that is not done by `deadline` closes the modal and goes on; if it then
 * fails, the requester hears by DM. One that fails in time leaves the form
 * open with the answers when `errorBlock` names an input to show it on (else DM).
 */
async function submitRequest(
  deps: PipelineRequestDeps,
  ack: SubmitAck,
  client: WebClient,
  input: { viewId: string; requester: string; draft: PipelineRequestDraft; deadline: number; errorBlock?: string; fromHome: boolean },
): Promise<void> {
  const { viewId, requester, draft } = input;
  const saving = deps.requests.create(viewId, requester, draft).then(
    (result) => ({ result }),
    (err: unknown) => ({ failed: toCodedError(err) }),
  );
  const first = await settleBy(saving, input.deadline);
  if (first === 'late') await ack();
  const settled = first === 'late' ? await saving : first;
  if ('result' in settled && 'same' in settled.result) {
    // The same one is still open: said on the form (its objects, or in place of the last step), or by DM once it has closed.
    const { same } = settled.result;
    if (first === 'late') await dm(client, deps.logger, requester, pipelineRequestSameDm(same));
    else if (input.errorBlock) await ack({ response_action: 'errors', errors: { [BlockIds.pipelineRequestObjects]: pipelineRequestSameText(same) } });
    else await ack({ response_action: 'update', view: pipelineRequestSameModal(same) });
    return;
  }
  const failed = 'failed' in settled ? settled.failed : null;
  if (!failed) {
    if (first !== 'late') await ack();
    // Sent from Home ("New pipeline request"): the tab behind the form lists the new one.
    if (input.fromHome) await deps.refreshHome?.(client, requester);
    return;
  }
  deps.logger.error('pipeline request could not be saved', { requester, code: failed.code, err: failed });
  if (first !== 'late' && input.errorBlock) {
    await ack({ response_action: 'errors', errors: { [input.errorBlock]: NOT_SAVED } });
    return;
  }
  if (first !== 'late') await ack();
  await dm(client, deps.logger, requester, pipelineRequestFailedDm('I could not save your pipeline request.'));
}

/** The first step's submission: inline errors, the "already syncs" step, or the request. */
export function pipelineRequestSubmission(deps: PipelineRequestDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const deadline = Date.now() + SAVE_BEFORE_ACK_MS;
    const fromHome = parseJson(view.private_metadata)['from'] === 'home';
    const checked = validateDraft(draftFromState(view));
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: errorsByBlock(checked.errors) });
      return;
    }
    const draft = checked.draft;
    // One users.info, bounded well inside Slack's 3 s: the answer belongs on the field.
    const ownerProblem = await deps.requests.ownerProblem(draft.owner);
    if (ownerProblem) {
      await ack({ response_action: 'errors', errors: errorsByBlock({ owner: ownerProblem }) });
      return;
    }
    const syncs = deps.requests.alreadySyncing(draft.source);
    if (syncs.length) {
      // The same one still open: said now, not after a Continue that could only be refused. A store slow or failing
      // here does not hold the form: Continue's save checks again, where it counts.
      const same = await settleBy(deps.requests.sameOpen(body.user.id, draft), deadline).catch((err: unknown) => {
        deps.logger.warn('could not look for the same pipeline request before the already-syncs step', { err });
        return null;
      });
      if (same && same !== 'late') {
        await ack({ response_action: 'errors', errors: { [BlockIds.pipelineRequestObjects]: pipelineRequestSameText(same) } });
        return;
      }
      const metadata = JSON.stringify(fromHome ? { ...draft, from: 'home' } : draft);
      if (metadata.length > MAX_PRIVATE_METADATA) {
        await ack({ response_action: 'errors', errors: { [BlockIds.pipelineRequestWhy]: 'Together your answers are too long for one request; shorten the objects or the reason.' } });
        return;
      }
      await ack({ response_action: 'update', view: pipelineRequestConfirmModal(draft, syncs, metadata) });
      return;
    }
    await submitRequest(deps, ack, client, { viewId: view.id, requester: body.user.id, draft, deadline, errorBlock: BlockIds.pipelineRequestWhy, fromHome });
  };
}

/** "Continue" on the "already syncs" step: the draft comes back in private_metadata. */
export function pipelineRequestConfirmSubmission(deps: PipelineRequestDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const deadline = Date.now() + SAVE_BEFORE_ACK_MS;
    const saved = parseJson(view.private_metadata);
    const fromHome = saved['from'] === 'home';
    const checked = validateDraft(saved);
    if (!checked.ok) {
      // Only a tampered payload gets here; give the form back to fix.
      await ack({ response_action: 'update', view: pipelineRequestModal({ requester: body.user.id, initial: saved, fromHome }) });
      return;
    }
    // The owner is checked again, as on the first step: the draft came back through the form, and only a person
    // in this workspace may be named. A problem gives the first step back, with the owner to choose again.
    if (await deps.requests.ownerProblem(checked.draft.owner)) {
      await ack({ response_action: 'update', view: pipelineRequestModal({ requester: body.user.id, initial: { ...saved, owner: undefined }, fromHome }) });
      return;
    }
    // This step has no input to show an error on: a failed save is told by DM.
    await submitRequest(deps, ack, client, { viewId: view.id, requester: body.user.id, draft: checked.draft, deadline, fromHome });
  };
}

/** Is `userId` in BizOps? If not, the message to show them. */
async function bizopsRefusal(deps: PipelineRequestDeps, userId: string): Promise<MessageBody | null> {
  const membership = await deps.requests.membership(userId);
  if (membership === 'member') return null;
  if (membership === 'unknown') return pipelineRequestRoleUnknownMessage();
  deps.logger.warn('pipeline request decision refused: not in BizOps', { user: userId });
  return pipelineRequestNotAllowedMessage(deps.requests.bizopsUsergroup !== null);
}

/**
 * Takes the decision (the card and the requester follow); returns the notice for the decider when it did not happen.
 * `quietIfRepeated`: none either when the request already stands as this very decider decided it (a decline Slack
 * delivered twice, or sent from a second Decline form), as their DM would only echo what they did.
 */
async function decide(deps: PipelineRequestDeps, id: string, decision: Decision, actor: string, quietIfRepeated = false): Promise<MessageBody | null> {
  const result = await deps.requests.decide(id, decision, actor);
  if (result.ok) return null;
  if (quietIfRepeated && result.reason === 'already_decided' && decidedAs(result.current, decision, actor)) {
    deps.logger.info('pipeline request decision repeated by whoever made it: nothing to change', { id, kind: decision.kind, user: actor });
    return null;
  }
  if (result.reason === 'not_found') return pipelineRequestNotFoundMessage();
  if (result.reason === 'invalid') return pipelineRequestInvalidDecisionMessage(result.message);
  return pipelineRequestAlreadyDecidedMessage(result.current);
}

/** Whether `r` stands as `actor` taking `decision` left it. */
function decidedAs(r: PipelineRequest, decision: Decision, actor: string): boolean {
  switch (decision.kind) {
    case 'accept': return r.status === 'accepted' && r.acceptedBy === actor;
    // Another reason is not a repeat: told it was declined already, the decider knows the new one did not go.
    case 'decline': return r.status === 'declined' && r.declinedBy === actor && (r.declineReason ?? '') === trimText(decision.reason);
    case 'live': return r.status === 'live' && r.liveBy === actor;
  }
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

async function ephemeral(respond: ButtonArgs['respond'], message: MessageBody): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, ...message });
}

/** Accept and Mark live: one click, one decision. */
export function pipelineRequestDecisionAction(deps: PipelineRequestDeps, kind: 'accept' | 'live') {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const actor = body.user.id;
    try {
      const refusal = await bizopsRefusal(deps, actor);
      if (refusal) return await ephemeral(respond, refusal);
      if (!isRequestId(action.value)) return await ephemeral(respond, pipelineRequestNotFoundMessage());
      const notice = await decide(deps, action.value, { kind }, actor);
      if (notice) await ephemeral(respond, notice);
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('pipeline request decision failed', { kind, user: actor, code: coded.code, err: coded });
      await ephemeral(respond, failureMessage('I could not record that decision.'));
    }
  };
}

/** Decline…: BizOps only; opens the reason modal unless the request is already decided. */
export function pipelineRequestDeclineAction(deps: PipelineRequestDeps) {
  return async ({ ack, action, body, client, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const actor = body.user.id;
    try {
      const refusal = await bizopsRefusal(deps, actor);
      if (refusal) return await ephemeral(respond, refusal);
      const request = isRequestId(action.value) ? await deps.requests.get(action.value) : null;
      if (!request) return await ephemeral(respond, pipelineRequestNotFoundMessage());
      if (request.status === 'declined' || request.status === 'live') return await ephemeral(respond, pipelineRequestAlreadyDecidedMessage(request));
      await client.views.open({ trigger_id: body.trigger_id, view: pipelineRequestDeclineModal(request) });
    } catch (err) {
      if (loggedOpenedAlready(err, deps.logger, 'decline form', 'click', { user: actor })) return;
      const coded = toCodedError(err);
      deps.logger.error('pipeline request decline modal failed', { user: actor, code: coded.code, err: coded });
      await ephemeral(respond, failureMessage('I could not open the decline form.'));
    }
  };
}

/** The decline modal's submission: a reason, then the same checks as a click. */
export function pipelineRequestDeclineSubmission(deps: PipelineRequestDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    // A value that is not text (a malformed payload) is no reason: asked for again on the form, not a crash before the ack.
    const reason = trimText(formInput(view.state, BlockIds.pipelineRequestDeclineReason, ActionIds.pipelineRequestDeclineReason).text ?? '');
    // Said on the form, which keeps the reason to fix (counted as stored: an emoji is two or more).
    const problem = declineReasonProblem(reason);
    if (problem) {
      await ack({ response_action: 'errors', errors: { [BlockIds.pipelineRequestDeclineReason]: problem } });
      return;
    }
    const deadline = Date.now() + SAVE_BEFORE_ACK_MS;
    const id = parseJson(view.private_metadata)['id'];
    const actor = body.user.id;
    // Decided before the modal closes (so a crash after Slack heard "done" loses nothing), within Slack's 3 s.
    const deciding = (async (): Promise<{ notice: MessageBody | null } | { failed: true }> => {
      try {
        const refusal = await bizopsRefusal(deps, actor);
        if (refusal) return { notice: refusal };
        if (!isRequestId(id)) return { notice: pipelineRequestNotFoundMessage() };
        return { notice: await decide(deps, id, { kind: 'decline', reason }, actor, true) };
      } catch (err) {
        const coded = toCodedError(err);
        deps.logger.error('pipeline request decline failed', { user: actor, code: coded.code, err: coded });
        return { failed: true };
      }
    })();
    const first = await settleBy(deciding, deadline);
    if (first !== 'late' && 'failed' in first) {
      // The reason stays in the modal, to send again.
      await ack({ response_action: 'errors', errors: { [BlockIds.pipelineRequestDeclineReason]: 'I could not record your decline just now. Your reason is still here: press Decline again in a minute.' } });
      return;
    }
    await ack();
    // The modal has closed: answer the decider by DM.
    const outcome = first === 'late' ? await deciding : first;
    if ('failed' in outcome) await dm(client, deps.logger, actor, failureMessage('I could not record your decline.'));
    else if (outcome.notice) await dm(client, deps.logger, actor, outcome.notice);
  };
}

/** Registers the modal submissions and buttons; the slash command itself is `/pipeline`'s. */
export function registerPipelineRequest(app: Listeners, deps: PipelineRequestDeps): string[] {
  app.view<ViewSubmitAction>(CallbackIds.pipelineRequest, pipelineRequestSubmission(deps));
  app.view<ViewSubmitAction>(CallbackIds.pipelineRequestConfirm, pipelineRequestConfirmSubmission(deps));
  app.view<ViewSubmitAction>(CallbackIds.pipelineRequestDecline, pipelineRequestDeclineSubmission(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.pipelineRequestAccept, pipelineRequestDecisionAction(deps, 'accept'));
  app.action<BlockAction<ButtonAction>>(ActionIds.pipelineRequestLive, pipelineRequestDecisionAction(deps, 'live'));
  app.action<BlockAction<ButtonAction>>(ActionIds.pipelineRequestDecline, pipelineRequestDeclineAction(deps));
  return [];
}
