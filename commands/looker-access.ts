/**
 * `/looker-access`, its modal (updated in place when the person or the level
 * changes), the Approve button and Deny with its reason modal. Thin: ack at
 * once (a modal's inline errors are the ack itself), then ask the service.
 * Who may decide is checked by the service on every click and submission.
 */
import { reasonProblem, trimText } from '../src/format.js';
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, RadioButtonsAction, UsersSelectAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { ActionIds, BlockIds, CallbackIds, Commands, isUserId } from '../src/ids.js';
import { findFormInput, formBlockIds } from '../src/slack/form-state.js';
import { loggedOpenedAlready } from '../src/slack/errors.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { settleBy } from '../src/settle-by.js';
import { LOOKER_JOBS, type DecideOutcome, type LookerAccessRequest, type LookerAccessService, type RetryGrantOutcome } from '../src/services/looker-access.js';
import { jobKey } from '../src/jobs/model.js';
import type { JobRunner } from '../src/jobs/runner.js';
import { MAX_REASON_LENGTH, isLookerLevel, isLookerTeam, validateLookerAccess, type LookerAccessField, type LookerAccessInput, type LookerLevel } from '../src/domain/looker-policy.js';
import { failureMessage, type MessageBody } from '../views/common.js';
import {
  LOOKER_DENY_REASON_MISSING,
  lookerAccessModal,
  lookerAdminCheckFailedMessage,
  lookerAlreadyDecidedMessage,
  lookerDecisionConfirmation,
  lookerDenyModal,
  lookerModalHasInputsFor,
  lookerNothingToRetryMessage,
  lookerRefusalMessage,
  lookerRequestNotFoundMessage,
  lookerRetryConfirmation,
  lookerSubmissionRefusedDm,
  lookerSubmissionRefusedOnForm,
  type LookerDenyMetadata,
  type LookerModalData,
  type LookerModalMetadata,
} from '../views/looker-access.js';

export interface LookerAccessDeps {
  lookerAccess: LookerAccessService;
  logger: Logger;
  lookerAdminsUsergroup: string | undefined;
  /** To wait briefly for a grant, so the admin hears whether it went through. */
  jobs: Pick<JobRunner, 'settled'>;
}

/** How long an approving admin waits to hear whether Looker took the grant (then the card says so). */
const GRANT_WAIT_MS = 2_500;

/** How long a submission may wait for its request to be stored before the modal closes anyway (Slack waits 3 s). */
const SAVE_BEFORE_ACK_MS = 2_400;

const FIELD_BLOCKS: Record<LookerAccessField, string> = {
  subject: BlockIds.lookerAccessSubject,
  email: BlockIds.lookerAccessEmail,
  team: BlockIds.lookerAccessTeam,
  level: BlockIds.lookerAccessLevel,
  reason: BlockIds.lookerAccessReason,
  duration: BlockIds.lookerAccessDuration,
};

/** `/looker-access`: opens the modal, prefilled with the user and their Slack email. */
export function lookerAccessCommand({ lookerAccess, logger }: LookerAccessDeps) {
  return async ({ command, ack, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const email = await lookerAccess.emailOf(command.user_id);
      await client.views.open({
        trigger_id: command.trigger_id,
        view: lookerAccessModal({ requesterId: command.user_id, requesterEmail: email, subjectId: command.user_id, email, lookerConnected: lookerAccess.lookerConnected }),
      });
    } catch (err) {
      if (loggedOpenedAlready(err, logger, 'looker access form', 'command', { user: command.user_id })) return;
      const coded = toCodedError(err);
      logger.error('looker access modal failed to open', { user: command.user_id, code: coded.code, err: coded });
      await respond({ response_type: 'ephemeral', ...failureMessage('I could not open the Looker access form.', 'Please run `/looker-access` again.') });
    }
  };
}

/** An input's value by action_id, wherever its block is: the person, option or text given; null for none. */
function inputValue(state: unknown, actionId: string): string | null {
  const input = findFormInput(state, actionId)?.input;
  const given = input?.user ?? input?.option ?? input?.text;
  return given === undefined ? null : given.slice(0, 5000);
}

function metadataOf<T extends object = LookerModalMetadata>(raw: string | undefined): Partial<T> {
  try {
    const parsed: unknown = JSON.parse(raw ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<T>) : {};
  } catch {
    return {};
  }
}

