/**
 * Directory: who people are and which groups they are in, asked of Slack
 * (users.info, usergroups.users.list). Decisions ask on every click, so a
 * forged click or someone who just left a group is refused.
 */

/** `unknown`: Slack could not be asked; callers refuse and say to try again. */
export type Membership = 'member' | 'not_member' | 'unknown';

export interface Profile {
  email: string | null;
  firstName: string;
  lastName: string;
  isBot: boolean;
  /** The person's Slack time zone (IANA), when Slack has one. */
  tz: string | null;
}

/**
 * Whether the bot can post in a conversation. Asked for a person (`forUserId`), a private channel
 * they are not in is `not_found`, as one that does not exist: nothing tells them it does.
 */
export type ChannelAccess = 'member' | 'not_member' | 'not_found' | 'unknown' | 'missing_scope';

export interface Directory {
  /** Whether `userId` is in user group `group`; an unconfigured group has no members. */
  membership(group: string | undefined, userId: string): Promise<Membership>;
  /** A person's profile; null when Slack has no such (active) user; 'unknown' when Slack could not be asked. */
  profile(userId: string): Promise<Profile | null | 'unknown'>;
  /**
   * Whether the bot is in the channel (it can post there), asked of Slack. With `forUserId`, a private
   * channel is also checked for that person (conversations.members): one they are not in is `not_found`,
   * and `unknown` when Slack could not say (never taken as a yes). Public channels and DMs are not
   * checked for the person: they can see and join a public channel.
   */
  channelAccess(channelId: string, forUserId?: string): Promise<ChannelAccess>;
}
