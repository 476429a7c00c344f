/**
 * Freshness: `/pipeline status` (a subcommand of the `/pipeline` router,
 * which acks first) and the alert's Snooze and Acknowledge. Reruns (the
 * alert's Rerun button, `/pipeline rerun`) are in commands/pipeline-rerun.ts.
 * Thin: ack at once, ask the services, answer ephemerally.
 */
import type { Listeners } from '../src/slack/listeners.js';
import { buttonContext, offeredInMessage } from '../src/slack/click.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, OverflowAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ActionIds } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import type { FreshnessServices } from '../src/services/freshness-services.js';
import { failureMessage, slackDate, type MessageBody } from '../views/common.js';
import {
  noteMessage,
  pipelineStatusMessage,
  pipelineUsageMessage,
  unknownSourceMessage,
} from '../views/freshness.js';
import { commandWords } from '../src/format.js';
import type { PipelineSubcommand } from './pipeline.js';

export interface FreshnessDeps {
  freshness: FreshnessServices;
  logger: Logger;
  analyticsChannel: string | undefined;
  bizopsUsergroup: string | undefined;
  warehouseKind: string;
}

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type OverflowArgs = SlackActionMiddlewareArgs<BlockAction<OverflowAction>> & AllMiddlewareArgs;

export const ephemeral = (m: MessageBody) => ({ response_type: 'ephemeral' as const, replace_original: false, ...m });

/** A button's value as sent back by the client: a string of sane length, or ''. */
export function valueOf(raw: unknown): string {
  return typeof raw === 'string' && raw.length <= 200 ? raw : '';
}

/** `/pipeline status [source]`: every source, or the one named. */
export function pipelineStatusSubcommand(deps: FreshnessDeps): PipelineSubcommand {
  return async ({ command, respond }) => {
    // A name after `status` is the one source asked about; one that names none is said, not ignored for the whole list.
    const name = commandWords(command.text ?? '').slice(1).join(' ');
    const only = name ? deps.freshness.reruns.find(name) : undefined;
    if (name && !only) {
      await respond({ response_type: 'ephemeral', ...unknownSourceMessage(name.slice(0, 100), deps.freshness.catalog.sources, 'status') });
      return;
    }
    let reply: MessageBody;
    try {
      await deps.freshness.prepare();
      // Who asks decides the stale rows' button: Rerun for BizOps, "Ask BizOps" for others (each click is checked again).
      // The one source asked about is the only one measured (each is a warehouse read: a billed one on BigQuery).
      const checking = only ? deps.freshness.freshness.checkSource(only).then((r) => [r]) : deps.freshness.freshness.check();
      const [results, membership] = await Promise.all([checking, deps.freshness.reruns.membership(command.user_id).catch(() => 'unknown' as const)]);
      const viewerInBizops = membership === 'unknown' ? null : membership === 'member';
      reply = pipelineStatusMessage(results, { now: results[0]?.checkedAt ?? new Date(), warehouse: deps.warehouseKind, alertsChannel: deps.analyticsChannel, viewerInBizops });
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('pipeline status failed', { code: coded.code, err: coded });
      reply = failureMessage('I could not check the sources.');
    }
    await respond({ response_type: 'ephemeral', ...reply });
  };
}

/** `/pipeline help`. */
export function pipelineHelpSubcommand(): PipelineSubcommand {
  return async ({ respond }) => {
    await respond({ response_type: 'ephemeral', ...pipelineUsageMessage() });
  };
}

const NO_OPEN_ALERT = noteMessage('That alert is no longer open: the source recovered or the alert was replaced.');
/** A click whose value the card never offered (a forged or tampered payload): nothing is changed. */
const NOT_OFFERED = noteMessage(':no_entry_sign: That button is not valid: this alert never offered it, so nothing was changed.');

/** Snooze reminders of an alert: the overflow's option value is `<source>:<hours>`. */
export function snoozeAction(deps: FreshnessDeps) {
  return async ({ ack, action, body, respond }: OverflowArgs): Promise<void> => {
    await ack();
    const value = valueOf(action.selected_option?.value);
    if (!offeredInMessage(body, ActionIds.freshnessSnooze, value)) {
      await respond(ephemeral(NOT_OFFERED));
      return;
    }
    const [sourceId = '', hoursText = ''] = value.split(':');
    try {
      const res = await deps.freshness.alerts.snooze(sourceId, /^\d{1,2}$/.test(hoursText) ? Number(hoursText) : NaN, body.user.id, buttonContext(body).messageTs);
      const reply = res.ok
        ? noteMessage(res.unchanged && res.doc.acknowledgedBy
          ? `:eyes: It was acknowledged by <@${res.doc.acknowledgedBy}>: no more reminders come for this alert, so there is nothing to snooze.`
          : res.unchanged && res.doc.snoozedUntil && res.doc.snoozedBy
            ? `:zzz: Reminders are already snoozed until ${slackDate(new Date(res.doc.snoozedUntil))} by <@${res.doc.snoozedBy}>.`
            : `:zzz: Reminders snoozed for ${hoursText} h.`)
        : res.reason === 'no_open_alert' ? NO_OPEN_ALERT : noteMessage('That is not a snooze I know.');
      await respond(ephemeral(reply));
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('snooze failed', { code: coded.code, err: coded });
      await respond(ephemeral(failureMessage('I could not snooze the alert.')));
    }
  };
}

/** Acknowledge an alert: no more reminders. */
export function acknowledgeAction(deps: FreshnessDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const value = valueOf(action.value);
    if (!offeredInMessage(body, ActionIds.freshnessAcknowledge, value)) {
      await respond(ephemeral(NOT_OFFERED));
      return;
    }
    try {
      const res = await deps.freshness.alerts.acknowledge(value, body.user.id, buttonContext(body).messageTs);
      const reply = res.ok
        ? noteMessage(res.unchanged && res.doc.acknowledgedBy ? `:eyes: It was already acknowledged by <@${res.doc.acknowledgedBy}>: no more reminders for this alert.` : ':eyes: Acknowledged: no more reminders for this alert.')
        : res.reason === 'no_open_alert' ? NO_OPEN_ALERT : noteMessage('That alert is not one I know.');
      await respond(ephemeral(reply));
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('acknowledge failed', { code: coded.code, err: coded });
      await respond(ephemeral(failureMessage('I could not acknowledge the alert.')));
    }
  };
}

/** The `/pipeline` subcommands this module answers. */
export function freshnessSubcommands(deps: FreshnessDeps): Record<string, PipelineSubcommand> {
  return { status: pipelineStatusSubcommand(deps), help: pipelineHelpSubcommand() };
}

/** Registers the alert's Snooze and Acknowledge; the slash command is `/pipeline`'s (see freshnessSubcommands). */
export function registerFreshness(app: Listeners, deps: FreshnessDeps): string[] {
  app.action<BlockAction<ButtonAction>>(ActionIds.freshnessAcknowledge, acknowledgeAction(deps));
  app.action<BlockAction<OverflowAction>>(ActionIds.freshnessSnooze, snoozeAction(deps));
  return [];
}
