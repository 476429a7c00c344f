/**
 * Pipeline requests without Slack: the draft validator, the decision rules
 * on a real embedded store, the source matching, and the views' limits and escaping.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { blockKitViolations } from './support/block-limits.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { silentLogger } from '../src/logger.js';
import type { Store } from '../src/ports/store.js';
import type { Directory } from '../src/ports/directory.js';
import {
  isRequestId,
  PIPELINE_REQUEST_LIMITS,
  PipelineRequestService,
  requestIdForView,
  requestRef,
  validateDraft,
  type Decision,
  type PipelineRequest,
  type PipelineRequestDraft,
} from '../src/services/pipeline-request.js';
import { existingSyncs, systemOf, type SyncedSource } from '../src/services/pipeline-request-sources.js';
import { toSyncedSources } from '../src/sources/synced.js';
import { loadSources } from '../src/sources/catalog.js';
import {
  existingSyncText,
  pipelineRequestCard,
  pipelineRequestConfirmModal,
  pipelineRequestDecisionDm,
  pipelineRequestDeclineModal,
  pipelineRequestModal,
} from '../views/pipeline-request.js';

/** The handbook's pipelines: Fivetran syncs Salesforce and HubSpot; scheduled queries copy production Postgres. */
const HANDBOOK_SOURCES: readonly SyncedSource[] = [
  { id: 'salesforce', name: 'Salesforce', system: 'salesforce', dataset: 'salesforce', tables: ['account', 'opportunity', 'contact', 'user'], schedule: 'daily' },
  { id: 'hubspot', name: 'HubSpot', system: 'hubspot', dataset: 'hubspot', tables: ['contact', 'company', 'deal', 'email_event'], schedule: 'daily (in the afternoon PST)' },
  { id: 'postgres_production', name: 'Production Postgres', system: 'postgres', dataset: 'sourcegraph_production', tables: ['users', 'repo', 'event_logs'], schedule: 'daily (BigQuery scheduled queries)' },
];

const draft: PipelineRequestDraft = { source: 'hubspot', objects: 'deals', destination: 'hubspot_deals', frequency: 'daily', owner: 'U0BIZOPS', why: 'Pipeline report' };

describe('validateDraft', () => {
  it('accepts a complete draft, trimming text', () => {
    expect(validateDraft({ ...draft, objects: '  deals  ' })).toEqual({ ok: true, draft });
  });

  it.each([
    [{}, ['source', 'objects', 'destination', 'frequency', 'owner', 'why']],
    [{ ...draft, source: 'oracle' }, ['source']],
    [{ ...draft, frequency: 'every_second' }, ['frequency']],
    [{ ...draft, destination: '9lives' }, ['destination']],
    [{ ...draft, destination: 'a'.repeat(101) }, ['destination']],
    [{ ...draft, destination: 'proj.dataset' }, ['destination']],
    [{ ...draft, owner: 'not-a-user' }, ['owner']],
    [{ ...draft, why: '\n\t ' }, ['why']],
    // Control characters show as nothing (the card drops them): text of only those says nothing.
    [{ ...draft, objects: '\u0007\u001b\u0000\u0001', why: '\u0000\u0085' }, ['objects', 'why']],
    [{ ...draft, objects: 'x'.repeat(1001) }, ['objects']],
    [{ ...draft, objects: 42, why: ['a'] }, ['objects', 'why']],
  ] as const)('names the fields wrong in %j', (input, fields) => {
    const result = validateDraft(input as Record<string, unknown>);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual([...fields].sort());
  });
});

describe('validateDraft on answers over their limit', () => {
  it('says how long each is, counting an emoji as two as it is stored: 600 emoji are not "under 1000 characters"', () => {
    const result = validateDraft({ ...draft, objects: '😀'.repeat(600), why: 'y'.repeat(1001) });
    expect(result).toEqual({
      ok: false,
      errors: {
        objects: 'Keep it to 1,000 characters (an emoji counts as two or more); it has 1,200.',
        why: 'Keep it to 1,000 characters (an emoji counts as two or more); it has 1,001.',
      },
    });
    expect(validateDraft({ ...draft, objects: '😀'.repeat(500), why: 'y'.repeat(1000) }).ok).toBe(true);
  });
});

