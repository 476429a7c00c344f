/**
 * Who may do what: membership of the BizOps and Looker-admin user groups,
 * asked of Slack (`usergroups.users.list`) on every action that needs it, so
 * a forged click or someone who just left the group is refused.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { toCodedError } from '../errors.js';

/** `unknown`: Slack could not be asked; callers refuse and say to try again. */
export type Membership = 'member' | 'not_member' | 'unknown';

/** The roles that matter to requests, for one user. */
export interface Roles {
  bizops: Membership;
  lookerAdmin: Membership;
}

export interface RoleGroups {
  bizopsUsergroup: string | undefined;
  lookerAdminsUsergroup: string | undefined;
}

/** Whether `userId` is in the user group `group`; an unconfigured group has no members. */
export async function usergroupMembership(client: WebClient, group: string | undefined, userId: string, logger: Logger): Promise<Membership> {
  if (!group) return 'not_member';
  try {
    const res = await client.usergroups.users.list({ usergroup: group });
    return (res.users ?? []).includes(userId) ? 'member' : 'not_member';
  } catch (err) {
    const coded = toCodedError(err);
    logger.error('user group lookup failed', { group, code: coded.code, err: coded });
    return 'unknown';
  }
}

/** Both roles of a user, asked in parallel. */
export async function rolesOf(client: WebClient, groups: RoleGroups, userId: string, logger: Logger): Promise<Roles> {
  const [bizops, lookerAdmin] = await Promise.all([
    usergroupMembership(client, groups.bizopsUsergroup, userId, logger),
    usergroupMembership(client, groups.lookerAdminsUsergroup, userId, logger),
  ]);
  return { bizops, lookerAdmin };
}

/**
 * Group member lists cached for `ttlMs`, for display only (App Home opens
 * often; usergroups.users.list is rate limited). Decisions never use it:
 * they ask Slack on every click.
 */
export class CachedRoles {
  private readonly cache = new Map<string, { at: number; members: Promise<Set<string>> }>();

  constructor(private readonly groups: RoleGroups, private readonly logger: Logger, private readonly ttlMs = 30_000) {}

  async rolesOf(client: WebClient, userId: string): Promise<Roles> {
    const [bizops, lookerAdmin] = await Promise.all([this.membership(client, this.groups.bizopsUsergroup, userId), this.membership(client, this.groups.lookerAdminsUsergroup, userId)]);
    return { bizops, lookerAdmin };
  }

  private async membership(client: WebClient, group: string | undefined, userId: string): Promise<Membership> {
    if (!group) return 'not_member';
    let entry = this.cache.get(group);
    if (!entry || Date.now() - entry.at > this.ttlMs) {
      entry = { at: Date.now(), members: client.usergroups.users.list({ usergroup: group }).then((res) => new Set(res.users ?? [])) };
      this.cache.set(group, entry);
    }
    try {
      return (await entry.members).has(userId) ? 'member' : 'not_member';
    } catch (err) {
      // A failed lookup is not cached: the next open asks again.
      if (this.cache.get(group) === entry) this.cache.delete(group);
      const coded = toCodedError(err);
      this.logger.error('user group lookup failed', { group, code: coded.code, err: coded });
      return 'unknown';
    }
  }
}