/** The modal's submission: inline errors in the ack, or create the request once, then close it. */
export function lookerAccessSubmission({ lookerAccess, logger }: LookerAccessDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const deadline = Date.now() + SAVE_BEFORE_ACK_MS;
    const state = view.state;
    const metadata = metadataOf(view.private_metadata);
    // The requester is whoever submitted, whatever private_metadata claims.
    const input: LookerAccessInput = {
      requesterId: body.user.id,
      subjectId: inputValue(state, ActionIds.lookerAccessSubject),
      email: inputValue(state, ActionIds.lookerAccessEmail),
      team: inputValue(state, ActionIds.lookerAccessTeam),
      level: inputValue(state, ActionIds.lookerAccessLevel),
      reason: inputValue(state, ActionIds.lookerAccessReason),
      duration: inputValue(state, ActionIds.lookerAccessDuration),
    };
    const requesterEmail = metadata.requesterId === body.user.id && typeof metadata.requesterEmail === 'string' ? metadata.requesterEmail : null;
    // An elevated level picked while the modal could not update (or in an older one): show the reason and days first.
    if (isLookerLevel(input.level) && !lookerModalHasInputsFor(input.level, formBlockIds(state))) {
      await ack({ response_action: 'update', view: lookerAccessModal(modalDataFrom(state, { requesterId: body.user.id, requesterEmail, lookerConnected: lookerAccess.lookerConnected })) });
      return;
    }
    // A field's block on this form (the email's may carry a version suffix, for its initial value to show).
    const blockOf = (f: LookerAccessField) => (f === 'email' && findFormInput(state, ActionIds.lookerAccessEmail)?.block) || FIELD_BLOCKS[f];
    const checked = validateLookerAccess(input, { requesterEmail });
    if (!checked.ok) {
      const errors = Object.fromEntries(Object.entries(checked.errors).map(([field, message]) => [blockOf(field as LookerAccessField), message]));
      await ack({ response_action: 'errors', errors });
      return;
    }
    // Stored before the modal closes (a crash after Slack heard "done" would lose it), within Slack's 3 s:
    // a slower save closes the modal and goes on; one that fails in time keeps the form open with the answers.
    // A request that cannot be made (for a bot, the same one waiting, ...) is said on the form while there is time.
    const saving = lookerAccess.submit({ viewId: view.id, request: checked.request }).then(
      (outcome) => ({ outcome }),
      (err: unknown) => ({ failed: toCodedError(err) }),
    );
    const first = await settleBy(saving, deadline);
    if (first === 'late') await ack();
    const settled = first === 'late' ? await saving : first;
    if ('outcome' in settled) {
      const { outcome } = settled;
      if (outcome.kind === 'refused') {
        if (first !== 'late') {
          const field = outcome.reason === 'bot_subject' || outcome.reason === 'unknown_subject' ? 'subject' : outcome.reason === 'requester_email' ? 'email' : 'level';
          const block = blockOf(field);
          await ack({ response_action: 'errors', errors: { [block]: lookerSubmissionRefusedOnForm(outcome.reason, outcome.refs) } });
          return;
        }
        // Decided just as the time ran out: the form has closed, so the answer goes by DM (sent at once if it cannot be queued).
        await lookerAccess.tellRefused({ requesterId: body.user.id, viewId: view.id, reason: outcome.reason, refs: outcome.refs }).catch(async (err: unknown) => {
          logger.error('a looker access refusal could not be queued', { user: body.user.id, err: toCodedError(err) });
          await client.chat.postMessage({ channel: body.user.id, ...lookerSubmissionRefusedDm(outcome.reason, outcome.refs) }).catch(() => undefined);
        });
        return;
      }
      if (first !== 'late') await ack();
      return;
    }
    const { failed } = settled;
    logger.error('looker access request failed', { user: body.user.id, code: failed.code, err: failed });
    if (first !== 'late') {
      await ack({ response_action: 'errors', errors: { [FIELD_BLOCKS.team]: NOT_RECORDED } });
      return;
    }
    // The modal is closed already: the answer goes to the requester's DM.
    await client.chat
      .postMessage({ channel: body.user.id, ...failureMessage('I could not record your Looker access request.', 'Please run `/looker-access` again in a minute.') })
      .catch(() => undefined);
  };
}

