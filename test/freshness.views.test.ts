/**
 * The freshness and rerun views: Slack's limits with many and long sources,
 * escaping of names from the sources file, and what each state shows.
 */
import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { freshnessAlertMessage, freshnessRecoveredReply, pipelineStatusMessage, ownerMention, duration, rerunNotAllowedMessage, unknownSourceMessage } from '../views/freshness.js';
import { rerunMessage } from '../views/rerun.js';
import type { Source } from '../src/sources/catalog.js';
import type { SourceFreshness } from '../src/services/freshness.js';
import type { AlertDoc } from '../src/services/freshness-alerts.js';
import { ActionIds } from '../src/ids.js';
import { blockKitViolations } from './support/block-limits.js';

const HOUR = 3_600_000;
const now = new Date('2026-01-10T12:00:00Z');

function source(i: number, name = `Source ${i}`): Source {
  return {
    id: `s${i}`, name, kind: 'fivetran', system: null, dataset: 'd', schedule: 'daily',
    tables: [{ name: `t${i}`, bigquery: undefined }], freshness: { measure: 'table_modified' }, slaHours: 26, owner: 'S0BIZOPS',
    rerun: { kind: 'fivetran', connectionId: `c${i}` },
  };
}

function result(s: Source, ageHours: number | null): SourceFreshness {
  const lastUpdated = ageHours === null ? null : new Date(now.getTime() - ageHours * HOUR);
  const stale = ageHours !== null && ageHours > s.slaHours;
  return {
    source: s, lastUpdated, dataState: ageHours === null ? 'unknown' : stale ? 'stale' : 'fresh', state: ageHours === null ? 'unknown' : stale ? 'stale' : 'fresh',
    dueAt: lastUpdated ? new Date(lastUpdated.getTime() + s.slaHours * HOUR) : null, lateByMs: stale ? (ageHours! - s.slaHours) * HOUR : 0, checkedAt: now,
  };
}

const doc = (over: Partial<AlertDoc> = {}): AlertDoc => ({
  sourceId: 's1', state: 'open', episode: 1, claimedBy: 'x', claimedAt: 0, channel: 'C1', ts: '1.1', openedAt: now.getTime(),
  lastUpdatedIso: new Date(now.getTime() - 30 * HOUR).toISOString(), lateByMs: 4 * HOUR, lastReminderAt: null, snoozedUntil: null, snoozedBy: null,
  acknowledgedBy: null, acknowledgedAt: null, rerunLink: null, rerunBy: null, recoveredAt: null, recoveredLastUpdateIso: null, ...over,
});

