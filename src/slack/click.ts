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

/**
 * Whether the message clicked in offered `value` for `actionId`: false only when the message has elements
 * of that ID (buttons, menus) and none offers that value (a button's value, a menu's option), i.e. a value
 * the bot never put there (a forged or tampered payload). True when the payload cannot tell: no message
 * (Slack leaves it out for an ephemeral one), or none of that ID (a card redrawn since without it).
 */
export function offeredInMessage(body: Pick<BlockAction, 'message'>, actionId: string, value: string): boolean {
  const blocks = (body.message as { blocks?: unknown } | undefined)?.blocks;
  if (!Array.isArray(blocks)) return true;
  const elements = blocks.flatMap((b: unknown) => {
    const block = (b ?? {}) as { elements?: unknown; accessory?: unknown };
    return [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
  });
  type Element = { action_id?: unknown; value?: unknown; options?: unknown; option_groups?: unknown };
  const ofId = elements.map((e: unknown) => (e ?? {}) as Element).filter((el) => el.action_id === actionId);
  return ofId.length === 0 || ofId.some((el) => {
    if (el.value === value) return true;
    const groups = Array.isArray(el.option_groups) ? el.option_groups.map((g: unknown) => (g as { options?: unknown } | null)?.options) : [];
    return [el.options, ...groups].some((list) => Array.isArray(list) && list.some((o: unknown) => (o as { value?: unknown } | null)?.value === value));
  });
}

/**
 * Whether the click came from an ephemeral message (one only the clicker sees): Slack's
 * `container.is_ephemeral`, or, where a payload leaves that out, a message container with no
 * `message` (Slack sends the message's content only for one in the conversation). Only such a
 * message is replaced or removed by its answer: a response_url's `replace_original` or
 * `delete_original` on a message in the channel acts on it for everyone, so a click that did not
 * come from the bot's private message (a tampered click naming a list's, picker's or Share's
 * action on a channel card) is answered apart.
 */
export function clickedInEphemeral(body: object): boolean {
  const { container, message } = body as { container?: { type?: unknown; is_ephemeral?: unknown }; message?: unknown };
  if (container?.is_ephemeral !== undefined) return container.is_ephemeral === true;
  return container?.type === 'message' && message === undefined;
}
