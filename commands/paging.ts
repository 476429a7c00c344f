/**
 * Previous and Next under a list shown a page at a time (`/query list`,
 * `/query subscriptions`): the list, which only its reader sees, is replaced
 * by the page the button names.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { failureMessage, type MessageBody } from '../views/common.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * A page button's listener: `draw` makes the page from the button's value (as
 * clicked, so possibly forged: `draw` reads it warily) for the person who
 * clicked. A page that cannot be drawn is said apart, and the list stays.
 */
export function pageAction(logger: Logger, list: string, draw: (value: string, userId: string) => MessageBody | Promise<MessageBody>) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    try {
      await respond({ response_type: 'ephemeral', replace_original: true, ...(await draw(String(action.value ?? '').slice(0, 2000), body.user.id)) });
    } catch (err) {
      const coded = toCodedError(err);
      logger.warn('list page not shown', { list, code: coded.code, err: coded });
      await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage('I could not show that page just now.') }).catch(() => undefined);
    }
  };
}
