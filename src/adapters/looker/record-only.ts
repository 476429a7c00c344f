/**
 * LookerAdmin for when Looker is not configured: changes nothing in Looker.
 * Approvals are still recorded (store, audit, the channel message), and the
 * approving admin is told to grant the access by hand.
 */
import type { LookerAdmin, LookerGrantResult, LookerRevokeResult } from '../../ports/looker-admin.js';

export class RecordOnlyLookerAdmin implements LookerAdmin {
  readonly kind = 'record-only' as const;

  async userAccess(): Promise<null> {
    return null;
  }

  async grant(): Promise<LookerGrantResult> {
    return { applied: false };
  }

  async revokeRoles(): Promise<LookerRevokeResult> {
    return { applied: false };
  }
}
