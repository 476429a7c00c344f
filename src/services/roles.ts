/**
 * Who may do what: membership of the BizOps and Looker-admin user groups,
 * asked of the Directory (Slack) on every action that needs it, so a forged
 * click or someone who just left the group is refused.
 */
import type { Membership } from '../ports/directory.js';

export type { Membership };

/** The roles that matter to requests, for one user. */
export interface Roles {
  bizops: Membership;
  lookerAdmin: Membership;
}

export interface RoleGroups {
  bizopsUsergroup: string | undefined;
  lookerAdminsUsergroup: string | undefined;
}

/** Anything that answers membership: the Directory, or a cache of it for display. */
export interface MembershipSource {
  membership(group: string | undefined, userId: string): Promise<Membership>;
}

/** Both roles of a user, asked in parallel. */
export async function rolesOf(source: MembershipSource, groups: RoleGroups, userId: string): Promise<Roles> {
  const [bizops, lookerAdmin] = await Promise.all([source.membership(groups.bizopsUsergroup, userId), source.membership(groups.lookerAdminsUsergroup, userId)]);
  return { bizops, lookerAdmin };
}
