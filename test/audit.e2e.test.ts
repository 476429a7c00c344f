/**
 * `/analytics audit [n]` end to end (signed receiver, stand-in) on the
 * embedded and Firestore stores, plus the audit view's limits and parsing.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { freshDataDir, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blockKitViolations } from './support/block-limits.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { StoreError } from '../src/errors.js';
import { ActionIds } from '../src/ids.js';
import type { AuditEntry, Store } from '../src/ports/store.js';
import { changedFields, parseAuditCount, parseAuditExportCount } from '../src/services/audit.js';
import { auditEntryText, auditLogMessage, auditSentence } from '../views/audit.js';

const regular = StandinDefaults.users.regular;
const bizops = StandinDefaults.users.bizops;
const admin = StandinDefaults.users.lookerAdmin;
const channel = StandinDefaults.channel;

const firestore = firestoreAvailable();
const variants: Array<{ name: string; store?: () => Store; skip?: string }> = [
  { name: 'embedded store' },
  {
    name: 'Firestore store (emulator)',
    store: () => openFirestoreStore({ projectId: 'test', collectionPrefix: `audit_${randomUUID().slice(0, 8)}_` }),
    ...(firestore.available ? {} : { skip: firestore.reason }),
  },
];

/** Entries in a rendered log: each starts with a Slack date. */
const entriesIn = (json: string) => (json.match(/<!date\^/g) ?? []).length;

