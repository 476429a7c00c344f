/**
 * Sending for jobs: posts that happen once, edits at a stored ts, uploads.
 *
 * A post carries its job's key in Slack message metadata. When a job runs
 * again (it failed, or the process died after Slack accepted the post but
 * before the job could record it), it first looks for a message with that
 * key in the conversation (or thread) since the job was enqueued, and adopts
 * it instead of posting a second one.
 */
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { DeferJob } from '../jobs/runner.js';
import { toSlackError, slackErrorCode } from './errors.js';
import type { SlackApiError } from '../errors.js';
import { isUserId } from '../ids.js';

/**
 * Slack's posting rate: about one message per second per channel, with short
 * bursts allowed. Background posts keep to it per channel in this process: a
 * post that would go over waits (up to `MAX_WAIT_MS`), or its job is
 * deferred to its turn.
 */
export interface PostPace {
  /** Posts per second per channel, on average. */
  perSecond: number;
  /** Posts that may go at once before the average applies. */
  burst: number;
}

export const SLACK_POST_PACE: PostPace = { perSecond: 1, burst: 3 };
const MAX_WAIT_MS = 2_000;

export const METADATA_EVENT = 'analytics_bot_post';

export interface MessageContent {
  text: string;
  blocks?: KnownBlock[];
}

export interface PostOnceOptions {
  /** The job's key: one message per key. */
  key: string;
  /** Whether an earlier attempt may have posted already (look before posting). */
  mayExist: boolean;
  /** Look for an earlier post from this time on (epoch ms): when the job was enqueued. */
  since: number;
  /**
   * Which of the posts of one key this one is (an alert's check): carried beside the key, so that a version that
   * looks by the key alone still finds it, and one that looks with another tag does not take it (see findPosted).
   */
  tag?: string;
}

export interface Posted {
  channel: string;
  ts: string;
}

/** Pages of history (200 messages each, when Slack gives that many) searched for an earlier post or upload. */
const HISTORY_PAGES = 10;
/** A look for an earlier post that Slack rate-limits puts its job back (no attempt spent) until the job is this old. */
export const LOOK_DEFER_FOR_MS = 15 * 60_000;

export class SlackGateway {
  private warnedHistory = false;
  /** Per channel: when the next post may go (a token bucket as a virtual time). */
  private readonly nextPostAt = new Map<string, number>();
  /** When Slack's limit on edits, met by one (a 429), lets the next go (real time, as the posts' pace). */
  private editsHeldUntil = 0;

  /** `clock`: the job runner's clock, in which a deferred job's time is given. */
  constructor(
    readonly client: WebClient,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    private readonly postPace: PostPace = SLACK_POST_PACE,
  ) {}

  /**
   * Takes a turn to post in `channel`: returns at once, after a short wait,
   * or throws DeferJob when the channel's turn is further away.
   */
  async pace(channel: string): Promise<void> {
    await this.turnAt(this.reserveTurn(channel));
  }

  /**
   * Reserves `channel`'s next turn and says when it is (epoch ms), or throws
   * DeferJob when it is further away than a short wait. Reserve before slow
   * work (drawing a chart), then wait with `turnAt`: the wait overlaps the work
   * instead of following it, so a job holds its runner slot for less time.
   */
  reserveTurn(channel: string): number {
    // Slack's rate is in real time; a deferred job is due by the runner's clock.
    const now = Date.now();
    const interval = 1000 / this.postPace.perSecond;
    // The bucket allows a burst of posts at once, then one per interval.
    const at = Math.max(now - (this.postPace.burst - 1) * interval, this.nextPostAt.get(channel) ?? 0);
    const wait = at - now;
    if (wait > MAX_WAIT_MS) throw new DeferJob(this.clock() + wait);
    this.nextPostAt.set(channel, at + interval);
    if (this.nextPostAt.size > 10_000) this.nextPostAt.clear();
    return at;
  }