/** The answer on the form when the request could not be stored: the answers stay, to send again. */
const NOT_RECORDED = 'I could not record your request just now. Your answers are still here: press Request again in a minute.';

/** The modal as the person left it: who, the email typed, team and level (what a views.update must keep). */
function modalDataFrom(state: unknown, base: Pick<LookerModalData, 'requesterId' | 'requesterEmail' | 'lookerConnected'>, override: Partial<LookerModalData> = {}): LookerModalData {
  const subject = inputValue(state, ActionIds.lookerAccessSubject);
  const team = inputValue(state, ActionIds.lookerAccessTeam);
  const level = inputValue(state, ActionIds.lookerAccessLevel);
  const subjectId = isUserId(subject) ? subject : base.requesterId;
  return {
    ...base,
    subjectId,
    email: inputValue(state, ActionIds.lookerAccessEmail) ?? (subjectId === base.requesterId ? base.requesterEmail : null),
    ...(isLookerTeam(team) ? { team } : {}),
    ...(isLookerLevel(level) ? { level } : {}),
    ...override,
  };
}

type ModalActionArgs = SlackActionMiddlewareArgs<BlockAction<UsersSelectAction | RadioButtonsAction>> & AllMiddlewareArgs;

/** Replaces the modal, unless the person changed it meanwhile (the hash): their typing wins. */
async function updateModal(client: ModalActionArgs['client'], view: NonNullable<ModalActionArgs['body']['view']>, data: LookerModalData, log: (err: unknown) => void): Promise<void> {
  try {
    await client.views.update({ view_id: view.id, hash: view.hash, view: lookerAccessModal(data) });
  } catch (err) {
    // hash_conflict: the user changed the form meanwhile; their typing wins.
    log(err);
  }
}

/** The requester picked who needs access: prefill that person's email (and keep the level, team, reason and days). */
export function lookerAccessSubjectPicked({ lookerAccess, logger }: LookerAccessDeps) {
  return async ({ ack, action, body, client }: SlackActionMiddlewareArgs<BlockAction<UsersSelectAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const view = body.view;
    const subjectId = action.selected_user;
    if (!view || view.callback_id !== CallbackIds.lookerAccess || !isUserId(subjectId)) return;
    const metadata = metadataOf(view.private_metadata);
    const requesterId = body.user.id;
    const requesterEmail = metadata.requesterId === requesterId && typeof metadata.requesterEmail === 'string' ? metadata.requesterEmail : null;
    const log = (err: unknown) => {
      const coded = toCodedError(err);
      logger.warn('looker access modal not updated for the picked person', { user: requesterId, code: coded.code, err: coded });
    };
    try {
      const email = subjectId === requesterId ? requesterEmail : await lookerAccess.emailOf(subjectId);
      const data = modalDataFrom(view.state, { requesterId, requesterEmail, lookerConnected: lookerAccess.lookerConnected }, { subjectId, email });
      await updateModal(client, view, data, log);
    } catch (err) {
      log(err);
    }
  };
}

/** The level changed: the reason and the days appear for Create content and Develop, and go for View. */
export function lookerAccessLevelPicked({ lookerAccess, logger }: LookerAccessDeps) {
  return async ({ ack, action, body, client }: SlackActionMiddlewareArgs<BlockAction<RadioButtonsAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const view = body.view;
    const level: unknown = action.selected_option?.value;
    if (!view || view.callback_id !== CallbackIds.lookerAccess || !isLookerLevel(level)) return;
    const metadata = metadataOf(view.private_metadata);
    const requesterId = body.user.id;
    const requesterEmail = metadata.requesterId === requesterId && typeof metadata.requesterEmail === 'string' ? metadata.requesterEmail : null;
    const data = modalDataFrom(view.state, { requesterId, requesterEmail, lookerConnected: lookerAccess.lookerConnected }, { level: level as LookerLevel });
    await updateModal(client, view, data, (err) => {
      const coded = toCodedError(err);
      logger.warn('looker access modal not updated for the picked level', { user: requesterId, code: coded.code, err: coded });
    });
  };
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * A card button that starts the grant (Approve, Retry grant): acked at once, the service decides,
 * then the grant gets a moment to finish so the answer can say how it went. The value comes back
 * from the client: a forged one is at worst an unknown request.
 */
function grantButton(
  { logger }: LookerAccessDeps,
  failure: { log: string; text: string; next?: string },
  answer: (requestId: string, userId: string) => Promise<MessageBody>,
) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const requestId = typeof action.value === 'string' ? action.value.slice(0, 100) : '';
    let reply: MessageBody;
    try {
      reply = await answer(requestId, userId);
    } catch (err) {
      const coded = toCodedError(err);
      logger.error(failure.log, { user: userId, requestId, code: coded.code, err: coded });
      reply = failureMessage(failure.text, failure.next);
    }
    await tellClicker({ body, respond, client }, userId, reply);
  };
}

