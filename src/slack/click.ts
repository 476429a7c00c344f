/**
 * Where a click on a message's button came from, as Slack's block_actions
 * payload says it: the message (its ts), its channel, and its thread.
 */
import type { BlockAction } from '@slack/bolt';

/** The channel, message and thread (not the message's own ts) of the message a button was clicked in; undefined where the payload has none. */
export function buttonContext(body: Pick<BlockAction, 'message' | 'container' | 'channel'>): { channel: string | undefined; messageTs: string | undefined; threadTs: string | undefined } {
  const message = body.message as { ts?: string; thread_ts?: string } | undefined;
  const container = body.container as { message_ts?: string; channel_id?: string } | undefined;
  return {
    channel: body.channel?.id ?? container?.channel_id,
    messageTs: message?.ts ?? container?.message_ts,
    threadTs: message?.thread_ts && message.thread_ts !== message.ts ? message.thread_ts : undefined,
  };
}