describe('request IDs', () => {
  it('come from the view ID, the same for the same view, and refuse junk', () => {
    expect(requestIdForView('V0123ABC')).toBe('pr_V0123ABC');
    expect(requestIdForView('V0123ABC')).toBe(requestIdForView('V0123ABC'));
    expect(requestRef('pr_V0123ABC')).toBe('PR-123ABC');
    for (const bad of ['', 'pr_', "pr_x' OR 1=1", 'la_abc', 'pr_' + 'a'.repeat(41), 42, null]) expect(isRequestId(bad)).toBe(false);
    expect(isRequestId('pr_V0123ABC')).toBe(true);
  });

  it('keep two views apart whatever their IDs hold (Slack promises no format): no two map to one, and each is a request ID', () => {
    const ids = ['!!!', '###', 'V-1', 'V1', 'V 1', 'v1', 'V'.repeat(41), 'V'.repeat(40), 'VMM512F2U/é'].map(requestIdForView);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(isRequestId(id), id).toBe(true);
    expect(requestIdForView('!!!')).toBe(requestIdForView('!!!'));
    expect(requestIdForView('V'.repeat(40))).toBe(`pr_${'V'.repeat(40)}`);
  });
});

describe('sources', () => {
  it('finds what already syncs from the configured sources, and nothing for Other', () => {
    const synced = [
      ...HANDBOOK_SOURCES.filter((s) => s.system !== 'hubspot'),
      { id: 'hubspot', name: 'HubSpot', system: 'hubspot' as const, dataset: 'hubspot', tables: ['contact', 'company'], schedule: 'daily, in the afternoon PST' },
    ];
    expect(existingSyncs('hubspot', synced).map((s) => s.dataset)).toEqual(['hubspot']);
    expect(existingSyncs('other', synced)).toEqual([]);
    expect(existingSyncText(existingSyncs('hubspot', synced)[0]!)).toMatch(/^\*HubSpot\* already syncs daily, in the afternoon PST, into `hubspot` \(`contact`, `company`\)\.$/);
    expect(existingSyncs('postgres', HANDBOOK_SOURCES)).toHaveLength(1);
  });

  it('reads the shipped sources.yml: every requestable system but Other has a source, HubSpot in `hubspot`', () => {
    const synced = toSyncedSources(loadSources(path.resolve('sources.yml')));
    for (const system of ['salesforce', 'hubspot', 'github', 'postgres', 'google_sheets'] as const) expect(existingSyncs(system, synced).length).toBeGreaterThan(0);
    expect(existingSyncText(existingSyncs('hubspot', synced)[0]!)).toMatch(/^\*HubSpot\* already syncs daily.* into `hubspot`/);
  });

  it('maps names to systems', () => {
    expect(systemOf('HubSpot (Fivetran)')).toBe('hubspot');
    expect(systemOf('Sales targets (Google Sheets)')).toBe('google_sheets');
    expect(systemOf('Zendesk')).toBeNull();
  });
});