/** The request once its grant job has settled (or after GRANT_WAIT_MS), to say how it went. */
async function afterGrant({ lookerAccess, jobs }: LookerAccessDeps, request: LookerAccessRequest): Promise<LookerAccessRequest> {
  await jobs.settled(jobKey(LOOKER_JOBS.grant, request.id), GRANT_WAIT_MS);
  return (await lookerAccess.get(request.id)) ?? request;
}

/** Approve on the request card. */
export function lookerAccessApprove(deps: LookerAccessDeps) {
  return grantButton(deps, { log: 'looker access decision failed', text: 'I could not record that decision.' }, async (requestId, userId) => {
    const outcome = await deps.lookerAccess.decide({ requestId, deciderId: userId, decision: 'approve' });
    if (outcome.kind === 'decided') return lookerDecisionConfirmation(await afterGrant(deps, outcome.request));
    return notDecidedMessage(outcome, deps.lookerAdminsUsergroup, userId);
  });
}

/** Retry grant on the card of a request whose grant gave up: the same checks as Approve, one retry however many clicks. */
export function lookerAccessRetryGrant(deps: LookerAccessDeps) {
  return grantButton(deps, { log: 'looker access grant retry failed', text: 'I could not start the grant again.', next: 'Please click Retry grant again.' }, async (requestId, userId) => {
    const outcome: RetryGrantOutcome = await deps.lookerAccess.retryGrant({ requestId, deciderId: userId });
    if (outcome.kind === 'retrying') return lookerRetryConfirmation(await afterGrant(deps, outcome.request));
    if (outcome.kind === 'not_failed' || outcome.kind === 'ended') return lookerNothingToRetryMessage(outcome.request, { ended: outcome.kind === 'ended' });
    return notDecidedMessage(outcome, deps.lookerAdminsUsergroup, userId);
  });
}

/** Why a decision did not happen, for the admin who tried. */
function notDecidedMessage(outcome: Exclude<DecideOutcome, { kind: 'decided' }>, lookerAdminsUsergroup: string | undefined, viewer: string): MessageBody {
  switch (outcome.kind) {
    case 'refused': return lookerRefusalMessage(outcome.reason, lookerAdminsUsergroup ?? null);
    case 'already': return lookerAlreadyDecidedMessage(outcome.request, viewer);
    case 'not_found': return lookerRequestNotFoundMessage();
    case 'admin_check_failed': return lookerAdminCheckFailedMessage(outcome.about);
  }
}

async function tellClicker({ body, respond, client }: Pick<ButtonArgs, 'body' | 'respond' | 'client'>, userId: string, reply: MessageBody): Promise<void> {
  if (body.response_url) {
    await respond({ response_type: 'ephemeral', replace_original: false, ...reply });
  } else if (body.channel?.id) {
    await client.chat.postEphemeral({ channel: body.channel.id, user: userId, ...reply });
  }
}

/** Deny… on the request card: checked, then the reason modal opens (the trigger lasts three seconds). */
export function lookerAccessDenyClicked({ lookerAccess, logger, lookerAdminsUsergroup }: LookerAccessDeps) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const requestId = typeof action.value === 'string' ? action.value.slice(0, 100) : '';
    try {
      const check = await lookerAccess.checkDecider({ requestId, deciderId: userId });
      if (check.kind !== 'allowed') return await tellClicker({ body, respond, client }, userId, notDecidedMessage(check, lookerAdminsUsergroup, userId));
      await client.views.open({ trigger_id: body.trigger_id, view: lookerDenyModal(check.request) });
    } catch (err) {
      // The same click delivered again: its form is open.
      if (loggedOpenedAlready(err, logger, 'looker deny form', 'click', { user: userId, requestId })) return;
      const coded = toCodedError(err);
      logger.error('looker access deny modal failed', { user: userId, requestId, code: coded.code, err: coded });
      await tellClicker({ body, respond, client }, userId, failureMessage('I could not open the deny form.', 'Please click Deny again.'));
    }
  };
}