for (const variant of variants) {
  describe.skipIf(variant.skip !== undefined)(`/analytics audit on the ${variant.name}`, () => {
    let t: TestBot;
    let store: Store | undefined;

    beforeAll(async () => {
      store = variant.store?.();
      t = await startTestBot(store ? { store } : {});
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      await store?.close();
    });

    async function audit(user: string, text: string) {
      const { ack, replies } = await t.standin.runCommand(t.client, { command: '/analytics', text, userId: user, channelId: channel, timeoutMs: 20_000 });
      expect(ack.status).toBe(200);
      expect(replies.length).toBeGreaterThan(0);
      const body = replies[0]!.via === 'response_url' ? (replies[0] as { body: Record<string, unknown> }).body : {};
      expect(body['response_type']).toBe('ephemeral');
      return { json: JSON.stringify(body), body };
    }

    it('says the log is empty before anything happened', async () => {
      expect((await audit(bizops, 'audit')).json).toContain('The audit log is empty');
    });

    it('records a request and its decision, and shows who, what, when, before and after to BizOps', async () => {
      await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
      await t.standin.submitView(t.client, {
        userId: regular,
        values: {
          [ActionIds.pipelineRequestSource]: 'google_sheets',
          [ActionIds.pipelineRequestObjects]: 'Quota sheet',
          [ActionIds.pipelineRequestDestination]: 'quotas',
          [ActionIds.pipelineRequestFrequency]: 'daily',
          [ActionIds.pipelineRequestOwner]: bizops,
          [ActionIds.pipelineRequestWhy]: 'Attainment dashboard',
        },
        timeoutMs: 300,
      });
      // Google Sheets already syncs (sources.yml): go on.
      if (t.standin.modals(regular).length) await t.standin.submitView(t.client, { userId: regular });
      const card = await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => (m.text ?? '').includes('quotas')));
      await t.standin.waitFor(() => t.standin.conversation(t.standin.dmChannelId(regular)).length > 0);
      await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept });
      await t.standin.waitFor(() => (t.standin.message(channel, card.ts)?.text ?? '').includes('Accepted'));

      const { json, body } = await audit(bizops, 'audit');
      // Sentences a person reads, with the short ID shown on the card; no event keys or raw fields.
      const ref = /PR-[A-Z0-9]{6}/.exec(card.text ?? '')![0];
      expect(json).toContain(`<@${bizops}> accepted \`${ref}\` (Google Sheets → \`quotas\`).`);
      expect(json).toContain(`<@${regular}> asked BizOps for a pipeline: \`${ref}\` (Google Sheets → \`quotas\`).`);
      expect(json).not.toContain('pipeline_request.accepted');
      expect(json).not.toContain('pr_');
      expect(json.indexOf(' accepted ')).toBeLessThan(json.indexOf('asked BizOps'));
      expect(json).toContain(ActionIds.auditExport);
      expect(blockKitViolations(body['blocks'] as KnownBlock[])).toEqual([]);
    });

    it('shows the log to a Looker admin too', async () => {
      expect((await audit(admin, 'audit')).json).toContain(`<@${bizops}> accepted`);
    });

    it('exports the raw fields as a CSV file in the asker\'s DM, from the command and from the button', async () => {
      const { json } = await audit(bizops, 'audit export');
      expect(json).toContain('is in your DM with me');
      const dm = t.standin.dmChannelId(bizops);
      const file = await t.standin.waitFor(() => t.standin.conversation(dm).find((m) => m.files?.some((f) => f.name.endsWith('.csv'))));
      const csv = t.standin.file(file.files![0]!.id)!.bytes!.toString('utf8');
      const [header, ...lines] = csv.trim().split('\r\n');
      expect(header).toBe('at,actor,action,subject,before,after');
      expect(lines.some((l) => l.includes('pipeline_request.accepted') && l.includes('""status"":""accepted""'))).toBe(true);
      expect(lines.some((l) => l.includes('pipeline_request.created'))).toBe(true);

      const shown = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').startsWith('Audit log')).at(-1)!;
      const files = t.standin.conversation(dm).filter((m) => m.files?.length).length;
      const click = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, timeoutMs: 20_000 });
      expect(JSON.stringify(click.replies)).toContain('is in your DM with me');
      await t.standin.waitFor(() => t.standin.conversation(dm).filter((m) => m.files?.length).length > files);
      // Clicked again (a double click, or Slack delivering the click twice): one file, and the second click is told so.
      const again = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, timeoutMs: 20_000 });
      expect(JSON.stringify(again.replies)).toContain('already in your DM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(t.standin.conversation(dm).filter((m) => m.files?.length).length).toBe(files + 1);
      // A value the button never carries (a tampered click): told so, and nothing is sent.
      for (const value of ['abc', '0', '9999', '']) {
        const tampered = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, extra: { value }, timeoutMs: 20_000 });
        expect(JSON.stringify(tampered.replies), value).toContain('That Download as CSV button is not valid');
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.standin.conversation(dm).filter((m) => m.files?.length).length).toBe(files + 1);
      // Someone outside the groups gets nothing, from a copied button either.
      const refused = await t.standin.clickAction(t.client, { userId: regular, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, timeoutMs: 20_000 });
      expect(JSON.stringify(refused.replies)).toContain('only for Looker admins and BizOps');
      expect(t.standin.conversation(t.standin.dmChannelId(regular)).some((m) => m.files?.length)).toBe(false);
    });

    it('Download as CSV exports the entries the log showed, though newer ones landed since (one of them in the same millisecond)', async () => {
      await t.store.audit({ actor: bizops, action: 'test.shown_1', subject: 'a1' });
      await t.store.audit({ actor: bizops, action: 'test.shown_2', subject: 'a2' });
      await audit(bizops, 'audit 2');
      const shown = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').startsWith('Audit log')).at(-1)!;
      const [newest, older] = await t.store.recentAudit(2);
      expect([newest?.action, older?.action]).toEqual(['test.shown_2', 'test.shown_1']);
      // Between the log and the click: an entry of the newest shown one's millisecond, and a later one.
      await t.store.audit({ actor: bizops, action: 'test.later_same_ms', subject: 'a3', at: newest!.at });
      await t.store.audit({ actor: bizops, action: 'test.later', subject: 'a4' });

      const dm = t.standin.dmChannelId(bizops);
      const csvFiles = () => t.standin.conversation(dm).filter((m) => m.files?.length);
      const lastCsv = () => t.standin.file(csvFiles().at(-1)!.files![0]!.id)!.bytes!.toString('utf8').trim().split('\r\n').slice(1);
      const files = csvFiles().length;
      const click = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, timeoutMs: 20_000 });
      expect(JSON.stringify(click.replies)).toContain('CSV of the last 2 entries');
      await t.standin.waitFor(() => csvFiles().length > files);
      expect(lastCsv().map((l) => l.split(',')[2])).toEqual(['test.shown_2', 'test.shown_1']);

      // A button from before it carried more than the count: the newest entries at the click.
      const old = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, extra: { value: '2' }, timeoutMs: 20_000 });
      expect(JSON.stringify(old.replies)).toContain('CSV of the last 2 entries');
      await t.standin.waitFor(() => csvFiles().length > files + 1);
      expect(lastCsv().map((l) => l.split(',')[2])).toEqual(['test.later', 'test.later_same_ms']);

      // Marks the bot never makes are refused, as other tampered values are.
      for (const value of [`2|${newest!.at}|3`, `2|${newest!.at}|0`, '2|yesterday|1', `101|${newest!.at}|1`, `2|${newest!.at}`, `2|${newest!.at}|1|x`]) {
        const tampered = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: shown.ts, actionId: ActionIds.auditExport, extra: { value }, timeoutMs: 20_000 });
        expect(JSON.stringify(tampered.replies), value).toContain('That Download as CSV button is not valid');
      }
      expect(csvFiles()).toHaveLength(files + 2);
    });

    it('refuses everyone else politely, showing nothing', async () => {
      const { json } = await audit(regular, 'audit');
      expect(json).toContain('only for Looker admins and BizOps');
      expect(json).not.toContain('accepted');
      expect((await audit(regular, 'audit export')).json).toContain('only for Looker admins and BizOps');
    });

    it('shows the last n, at most 100', async () => {
      const base = Date.parse('2030-01-01T00:00:00.000Z');
      for (let i = 0; i < 120; i++) {
        await t.store.audit({ actor: 'bot', action: 'test.seeded', subject: `s${i}`, before: { n: i }, after: { n: i + 1 }, at: new Date(base + i * 1000).toISOString() });
      }
      const two = await audit(bizops, 'audit 2');
      expect(entriesIn(two.json)).toBe(2);
      expect(two.json).toContain('`s119`');
      expect(two.json).toContain('`s118`');
      expect(entriesIn((await audit(bizops, 'audit')).json)).toBe(20);
      const many = await audit(bizops, 'audit 500');
      expect(entriesIn(many.json)).toBe(100);
      expect(many.json).toContain('the last 100 entries (at most 100 are shown here; `/analytics audit export 500` sends up to 1,000 as a CSV file)');
      expect(many.json).not.toContain('you asked for');
      expect(blockKitViolations(many.body['blocks'] as KnownBlock[])).toEqual([]);
    });

    it.each([
      ['audit abc', 'not a number of entries'],
      ['audit 0', 'at least 1'],
      ['audit -5', 'not a number of entries'],
      ['', '/analytics audit [n]'],
      ['\u200b', '/analytics audit [n]'],
      ['frobnicate', 'I don\'t know “frobnicate”'],
      // Slack has no escape for * _ ~ `: what was typed shows as lookalikes, formatting nothing.
      ['*zq*_`x', 'I don\'t know “∗zq∗ˍˋx”'],
      ['audit *zq*', '“∗zq∗” is not a number of entries'],
      // Cut at 40 characters, never inside an emoji's surrogate pair.
      [`a${'😀'.repeat(30)}`, `I don't know “a${'😀'.repeat(19)}…”`],
    ])('answers %j with usage', async (text, expected) => {
      const { json } = await audit(bizops, text);
      expect(json).toContain(expected);
      expect(json).not.toContain('test.seeded');
    });

    it.each(['9999999', '9'.repeat(4000)])('takes a whole number past the most shown (%s) as asking for the most there is, not as "not a number"', async (n) => {
      const { json } = await audit(bizops, `audit ${n}`);
      expect(json).toContain('*Audit log*: the last');
      expect(json).not.toContain('not a number');
    });

    it('says it could not check the groups when Slack fails, showing nothing', async () => {
      t.standin.failNext('usergroups.users.list', 'internal_error', 2);
      const { json } = await audit(bizops, 'audit');
      expect(json).toContain('could not check your groups');
      expect(json).not.toContain('test.seeded');
    });
  });
}

