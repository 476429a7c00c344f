/**
 * Who is a Looker admin: a member of LOOKER_ADMINS_USERGROUP, read with
 * usergroups.users.list and cached briefly so a burst of clicks costs one call.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';

export interface UsergroupMembersOptions {
  client: WebClient;
  usergroupId: string | undefined;
  logger: Logger;
  /** How long a member list is reused. Default 60 s. */
  ttlMs?: number;
}

/** Cached membership of one Slack user group. */
export class UsergroupMembers {
  private cached: { at: number; members: Set<string> } | null = null;
  private loading: Promise<Set<string>> | null = null;
  private readonly ttl: number;

  constructor(private readonly opts: UsergroupMembersOptions) {
    this.ttl = opts.ttlMs ?? 60_000;
  }

  /** Whether `userId` is in the group. No group configured: nobody is. Throws if Slack cannot answer. */
  async has(userId: string): Promise<boolean> {
    if (!this.opts.usergroupId) return false;
    return (await this.members()).has(userId);
  }

  /** Forget the cached list (tests, or after a membership change). */
  invalidate(): void {
    this.cached = null;
  }

  private async members(): Promise<Set<string>> {
    if (this.cached && Date.now() - this.cached.at < this.ttl) return this.cached.members;
    this.loading ??= (async () => {
      try {
        const res = await this.opts.client.usergroups.users.list({ usergroup: this.opts.usergroupId! });
        const members = new Set(res.users ?? []);
        this.cached = { at: Date.now(), members };
        return members;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