/** The Deny modal's submission: a reason, then the same checks as a click; the modal has closed, so anything to say goes by DM. */
export function lookerAccessDenySubmission({ lookerAccess, logger, lookerAdminsUsergroup }: LookerAccessDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const reason = trimText(inputValue(view.state, ActionIds.lookerAccessDenyReason) ?? '');
    const problem = reasonProblem(reason, { max: MAX_REASON_LENGTH, missing: LOOKER_DENY_REASON_MISSING });
    if (problem) {
      await ack({ response_action: 'errors', errors: { [BlockIds.lookerAccessDenyReason]: problem } });
      return;
    }
    const deadline = Date.now() + SAVE_BEFORE_ACK_MS;
    const userId = body.user.id;
    const raw: unknown = metadataOf<LookerDenyMetadata>(view.private_metadata).id;
    const requestId = typeof raw === 'string' ? raw.slice(0, 100) : '';
    const dm = (m: MessageBody) => client.chat.postMessage({ channel: userId, ...m }).then(() => undefined, (err: unknown) => logger.warn('looker deny answer not sent', { user: userId, err }));
    // Decided before the modal closes (a crash after Slack heard "done" would lose the denial and its reason),
    // within Slack's 3 s: a slower decision closes the modal and goes on; one that fails in time keeps the reason.
    const deciding = lookerAccess.decide({ requestId, deciderId: userId, decision: 'deny', reason }).then(
      (outcome) => ({ outcome }),
      (err: unknown) => {
        const coded = toCodedError(err);
        logger.error('looker access deny failed', { user: userId, requestId, code: coded.code, err: coded });
        return { failed: true as const };
      },
    );
    const first = await settleBy(deciding, deadline);
    if (first !== 'late' && 'failed' in first) {
      await ack({ response_action: 'errors', errors: { [BlockIds.lookerAccessDenyReason]: 'I could not record your denial just now. Your reason is still here: press Deny again in a minute.' } });
      return;
    }
    await ack();
    const settled = first === 'late' ? await deciding : first;
    if ('failed' in settled) return void (await dm(failureMessage('I could not record your denial.', 'Please click Deny on the request again.')));
    const { outcome } = settled;
    // Decided: the card and the requester's DM say so; nothing more to tell the admin. Nor when it is their
    // own denial again (Slack delivering the submission twice, or a second Deny form with the same reason): it
    // stands as it was. Another reason is told it was already denied: the new one did not reach the requester.
    if (outcome.kind === 'already' && outcome.request.status === 'denied' && outcome.request.decidedBy === userId && (outcome.request.denyReason ?? '') === reason) {
      logger.info('looker access denial repeated by the admin who made it: nothing to change', { user: userId, requestId });
    } else if (outcome.kind !== 'decided') {
      await dm(notDecidedMessage(outcome, lookerAdminsUsergroup, userId));
    }
  };
}

/** Registers `/looker-access`, its modal and buttons; returns the slash commands registered. */
export function registerLookerAccess(app: Listeners, deps: LookerAccessDeps): string[] {
  app.command(Commands.lookerAccess, lookerAccessCommand(deps));
  app.view<ViewSubmitAction>(CallbackIds.lookerAccess, lookerAccessSubmission(deps));
  app.view<ViewSubmitAction>(CallbackIds.lookerAccessDeny, lookerAccessDenySubmission(deps));
  app.action<BlockAction<UsersSelectAction>>(ActionIds.lookerAccessSubject, lookerAccessSubjectPicked(deps));
  app.action<BlockAction<RadioButtonsAction>>(ActionIds.lookerAccessLevel, lookerAccessLevelPicked(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.lookerAccessApprove, lookerAccessApprove(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.lookerAccessDeny, lookerAccessDenyClicked(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.lookerAccessRetryGrant, lookerAccessRetryGrant(deps));
  return [Commands.lookerAccess];
}
