/**
 * Reruns: `/pipeline rerun <source> [force]` (a subcommand of the `/pipeline`
 * router, which acks first), the alert's Rerun button, "Force rerun" (behind
 * a confirm dialog) and "Ask BizOps to rerun" for people outside BizOps. Thin:
 * ack at once, ask the rerun use case, answer ephemerally.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { BlockAction, ButtonAction } from '@slack/bolt';
import { ActionIds } from '../src/ids.js';
import { toCodedError } from '../src/errors.js';
import type { RerunAnswer } from '../src/services/rerun.js';
import { failureMessage, slackDate, escapeMrkdwn, type MessageBody } from '../views/common.js';
import { noteMessage, rerunNotAllowedMessage, unknownSourceMessage } from '../views/freshness.js';
import { rerunForceOfferMessage } from '../views/rerun.js';
import type { PipelineSubcommand } from './pipeline.js';
import { ephemeral, valueOf, type ButtonArgs, type FreshnessDeps } from './freshness.js';
import { commandWords } from '../src/format.js';

/** What the user is told about a rerun request. */
export function rerunAnswerMessage(answer: RerunAnswer, deps: Pick<FreshnessDeps, 'bizopsUsergroup' | 'freshness'>): MessageBody {
  switch (answer.kind) {
    case 'unknown_source':
      return unknownSourceMessage(answer.text, deps.freshness.catalog.sources);
    case 'not_rerunnable':
      return noteMessage(`${escapeMrkdwn(answer.source.name)} has no pipeline I can rerun. Ask its owner in the channel.`);
    case 'not_allowed':
      return rerunNotAllowedMessage(answer.source, deps.bizopsUsergroup);
    case 'membership_unknown':
      return failureMessage('I could not check with Slack whether you are in BizOps, so I started nothing.');
    case 'not_configured':
      return noteMessage('Reruns are not set up here: ANALYTICS_CHANNEL is not configured.');
    case 'already_running': {
      const r = answer.rerun;
      const by = r.requestedBy ? ` (requested by <@${r.requestedBy}>${r.startedAt ? ` at ${slackDate(new Date(r.startedAt), '{time}')}` : ''})` : '';
      return noteMessage(`:arrows_counterclockwise: ${escapeMrkdwn(answer.source.name)} is already rerunning${by}${r.link ? `: <${r.link}|follow it>` : ''}. I started nothing.`);
    }
    case 'fresh':
      return noteMessage(`:large_green_circle: *${escapeMrkdwn(answer.source.name)} is fresh*, last update ${slackDate(answer.lastUpdated)}: there is nothing to rerun, so I started nothing. To rerun it all the same, type \`/pipeline rerun ${answer.source.id}\`.`);
    case 'started':
      return noteMessage(`:arrows_counterclockwise: Rerun of ${escapeMrkdwn(answer.source.name)} started${answer.link ? `: <${answer.link}|follow it>` : ''}.`);
  }
}

/** `/pipeline rerun <source> [force]`. */
export function pipelineRerunSubcommand(deps: FreshnessDeps): PipelineSubcommand {
  return async ({ command, respond }) => {
    const words = commandWords(command.text ?? '').slice(1);
    const force = words.length > 1 && /^-{0,2}force$/i.test(words.at(-1) ?? '');
    const name = (force ? words.slice(0, -1) : words).join(' ');
    if (!name) {
      await respond({ response_type: 'ephemeral', ...unknownSourceMessage('', deps.freshness.catalog.sources) });
      return;
    }
    if (force) {
      // Forcing restarts a running sync: it only happens from the confirm dialog of this button (checked again on click).
      const source = deps.freshness.reruns.find(name);
      let reply: MessageBody;
      if (!source) reply = unknownSourceMessage(name.slice(0, 100), deps.freshness.catalog.sources);
      else if (!source.rerun) reply = rerunAnswerMessage({ kind: 'not_rerunnable', source }, deps);
      else {
        const member = await deps.freshness.reruns.membership(command.user_id);
        // Not while a rerun of the bot's is under way: its click would be refused (it stops a sync the service runs, not the bot's own).
        const running = member === 'member' ? await deps.freshness.freshness.activeRerun(source.id) : undefined;
        reply = running ? rerunAnswerMessage({ kind: 'already_running', source, rerun: running }, deps)
          : member === 'member' ? rerunForceOfferMessage(source)
          : rerunAnswerMessage(member === 'unknown' ? { kind: 'membership_unknown' } : { kind: 'not_allowed', source }, deps);
      }
      await respond({ response_type: 'ephemeral', ...reply });
      return;
    }
    const answer = await deps.freshness.reruns.rerun({ source: name, userId: command.user_id, force: false });
    await respond({ response_type: 'ephemeral', ...rerunAnswerMessage(answer, deps) });
  };
}

