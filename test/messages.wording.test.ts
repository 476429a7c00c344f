/**
 * The bot's messages, point by point, as a CE, a salesperson or BizOps reads
 * them (issue 12, "The bot's messages"): pure view tests, plus the App Home
 * feed and the `/query list` page button on plain fakes.
 */
import { describe, expect, it } from 'vitest';
import type { KnownBlock, SectionBlock } from '@slack/types';
import { ActionIds, BlockIds } from '../src/ids.js';
import { cachedEmailOf, lookerHomeFeed, pipelineHomeFeed } from '../src/services/home.js';
import type { Store } from '../src/ports/store.js';
import type { PipelineRequestService } from '../src/services/pipeline-request.js';
import type { LookerAccessRequest } from '../src/services/looker-access.js';
import type { QueryService } from '../src/services/query.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { lookerAccessModal, lookerDecidedDm, lookerGrantFailedThreadMessage, lookerRequestCard, lookerRequestSentDm } from '../views/looker-access.js';
import { freshnessAlertMessage, pipelineStatusMessage } from '../views/freshness.js';
import { rerunMessage } from '../views/rerun.js';
import { homeStateText, homeView } from '../views/home.js';
import { QUERY_LIST_PAGE_SIZE, queryCsvAlreadyMessage, queryCsvOnItsWayMessage, queryListMessage, queryParamErrors, queryParamsModal, queryProblemsMessage, queryUnknownMessage } from '../views/query.js';
import { telemetryCardMessage } from '../views/telemetry.js';
import { alertClosedMessage, alertFiredMessage, alertResolvedMessage, homeSubscriptionBlocks, modalDataOf, subscriptionModal, subscriptionSavedMessage, subscriptionCsvBlocks, subscriptionFailedDm, subscriptionManageMessage, subscriptionsListMessage } from '../views/subscriptions.js';
import { auditSentence } from '../views/audit.js';
import { checkCondition } from '../src/domain/alert-condition.js';
import type { Subscription } from '../src/services/subscriptions.js';
import { goneMessage } from '../src/slack/subscription-run.js';
import { queryListPageAction } from '../commands/query.js';
import { blockKitViolations } from './support/block-limits.js';
import { alertDoc, catalog, customerTelemetry, freshnessResult, lookerBase, NOW, pipelineBase, source, subscriptionAuditEntries, subscriptionBase, subscriptionSamples } from './support/view-samples.js';

const HOUR = 3_600_000;
const json = (v: unknown) => JSON.stringify(v);
const text = (m: { blocks: unknown[] }) => blocksToText({ blocks: m.blocks });
const approved: LookerAccessRequest = { ...lookerBase, reason: 'LookML for the usage explore', status: 'approved', decidedBy: 'U0ADMIN', decidedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 14 * 24 * HOUR).toISOString() };