describe('freshness views', () => {
  it('says the last update\'s age to the minute, so that it adds up with the SLA and the lateness', () => {
    const status = JSON.stringify(pipelineStatusMessage([result({ ...source(1), slaHours: 3 }, 3 + 37 / 60)], { now, warehouse: 'embedded', alertsChannel: 'C1' }).blocks);
    expect(status).toContain('(3 h 37 min ago) · SLA 3 h · *37 min late*');
    expect(JSON.stringify(pipelineStatusMessage([result(source(2), 0.01)], { now, warehouse: 'embedded', alertsChannel: 'C1' }).blocks)).toContain('(just now)');
  });

  it('keeps /pipeline status within 50 blocks with 60 sources', () => {
    const results = Array.from({ length: 60 }, (_, i) => result(source(i, `${'Long name '.repeat(30)}${i}`), i % 3 === 0 ? null : i));
    const m = pipelineStatusMessage(results, { now, warehouse: 'embedded', alertsChannel: 'C1' });
    expect(blockKitViolations(m.blocks)).toEqual([]);
    expect(m.text).toMatch(/stale.*unknown.*fresh/);
  });

  it('says what /pipeline status leaves out past its rows by state: stale sources are not called the freshest', () => {
    // 44 stale and one fresh, worst first (as the service sorts them): the 5 left out are 4 stale and the fresh one.
    const results = [...Array.from({ length: 44 }, (_, i) => result(source(i), 100 - i)), result(source(99), 1)];
    const m = pipelineStatusMessage(results, { now, warehouse: 'embedded', alertsChannel: 'C1' });
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('…and 5 more not shown: 4 stale, 1 fresh.');
    expect(text).not.toContain('freshest');
    expect(blockKitViolations(m.blocks)).toEqual([]);
  });

  it('escapes names and owners from the sources file', () => {
    const evil = source(1, '<!channel> *HubSpot* <https://evil.example|click>');
    const m = freshnessAlertMessage(evil, { doc: doc(), now });
    // The header is plain_text (never parsed for mentions); everything in mrkdwn must be escaped.
    const mrkdwn = JSON.stringify(m.blocks.slice(1));
    expect(m.blocks[0]!.type).toBe('header');
    expect(mrkdwn).not.toContain('<!channel>');
    expect(mrkdwn).not.toContain('<https://evil');
    expect(ownerMention('U0ABC')).toBe('<@U0ABC>');
    expect(ownerMention('S0BIZOPS')).toBe('<!subteam^S0BIZOPS>');
    expect(ownerMention('<!here> team')).toBe('&lt;!here&gt; team');
    expect(blockKitViolations(m.blocks)).toEqual([]);
  });

  it('shows the stale alert with Rerun, Acknowledge and Snooze; without Rerun when nothing can rerun', () => {
    const m = JSON.stringify(freshnessAlertMessage(source(1), { doc: doc(), now }).blocks);
    for (const id of [ActionIds.freshnessRerun, ActionIds.freshnessAcknowledge, ActionIds.freshnessSnooze]) expect(m).toContain(id);
    expect(m).toContain('"value":"s1:24"');
    const none = JSON.stringify(freshnessAlertMessage({ ...source(1), rerun: null }, { doc: doc({ acknowledgedBy: 'U1' }), now }).blocks);
    expect(none).not.toContain(ActionIds.freshnessRerun);
    expect(none).not.toContain(ActionIds.freshnessAcknowledge);
    expect(none).toContain('acknowledged by <@U1>');
    // Acknowledged: reminders stopped for good, so no Snooze, no snooze from before shown, and no empty actions block.
    expect(none).not.toContain(ActionIds.freshnessSnooze);
    expect(none).not.toContain('"actions"');
    const snoozedThenAcked = JSON.stringify(freshnessAlertMessage(source(1), { doc: doc({ acknowledgedBy: 'U1', snoozedUntil: now.getTime() + HOUR, snoozedBy: 'U2' }), now }).blocks);
    expect(snoozedThenAcked).not.toContain('snoozed until');
    expect(snoozedThenAcked).not.toContain(ActionIds.freshnessSnooze);
    expect(snoozedThenAcked).toContain(ActionIds.freshnessRerun);
    expect(blockKitViolations(freshnessAlertMessage({ ...source(1), rerun: null }, { doc: doc({ acknowledgedBy: 'U1' }), now }).blocks)).toEqual([]);
  });

  it('shows a recovered alert without buttons, with the rerun link', () => {
    const m = freshnessAlertMessage(source(1), { doc: doc({ state: 'closed', recoveredAt: now.getTime() + 2 * HOUR, rerunLink: 'https://x.slack.com/archives/C1/p1', rerunBy: 'U0BIZOPS' }), now });
    expect(m.text).toMatch(/recovered/);
    expect(JSON.stringify(m.blocks)).not.toContain('"actions"');
    expect(JSON.stringify(m.blocks)).toContain('https://x.slack.com/archives/C1/p1');
    // Stale since its SLA passed: 4 h late when the alert was posted, recovered 2 h later.
    expect(JSON.stringify(m.blocks)).toContain('after 6 h stale');
  });

  it('says on the card how a linked rerun stands: requested while it runs, then how it ended', () => {
    const link = 'https://x.slack.com/archives/C1/p1';
    const said = (over: Partial<AlertDoc>) => JSON.stringify(freshnessAlertMessage(source(1), { doc: doc({ rerunLink: link, rerunBy: 'U0BIZOPS', ...over }), now }).blocks);
    expect(said({})).toContain(`:arrows_counterclockwise: <${link}|rerun requested> by <@U0BIZOPS>`);
    expect(said({ rerunOutcome: null })).toContain(`:arrows_counterclockwise: <${link}|rerun requested> by <@U0BIZOPS>`);
    expect(said({ rerunOutcome: 'succeeded' })).toContain(`:white_check_mark: <${link}|rerun finished> by <@U0BIZOPS>`);
    expect(said({ rerunOutcome: 'failed' })).toContain(`:x: <${link}|rerun failed> by <@U0BIZOPS>`);
    expect(said({ rerunOutcome: 'timed_out' })).toContain(`:warning: <${link}|rerun not finished> by <@U0BIZOPS>`);
    expect(said({ rerunOutcome: 'rescheduled' })).toContain(`:calendar: <${link}|rerun rescheduled> by <@U0BIZOPS>`);
    // Recovered: a rerun that did its work is "rerun"; one that did not says so (the source recovered by itself).
    const recovered = { state: 'closed' as const, recoveredAt: now.getTime() + HOUR };
    expect(said({ ...recovered, rerunOutcome: 'succeeded' })).toContain(`<${link}|rerun> by <@U0BIZOPS>`);
    expect(said({ ...recovered, rerunOutcome: 'failed' })).toContain(`<${link}|rerun failed> by <@U0BIZOPS>`);
  });

  it('counts stale time from when the SLA passed, and the last update\'s age from now, on every edit', () => {
    const opened = now.getTime();
    const reply = freshnessRecoveredReply(source(1).name, { ...result(source(1), 1), checkedAt: new Date(opened + 2 * HOUR) }, doc({ openedAt: opened }));
    expect(reply.text).toContain('Source 1 is fresh again after 6 h stale');
    // Posted an hour after the recovery (Slack refused the app's token meanwhile): said as of then.
    const late = freshnessRecoveredReply(source(1).name, { ...result(source(1), 1), checkedAt: new Date(opened + 2 * HOUR) }, doc({ openedAt: opened }), new Date(opened + 3 * HOUR));
    expect(late.text).toContain(`Source 1 was fresh again <!date^${Math.floor((opened + 2 * HOUR) / 1000)}^`);
    expect(late.text).toContain('after 6 h stale');
    const later = JSON.stringify(freshnessAlertMessage(source(1), { doc: doc({ openedAt: opened }), now: new Date(opened + 2 * HOUR) }).blocks);
    expect(later).toContain('(32 h ago)');
    // Late by as much as the last update's age and the SLA say (32 h against 26 h), since a time with its day:
    // not the 4 h it was when posted, "as of" a time of day that reads as today.
    const staleSince = Math.floor((opened - 4 * HOUR) / 1000);
    expect(later).toContain(`*Late by*\\n6 h (since <!date^${staleSince}^{date_short_pretty} at {time}|`);
  });

  it('never puts a mention inside a link label, where Slack shows it raw', () => {
    const linkWithMention = /<[^<>|]+\|[^<>]*<@/;
    for (const state of ['open', 'closed'] as const) {
      const m = freshnessAlertMessage(source(1), { doc: doc({ state, recoveredAt: now.getTime() + HOUR, rerunLink: 'https://x.slack.com/archives/C1/p1', rerunBy: 'U0BIZOPS' }), now });
      const text = JSON.stringify(m.blocks);
      expect(text).toContain('by <@U0BIZOPS>');
      expect(text).not.toMatch(linkWithMention);
    }
  });

  it('keeps a rerun message with a huge error within limits, the force button behind a confirm', () => {
    const m = rerunMessage({ source: source(1), requestedBy: 'U1', force: false, phase: 'failed', startedAt: now, finishedAt: now, error: 'x'.repeat(10_000), runner: 'Fivetran', offerForce: true });
    expect(blockKitViolations(m.blocks as KnownBlock[])).toEqual([]);
    const json = JSON.stringify(m.blocks);
    expect(json).toContain(ActionIds.rerunForce);
    expect(json).toContain('"confirm":{');
    expect(rerunNotAllowedMessage(source(1), undefined).text).toMatch(/Only BizOps/);
  });

  it('writes durations readably', () => {
    expect(duration(30 * 60_000)).toBe('30 min');
    expect(duration(4 * HOUR)).toBe('4 h');
    expect(duration(4 * HOUR + 20 * 60_000)).toBe('4 h 20 min');
    expect(duration(50 * HOUR)).toBe('2 days 2 h');
    expect(duration(-5)).toBe('0 s');
    // A 3-second rerun "finished after 3 s", not "0 min".
    expect(duration(3_000)).toBe('3 s');
    expect(duration(59_400)).toBe('59 s');
    expect(duration(59_600)).toBe('1 min');
    expect(duration(89_000)).toBe('1 min');
  });
});

