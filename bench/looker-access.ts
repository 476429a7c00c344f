/**
 * `/looker-access` benchmarks, on the embedded store and a loopback
 * Looker (API 4.0):
 * 1. Approve → granted: from an admin's signed click to the card updated in
 *    place (the decision stored with its jobs, then the runner: Looker
 *    login/search/group/roles, the grant recorded, chat.update), p50/p90.
 * 2. Expiry sweep: one pass over 1,000 approved elevated requests, 100 of them
 *    due (Looker roles taken back, thread message, DMs).
 */
import { startTestBot } from '../test/support/harness.js';
import { FakeLooker, FakeLookerDefaults } from '../test/support/fake-looker.js';
import { ActionIds } from '../src/ids.js';
import { LOOKER_ACCESS_REQUESTS, type LookerAccessRequest } from '../src/services/looker-access.js';
import { summarize, ms } from './stats.js';

const CHANNEL = 'C0ANALYTIC';
const users = [
  { id: 'U0REGULAR', name: 'riley', realName: 'Riley Regular', email: 'riley@example.com' },
  { id: 'U0ADMIN', name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
];

export async function run(): Promise<void> {
  const looker = new FakeLooker();
  await looker.start();
  const t = await startTestBot({
    env: {
      LOOKER_BASE_URL: looker.url,
      LOOKER_CLIENT_ID: FakeLookerDefaults.clientId,
      LOOKER_CLIENT_SECRET: FakeLookerDefaults.clientSecret,
      LOOKER_VIEW_GROUP_ID: FakeLookerDefaults.viewGroupId,
      LOOKER_VIEW_ROLE_ID: FakeLookerDefaults.viewRoleId,
      LOOKER_CREATE_CONTENT_ROLE_IDS: FakeLookerDefaults.createContentRoleIds.join(','),
      LOOKER_DEVELOP_ROLE_IDS: FakeLookerDefaults.developRoleIds.join(','),
      FRESHNESS_CHECK_INTERVAL_MS: '0',
    },
    standinOptions: { users, usergroups: { S0LOOKERADM: ['U0ADMIN'] } },
  });
  try {
    const service = t.bot.services.lookerAccess;
    const samples: number[] = [];
    for (let i = 0; i < 40; i++) {
      const outcome = await service.submit({
        viewId: `VBENCH${i}`,
        request: { requesterId: 'U0REGULAR', subjectId: 'U0REGULAR', email: `bench${i}@example.com`, team: 'sales', level: 'develop', reason: 'bench', durationDays: 7 },
      });
      if (outcome.kind !== 'created') throw new Error('bench: request not created');
      // The card is posted by a job: wait for its ts.
      const id = outcome.request.id;
      let ts: string | null | undefined;
      while (!(ts = (await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id))?.data.ts)) await new Promise((r) => setTimeout(r, 2));
      const started = performance.now();
      await t.standin.clickAction(t.client, { userId: 'U0ADMIN', channelId: CHANNEL, ts, actionId: ActionIds.lookerAccessApprove, timeoutMs: 1 });
      await t.standin.waitFor(() => JSON.stringify(t.standin.message(CHANNEL, ts)?.blocks ?? []).includes('Granted in Looker'));
      if (i >= 5) samples.push(performance.now() - started);
    }
    const click = summarize(samples);
    console.log(`looker approve→granted p50: ${ms(click.p50)}`);
    console.log(`looker approve→granted p90: ${ms(click.p90)}`);

    // 1,000 approved requests; 100 due now. Seeded straight into the store.
    const approved = (await t.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS)).map((d) => d.data).filter((r) => r.status === 'approved');
    const template = approved[0]!;
    const now = Date.now();
    for (let i = 0; i < 1000; i++) {
      const due = i < 100;
      await t.store.put<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, `la_benchsweep${String(i).padStart(6, '0')}`, {
        ...template,
        id: `la_benchsweep${String(i).padStart(6, '0')}`,
        expiresAt: new Date(now + (due ? -60_000 : 10 * 86_400_000)).toISOString(),
        reminderSentAt: null,
      });
    }
    // The sweep (a recurring job) schedules each expiry; the runner then carries out the 100 due ones.
    const started = performance.now();
    await t.store.transition('jobs', 'looker.sweep', () => true, () => ({ runAt: Date.now() }));
    await t.drain();
    const elapsed = performance.now() - started;
    const expired = (await t.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'status', equals: 'expired' } })).length;
    console.log(`looker sweep and expiry over 1000 approved (${expired} expired, each one job): ${ms(elapsed)}`);
  } finally {
    await t.stop();
    await looker.stop();
  }
}