describe('audit log view and parsing', () => {
  it('parses the count', () => {
    expect(parseAuditCount('')).toEqual({ ok: true, count: 20 });
    expect(parseAuditCount(' 7 ')).toEqual({ ok: true, count: 7 });
    expect(parseAuditCount('100')).toEqual({ ok: true, count: 100 });
    expect(parseAuditCount('101')).toEqual({ ok: true, count: 100, requested: 101 });
    // A large whole number asks for the most there is, whatever its length; it is not "not a number".
    expect(parseAuditCount('9999999')).toEqual({ ok: true, count: 100, requested: 9999999 });
    expect(parseAuditCount('1'.repeat(40))).toMatchObject({ ok: true, count: 100 });
    expect(parseAuditExportCount('12345678')).toEqual({ ok: true, count: 1000, requested: 12345678 });
    expect(parseAuditCount('0000005')).toEqual({ ok: true, count: 5 });
    expect(parseAuditCount('1.5').ok).toBe(false);
    expect(parseAuditCount('0').ok).toBe(false);
  });

  it('quotes a count that is not one cut to 40 characters, never inside an emoji', () => {
    expect(parseAuditCount(`a${'😀'.repeat(30)}`)).toEqual({ ok: false, reason: `“a${'😀'.repeat(19)}…” is not a number of entries: give a whole number from 1 to 100.` });
    expect(parseAuditCount('x'.repeat(40))).toEqual({ ok: false, reason: `“${'x'.repeat(40)}” is not a number of entries: give a whole number from 1 to 100.` });
  });

  it('says fewer than asked are all there are, without claiming a count nobody asked for', () => {
    const entries = [0, 1, 2].map((i) => ({ at: '2026-11-28T20:08:00.000Z', actor: 'bot', action: 'test.seeded', subject: `s${i}`, before: null, after: null }));
    const title = (m: ReturnType<typeof auditLogMessage>) => (m.blocks[0] as { text: { text: string } }).text.text;
    expect(title(auditLogMessage(entries, 100, {}, 1000))).toBe('*Audit log*: the last 3 entries (all there are), newest first.');
    expect(title(auditLogMessage(entries, 50))).toBe('*Audit log*: the last 3 entries (all there are; you asked for 50), newest first.');
    expect(title(auditLogMessage(entries, 3))).toBe('*Audit log*: the last 3 entries, newest first.');
  });

  it('lists only changed fields', () => {
    expect(changedFields({ a: 1, b: 'x', c: [1] }, { a: 1, b: 'y', d: true })).toEqual([
      { field: 'b', before: 'x', after: 'y' },
      { field: 'c', before: [1], after: undefined },
      { field: 'd', before: undefined, after: true },
    ]);
  });

  it('writes each entry as a sentence, raw fields left to the CSV', () => {
    const base = { at: '2026-11-28T20:08:00.000Z', before: null };
    const doc = { requesterId: 'U0REGULAR', subjectId: 'U0REGULAR', level: 'develop', durationDays: 14, status: 'approved', denyReason: null };
    expect(auditSentence({ ...base, actor: 'U0ADMIN', action: 'looker_access.approved', subject: 'la_mh2k9x7q3abcde12', after: doc }))
      .toBe("<@U0ADMIN> approved <@U0REGULAR>'s Develop access to Looker for 14 days (`LA-BCDE12`).");
    expect(auditSentence({ ...base, actor: 'U0ADMIN', action: 'looker_access.denied', subject: 'la_x1y2z3', after: { ...doc, status: 'denied', denyReason: 'View is enough' } }))
      .toBe("<@U0ADMIN> denied <@U0REGULAR>'s Develop access to Looker for 14 days (`LA-X1Y2Z3`): “View is enough”.");
    expect(auditSentence({ ...base, actor: 'bot', action: 'freshness.alert_opened', subject: 'hubspot', after: { lateByMs: 1_799_978, lastUpdated: null } }, { sourceNames: new Map([['hubspot', 'HubSpot']]) }))
      .toBe('*HubSpot* went stale, 30 min late: the bot posted an alert.');
    // A forced rerun restarts a sync only if one was running: the request cannot know, and does not claim one was.
    expect(auditSentence({ ...base, actor: 'U0BIZOPS', action: 'pipeline.rerun_requested', subject: 'hubspot', after: { force: true, runKey: 'k' } }, { sourceNames: new Map([['hubspot', 'HubSpot']]) }))
      .toBe('<@U0BIZOPS> reran *HubSpot* (forced: restarting any sync already running).');
    expect(auditSentence({ ...base, actor: 'bot', action: 'job.failed', subject: 'looker.grant:la_x1y2z3', after: { kind: 'looker.grant', attempts: 5, error: 'Looker answered 503' } }))
      .toBe('The bot gave up granting Looker access for LA-X1Y2Z3 after 5 attempts: “Looker answered 503”.');
    expect(auditSentence({ ...base, actor: 'bot', action: 'looker_access.grant_failed', subject: 'la_x1y2z3', after: { grantError: 'user disabled' } })).toContain('gave up granting `LA-X1Y2Z3` in Looker: “user disabled”');
    expect(auditSentence({ ...base, actor: 'bot', action: 'looker_access.revoke_failed', subject: 'la_x1y2z3', after: { revokeError: 'forbidden' } })).toContain('could not take the roles of `LA-X1Y2Z3` back in Looker: “forbidden”');
    expect(auditSentence({ ...base, actor: 'bot', action: 'looker_access.revoked', subject: 'la_x1y2z3', after: { revokedRoleIds: [], lookerUserMissing: true } })).toContain('Looker answered that the user does not exist, so the bot removed nothing');
    expect(auditSentence({ ...base, actor: 'bot', action: 'looker_access.revoked', subject: 'la_x1y2z3', after: { revokedRoleIds: [] } })).toContain('found no role left to take back');
    expect(auditSentence({ ...base, actor: 'U0BIZOPS', action: 'freshness.alert_rerun_linked', subject: 'hubspot', after: null })).toBe("`hubspot`'s alert now links to the rerun <@U0BIZOPS> started.");
    expect(auditSentence({ ...base, actor: 'bot', action: 'pipeline.rerun_finished', subject: 'hubspot', after: { outcome: 'succeeded' } })).toBe('The rerun of `hubspot` succeeded.');
    // No ISO timestamps or milliseconds in what people read.
    expect(auditEntryText({ ...base, actor: 'bot', action: 'freshness.alert_opened', subject: 'hubspot', after: { lateByMs: 1_799_978 } })).not.toMatch(/1799978|2026-11-28T/);
  });

  it('escapes what users typed and stays within Slack limits with 100 huge entries', () => {
    const entries: Required<AuditEntry>[] = Array.from({ length: 100 }, (_, i) => ({
      actor: i % 2 ? 'U0BIZOPS' : 'bot',
      action: 'pipeline_request.declined',
      subject: `pr_${'x'.repeat(300)}`,
      before: { status: 'open', why: '<!channel> '.repeat(500) },
      after: { status: 'declined', declineReason: '<@U0ADMIN> *bold* '.repeat(500), ...Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`f${k}`, k])) },
      at: new Date(1_800_000_000_000 - i * 1000).toISOString(),
    }));
    const message = auditLogMessage(entries, 100);
    expect(blockKitViolations(message.blocks)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const json = JSON.stringify(message.blocks);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<@U0ADMIN>');
    // A reason's marks are quoted as typed, not formatting the audit: no bold starts in it.
    expect(json).not.toContain('*bold*');
    expect(json).toContain('∗bold∗');
  });
});

describe('/analytics audit when the store fails', () => {
  let t: TestBot;
  let real: Store;
  let dir: string;

  beforeAll(async () => {
    dir = await freshDataDir();
    real = await openEmbeddedStore(dir, { checkNesting: true });
    const failing: Store = {
      ...real,
      kind: real.kind,
      recentAudit: () => Promise.reject(new StoreError('embedded store: recentAudit failed: EIO at /var/lib/audit.json')),
    };
    t = await startTestBot({ store: failing });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await real?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells an admin the log could not be read, without the error', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/analytics', text: 'audit', userId: admin, channelId: channel });
    const json = JSON.stringify(replies);
    expect(json).toContain('could not read the audit log');
    expect(json).not.toContain('/var/lib');
  });
});
