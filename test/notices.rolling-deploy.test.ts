/**
 * A rolling deploy, the new version writing and an older one reading: a notice job the current version writes
 * under kind `notice` is taken by a replica of an older release (which registers `notice` too) and dispatched by
 * its `type` and `about`/`reason`. Whatever that release does not know it runs as something else or as nothing,
 * and the job ends `done`: the current replicas never send it.
 *
 * The release of 2026-12-01 (47dbcc2) knew these notices and no others (its src/ports/notices.ts and the
 * dispatch in its src/slack/notices.ts):
 * - types: looker.card, looker.dm, looker.thread, looker.refused, pipeline_request.card, pipeline_request.dm,
 *   freshness.alert, freshness.reminder, freshness.recovered, rerun.message, rerun.asked, subscription.failed;
 * - pipeline_request.dm `about`: 'received' | 'decided' (anything else got the *received* DM: "your request is in
 *   #analytics", in place of "accepted" / "declined" / "live");
 * - looker.refused `reason`: 'unknown_subject' | 'bot_subject' (anything else got "I could not find the person
 *   you picked", in place of "the same request is already waiting");
 * - subscription.changed and subscription.alert_closed: no case at all, so the handler returned nothing and the
 *   job was finished with nothing sent (the owner's DM and the thread's "this alert is closed" lost).
 *
 * Seen for real: a pending `notice` job of type subscription.changed, as the current version writes it, left in
 * the journal and the 2026-12-01 bot started on it: the job ended done, attempts 1, no DM in the stand-in.
 */
import { describe, expect, it } from 'vitest';
import { NOTICE_JOB, noticeJob, type Notice } from '../src/ports/notices.js';

/** What a 2026-12-01 replica handles correctly under kind `notice`. */
function olderReleaseKnows(n: Notice): boolean {
  switch (n.type) {
    case 'looker.card': case 'looker.dm': case 'looker.thread': case 'pipeline_request.card':
    case 'freshness.alert': case 'freshness.reminder': case 'freshness.recovered': case 'rerun.message': case 'rerun.asked':
    case 'subscription.failed':
      return true;
    case 'pipeline_request.dm':
      return n.about === 'received' || n.about === 'decided';
    case 'looker.refused':
      return n.reason === 'unknown_subject' || n.reason === 'bot_subject';
    default:
      return false;
  }
}

// Notices as the current version writes them (src/services/*), one of each kind an older replica could mishandle.
const written: Notice[] = [
  { type: 'subscription.changed', subscriptionId: 'sub_1', by: 'U0BIZOPS', change: 'paused', at: 1796541600000, was: { id: 'sub_1', owner: 'U0REGULAR' } },
  { type: 'subscription.changed', subscriptionId: 'sub_1', by: 'U0BIZOPS', change: 'deleted', at: 1796541600000, was: { id: 'sub_1', owner: 'U0REGULAR' } },
  { type: 'subscription.alert_closed', subscriptionId: 'sub_2', channel: 'C0ANALYTIC', ts: '1796541373.344000', by: 'U0REGULAR' },
  { type: 'pipeline_request.dm', requestId: 'pr_V60LVX45AUS', to: 'U0REGULAR', about: 'accepted' },
  { type: 'pipeline_request.dm', requestId: 'pr_V60LVX45AUS', to: 'U0REGULAR', about: 'declined' },
  { type: 'pipeline_request.dm', requestId: 'pr_V60LVX45AUS', to: 'U0REGULAR', about: 'live' },
  { type: 'looker.refused', to: 'U0REGULAR', reason: 'already_pending', viewId: 'V1', refs: ['LA-4F9FC8'] },
  { type: 'looker.refused', to: 'U0REGULAR', reason: 'too_many_pending', viewId: 'V2', refs: ['LA-4F9FC8'] },
];

describe('upgrade, rolling deploy: notices an older replica would mishandle wait for a newer one', () => {
  for (const n of written) {
    it(`${n.type}${'about' in n ? ` (${n.about})` : ''}${'reason' in n ? ` (${n.reason})` : ''}${'change' in n ? ` (${n.change})` : ''} is not enqueued under the kind the 2026-12-01 release runs`, () => {
      expect(olderReleaseKnows(n)).toBe(false);
      expect(noticeJob(n).kind).not.toBe(NOTICE_JOB);
    });
  }

  it('the notices that release knows stay under `notice` (a pending one written before the upgrade, or during it, is run by either)', () => {
    const known: Notice[] = [
      { type: 'pipeline_request.dm', requestId: 'pr_1', to: 'U1', about: 'received' },
      { type: 'pipeline_request.dm', requestId: 'pr_1', to: 'U1', about: 'decided' },
      { type: 'looker.refused', to: 'U1', reason: 'bot_subject', viewId: 'V3' },
      { type: 'rerun.asked', sourceId: 'hubspot', userId: 'U1', at: '2026-12-06T00:00:00.000Z' },
      { type: 'subscription.failed', subscriptionId: 'sub_1', dueAt: 1, paused: false },
    ];
    for (const n of known) expect([olderReleaseKnows(n), noticeJob(n).kind]).toEqual([true, NOTICE_JOB]);
  });
});