describe('the business owner, asked of Slack before the ack', () => {
  const withProfile = (profile: Directory['profile']) =>
    new PipelineRequestService({
      store: undefined as unknown as Store, logger: silentLogger, sources: () => HANDBOOK_SOURCES, analyticsChannel: 'C0ANALYTIC', bizopsUsergroup: 'S0BIZOPS', kick: () => {},
      directory: { membership: async () => 'member', profile, channelAccess: async () => 'member' },
    });
  const person = { email: 'a@example.com', firstName: 'A', lastName: 'B', isBot: false, tz: null };

  it('refuses an app and a user Slack does not know; takes a person', async () => {
    expect(await withProfile(async () => ({ ...person, isBot: true })).ownerProblem('U0BOT')).toBe('Choose a person, not an app.');
    expect(await withProfile(async () => null).ownerProblem('U0NOBODY')).toBe('Choose a person in this workspace.');
    expect(await withProfile(async () => person).ownerProblem('U0ANA')).toBeNull();
  });

  it('takes the owner as chosen when Slack cannot say, or is slower than the bound', async () => {
    expect(await withProfile(async () => 'unknown').ownerProblem('U0ANA')).toBeNull();
    expect(await withProfile(async () => { throw new Error('network'); }).ownerProblem('U0ANA')).toBeNull();
    const started = Date.now();
    expect(await withProfile(() => new Promise(() => {})).ownerProblem('U0ANA', 100)).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('decisions on the embedded store', () => {
  let dir: string;
  let store: Store;
  let service: PipelineRequestService;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pr-unit-'));
    store = await openEmbeddedStore(dir);
    service = new PipelineRequestService({
      store, logger: silentLogger, sources: () => HANDBOOK_SOURCES, analyticsChannel: 'C0ANALYTIC', bizopsUsergroup: 'S0BIZOPS', kick: () => {},
      directory: { membership: async () => 'member', profile: async () => null, channelAccess: async () => 'member' },
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function at(status: 'open' | 'accepted' | 'declined' | 'live'): Promise<string> {
    const { request } = await service.create(`V${status.toUpperCase()}${Math.random().toString(36).slice(2, 8).toUpperCase()}`, 'U0REGULAR', draft);
    const id = request!.id;
    if (status === 'accepted' || status === 'live') await service.decide(id, { kind: 'accept' }, 'U0BIZOPS');
    if (status === 'live') await service.decide(id, { kind: 'live' }, 'U0BIZOPS');
    if (status === 'declined') await service.decide(id, { kind: 'decline', reason: 'no' }, 'U0BIZOPS');
    return id;
  }

  const cases: Array<[string, Decision, boolean]> = [
    ['open', { kind: 'accept' }, true],
    ['open', { kind: 'decline', reason: 'dup' }, true],
    ['open', { kind: 'live' }, true],
    ['accepted', { kind: 'accept' }, false],
    ['accepted', { kind: 'decline', reason: 'budget' }, true],
    ['accepted', { kind: 'live' }, true],
    ['declined', { kind: 'accept' }, false],
    ['declined', { kind: 'live' }, false],
    ['live', { kind: 'decline', reason: 'late' }, false],
    ['live', { kind: 'accept' }, false],
  ];
  it.each(cases)('from %s, %j is allowed: %s', async (status, decision, allowed) => {
    const id = await at(status as 'open');
    const before = (await store.get(PIPELINE, id))!;
    const result = await service.decide(id, decision, 'U0ADMIN');
    expect(result.ok).toBe(allowed);
    if (!allowed) {
      expect(result).toMatchObject({ reason: 'already_decided', current: { status } });
      expect(await store.get(PIPELINE, id)).toEqual(before);
    }
  });

  it('takes objects of only emoji or punctuation as what they are: 🎉 and 🔥 are two asks, 🎉 twice is one', async () => {
    const asked = (objects: string, view: string) => service.create(view, 'U0REGULAR', { ...draft, source: 'other', objects });
    expect(await asked('🎉', 'VEMOJI1')).toMatchObject({ created: true });
    expect(await asked('🔥', 'VEMOJI2')).toMatchObject({ created: true });
    expect(await asked('???', 'VEMOJI3')).toMatchObject({ created: true });
    expect(await asked(' 🎉 ', 'VEMOJI4')).toMatchObject({ created: false, same: { objects: '🎉' } });
    expect(await service.sameOpen('U0REGULAR', { ...draft, source: 'other', objects: '!!!' })).toBeNull();
  });

  it('records one request per view, audits creation, refuses empty decline reasons and unknown IDs', async () => {
    const first = await service.create('VSAME', 'U0REGULAR', draft);
    const again = await service.create('VSAME', 'U0REGULAR', { ...draft, why: 'changed' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, request: { why: 'Pipeline report' } });
    expect((await store.recentAudit(10)).filter((e) => e.action === 'pipeline_request.created')).toHaveLength(1);
    expect(await service.decide(first.request!.id, { kind: 'decline', reason: '   ' }, 'U0BIZOPS')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.decide('pr_NOSUCH', { kind: 'accept' }, 'U0BIZOPS')).toEqual({ ok: false, reason: 'not_found' });
    expect(first.request!.alreadySyncing).toEqual(['hubspot']);
  });
});

const PIPELINE = 'pipeline_requests';

describe('pipeline request views', () => {
  const huge = '<!channel> *x* '.repeat(400);
  const request = (status: PipelineRequest['status']): PipelineRequest => ({
    ...draft, objects: huge, why: huge, id: 'pr_V0123ABC', requester: 'U0REGULAR', status, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    alreadySyncing: ['hubspot'],
    ...(status !== 'open' ? { acceptedBy: 'U0BIZOPS', acceptedAt: '2026-01-02T00:00:00.000Z' } : {}),
    ...(status === 'declined' ? { declinedBy: 'U0BIZOPS', declinedAt: '2026-01-03T00:00:00.000Z', declineReason: huge } : {}),
    ...(status === 'live' ? { liveBy: 'U0BIZOPS', liveAt: '2026-01-03T00:00:00.000Z' } : {}),
  });

  it.each(['open', 'accepted', 'declined', 'live'] as const)('the %s card stays within limits and escapes what users typed', (status) => {
    const card = pipelineRequestCard(request(status));
    expect(blockKitViolations(card.blocks)).toEqual([]);
    const json = JSON.stringify(card.blocks);
    expect(json).not.toContain('<!channel>');
    expect(json.includes('pipeline_request_accept')).toBe(status === 'open');
    expect(json.includes('pipeline_request_live')).toBe(status === 'open' || status === 'accepted');
    const dm = pipelineRequestDecisionDm(request(status));
    expect(blockKitViolations(dm.blocks)).toEqual([]);
    expect(JSON.stringify(dm)).not.toContain('<!channel>');
  });

  it('shows an answer within its limit whole, though & < > grow it once escaped; the most escaping still fits Slack', () => {
    const typed = (n: number) => ('R&D <support> & more ' + 'a & b '.repeat(n)).slice(0, n - 4) + ' END';
    const sectionTexts = (blocks: KnownBlock[]) => blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    const whole = { ...request('declined'), objects: typed(PIPELINE_REQUEST_LIMITS.objects), why: typed(PIPELINE_REQUEST_LIMITS.why), declineReason: typed(PIPELINE_REQUEST_LIMITS.declineReason) };
    expect(whole.declineReason).toHaveLength(1000);
    const card = sectionTexts(pipelineRequestCard(whole).blocks);
    expect(card.find((t) => t.startsWith('*Objects or tables*'))).toMatch(/R&amp;D &lt;support&gt; &amp; more (a &amp; b )+a &amp; END$/);
    expect(card.find((t) => t.startsWith('*Why*'))).toMatch(/ END$/);
    expect(sectionTexts(pipelineRequestDecisionDm(whole).blocks)[0]).toMatch(/\n>R&amp;D &lt;support&gt; &amp; more (a &amp; b )+a &amp; END$/);

    for (const worst of ['&'.repeat(1000), '\n&'.repeat(500), '<>'.repeat(500)]) {
      const r = { ...request('declined'), destination: 'd'.repeat(PIPELINE_REQUEST_LIMITS.destination), objects: worst, why: worst, declineReason: worst };
      expect(blockKitViolations(pipelineRequestCard(r).blocks)).toEqual([]);
      expect(blockKitViolations(pipelineRequestDecisionDm(r).blocks)).toEqual([]);
      // Cut where it must be, never inside an entity.
      const dm = sectionTexts(pipelineRequestDecisionDm(r).blocks)[0]!;
      expect(dm).toMatch(/…$/);
      expect(dm).not.toMatch(/&[a-z]*…$/);
    }
  });

  it('builds modals within limits, with the draft in the confirm step and the ID in the decline modal', () => {
    expect(blockKitViolations(pipelineRequestModal({ requester: 'U0REGULAR', initial: draft }).blocks as KnownBlock[], 'modal')).toEqual([]);
    const confirm = pipelineRequestConfirmModal({ ...draft, objects: huge }, HANDBOOK_SOURCES.slice(0, 2), JSON.stringify(draft));
    expect(blockKitViolations(confirm.blocks as KnownBlock[], 'modal')).toEqual([]);
    expect(JSON.parse(confirm.private_metadata!)).toEqual(draft);
    expect(JSON.stringify(confirm.blocks)).not.toContain('<!channel>');
    const decline = pipelineRequestDeclineModal(request('open'));
    expect(JSON.parse(decline.private_metadata!)).toEqual({ id: 'pr_V0123ABC' });
  });

  it('names as many existing syncs as fit Slack, and says how many more, when the sources file has dozens from one system', () => {
    // A data team a few years in: 75 Postgres replicas, each with its eight tables.
    const syncs: SyncedSource[] = Array.from({ length: 75 }, (_, i) => ({
      id: `postgres_production_replica_${i}`, name: `Postgres production replica ${i}`, system: 'postgres', dataset: `postgres_production_replica_${i}`,
      tables: Array.from({ length: 8 }, (_, k) => `product_events_rollup_${i}_${k}`), schedule: 'daily',
    }));
    const confirm = pipelineRequestConfirmModal({ ...draft, source: 'postgres' }, syncs, JSON.stringify(draft));
    expect(blockKitViolations(confirm.blocks as KnownBlock[], 'modal')).toEqual([]);
    const said = JSON.stringify(confirm.blocks);
    const named = (said.match(/• \*Postgres production replica \d+\*/g) ?? []).length;
    expect(named).toBeGreaterThan(0);
    expect(said).toContain(`…and ${75 - named} more from Postgres in the sources file: BizOps can tell you which has what you need.`);

    const card = pipelineRequestCard({ ...request('open'), source: 'postgres', alreadySyncing: syncs.map((s) => s.id).concat(syncs.map((s) => `${s.id}_archive`)) });
    expect(blockKitViolations(card.blocks)).toEqual([]);
    const listed = (JSON.stringify(card.blocks).match(/`postgres_production_replica_\d+(_archive)?`/g) ?? []).length;
    expect(listed).toBeGreaterThan(0);
    expect(JSON.stringify(card.blocks)).toContain(`and ${150 - listed} more in the sources file; the requester went on anyway.`);
  });
});