  /** Waits until a turn reserved with `reserveTurn` (at once if it has come). */
  async turnAt(at: number): Promise<void> {
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  /**
   * The conversation ID of `channel`: itself, or for a user ID the bot's DM
   * with them (conversations.open). chat.postMessage takes a user ID for the
   * DM; conversations.history/replies and files.completeUploadExternal take
   * only conversation IDs (see src/slack-standin/facts/web-api.ts).
   */
  async conversationId(channel: string): Promise<string> {
    if (!isUserId(channel)) return channel;
    try {
      const id = (await this.client.conversations.open({ users: channel })).channel?.id;
      if (!id) throw new Error('conversations.open answered without a channel ID');
      return id;
    } catch (err) {
      throw toSlackError(err, 'conversations.open');
    }
  }

  /** A file the bot posted (by name) in a conversation or thread since `since`, if Slack shows one: a repeated upload adopts it. */
  async findFile(target: { channel: string; threadTs?: string | null }, fileName: string, since: number): Promise<boolean> {
    try {
      const channel = await this.conversationId(target.channel);
      const oldest = String(Math.floor(since / 1000) - 120);
      // Every page, as for an earlier post: the file's message may be beyond the first (Slack may answer fewer than asked).
      const found = await this.findMessage(channel, target.threadTs, oldest, false, (m) =>
        ((m as { files?: Array<{ name?: string }> }).files ?? []).some((f) => f.name === fileName));
      return found !== undefined;
    } catch (err) {
      // As for an earlier post: a look that may work on a retry is retried (answering "none" would upload it
      // twice, or take a half-sent delivery for one never begun); one that cannot (no history scope) uploads.
      this.lookAgainLater(err, since, { fileName });
      return false;
    }
  }

  /** Posts a message (to a channel, a thread, or a user's DM) at most once per key. */
  async postOnce(target: { channel: string; threadTs?: string | null }, content: MessageContent, options: PostOnceOptions): Promise<Posted> {
    if (options.mayExist) {
      const found = await this.findPosted(target, options.key, options.since, options.tag);
      if (found) {
        this.logger.info('found the message an earlier attempt posted; not posting again', { key: options.key, ts: found.ts });
        return found;
      }
    }
    await this.pace(target.channel);
    try {
      const res = await this.client.chat.postMessage({
        channel: target.channel,
        ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
        text: content.text,
        ...(content.blocks ? { blocks: content.blocks } : {}),
        metadata: { event_type: METADATA_EVENT, event_payload: { key: options.key, ...(options.tag ? { tag: options.tag } : {}) } },
      });
      if (!res.ts) throw new Error('chat.postMessage answered without a ts');
      return { channel: res.channel ?? target.channel, ts: res.ts };
    } catch (err) {
      const coded = toSlackError(err, 'chat.postMessage');
      this.waitOutRateLimit(target.channel, coded, options.since);
      throw coded;
    }
  }

  /**
   * A post or upload that Slack answered 429 with Retry-After: Slack took nothing and said when to come back. The
   * channel's other posts wait that long too, and the job is put back until then, as one paced by this process
   * would be, without spending an attempt (a scheduled delivery has 3: three 429s in a row, as two replicas sharing
   * a busy channel may meet, dropped it). While the job is young (`since`), as for a look Slack limits; returns
   * for any other failure, or once the job is older: the caller throws it, and it counts.
   */
  waitOutRateLimit(channel: string, coded: SlackApiError, since: number): void {
    if (coded.slackError !== 'ratelimited' || coded.retryAfterMs === undefined) return;
    this.holdPosts(channel, coded.retryAfterMs);
    // Not spread: the channel's pace spreads its posts.
    this.deferWhileYoung(since, coded.retryAfterMs, { spread: false });
  }

  /**
   * Puts the job back for `waitMs`, without spending an attempt, while it is young (`since` less than 15 minutes
   * ago). Once it is older this returns and the caller goes on: it throws its error, which counts, or sends an edit
   * that was held back. A job Slack keeps limiting then spends its attempts and gives up where someone hears of it,
   * rather than waiting for ever. `spread` adds up to 2 s, so that the jobs Slack held back together do not all come
   * back in the same second.
   */
  private deferWhileYoung(since: number, waitMs: number, { spread }: { spread: boolean }): void {
    if (this.clock() - since < LOOK_DEFER_FOR_MS) throw new DeferJob(this.clock() + waitMs + (spread ? Math.floor(Math.random() * 2_000) : 0));
  }

  /**
   * Slack answered 429 with Retry-After: the channel's other posts wait that
   * long too (their jobs are deferred to it) instead of each being sent and
   * refused in turn while the limit holds. (Public: a sender that posts
   * through the client itself, with reserveTurn, can report its 429 here.)
   */
  holdPosts(channel: string, retryAfterMs: number): void {
    const until = Date.now() + retryAfterMs;
    this.nextPostAt.set(channel, Math.max(this.nextPostAt.get(channel) ?? 0, until));
  }

  /**
   * Edits a message in place (idempotent: the same edit twice leaves the same message). Slack limits chat.update per
   * workspace (Tier 3, about 50 a minute), not per channel: many cards changed at once (200 grants expiring in the same
   * minute) meet it. An edit Slack answers 429 holds this process's other edits until its Retry-After, and its job, as
   * theirs, is put back until then (a little apart, so they do not all come back in the same second) without spending
   * an attempt, while the job is young (`since`): a card edit that spent its attempts on 429s was left saying what is
   * no longer so.
   */
  async update(where: Posted, content: MessageContent, since: number): Promise<void> {
    const held = this.editsHeldUntil - Date.now();
    if (held > 0) this.deferWhileYoung(since, held, { spread: true });
    try {
      await this.client.chat.update({ channel: where.channel, ts: where.ts, text: content.text, ...(content.blocks ? { blocks: content.blocks } : {}) });
    } catch (err) {
      const coded = toSlackError(err, 'chat.update');
      if (coded.slackError === 'ratelimited' && coded.retryAfterMs !== undefined) {
        this.editsHeldUntil = Math.max(this.editsHeldUntil, Date.now() + coded.retryAfterMs);
        this.deferWhileYoung(since, coded.retryAfterMs, { spread: true });
      }
      throw coded;
    }
  }

  /** A message's permalink, or null (a link is a nicety: its failure fails nothing). */
  async permalink(where: Posted): Promise<string | null> {
    try {
      return (await this.client.chat.getPermalink({ channel: where.channel, message_ts: where.ts })).permalink ?? null;
    } catch (err) {
      this.logger.warn('chat.getPermalink failed', { code: slackErrorCode(err), channel: where.channel });
      return null;
    }
  }

  /** The message an earlier attempt posted with this key (through postOnce), if Slack shows one. */
  async findPosted(target: { channel: string; threadTs?: string | null }, key: string, since: number, tag?: string): Promise<Posted | null> {
    try {
      const channel = await this.conversationId(target.channel);
      // A little before the job was enqueued: clocks of Slack and of the replicas differ.
      const oldest = String(Math.floor(since / 1000) - 120);
      const match = await this.findMessage(channel, target.threadTs, oldest, true, (m) => {
        const meta = (m as { metadata?: { event_type?: string; event_payload?: { key?: unknown; tag?: unknown } } }).metadata;
        // With a `tag`: that post of the key, or one an earlier version posted with none.
        const tagged = meta?.event_payload?.tag;
        return meta?.event_type === METADATA_EVENT && meta.event_payload?.key === key && (tag === undefined || tagged === undefined || tagged === tag);
      });
      return match ? { channel, ts: match.ts } : null;
    } catch (err) {
      this.lookAgainLater(err, since, { key });
      return null;
    }
  }

  /**
   * A look in Slack for an earlier attempt's post or file that failed: when a retry may work, the job tries
   * again (a rate limit, Slack's history calls being the most limited, waits out its Retry-After without
   * spending one of its attempts). Returns when it cannot work (no history scope): the caller posts.
   */
  private lookAgainLater(err: unknown, since: number, about: { key?: string; fileName?: string }): void {
    // Coded by the call that failed (conversations.open, .history or .replies), so its text names that one.
    const coded = toSlackError(err, 'conversations.history');
    const code = coded.slackError;
    if (code === 'missing_scope' || !coded.retryable) {
      // Without the history scopes the bot cannot look; it posts, accepting a rare duplicate over a lost message.
      if (!this.warnedHistory || code !== 'missing_scope') this.logger.warn('could not look for an earlier post or upload; posting', { code, ...about });
      if (code === 'missing_scope') this.warnedHistory = true;
      return;
    }
    // Put back for as long as the job is young: a look Slack keeps limiting (a long history, a busy workspace).
    if (coded.slackError === 'ratelimited' && coded.retryAfterMs !== undefined) this.deferWhileYoung(since, coded.retryAfterMs, { spread: true });
    this.logger.warn('could not look for an earlier post or upload; trying again', { code: coded.slackError, ...about });
    throw coded;
  }

  /**
   * The first message of a conversation (or a thread) since `oldest` that `wanted` picks, with a ts.
   * Slack may answer fewer messages than asked before the end ("fewer than the requested number of
   * items may be returned, even if the end of the conversation history hasn't been reached"): the
   * cursor is followed, a few pages at most. A failed call is thrown coded, naming its method.
   */
  private async findMessage(channel: string, threadTs: string | null | undefined, oldest: string, withMetadata: boolean, wanted: (m: object) => boolean): Promise<{ ts: string } | undefined> {
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page++) {
      const paging = { oldest, limit: 200, ...(withMetadata ? { include_all_metadata: true } : {}), ...(cursor ? { cursor } : {}) };
      const method = threadTs ? 'conversations.replies' : 'conversations.history';
      let res: { messages?: Array<{ ts?: string }>; has_more?: boolean; response_metadata?: { next_cursor?: string } };
      try {
        res = threadTs
          ? await this.client.conversations.replies({ channel, ts: threadTs, ...paging })
          : await this.client.conversations.history({ channel, ...paging });
      } catch (err) {
        throw toSlackError(err, method);
      }
      const match = (res.messages ?? []).find((m) => wanted(m));
      if (match?.ts) return { ts: match.ts };
      cursor = res.response_metadata?.next_cursor || undefined;
      // next_cursor says there is more (Slack's pagination guide); has_more is optional in a conversations.replies
      // answer (Slack's OpenAPI requires only ok and messages there): only an explicit false ends the look early.
      if (!cursor || res.has_more === false) break;
    }
    return undefined;
  }
}
