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

/** Pages of conversations.members read (1000 members each) before a private channel's membership is `unknown`. */
export const MEMBER_PAGES = 10;

export class SlackDirectory implements Directory {
  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    private readonly options: { memberPages?: number } = {},
  ) {}

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

  channelAccess(channelId: string, forUserId?: string): Promise<ChannelAccess> {
    return channelAccessOf(this.client, channelId, this.logger, { ...(forUserId ? { forUserId } : {}), ...(this.options.memberPages ? { memberPages: this.options.memberPages } : {}) });
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

/**
 * Whether the bot can post in a conversation (conversations.info). With `forUserId`, a private channel
 * is also one that person must be in (conversations.members): one they are not in answers `not_found`,
 * the same as a channel that does not exist, so a stranger learns nothing of it.
 */
export async function channelAccessOf(client: WebClient, channelId: string, logger: Logger, options: { forUserId?: string; memberPages?: number } = {}): Promise<ChannelAccess> {
  // A DM with a person is always open to the bot.
  if (channelId.startsWith('D') || isUserId(channelId)) return 'member';
  try {
    const res = await client.conversations.info({ channel: channelId });
    const ch = res.channel as { is_member?: boolean; is_archived?: boolean; is_private?: boolean } | undefined;
    if (!ch || ch.is_archived) return 'not_found';
    if (ch.is_private === true && options.forUserId) {
      // The bot cannot list a private channel it is not in; neither is said to someone who may not be in it.
      if (ch.is_member === false) return 'not_found';
      const inIt = await conversationMembership(client, channelId, options.forUserId, logger, options.memberPages ?? MEMBER_PAGES);
      if (inIt !== 'member') return inIt === 'not_member' ? 'not_found' : inIt;
    }
    return ch.is_member === false ? 'not_member' : 'member';
  } catch (err) {
    return failedLook('conversations.info', err, channelId, logger);
  }
}

/** What a failed look at a channel (`method`) comes to: it is not there, the scopes are missing, or it cannot be told now. */
function failedLook(method: string, err: unknown, channelId: string, logger: Logger): 'not_found' | 'missing_scope' | 'unknown' {
  const code = slackErrorCode(err);
  if (code === 'channel_not_found') return 'not_found';
  if (code === 'missing_scope') {
    // Lasting, not transient: the installation predates the scopes manifest.yml asks for.
    logger.error(`${method} needs channels:read and groups:read: reinstall the app from manifest.yml`, { channel: channelId });
    return 'missing_scope';
  }
  const coded = toCodedError(err);
  logger.warn(`${method} failed`, { channel: channelId, code: coded.code, err: coded });
  return 'unknown';
}

/**
 * Whether `userId` is in a conversation, read from conversations.members a page at a time (following
 * `response_metadata.next_cursor`) for at most `maxPages` pages: not found with pages left is `unknown`,
 * never a no or a yes.
 */
export async function conversationMembership(
  client: WebClient,
  channelId: string,
  userId: string,
  logger: Logger,
  maxPages: number = MEMBER_PAGES,
): Promise<'member' | 'not_member' | 'not_found' | 'unknown' | 'missing_scope'> {
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    let res;
    try {
      res = await client.conversations.members({ channel: channelId, limit: 1000, ...(cursor ? { cursor } : {}) });
    } catch (err) {
      return failedLook('conversations.members', err, channelId, logger);
    }
    if ((res.members ?? []).includes(userId)) return 'member';
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return 'not_member';
  }
  logger.warn('conversations.members: more pages than are read; membership unknown', { channel: channelId, pages: maxPages });
  return 'unknown';
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
