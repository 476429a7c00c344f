/**
 * `/looker-access`, its modal and the Approve / Deny buttons. Thin: ack at
 * once (a modal's inline errors are the ack itself), then ask the service.
 * Who may decide is checked by the service on every click.
 */
import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  UsersSelectAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { LOOKER_JOBS, type LookerAccessService } from '../src/services/looker-access.js';
import { jobKey } from '../src/jobs/model.js';
import type { JobRunner } from '../src/jobs/runner.js';
import { validateLookerAccess, type LookerAccessField, type LookerAccessInput } from '../src/domain/looker-policy.js';
import { failureMessage, type MessageBody } from '../views/common.js';
import {
  lookerAccessModal,
  lookerAdminCheckFailedMessage,
  lookerAlreadyDecidedMessage,
  lookerDecisionConfirmation,
  lookerRefusalMessage,
  lookerRequestNotFoundMessage,
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
        view: lookerAccessModal({ requesterId: command.user_id, requesterEmail: email, subjectId: command.user_id, email }),
      });
    } catch (err) {
      const coded = toCodedError(err);
      logger.error('looker access modal failed to open', { user: command.user_id, code: coded.code, err: coded });
      await respond({ response_type: 'ephemeral', ...failureMessage('I could not open the Looker access form.', 'Please run `/looker-access` again.') });
    }
  };
}

type StateValues = ViewSubmitAction['view']['state']['values'];

/** Finds an input's value by action_id, wherever its block is. */
function inputValue(values: StateValues, actionId: string): string | null {
  for (const block of Object.values(values ?? {})) {
    const v = (block as unknown as Record<string, Record<string, unknown>>)[actionId];
    if (!v) continue;
    const selected = (v['selected_option'] as { value?: unknown } | null | undefined)?.value;
    const raw = v['selected_user'] ?? selected ?? v['value'];
    return typeof raw === 'string' ? raw.slice(0, 5000) : null;
  }
  return null;
}

/** The block an input is in (the email block's ID changes with the subject). */
function blockIdOf(values: StateValues, actionId: string): string | undefined {
  return Object.entries(values ?? {}).find(([, block]) => actionId in (block as object))?.[0];
}

function metadataOf(raw: string | undefined): Partial<LookerModalMetadata> {
  try {
    const parsed: unknown = JSON.parse(raw ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<LookerModalMetadata>) : {};
  } catch {
    return {};
  }
}

/** The modal's submission: inline errors in the ack, or close it and create the request once. */
export function lookerAccessSubmission({ lookerAccess, logger }: LookerAccessDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const values = view.state.values;
    const metadata = metadataOf(view.private_metadata);
    // The requester is whoever submitted, whatever private_metadata claims.
    const input: LookerAccessInput = {
      requesterId: body.user.id,
      subjectId: inputValue(values, ActionIds.lookerAccessSubject),
      email: inputValue(values, ActionIds.lookerAccessEmail),
      team: inputValue(values, ActionIds.lookerAccessTeam),
      level: inputValue(values, ActionIds.lookerAccessLevel),
      reason: inputValue(values, ActionIds.lookerAccessReason),
      duration: inputValue(values, ActionIds.lookerAccessDuration),
    };
    const requesterEmail = metadata.requesterId === body.user.id && typeof metadata.requesterEmail === 'string' ? metadata.requesterEmail : null;
    const checked = validateLookerAccess(input, { requesterEmail });
    if (!checked.ok) {
      const errors = Object.fromEntries(
        Object.entries(checked.errors).map(([field, message]) => {
          const f = field as LookerAccessField;
          const actionId = f === 'email' ? ActionIds.lookerAccessEmail : undefined;
          return [(actionId && blockIdOf(values, actionId)) || FIELD_BLOCKS[f], message];
        }),
      );
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    try {
      await lookerAccess.submit({ viewId: view.id, request: checked.request });
    } catch (err) {
      const coded = toCodedError(err);
      logger.error('looker access request failed', { user: body.user.id, code: coded.code, err: coded });
      // The modal is closed already: the answer goes to the requester's DM.
      await client.chat
        .postMessage({ channel: body.user.id, ...failureMessage('I could not record your Looker access request.', 'Please run `/looker-access` again in a minute.') })
        .catch(() => undefined);
    }
  };
}