/** The alert's Rerun button, and "Force rerun" (after its confirm dialog). */
export function rerunButtonAction(deps: FreshnessDeps, force: boolean) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    try {
      // Rerun (not Force, which follows a sync the service already runs) checks the source is still stale.
      const answer = await deps.freshness.reruns.rerun({ source: valueOf(action.value), userId: body.user.id, force, unlessFresh: !force });
      await respond(ephemeral(rerunAnswerMessage(answer, deps)));
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('rerun failed to start', { user: body.user.id, code: coded.code, err: coded });
      await respond(ephemeral(failureMessage('I could not start the rerun.')));
    }
  };
}

/** "Ask BizOps to rerun": asks BizOps in the channel. */
export function rerunRequestAction(deps: FreshnessDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    try {
      const answer = await deps.freshness.reruns.requestFromBizops(valueOf(action.value), body.user.id);
      // Where the ask goes: the thread of the source's open alert, as the notice decides (only said, so a failed read says the channel).
      const alert = answer.kind === 'posted' ? await deps.freshness.alerts.get(answer.source.id).catch(() => null) : null;
      const inThread = alert?.state === 'open' && alert.channel === deps.analyticsChannel && Boolean(alert.ts);
      const reply =
        answer.kind === 'posted' ? noteMessage(`:raising_hand: I asked BizOps to rerun ${escapeMrkdwn(answer.source.name)} ${inThread ? 'in the thread of its alert in' : 'in'} <#${deps.analyticsChannel}>.`)
        : answer.kind === 'already_asked' ? noteMessage(`You already asked BizOps to rerun ${escapeMrkdwn(answer.source.name)} in the last half hour.`)
        : answer.kind === 'unknown_source' ? unknownSourceMessage('', deps.freshness.catalog.sources)
        : answer.kind === 'not_rerunnable' || answer.kind === 'already_running' ? rerunAnswerMessage(answer, deps)
        : answer.kind === 'fresh' ? noteMessage(`:large_green_circle: *${escapeMrkdwn(answer.source.name)} is fresh*, last update ${slackDate(answer.lastUpdated)}: there is nothing to rerun, so I did not ask BizOps.`)
        : noteMessage('Rerun requests are not set up here: ANALYTICS_CHANNEL is not configured.');
      await respond(ephemeral(reply));
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('rerun request failed', { user: body.user.id, code: coded.code, err: coded });
      await respond(ephemeral(failureMessage('I could not pass your request to BizOps.')));
    }
  };
}

/** Registers the rerun buttons. */
export function registerReruns(app: Listeners, deps: FreshnessDeps): string[] {
  app.action<BlockAction<ButtonAction>>(ActionIds.freshnessRerun, rerunButtonAction(deps, false));
  app.action<BlockAction<ButtonAction>>(ActionIds.rerunForce, rerunButtonAction(deps, true));
  app.action<BlockAction<ButtonAction>>(ActionIds.rerunRequest, rerunRequestAction(deps));
  return [];
}