describe('an unknown source with many sources', () => {
  // 150 sources with the long IDs a sources file grows: the list of them alone is over 4,000 characters.
  const many = Array.from({ length: 150 }, (_, i) => source(i, `${i % 2 ? 'Postgres' : 'HubSpot'} production replica ${i}`)).map((s, i) => ({ ...s, id: `${i % 2 ? 'postgres' : 'hubspot'}_production_replica_${i}` }));

  it.each([['', 'rerun'], ['nosuchsource', 'rerun'], ['nosuchsource', 'status']] as const)('lists the sources that fit Slack for “%s” after %s, and says how many more and how to find them', (typed, subcommand) => {
    const m = unknownSourceMessage(typed, many, subcommand);
    expect(blockKitViolations(m.blocks)).toEqual([]);
    const listed = (m.text.match(/`(hubspot|postgres)_production_replica_\d+`/g) ?? []).length;
    expect(listed).toBeGreaterThan(0);
    expect(m.text).toContain(` and ${150 - listed} more: type the start of a source's name or ID after \`/pipeline ${subcommand}\` to list those that match first.`);
    expect(m.text).toMatch(/Example: `\/pipeline (rerun|status) hubspot_production_replica_0`$/);
  });

  it('lists first the sources what was typed matches, so that typing the start of a name finds one past the cut', () => {
    // A typo of the last source's ID: listed, though in the file's order it would be past the cut.
    const m = unknownSourceMessage('postgres_production_replca_149', many);
    expect(blockKitViolations(m.blocks)).toEqual([]);
    expect(m.text).toMatch(/ more: type the start/);
    expect(m.text).toMatch(/Sources: `postgres_production_replica_149`, `postgres_production_replica_\d+`, /);
  });

  it('names the closest sources first in “Did you mean”: fewest letters off, then those only started', () => {
    // One letter off the 149th; two off others (…_14, …_109, …_119, …): in the file's order, those came first.
    expect(unknownSourceMessage('postgres_production_replca_149', many).text).toMatch(/^No source is called “postgres_production_replca_149”\. Did you mean `postgres_production_replica_149` or /);
    // A start (`hub`) ranks after a near-miss (`hubspt`, two letters from `hubspot`), whatever the file's order.
    const sources = [source(1, 'HubSpot marketing'), source(2, 'Hubspt')].map((s, i) => ({ ...s, id: i ? 'hubspt' : 'hubspot_marketing' }));
    expect(unknownSourceMessage('hubspot', sources).text).toMatch(/Did you mean `hubspt` or `hubspot_marketing`\?/);
    expect(unknownSourceMessage('hub', sources).text).toMatch(/Did you mean `hubspot_marketing` or `hubspt`\?/);
  });

  it('lists every source, in the file’s order, when they fit', () => {
    expect(unknownSourceMessage('', many.slice(0, 3)).text).toBe('Which source? Sources: `hubspot_production_replica_0`, `postgres_production_replica_1`, `hubspot_production_replica_2`. Example: `/pipeline rerun hubspot_production_replica_0`');
  });
});