type SubjectArgs = SlackActionMiddlewareArgs<BlockAction<UsersSelectAction>> & AllMiddlewareArgs;

/** The requester picked who needs access: prefill that person's email. */
export function lookerAccessSubjectPicked({ lookerAccess, logger }: LookerAccessDeps) {
  return async ({ ack, action, body, client }: SubjectArgs): Promise<void> => {
    await ack();
    const view = body.view;
    const subjectId = action.selected_user;
    if (!view || view.callback_id !== CallbackIds.lookerAccess || !subjectId || !/^[UW][A-Z0-9]{2,}$/.test(subjectId)) return;
    const metadata = metadataOf(view.private_metadata);
    const requesterId = body.user.id;
    const requesterEmail = metadata.requesterId === requesterId && typeof metadata.requesterEmail === 'string' ? metadata.requesterEmail : null;
    try {
      const email = subjectId === requesterId ? requesterEmail : await lookerAccess.emailOf(subjectId);
      await client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: lookerAccessModal({ requesterId, requesterEmail, subjectId, email }),
      });
    } catch (err) {
      // hash_conflict: the user changed the form meanwhile; their typing wins.
      const coded = toCodedError(err);
      logger.warn('looker access modal not updated for the picked person', { user: requesterId, code: coded.code, err: coded });
    }
  };
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Approve or Deny on the request card. */
export function lookerAccessDecision(decision: 'approve' | 'deny', { lookerAccess, logger, lookerAdminsUsergroup, jobs }: LookerAccessDeps) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    // Values come back from the client: a forged one is at worst an unknown request.
    const requestId = typeof action.value === 'string' ? action.value.slice(0, 100) : '';
    let reply: MessageBody;
    try {
      const outcome = await lookerAccess.decide({ requestId, deciderId: userId, decision });
      switch (outcome.kind) {
        case 'decided': {
          let request = outcome.request;
          if (request.status === 'approved') {
            await jobs.settled(jobKey(LOOKER_JOBS.grant, request.id), GRANT_WAIT_MS);
            request = (await lookerAccess.get(request.id)) ?? request;
          }
          reply = lookerDecisionConfirmation(request);
          break;
        }
        case 'refused': reply = lookerRefusalMessage(outcome.reason, lookerAdminsUsergroup ?? null); break;
        case 'already': reply = lookerAlreadyDecidedMessage(outcome.request); break;
        case 'not_found': reply = lookerRequestNotFoundMessage(); break;
        case 'admin_check_failed': reply = lookerAdminCheckFailedMessage(); break;
      }
    } catch (err) {
      const coded = toCodedError(err);
      logger.error('looker access decision failed', { user: userId, requestId, code: coded.code, err: coded });
      reply = failureMessage('I could not record that decision.');
    }
    if (body.response_url) {
      await respond({ response_type: 'ephemeral', replace_original: false, ...reply });
    } else if (body.channel?.id) {
      await client.chat.postEphemeral({ channel: body.channel.id, user: userId, ...reply });
    }
  };
}

/** Registers `/looker-access`, its modal and buttons; returns the slash commands registered. */
export function registerLookerAccess(app: App, deps: LookerAccessDeps): string[] {
  app.command(Commands.lookerAccess, lookerAccessCommand(deps));
  app.view<ViewSubmitAction>(CallbackIds.lookerAccess, lookerAccessSubmission(deps));
  app.action<BlockAction<UsersSelectAction>>(ActionIds.lookerAccessSubject, lookerAccessSubjectPicked(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.lookerAccessApprove, lookerAccessDecision('approve', deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.lookerAccessDeny, lookerAccessDecision('deny', deps));
  return [Commands.lookerAccess];
}
