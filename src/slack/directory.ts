/**
 * The Directory port on Slack: user groups (usergroups.users.list) and
 * profiles (users.info). Decisions ask on every click; App Home, which opens
 * often and only displays, may reuse member lists for a few seconds.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { ChannelAccess, Directory, Membership, Profile } from '../ports/directory.js';
import { toCodedError } from '../errors.js';
import { slackErrorCode } from './errors.js';
import { isUserId } from '../ids.js';
import { memoFor } from '../memo-for.js';

export class SlackDirectory implements Directory {
  constructor(private readonly client: WebClient, private readonly logger: Logger) {}

  async membership(group: string | undefined, userId: string): Promise<Membership> {
    if (!group) return 'not_member';
    try {
      const res = await this.client.usergroups.users.list({ usergroup: group });
      return (res.users ?? []).includes(userId) ? 'member' : 'not_member';
    } catch (err) {
      const coded = toCodedError(err);
      this.logger.error('user group lookup failed', { group, code: coded.code, err: coded });
      return 'unknown';
    }
  }

  channelAccess(channelId: string): Promise<ChannelAccess> {
    return channelAccessOf(this.client, channelId, this.logger);
  }

  async profile(userId: string): Promise<Profile | null | 'unknown'> {
    try {
      const res = await this.client.users.info({ user: userId });
      const user = res.user;
      if (!user || user.deleted) return null;
      const real = user.profile?.real_name ?? user.real_name ?? user.name ?? '';
      const [first = '', ...rest] = real.trim().split(/\s+/);
      return {
        email: user.profile?.email ?? null,
        firstName: user.profile?.first_name || first || (user.name ?? ''),
        lastName: user.profile?.last_name || rest.join(' '),
        isBot: Boolean(user.is_bot),
        tz: typeof user.tz === 'string' && user.tz ? user.tz : null,
      };
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === 'user_not_found' || code === 'users_not_found') return null;
      const coded = toCodedError(err);
      this.logger.warn('users.info failed', { user: userId, code: coded.code, err: coded });
      return 'unknown';
    }
  }
}

export async function channelAccessOf(client: WebClient, channelId: string, logger: Logger): Promise<ChannelAccess> {
  // A DM with a person is always open to the bot.
  if (channelId.startsWith('D') || isUserId(channelId)) return 'member';
  try {
    const res = await client.conversations.info({ channel: channelId });
    const ch = res.channel as { is_member?: boolean; is_archived?: boolean } | undefined;
    if (!ch || ch.is_archived) return 'not_found';
    return ch.is_member === false ? 'not_member' : 'member';
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === 'channel_not_found') return 'not_found';
    if (code === 'missing_scope') {
      // Lasting, not transient: the installation predates the scopes manifest.yml asks for.
      logger.error('conversations.info needs channels:read and groups:read: reinstall the app from manifest.yml', { channel: channelId });
      return 'missing_scope';
    }
    const coded = toCodedError(err);
    logger.warn('conversations.info failed', { channel: channelId, code: coded.code, err: coded });
    return 'unknown';
  }
}

/**
 * Member lists of the role groups reused for `ttlMs`, for display only (App
 * Home). Decisions never use it: they ask Slack on every click.
 */
export class CachedMembership {
  private readonly members: (group: string) => Promise<Set<string>>;

  constructor(client: WebClient, private readonly logger: Logger, ttlMs = 30_000) {
    this.members = memoFor((group) => client.usergroups.users.list({ usergroup: group }).then((res) => new Set(res.users ?? [])), { ttlMs });
  }

  async membership(group: string | undefined, userId: string): Promise<Membership> {
    if (!group) return 'not_member';
    try {
      return (await this.members(group)).has(userId) ? 'member' : 'not_member';
    } catch (err) {
      // A failed lookup is not kept: the next open asks again.
      const coded = toCodedError(err);
      this.logger.error('user group lookup failed', { group, code: coded.code, err: coded });
      return 'unknown';
    }
  }
}