describe('wording', () => {
  it('writes decisions and recoveries with Slack\'s "Today at 8:08 PM" standing alone, never "on Today at"', () => {
    const card = json(lookerRequestCard(approved, { adminsUsergroup: null, lookerConnected: true, lookerUrl: null }));
    expect(card).toMatch(/\*Approved\* by <@U0ADMIN> · <!date\^\d+\^\{date_short_pretty\} at \{time\}\|/);
    expect(card).not.toMatch(/ on <!date/);
    const recovered = freshnessAlertMessage(source({ name: 'HubSpot' }), { doc: alertDoc({ state: 'closed', recoveredAt: NOW.getTime(), openedAt: NOW.getTime() - 2 * HOUR }), now: NOW });
    const line = (recovered.blocks[0] as SectionBlock).text!.text;
    expect(line).toMatch(/^:white_check_mark: \*HubSpot recovered\* <!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+>, after 6 h stale \(since <!date/);
    expect(line).not.toMatch(/recovered\* at/);
  });

  it('says "Develop access to Looker for 14 days", not "Develop for 14 days access"', () => {
    const dm = lookerRequestSentDm({ ...lookerBase, reason: 'x' }, { channel: 'C0ANALYTIC', posted: true });
    expect(dm.text).toContain('Your request `LA-BCDE12` for Develop access to Looker for 14 days (`riley@example.com`) is with the Looker admins');
    expect(dm.text).not.toMatch(/days access/);
    expect(lookerDecidedDm(approved, { lookerUrl: null }).text).toContain('approved Develop access to Looker for 14 days');
  });

  it('promises to keep trying to post a Looker request only when there is a channel to post it in', () => {
    const request = { ...lookerBase, reason: 'x' };
    expect(lookerRequestSentDm(request, { channel: 'C0ANALYTIC', posted: false }).text).toContain('could not post it for the Looker admins yet. I will keep trying; meanwhile, please mention it');
    const nowhere = lookerRequestSentDm(request, { channel: null, posted: false }).text;
    expect(nowhere).toContain('could not post it for the Looker admins. Please mention it in #analytics.');
    expect(nowhere).not.toMatch(/keep trying/);
  });

  it("on a request for someone else, tells the requester whose access it is and that both are reminded", () => {
    const forBlake: LookerAccessRequest = { ...approved, subjectId: 'U0BIZOPS', email: 'blake@example.com' };
    const toRiley = lookerDecidedDm(forBlake, { lookerUrl: null, to: 'U0REGULAR' }).text;
    expect(toRiley).toContain("The access is <@U0BIZOPS>'s and lasts until <!date");
    expect(toRiley).toContain('I will remind you both a day before.');
    expect(toRiley).not.toContain('It lasts until');
    const toBlake = lookerDecidedDm(forBlake, { lookerUrl: null, to: 'U0BIZOPS' }).text;
    expect(toBlake).toContain('It lasts until <!date');
    expect(toBlake).toContain('I will remind you and <@U0REGULAR> a day before.');
    // Asked for oneself: unchanged.
    expect(lookerDecidedDm(approved, { lookerUrl: null, to: 'U0REGULAR' }).text).toContain('; I will remind you a day before.');
    // A one-day grant has no reminder: none is promised to either.
    expect(lookerDecidedDm({ ...forBlake, durationDays: 1 }, { lookerUrl: null, to: 'U0REGULAR' }).text).not.toContain('remind');
  });

  it('says a 3-second rerun finished after 3 s, not 0 min', () => {
    const m = rerunMessage({ source: source({ name: 'HubSpot' }), requestedBy: 'U0BIZOPS', force: false, phase: 'succeeded', startedAt: NOW, finishedAt: new Date(NOW.getTime() + 3_000), runner: 'simulated' });
    expect(text(m)).toContain('Finished after 3 s.');
    expect(text(m)).not.toContain('0 min');
  });

  it('says a rerun not followed to its end, or moved to later, did not finish: not "Finished after"', () => {
    const at = (phase: 'failed' | 'timed_out' | 'rescheduled') => text(rerunMessage({ source: source({ name: 'HubSpot' }), requestedBy: 'U0BIZOPS', force: false, phase, startedAt: NOW, finishedAt: new Date(NOW.getTime() + 3 * 3_600_000), rescheduledFor: new Date(NOW.getTime() + 6 * 3_600_000).toISOString(), runner: 'Fivetran' }));
    expect(at('timed_out')).toContain('I stopped following it after 3 h; the freshness checks will notice when the data lands.');
    expect(at('failed')).toContain('Failed after 3 h.');
    expect(at('rescheduled')).toContain('The service rescheduled the sync for');
    for (const phase of ['failed', 'timed_out', 'rescheduled'] as const) expect(at(phase)).not.toContain('Finished after');
  });
});

describe('the Looker access modal', () => {
  const data = { requesterId: 'U0REGULAR', requesterEmail: 'riley@example.com', subjectId: 'U0REGULAR', email: 'riley@example.com', lookerConnected: true };
  const inputs = (m: ReturnType<typeof lookerAccessModal>) => (m.blocks as Array<{ type: string; block_id?: string; optional?: boolean; dispatch_action?: boolean; label?: { text: string } }>).filter((b) => b.type === 'input');

  it('shows Reason and Days, required, only for the levels that need them; the level picker updates the modal', () => {
    const view = inputs(lookerAccessModal(data));
    expect(view.map((b) => b.block_id)).toEqual([BlockIds.lookerAccessSubject, BlockIds.lookerAccessEmail, BlockIds.lookerAccessTeam, BlockIds.lookerAccessLevel]);
    expect(view.find((b) => b.block_id === BlockIds.lookerAccessLevel)?.dispatch_action).toBe(true);
    for (const level of ['create_content', 'develop'] as const) {
      const elevated = inputs(lookerAccessModal({ ...data, level }));
      const extra = elevated.filter((b) => b.block_id === BlockIds.lookerAccessReason || b.block_id === BlockIds.lookerAccessDuration);
      expect(extra.map((b) => [b.label?.text, b.optional ?? false])).toEqual([['Reason', false], ['Days (1 to 90)', false]]);
    }
    expect(json(lookerAccessModal({ ...data, level: 'develop' }))).not.toMatch(/optional|\(Create content or Develop\)/);
  });

  it('lists what to grant by hand as a sentence: "the View group and the View role", the elevated role last', () => {
    const view: LookerAccessRequest = { ...approved, level: 'view', durationDays: null, expiresAt: null, grantError: 'boom' };
    const said = (r: LookerAccessRequest) => text(lookerGrantFailedThreadMessage(r, { adminsUsergroup: null }));
    expect(said(view)).toContain('grant it by hand: the View group and the View role for `riley@example.com`.');
    expect(said({ ...approved, grantError: 'boom' })).toContain('grant it by hand: the View group, the View role and the Develop role for `riley@example.com`.');
    expect(text(lookerRequestCard(view, { adminsUsergroup: null, lookerConnected: true, lookerUrl: null }))).toContain('or grant it by hand in Looker: the View group and the View role.');
  });

  it('says View is granted at once only for your own Slack email, and that asking for someone else goes to a Looker admin', () => {
    const self = json(lookerAccessModal(data));
    expect(self).toContain('*View* (the View group and the View role: Looker needs both) is granted at once when you ask for yourself, with your own Slack email, for a listed team.');
    expect(self).toContain('Asking for someone else, with another email, or for team Other goes to a Looker admin first.');
    expect(json(lookerAccessModal({ ...data, subjectId: 'U0BIZOPS' }))).toContain('For someone else, a Looker admin approves the request, View included.');
    expect(json(lookerAccessModal({ ...data, lookerConnected: false }))).toContain('a Looker admin grants every request by hand, View included');
  });
});

describe('App Home', () => {
  const storeOf = (docs: LookerAccessRequest[]): Store => ({
    list: async (_c: string, q?: { where?: { field: string; equals: unknown } }) =>
      docs.filter((d) => !q?.where || (d as unknown as Record<string, unknown>)[q.where.field] === q.where.equals).map((data) => ({ id: data.id, data })),
  }) as unknown as Store;

  it("leaves out of a Looker admin's to-do a request for their own Slack email, asking Slack only when something is pending", async () => {
    const admin = { bizops: 'not_member', lookerAdmin: 'member' } as const;
    const forAlex = { ...lookerBase, id: 'la_mh2k9x7q3alex01', email: 'ALEX@example.com' };
    const asked: string[] = [];
    const emailOf = async (userId: string) => { asked.push(userId); return 'alex@example.com'; };
    expect((await lookerHomeFeed(storeOf([lookerBase, forAlex]), () => NOW, emailOf).waiting('U0ADMIN', admin)).map((i) => i.id)).toEqual([lookerBase.id]);
    expect(asked).toEqual(['U0ADMIN']);
    expect(await lookerHomeFeed(storeOf([]), () => NOW, emailOf).waiting('U0ADMIN', admin)).toEqual([]);
    expect(asked).toHaveLength(1);
    // Slack does not answer: only the IDs are compared (the click says it could not check).
    expect(await lookerHomeFeed(storeOf([forAlex]), () => NOW, async () => 'unknown').waiting('U0ADMIN', admin)).toHaveLength(1);
  });

  it('reuses a profile email for a while, and asks again after a failure or once it is old', async () => {
    let clock = 0;
    const answers: Array<'fail' | string | null> = ['fail', 'alex@example.com', 'new@example.com'];
    let calls = 0;
    const emailOf = cachedEmailOf({ profile: async () => {
      const a = answers[calls++];
      if (a === 'fail') return 'unknown';
      return { email: a ?? null, firstName: 'A', lastName: '', isBot: false, tz: null };
    } }, { ttlMs: 1000, clock: () => clock });
    expect(await emailOf('U0ADMIN')).toBe('unknown');
    expect(await emailOf('U0ADMIN')).toBe('alex@example.com');
    clock = 900;
    expect(await emailOf('U0ADMIN')).toBe('alex@example.com');
    expect(calls).toBe(2);
    clock = 1500;
    expect(await emailOf('U0ADMIN')).toBe('new@example.com');
    expect(calls).toBe(3);
  });

  it("shows the requester where their request stands, never the approver's to-do", async () => {
    const feed = lookerHomeFeed(storeOf([lookerBase]), () => NOW);
    const mine = await feed.mine('U0REGULAR');
    expect(mine.map((i) => [i.ref, i.state, i.todo])).toEqual([['LA-BCDE12', 'looker_pending', undefined]]);
    const waiting = await feed.waiting('U0ADMIN', { bizops: 'not_member', lookerAdmin: 'member' });
    expect(waiting.map((i) => i.todo)).toEqual(['decide_looker']);
    const pipelines = pipelineHomeFeed({
      openRequestsOf: async () => [pipelineBase, { ...pipelineBase, status: 'accepted' }],
      waitingOnBizops: async () => [pipelineBase, { ...pipelineBase, status: 'accepted' }],
    } as unknown as PipelineRequestService);
    expect((await pipelines.mine('U0REGULAR')).map((i) => i.todo)).toEqual([undefined, undefined]);
    expect((await pipelines.waiting('U0BIZOPS', { bizops: 'member', lookerAdmin: 'not_member' })).map((i) => i.todo)).toEqual(['triage_pipeline', 'mark_pipeline_live']);

    const view = homeView({ userId: 'U0REGULAR', roles: { bizops: 'not_member', lookerAdmin: 'not_member' }, mine, waiting: [], unavailable: [], canRequestPipeline: true, generatedAt: NOW, subscriptions: [] });
    expect(text(view)).toContain('waiting for a Looker admin');
    expect(text(view)).not.toContain('approve or deny');
  });

  it('says "granted until …" only once Looker has it; a grant by hand or refused by Looker says so', async () => {
    const grant = { mode: 'looker' as const, at: NOW.toISOString(), lookerUserId: '1', createdUser: false, addedGroupIds: [], addedRoleIds: ['6'] };
    const states = [
      { ...approved, id: 'la_granting0001' },
      { ...approved, id: 'la_granted00001', grant },
      { ...approved, id: 'la_byhand000001', grant: { ...grant, mode: 'manual' as const, lookerUserId: null } },
      { ...approved, id: 'la_refused00001', grantError: 'the Looker user is disabled' },
      { ...approved, id: 'la_viewdone0001', level: 'view' as const, durationDays: null, expiresAt: null, grant },
    ];
    const items = await lookerHomeFeed(storeOf(states), () => NOW).mine('U0REGULAR');
    const words = items.map((i) => homeStateText(i));
    expect(words.filter((w) => w.startsWith('granted until'))).toHaveLength(1);
    expect(words).toContain('approved, being granted in Looker');
    expect(words.some((w) => w.startsWith('approved; a Looker admin adds it in Looker by hand (it ends <!date'))).toBe(true);
    expect(words.some((w) => w.startsWith('approved, but Looker refused the grant; a Looker admin adds it by hand'))).toBe(true);
    // View granted in Looker is done: nothing left to wait for.
    expect(items.find((i) => i.id === 'la_viewdone0001')).toBeUndefined();
  });
});

describe('one short ID', () => {
  it('shows LA-… on the card, in the DMs and on Home, never the stored la_ ID', () => {
    const card = text(lookerRequestCard(lookerBase, { adminsUsergroup: null, lookerConnected: true, lookerUrl: null }));
    expect(card).toContain('Request `LA-BCDE12`');
    expect(card).not.toContain('la_');
    expect(lookerDecidedDm({ ...approved, status: 'denied', denyReason: 'no' }, { lookerUrl: null }).text).toContain('`LA-BCDE12`');
  });
});

describe('Deny with a reason', () => {
  it('puts the reason in the requester\'s DM and on the card, quoted and escaped', () => {
    const denied = { ...lookerBase, status: 'denied' as const, decidedBy: 'U0ADMIN', decidedAt: NOW.toISOString(), denyReason: 'View covers it:\nsee <the CE board>' };
    const dm = lookerDecidedDm(denied, { lookerUrl: null }).text;
    expect(dm).toContain("<@U0ADMIN> denied the request for Develop access to Looker for 14 days (`riley@example.com`, `LA-BCDE12`):\n>View covers it:\n>see &lt;the CE board&gt;");
    expect(json(lookerRequestCard(denied, { adminsUsergroup: null, lookerConnected: true, lookerUrl: null }))).toContain('>View covers it:\\n>see &lt;the CE board&gt;');
  });
});

describe('/query: the parameter modal and its errors', () => {
  const top = catalog.get('top-customers-by-active-users')!;
  const pings = catalog.get('customer-pings-per-day')!;

  it('names the field by the label people see, not the key', () => {
    const problems = { limit: 'must be from 1 to 50, got 500' };
    expect(queryParamErrors(top, problems)).toEqual({ [`${BlockIds.queryParamPrefix}limit`]: 'Must be from 1 to 50, got 500' });
    expect(queryProblemsMessage(top, problems).text).toBe('top-customers-by-active-users: How many customers: must be from 1 to 50, got 500');
    expect(text(queryProblemsMessage(top, problems))).toContain('• *How many customers* (`limit`): must be from 1 to 50, got 500');
  });

  it('marks a bad value from the command in its own input, where it goes away once fixed: no note at the top that stays', () => {
    const modal = queryParamsModal(top, { values: { limit: '500' }, problems: { limit: 'must be from 1 to 50, got 500' }, metadata: { q: top.name, c: 'C0ANALYTIC' }, today: '2026-11-28' });
    const limit = modal.blocks.find((b) => b.block_id === `${BlockIds.queryParamPrefix}limit`) as { element: { placeholder?: { text: string }; initial_value?: string } };
    expect(limit.element.placeholder?.text).toBe('⚠ Must be from 1 to 50, got 500');
    expect(limit.element.initial_value).toBeUndefined();
    expect(modal.blocks.filter((b) => b.type === 'context')).toEqual([]);
    // A word that is not a parameter cannot be fixed in an input: that one is said at the top.
    const stray = queryParamsModal(top, { values: {}, problems: { colour: '“colour” is not a parameter of top-customers-by-active-users' }, metadata: { q: top.name, c: 'C0ANALYTIC' }, today: '2026-11-28' });
    expect(json(stray.blocks.filter((b) => b.type === 'context'))).toContain('Not used from your command: “colour” is not a parameter');
  });

  it('gives a date picker a hint in days (a picker cannot take "-30d")', () => {
    const modal = queryParamsModal(pings, { values: {}, problems: {}, metadata: { q: pings.name, c: 'C0ANALYTIC' }, today: '2026-11-28' });
    const since = modal.blocks.find((b) => b.block_id === `${BlockIds.queryParamPrefix}since`) as { hint: { text: string }; element: { initial_date: string } };
    expect(since.hint.text).toBe('A day from 2025-11-28 to yesterday');
    expect(since.element.initial_date).toBe('2026-10-29');
    expect(json(modal)).not.toContain('-30d');
  });

  it('says once what a text input with a pattern hint takes, and a date\'s range (not today, which it refuses) in /query list\'s terms', () => {
    const iov = catalog.get('instances-on-version')!;
    const modal = queryParamsModal(iov, { values: {}, problems: {}, metadata: { q: iov.name, c: 'C0ANALYTIC' }, today: '2026-11-28' });
    const version = modal.blocks.find((b) => b.block_id === `${BlockIds.queryParamPrefix}version`) as { hint: { text: string } };
    expect(version.hint.text).toBe('A version like 5.4 or 5.4.1, up to 20 characters, default “5.4”');
    const problems = text(queryProblemsMessage(pings, { since: 'must be on or before 2026-11-27, got 2026-11-28' }));
    expect(problems).toContain('a date (YYYY-MM-DD, -30d), from 365 days ago to yesterday, default -30d');
    expect(problems).not.toContain('today');
  });

  it('gives a select no hint listing the choices it already shows', () => {
    const wai = catalog.get('weekly-active-instances')!;
    const modal = queryParamsModal(wai, { values: {}, problems: {}, metadata: { q: wai.name, c: 'C0ANALYTIC' }, today: '2026-11-28' });
    const hosting = modal.blocks.find((b) => b.block_id === `${BlockIds.queryParamPrefix}hosting`) as { hint?: { text: string }; element: { type: string } };
    expect(hosting.element.type).toBe('static_select');
    expect(hosting.hint?.text ?? '').not.toMatch(/one of|managed, /i);
    const weeks = modal.blocks.find((b) => b.block_id === `${BlockIds.queryParamPrefix}weeks`) as { hint: { text: string } };
    expect(weeks.hint.text).toBe('Whole weeks, ending with last week (a whole number from 1 to 13, default 12)');
  });

  it('shows the default of a parameter given empty (`weeks= hosting=`), as a run takes it: not a blank required input', () => {
    const wai = catalog.get('weekly-active-instances')!;
    const modal = queryParamsModal(wai, { values: { weeks: '', hosting: '' }, problems: { '5': '“5” is not a parameter' }, metadata: { q: wai.name, c: 'C0ANALYTIC' }, today: '2026-11-28' });
    const element = (name: string) => (modal.blocks.find((b) => b.block_id === `${BlockIds.queryParamPrefix}${name}`) as { element: { initial_value?: string; initial_option?: { value: string } } }).element;
    expect(element('weeks').initial_value).toBe('12');
    expect(element('hosting').initial_option?.value).toBe('all');
  });
});

describe('one-click next steps', () => {
  it('has a Run button on every entry of /query list and on each "Did you mean …?"', () => {
    const list = queryListMessage(catalog.queries, '', catalog.queries.length);
    const entries = list.blocks.filter((b): b is SectionBlock => b.type === 'section' && Boolean((b as SectionBlock).accessory));
    expect(entries).toHaveLength(catalog.queries.length);
    for (const [i, e] of entries.entries()) {
      expect(e.accessory).toMatchObject({ type: 'button', action_id: ActionIds.queryRun, text: { text: 'Run' } });
      expect(JSON.parse((e.accessory as { value: string }).value)).toEqual({ q: catalog.queries[i]!.name, p: {} });
    }
    const unknown = queryUnknownMessage('weekly-activ', [catalog.get('weekly-active-instances')!]);
    expect(unknown.blocks[1]).toMatchObject({ type: 'section', accessory: { action_id: ActionIds.queryRun, value: '{"q":"weekly-active-instances","p":{}}' } });
  });

  it('offers Subscribe… after a mistyped /query subscribe, and Alert… after /query alert (only where there is a value to watch)', () => {
    const weekly = catalog.get('weekly-active-instances')!;
    const subscribe = queryUnknownMessage('weekly-activ', [weekly], 'subscribe');
    expect(subscribe.blocks[1]).toMatchObject({ type: 'section', accessory: { action_id: ActionIds.querySubscribe, text: { text: 'Subscribe…' }, value: '{"q":"weekly-active-instances","p":{}}' } });
    const alert = queryUnknownMessage('weekly-activ', [weekly], 'alert');
    expect(alert.blocks[1]).toMatchObject({ type: 'section', accessory: { action_id: ActionIds.queryAlert, text: { text: 'Alert…' }, value: '{"q":"weekly-active-instances","p":{}}' } });
    const noValue = { ...weekly, display: { ...weekly.display, y: [] } };
    const none = queryUnknownMessage('weekly-activ', [noValue], 'alert');
    expect(none.blocks).toHaveLength(1);
    expect(none.text).not.toContain('Did you mean');
    expect(none.text).toContain('`/query list` shows every saved query.');
    // The same query is still offered to subscribe to.
    expect(queryUnknownMessage('weekly-activ', [noValue], 'subscribe').blocks[1]).toMatchObject({ accessory: { action_id: ActionIds.querySubscribe } });
  });

  it('puts Rerun on stale rows of /pipeline status for BizOps, "Ask BizOps to rerun" for others, nothing on fresh or running ones', () => {
    const results = [
      freshnessResult(source({ id: 'hubspot', name: 'HubSpot' }), 'stale'),
      freshnessResult(source({ id: 'salesforce', name: 'Salesforce' }), 'fresh'),
      freshnessResult(source({ id: 'github', name: 'GitHub' }), 'stale', { rerun: { requestedBy: 'U0BIZOPS', startedAt: NOW.toISOString(), link: null } }),
      freshnessResult(source({ id: 'sheet', name: 'Sheet', rerun: null }), 'stale'),
    ];
    const buttons = (viewerInBizops: boolean | null) => pipelineStatusMessage(results, { now: NOW, warehouse: 'embedded', alertsChannel: 'C1', viewerInBizops }).blocks
      .flatMap((b) => ((b as SectionBlock).accessory ? [[(b as SectionBlock).accessory as { action_id: string; value: string; text: { text: string } }]] : []))
      .map(([a]) => [a!.action_id, a!.value, a!.text.text]);
    expect(buttons(true)).toEqual([[ActionIds.freshnessRerun, 'hubspot', 'Rerun']]);
    expect(buttons(null)).toEqual([[ActionIds.freshnessRerun, 'hubspot', 'Rerun']]);
    expect(buttons(false)).toEqual([[ActionIds.rerunRequest, 'hubspot', 'Ask BizOps to rerun']]);
  });

  it('says where the CSV goes on the first click of Download CSV, and on the next', () => {
    const q = catalog.get('top-customers-by-active-users')!;
    expect(queryCsvOnItsWayMessage(q, false).text).toBe(":page_facing_up: The CSV of *Top customers by active users* will be in this result's thread in a moment, as a file you can download.");
    expect(queryCsvOnItsWayMessage(q, true).text).toContain('will be in this thread');
    expect(queryCsvAlreadyMessage(false).text).toContain("already in this result's thread");
  });
});

describe('the telemetry card for CEs and sales', () => {
  const t = customerTelemetry(['critical', 'full_user_level', 'full']);
  const acme = { ...t, customer: { ...t.customer, name: 'Acme Corp', aliases: [] }, instances: t.instances.map((i, n) => ({ ...i, siteId: `site-${n}`, version: '5.3.2' })) };

  it('leads with a one-line verdict', () => {
    const card = telemetryCardMessage(acme, { shareable: true });
    expect(card.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Acme Corp: 3 instances, best level Full pings + user-level data' } });
    expect(card.text).toBe('Telemetry: Acme Corp: 3 instances, best level Full pings + user-level data');
    expect((telemetryCardMessage({ ...acme, instances: [] }, { shareable: true }).blocks[0] as { text: { text: string } }).text.text).toBe('Acme Corp: no instances on record');
  });

  it('links the "Looker:" lines when LOOKER_BASE_URL is set, and shows instance IDs small, in the context line', () => {
    const linked = json(telemetryCardMessage(acme, { shareable: true, lookerUrl: 'https://company.looker.com' }));
    expect(linked).toContain(':mag: <https://company.looker.com|Looker>: the product/engineering board');
    const plain = telemetryCardMessage(acme, { shareable: true });
    expect(json(plain)).toContain(':mag: Looker: the product/engineering board');
    const sections = plain.blocks.filter((b): b is SectionBlock => b.type === 'section');
    expect(json(sections)).not.toContain('site-0');
    const contexts = json(plain.blocks.filter((b) => b.type === 'context'));
    expect(contexts).toContain('instance site-0');
  });
});

describe('/query list pages', () => {
  const many = Array.from({ length: 47 }, (_, i) => ({ ...catalog.queries[i % catalog.queries.length]!, name: `query-${String(i).padStart(2, '0')}` }));

  it('pages instead of overflowing Slack\'s 50 blocks, every query on one page', () => {
    const pages = [0, 1, 2].map((n) => queryListMessage(many, '', many.length, n));
    const seen: string[] = [];
    for (const [n, page] of pages.entries()) {
      expect(blockKitViolations(page.blocks as KnownBlock[])).toEqual([]);
      expect(page.blocks.length).toBeLessThanOrEqual(50);
      seen.push(...[...json(page.blocks).matchAll(/query-(\d\d)/g)].map((m) => m[0]));
      expect(text(page)).toContain(`Page ${n + 1} of 3`);
      const nav = page.blocks.find((b) => b.block_id === BlockIds.queryListPages) as { elements: Array<{ action_id: string; value: string }> };
      expect(nav.elements.map((e) => e.action_id)).toEqual([...(n > 0 ? [ActionIds.queryListPrevious] : []), ...(n < 2 ? [ActionIds.queryListNext] : [])]);
    }
    expect(new Set(seen).size).toBe(47);
    expect(QUERY_LIST_PAGE_SIZE * 2).toBeLessThan(47);
    // A short list has no page buttons.
    expect(json(queryListMessage(catalog.queries, '', catalog.queries.length))).not.toContain(BlockIds.queryListPages);
  });

  it('the Next button replaces the list with the page it names (a forged page gives the nearest one)', async () => {
    const replies: Array<Record<string, unknown>> = [];
    const deps = { queries: { search: () => many, catalog: { queries: many } } as unknown as QueryService, clicks: {} as never, logger: {} as never };
    const handler = queryListPageAction(deps);
    for (const value of ['{"s":"","n":1}', '{"s":"","n":99}', 'nonsense']) {
      await handler({ ack: async () => {}, action: { value }, body: { user: { id: 'U1' } }, respond: async (r: Record<string, unknown>) => void replies.push(r) } as never);
    }
    expect(replies.map((r) => [r['replace_original'], /Page (\d) of 3/.exec(blocksToText({ blocks: r['blocks'] as unknown[] }))?.[1]])).toEqual([[true, '2'], [true, '3'], [true, '1']]);
  });

  it('a page that cannot be drawn is said apart, and the list stays', async () => {
    const replies: Array<Record<string, unknown>> = [];
    const warned: unknown[] = [];
    const broken = { search: () => { throw new Error('catalog gone'); }, catalog: { queries: many } } as unknown as QueryService;
    const handler = queryListPageAction({ queries: broken, clicks: {} as never, logger: { warn: (...a: unknown[]) => void warned.push(a) } as never });
    await handler({ ack: async () => {}, action: { value: '{"s":"","n":1}' }, body: { user: { id: 'U1' } }, respond: async (r: Record<string, unknown>) => void replies.push(r) } as never);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksToText({ blocks: replies[0]!['blocks'] as unknown[] })).toContain('I could not show that page just now.');
    expect(warned).toHaveLength(1);
  });
});

describe('scheduled deliveries and alerts', () => {
  const subs = subscriptionSamples();
  const byId = (suffix: string) => subs.find((s) => s.id.endsWith(suffix))!;
  const failed = byId('04');
  const selfPaused = byId('07');

  it("says an alert's threshold back with all its decimals, and its edit form shows it as the form takes it", () => {
    const wai = catalog.get('weekly-active-instances')!;
    for (const [value, said] of [[0.004, '0.004'], [12.345, '12.345'], [0.000001, '0.000001']] as const) {
      const alert: Subscription = { ...subscriptionBase, kind: 'alert', format: 'chart', condition: { column: 'instances', op: 'above', value } };
      expect(text(subscriptionSavedMessage(alert, wai.title, false))).toContain(`*instances* is above *${said}*`);
      const typed = JSON.stringify(subscriptionModal(modalDataOf(alert, wai))).match(/"action_id":"alert_value"[^}]*"initial_value":"([^"]*)"/)?.[1];
      expect(typed).toBe(said);
      expect(checkCondition({ column: 'instances', op: 'above', value: typed }, ['instances'])).toEqual({ ok: true, condition: alert.condition });
    }
  });

  it('tells the owner which run failed with the date standing alone, and what happens next', () => {
    const dm = subscriptionFailedDm(failed, 'Weekly active instances', false);
    const line = (dm.blocks[0] as SectionBlock).text!.text;
    expect(line).toMatch(/^:warning: The run due <!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+> of your scheduled delivery \*Weekly active instances\* \(`SUB-[A-Z0-9]{6}`\) in <#C0ANALYTIC\w*> failed: the query broke /);
    expect(line).toMatch(/It stays on: the next run is <!date\^/);
    expect(line).not.toMatch(/ on its run of| at its next run/);
    // Told after its next run was due (the latest missed time, run at once within the grace): not "next" at a past time.
    const told = (at: number) => (subscriptionFailedDm(failed, 'Weekly active instances', false, undefined, { now: new Date(at), graceMs: 3_600_000 }).blocks[0] as SectionBlock).text!.text;
    const late = told(failed.nextRunAt! + 3_600_000);
    expect(late).toMatch(/It stays on: the run due <!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+> is running now\.$/);
    expect(late).not.toContain('the next run is');
    expect(told(failed.nextRunAt! - 1)).toMatch(/It stays on: the next run is <!date\^/);
    // Told after that run's grace (the DM itself late): it will be skipped, so no time is named.
    expect(told(failed.nextRunAt! + 3_600_001)).toMatch(/failed: [^]*\. It stays on\.$/);
    const manual = subscriptionFailedDm(byId('05'), 'Weekly active instances', false);
    expect((manual.blocks[0] as SectionBlock).text!.text).toMatch(/^:warning: The run you asked for of your scheduled delivery/);
    const paused = subscriptionFailedDm(selfPaused, 'Weekly active instances', true);
    expect(text(paused)).toContain('It failed 3 times in a row, so I paused it. Fix the cause, then Resume it with Manage below');
    expect(text(paused)).not.toContain('It stays on');
    // SUBSCRIPTION_MAX_FAILURES=1: paused after one failure, not "1 times in a row".
    const once = text(subscriptionFailedDm({ ...selfPaused, consecutiveFailures: 1 }, 'Weekly active instances', true));
    expect(once).toContain('It failed once, so I paused it.');
    expect(once).not.toContain('1 times');
    expect(paused.text).toBe(`Weekly active instances (SUB-${selfPaused.id.slice(-6).toUpperCase()}): paused after failed runs`);
  });

  it('lists each one with its short ID as code, what it sends in words, and its last run as a sentence', () => {
    const list = text(subscriptionsListMessage(subs, () => 'Weekly active instances', { everyone: false }));
    expect(list).toContain(`*Weekly active instances* · \`SUB-BCDE12\` · weeks=8\n:calendar: Chart and CSV · Weekdays at 09:00 (America/New_York) · to #C0ANALYTIC\n`);
    expect(list).not.toMatch(/chart \+ csv|chart_csv/);
    // App Home's one line each says what it sends, or watches, too (alerts of one query differ by it).
    const home = text({ blocks: homeSubscriptionBlocks(subs.map((s) => ({ subscription: s, title: 'Weekly active instances' }))) });
    expect(home).toContain(`:calendar: *Weekly active instances* · \`SUB-BCDE12\` · weeks=8 · Chart and CSV · Weekdays at 09:00 (America/New_York) · to #C0ANALYTIC\n`);
    const alert: Subscription = { ...byId('09'), condition: { column: 'instances', op: 'above', value: 1000 } };
    expect(text({ blocks: homeSubscriptionBlocks([{ subscription: alert, title: 'W' }]) })).toMatch(/^:rotating_light: \*W\* · `SUB-[A-Z0-9]{6}`( · [^·]*)? · Alert when instances is above 1,000 · /);
    // BizOps' list of everyone's says whose each one is, where its target does not.
    const everyone = text(subscriptionsListMessage(subs, () => 'Weekly active instances', { everyone: true }));
    expect(everyone).toContain('to #C0ANALYTIC · owner @');
    expect(everyone).not.toMatch(/DMs · owner/);
    // To DMs: "your DMs" in the owner's own list and Home, as the message that saved it said; whose, in BizOps' list of everyone's.
    const toDm = subs.filter((s) => s.target.kind === 'dm');
    expect(text(subscriptionsListMessage(toDm, () => 'W', { everyone: false }))).toContain('· to your DMs\n');
    expect(text({ blocks: homeSubscriptionBlocks(toDm.map((s) => ({ subscription: s, title: 'W' }))) })).toContain('· to your DMs\n');
    expect(text(subscriptionsListMessage(toDm, () => 'W', { everyone: true }))).toContain(`· to @${toDm[0]!.owner}'s DMs\n`);
    // BizOps' list of everyone's: their own is "your DMs" too; Manage's item says it to its owner, as the list does.
    expect(text(subscriptionsListMessage(toDm, () => 'W', { everyone: true, viewer: toDm[0]!.owner }))).toContain('· to your DMs\n');
    expect(text(subscriptionsListMessage(toDm, () => 'W', { everyone: true, viewer: 'U0SOMEONE' }))).toContain(`· to @${toDm[0]!.owner}'s DMs\n`);
    expect(text(subscriptionManageMessage(toDm[0]!, 'W', { viewer: toDm[0]!.owner }))).toContain('· to your DMs\n');
    expect(text(subscriptionManageMessage(toDm[0]!, 'W', { viewer: 'U0SOMEONE' }))).toContain(`· to @${toDm[0]!.owner}'s DMs\n`);
    // The values as typed: their marks shown as lookalikes, formatting nothing.
    const typed = subscriptionsListMessage([{ ...subs[0]!, params: { customer: '*acme* `x` <!channel>' } }], () => 'W', { everyone: false });
    expect(JSON.stringify(typed.blocks)).toContain('· customer=∗acme∗ ˋxˋ &lt;!channel&gt;\\n');
    expect(list).toMatch(/last run \d{4}-\d\d-\d\d \d\d:\d\d UTC: delivered/);
    expect(list).toContain('skipped: the bot was not running at its time');
    expect(list).toContain('checked, nothing to report');
    expect(list).not.toMatch(/last (quiet|missed|fired)/);
    // A self-paused one says the failure once, not in its paused reason and again in its last run.
    const paused = text(subscriptionManageMessage(selfPaused, 'Weekly active instances'));
    expect(paused).toContain(':double_vertical_bar: Paused after 3 failed runs in a row · last run');
    expect(paused.match(/the query broke/g)).toHaveLength(1);
  });

  it('escapes the fallback text of an alert (the notification), as the blocks are', () => {
    const alert = byId('09');
    const title = 'Tom & Jerry <b>';
    const fired = alertFiredMessage(alert, { ...catalog.get('weekly-active-instances')!, title }, { holds: true, latest: 1234, previous: 1000, changePct: 23.4, byPeriod: true });
    expect(fired.text).toBe('Tom &amp; Jerry &lt;b&gt; (weeks=8): instances is above 1,000. Now 1,234.');
    expect(alertResolvedMessage(alert, { ...catalog.get('weekly-active-instances')!, title }, { holds: false, latest: 900, previous: 1234, changePct: null, byPeriod: true }).text).toContain('Tom &amp; Jerry &lt;b&gt;');
  });

  it('names the values an alert runs with where it goes off and resolves (two alerts of one query, one customer each, are told apart)', () => {
    const q = catalog.get('customer-pings-per-day')!;
    const alert: Subscription = { ...byId('09'), query: q.name, params: { customer: 'globex' }, condition: { column: 'pings', op: 'below', value: 1 } };
    const fired = alertFiredMessage(alert, q, { holds: true, latest: 0, previous: 0, changePct: null, byPeriod: true });
    expect(fired.text).toBe(`${q.title} (customer=globex): pings is below 1. Now 0.`);
    expect(text(fired)).toContain(`:rotating_light: *Alert: ${q.title}* · customer=globex\n`);
    const resolved = alertResolvedMessage(alert, q, { holds: false, latest: 3, previous: 0, changePct: null, byPeriod: true });
    expect(resolved.text).toBe(`Resolved: ${q.title} (customer=globex): no longer true that pings is below 1 (now 3).`);
    expect(text(resolved)).toContain(`*Resolved: ${q.title}* · customer=globex\n`);
    // A typed value is shown as typed, its marks defused, never a mention.
    expect(alertFiredMessage({ ...alert, params: { customer: '<!channel> *acme*' } }, q, { holds: true, latest: 0, previous: 0, changePct: null, byPeriod: true }).text).toContain('(customer=&lt;!channel&gt; ∗acme∗)');
  });

  it("says a column in words, as the chart's legend does: `active_users` is active users (Active users in the form's Watch)", () => {
    const q = catalog.get('top-customers-by-active-users')!;
    const alert: Subscription = { ...byId('09'), query: q.name, params: {}, condition: { column: 'active_users', op: 'above', value: 50 } };
    const ev = { holds: true, latest: 60, previous: 40, changePct: null, byPeriod: false };
    const said = [
      alertFiredMessage(alert, q, ev).text, text(alertFiredMessage(alert, q, ev)), text(alertResolvedMessage(alert, q, { ...ev, holds: false })),
      text(subscriptionSavedMessage(alert, q.title, false)), text(subscriptionManageMessage(alert, q.title)), text(alertClosedMessage(alert, 'U0BLAKE')),
    ];
    for (const t of said) {
      expect(t).toMatch(/active users\*? is above/);
      expect(t).not.toContain('active_users');
    }
    const watch = JSON.stringify(subscriptionModal(modalDataOf(alert, q))).match(/"action_id":"alert_column"[^\]]*\]/)?.[0] ?? '';
    expect(watch).toContain('{"type":"plain_text","text":"Active users"},"value":"active_users"');
  });

  it('confirms a new alert with its condition, the value and column in bold', () => {
    const alert: Subscription = { ...byId('09'), condition: { column: 'instances', op: 'above', value: 150 }, schedule: { kind: 'daily', time: '09:00', tz: 'UTC' } };
    const saved = text(subscriptionSavedMessage(alert, 'Weekly active instances', false));
    expect(saved).toMatch(/^:white_check_mark: Set up an alert on \*Weekly active instances\* \(`SUB-[A-Z0-9]{6}`\): I check it every day at 09:00 \(UTC\) and post to #C0ANALYTIC when \*instances\* is above \*150\*\. First run: /);
    const change = text(subscriptionSavedMessage({ ...alert, condition: { column: 'users', op: 'change_pct', value: 12.5 } }, 'Weekly active instances', true));
    expect(change).toMatch(/^:white_check_mark: Saved the alert on .* when \*users\* changes by more than \*12\.5%\* from the period before\. Next run: /);
    expect(text(subscriptionSavedMessage({ ...alert, condition: { column: 'users', op: 'below', value: 1234 } }, 'W', false))).toContain('when *users* is below *1,234*.');
    // To its owner's DMs: "your DMs" to the owner who saved it; the owner named to anyone else (BizOps editing it).
    const dm: Subscription = { ...alert, target: { kind: 'dm' } };
    expect(text(subscriptionSavedMessage(dm, 'W', false, dm.owner))).toContain('and post to your DMs when');
    expect(text(subscriptionSavedMessage(dm, 'W', true, 'U0BIZOPS'))).toContain(`and post to @${dm.owner}'s DMs when`);
  });

  it('says when an alert is checked in lower case inside the sentence (a weekday keeps its capital)', () => {
    const alert: Subscription = { ...byId('09'), schedule: { kind: 'daily', time: '09:00', tz: 'UTC' } };
    const q = catalog.get('weekly-active-instances')!;
    const ev = { holds: true, latest: 1234, previous: 1000, changePct: 23.4, byPeriod: true };
    expect(text(alertFiredMessage(alert, q, ev))).toContain('· checked every day at 09:00 (UTC) ·');
    expect(text(alertFiredMessage({ ...alert, schedule: { kind: 'weekly', day: 'mon', time: '09:00', tz: 'UTC' } }, q, ev))).toContain('· checked every Monday at 09:00 (UTC) ·');
    // Inside a sentence, weekdays and a cron expression read as English ("I check it on weekdays", not "I check it cron …").
    expect(text(alertFiredMessage({ ...alert, schedule: { kind: 'weekdays', time: '09:00', tz: 'UTC' } }, q, ev))).toContain('· checked on weekdays at 09:00 (UTC) ·');
    const cron: Subscription = { ...alert, schedule: { kind: 'cron', cron: '0 9 * * 1', tz: 'UTC' } };
    expect(text(alertFiredMessage(cron, q, ev))).toContain('· checked on the cron schedule `0 9 * * 1` (UTC) ·');
    expect(text(subscriptionSavedMessage({ ...cron, condition: { column: 'instances', op: 'above', value: 1 } }, 'W', false))).toContain('I check it on the cron schedule `0 9 * * 1` (UTC) and post');
  });

  it("offers its owner's DMs, not 'me', to BizOps editing someone else's delivery", () => {
    const sub: Subscription = { ...byId('09'), kind: 'delivery', condition: null, format: 'chart' };
    const q = catalog.get('weekly-active-instances')!;
    const own = JSON.stringify(subscriptionModal({ ...modalDataOf(sub, q), viewer: sub.owner }).blocks);
    expect(own).toContain('Send it to me as a DM instead');
    expect(own).toContain('Or send it to your DMs below.');
    const others = JSON.stringify(subscriptionModal({ ...modalDataOf(sub, q), viewer: 'U0BIZOPS' }).blocks);
    expect(others).toContain("Send it to its owner's DMs instead");
    expect(others).toContain("Or send it to its owner's DMs below.");
    // Its times are its owner's time zone's, not the editor's.
    // Its zone as set up, named as such: not "your Slack time zone", which may have changed since (subscriptions.tz-change.e2e).
    expect(own).toContain('Times are in *UTC*, the time zone it was set up in');
    expect(others).toContain("Times are in *UTC*, its owner's time zone when it was set up");
    expect(others).not.toMatch(/to me|your DMs|your Slack time zone/);
  });

  it('closes an edited alert in its thread with what it now watches, and when that is checked (paused: once resumed)', () => {
    const alert: Subscription = { ...byId('09'), condition: { column: 'instances', op: 'above', value: 150 } };
    expect(text(alertClosedMessage(alert, 'U0BLAKE'))).toMatch(/^:pencil2: @U0BLAKE edited this alert \(`SUB-[A-Z0-9]{6}`\): this one is closed, and no Resolved will follow here\. It now alerts when instances is above 150 \(with weeks=8\), checked from its next run\.$/);
    expect(text(alertClosedMessage({ ...alert, status: 'paused', nextRunAt: null }, 'U0BLAKE'))).toMatch(/It now alerts when instances is above 150 \(with weeks=8\), checked once it is resumed\.$/);
    expect(text(alertClosedMessage({ ...alert, params: {} }, 'U0BLAKE'))).toMatch(/It now alerts when instances is above 150, checked from its next run\.$/);
    expect(text(alertClosedMessage(null, 'U0BLAKE'))).toBe(':pencil2: @U0BLAKE edited this alert (since deleted): this one is closed, and no Resolved will follow here.');
  });

  it('counts the list in its notification text: one, or many with thousands separators', () => {
    expect(subscriptionsListMessage(subs.slice(0, 1), () => 'W', { everyone: false }).text).toBe('1 scheduled delivery or alert');
    expect(subscriptionsListMessage(subs.slice(0, 2), () => 'W', { everyone: false }).text).toBe('2 scheduled deliveries and alerts');
    const many = Array.from({ length: 1200 }, (_, i) => ({ ...subscriptionBase, id: `sub_many${String(i).padStart(8, '0')}` }));
    expect(subscriptionsListMessage(many, () => 'W', { everyone: true }).text).toBe('1,200 scheduled deliveries and alerts');
  });

  it('sends a CSV-only delivery with the title escaped and rows counted in words', () => {
    const blocks = subscriptionCsvBlocks('A & B', 1, subscriptionBase);
    expect((blocks[0] as SectionBlock).text!.text).toBe('*A &amp; B* as CSV: 1 row.');
    expect(json(blocks)).toContain(ActionIds.subscriptionManage);
  });

  it('tells the owner of a destination that is gone what to do, without a Slack error code or an escaped mention', () => {
    const archived = goneMessage(subscriptionBase, 'is_archived');
    expect(archived).toBe('I can no longer post there: its channel was archived. Invite me back with /invite @analytics-bot, or edit it to post elsewhere');
    expect(goneMessage({ ...subscriptionBase, target: { kind: 'dm' } }, 'account_inactive')).not.toMatch(/account_inactive|</);
    expect(goneMessage(subscriptionBase, 'not_in_channel')).toContain('I was removed from its channel');
  });

  it('writes the audit entries as sentences with the short ID', () => {
    const sentences = subscriptionAuditEntries(NOW.toISOString()).map((e) => auditSentence(e));
    expect(sentences[0]).toBe('<@U0REGULAR> set up a scheduled delivery `SUB-BCDE12` of `weekly-active-instances`: Weekdays at 09:00 (America/New_York), to <#C0ANALYTIC>.');
    expect(sentences[1]).toBe("<@U0REGULAR> set up an alert `SUB-00000A` on `weekly-active-instances`: when instances is below 1,000, Weekdays at 09:00 (America/New_York), to <@U0REGULAR>'s DMs.");
    expect(sentences).toContain('<@U0REGULAR> paused the scheduled delivery or alert `SUB-BCDE12`.');
    expect(sentences).toContain('The alert `SUB-00000A` went off (now 1234): the bot posted it.');
    expect(sentences.at(-1)).toMatch(/^The bot gave up running a scheduled delivery or alert for SUB-BCDE12 after 3 attempts: “/);
    for (const s of sentences) expect(s).not.toMatch(/subscription\.|sub_/);
  });
});

describe('the subscription form: what a date takes', () => {
  it("offers as relative examples only those its bounds take: no `today` for a date that must be before it", () => {
    const hintOf = (query: string) => {
      const q = catalog.get(query)!;
      const form = subscriptionModal({ kind: 'delivery', query: q, tz: 'UTC', channel: null, dm: true, params: {}, scheduleKind: 'daily', time: '09:00' });
      const since = form.blocks.find((b) => b.block_id === `subscription_param_since`) as { hint?: { text: string } } | undefined;
      return since?.hint?.text ?? '';
    };
    // customer-pings-per-day: since is from 365 days ago to yesterday; `today` is refused on save.
    expect(hintOf('customer-pings-per-day')).toContain('to yesterday');
    expect(hintOf('customer-pings-per-day')).not.toContain('today');
    // top-customers-by-active-users: up to today, which it takes.
    expect(hintOf('top-customers-by-active-users')).toContain('today');
    expect(hintOf('top-customers-by-active-users')).toContain('A relative date stays relative: each run looks back from its own day.');
  });
});
