/**
 * Block Kit for a rerun: one message, edited in place as the run goes from
 * requested to running to succeeded or failed, then the freshness result.
 * Pure functions of data.
 */
import type { KnownBlock } from '@slack/types';
import { ActionIds, BlockIds } from '../src/ids.js';
import type { Source } from '../src/sources/catalog.js';
import type { DataState } from '../src/services/freshness.js';
import type { RerunPhase } from '../src/services/rerun.js';
import { escapeMrkdwn, slackDate, escapeAndTruncate, truncateMrkdwn, type MessageBody } from './common.js';
import { duration } from './freshness.js';

export type { RerunPhase };

export interface RerunView {
  /** The source as the catalog has it, or as its rerun kept it once it was taken out of the sources file. */
  source: Pick<Source, 'id' | 'name' | 'rerun'>;
  requestedBy: string;
  force: boolean;
  phase: RerunPhase;
  startedAt: Date;
  finishedAt?: Date;
  /** The failure, in the service's words. */
  error?: string;
  rescheduledFor?: string;
  /** Rescheduled, and the service will not run it then unless asked (a Fivetran connection on a manual schedule). */
  rescheduledOnlyIfAsked?: boolean;
  /** Offer "Force rerun" (behind a confirm dialog): the service said a sync is already running. */
  offerForce?: boolean;
  /** The freshness check after the run. */
  after?: { dataState: DataState; lastUpdated: Date | null; problem?: string | null };
  /** Where the run goes: Fivetran, BigQuery Data Transfer, simulated. */
  runner: string;
}

const PHASE: Record<RerunPhase, string> = {
  starting: ':hourglass_flowing_sand: starting',
  running: ':arrows_counterclockwise: running',
  rescheduled: ':calendar: rescheduled',
  succeeded: ':white_check_mark: succeeded',
  failed: ':x: failed',
  timed_out: ':warning: not finished',
};

/** The Force rerun button, behind Slack's confirm dialog. */
function forceButton(source: Pick<Source, 'id'>, name: string): KnownBlock {
  return {
    type: 'actions',
    block_id: BlockIds.rerunActions,
    elements: [
      {
        type: 'button',
        action_id: ActionIds.rerunForce,
        style: 'danger',
        text: { type: 'plain_text', text: 'Force rerun' },
        value: source.id,
        confirm: {
          title: { type: 'plain_text', text: 'Restart the sync?' },
          text: { type: 'mrkdwn', text: truncateMrkdwn(`If a sync of ${name} is running, forcing stops it and starts a new one.`, 300) },
          confirm: { type: 'plain_text', text: 'Force rerun' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      },
    ],
  };
}

/** `/pipeline rerun <source> force`: the forced rerun is only offered, behind a confirm dialog. */
export function rerunForceOfferMessage(source: Source): MessageBody {
  const name = escapeMrkdwn(source.name);
  const text = `Force a rerun of ${name}? A sync already running is stopped and started again.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, forceButton(source, name)] };
}

export function rerunMessage(v: RerunView): MessageBody {
  const name = escapeMrkdwn(v.source.name);
  const target = v.source.rerun?.kind === 'fivetran' ? `Fivetran connection \`${escapeMrkdwn(v.source.rerun.connectionId)}\`` : v.source.rerun?.kind === 'data_transfer' ? 'BigQuery scheduled query' : 'pipeline';
  const lines = [`*Rerun of ${name}*${v.force ? ' (forced)' : ''}: ${PHASE[v.phase]}`];
  lines.push(`Requested by <@${v.requestedBy}> at ${slackDate(v.startedAt, '{time}')} · ${target} · ${escapeMrkdwn(v.runner)}`);
  if (v.phase === 'rescheduled') {
    const when = v.rescheduledFor ? ` for ${slackDate(new Date(v.rescheduledFor))}` : '';
    lines.push(
      v.rescheduledOnlyIfAsked
        ? `The service rescheduled the sync${when}, but this connection syncs only when asked (its schedule is manual), so it will not run by itself. Rerun it${when ? ' then' : ' later'}.`
        : `The service rescheduled the sync${when}; I am not waiting on it. The freshness checks will notice when the data lands.`,
    );
  }
  // How long it took, said as it ended: a run not finished (not followed to its end, or moved to later) did not finish.
  const took = v.finishedAt ? duration(v.finishedAt.getTime() - v.startedAt.getTime()) : null;
  if (took && v.phase === 'succeeded') lines.push(`Finished after ${took}.`);
  if (took && v.phase === 'failed') lines.push(`Failed after ${took}.`);
  if (v.phase === 'timed_out') lines.push(`I stopped following it${took ? ` after ${took}` : ''}; the freshness checks will notice when the data lands.`);
  if (v.error) lines.push(`> ${escapeAndTruncate(v.error, 500)}`);
  if (v.after) {
    const a = v.after;
    lines.push(
      a.dataState === 'fresh'
        ? `:large_green_circle: Freshness check: *${name} is fresh*, last update ${a.lastUpdated ? slackDate(a.lastUpdated) : 'unknown'}.`
        : a.dataState === 'stale'
          ? `:red_circle: Freshness check: ${name} is still stale (last update ${a.lastUpdated ? slackDate(a.lastUpdated) : 'unknown'}).`
          : `:white_circle: Freshness check: ${name}'s last update is unknown${a.problem ? ` (${escapeMrkdwn(a.problem)})` : ''}.`,
    );
  }
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(lines.join('\n'), 3000) } }];
  if (v.offerForce) blocks.push(forceButton(v.source, name));
  // The notification says the phase in the message's own words ("not finished", not "timed out").
  // …and what the freshness check after it found: a sync that "succeeded" but left the data stale says so here too.
  const after = v.after ? (v.after.dataState === 'fresh' ? `; ${name} is fresh` : v.after.dataState === 'stale' ? `; ${name} is still stale` : `; ${name}'s last update is unknown`) : '';
  return { text: `Rerun of ${name}: ${PHASE[v.phase].replace(/^:[a-z_]+: /, '')}${after}`, blocks };
}
