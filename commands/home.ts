/**
 * App Home: published on `app_home_opened`, plus its "New pipeline request" button.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ActionIds, isUserId } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import type { HomeService } from '../src/services/home.js';
import { rolesOf, type RoleGroups } from '../src/services/roles.js';
import { CachedMembership } from '../src/slack/directory.js';
import { loggedOpenedAlready, slackErrorCode } from '../src/slack/errors.js';
import { failureMessage } from '../views/common.js';
import { homeView } from '../views/home.js';
import { openPipelineRequestModal } from './pipeline-request.js';

export interface HomeDeps extends RoleGroups {
  home: HomeService;
  logger: Logger;
  analyticsChannel: string | undefined;
  /** How long group member lists are reused for the Home tab (display only). Default 30 s. */
  rolesCacheMs?: number;
}

/** Draws and publishes a user's Home tab: on opening it, and after a change made from it. */
export type HomePublisher = (client: WebClient, userId: string, hash?: string) => Promise<void>;

/** The Home publisher (its group member lists cached for display, `rolesCacheMs`). Failures are logged, not thrown. */
export function homePublisher(deps: HomeDeps): HomePublisher {
  let members: CachedMembership | undefined;
  return async (client, userId, hash) => {
    const membership = (members ??= new CachedMembership(client, deps.logger, deps.rolesCacheMs));
    const build = async () => homeView(await deps.home.homeFor(userId, await rolesOf(membership, deps, userId)));
    try {
      try {
        await client.views.publish({ user_id: userId, view: await build(), ...(hash ? { hash } : {}) });
      } catch (err) {
        if (!hash || slackErrorCode(err) !== 'hash_conflict') throw err;
        // Read again, once: what the store holds now is at least as new as what the other publish showed.
        await client.views.publish({ user_id: userId, view: await build() });
      }
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('app home publish failed', { user: userId, code: coded.code, err: coded });
    }
  };
}

/** Publishes the Home tab for the user who opened it. */
export function appHomeOpened(deps: HomeDeps, publish: HomePublisher = homePublisher(deps)) {
  return async ({ event, client }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    // The event also fires for the Messages tab, which has nothing to publish.
    if (event.tab !== 'home') return;
    // A malformed event names nobody to publish for: Slack would refuse the publish (invalid_arguments).
    if (!isUserId(event.user as unknown)) {
      deps.logger.warn('app_home_opened without a user ID: nothing published');
      return;
    }
    // The tab as Slack showed it when it opened: should another publish land first (a second open, whose read
    // may be older or newer than ours), Slack answers hash_conflict instead of letting our read land last.
    const shown: unknown = (event.view as { hash?: unknown } | undefined)?.hash;
    await publish(client, event.user, typeof shown === 'string' && shown ? shown : undefined);
  };
}

/**
 * "New pipeline request" on the Home tab: the same modal as `/pipeline request`.
 * If it cannot open (the click's trigger expired, Slack is down), the person is
 * told in the app's DM, as the Home tab has no ephemeral messages.
 */
export function homeNewPipelineRequestAction(deps: HomeDeps) {
  return async ({ ack, body, client }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (!deps.analyticsChannel) return;
    try {
      await openPipelineRequestModal(client, body.trigger_id, body.user.id, true);
    } catch (err) {
      if (loggedOpenedAlready(err, deps.logger, 'pipeline request form', 'click', { user: body.user.id })) return;
      const coded = toCodedError(err);
      deps.logger.error('could not open the pipeline request modal from Home', { user: body.user.id, code: coded.code, err: coded });
      await client.chat
        .postMessage({ channel: body.user.id, ...failureMessage('I could not open the pipeline request form.', 'Please click New pipeline request again, or run `/pipeline request`.') })
        .catch((e: unknown) => deps.logger.warn('could not tell them either', { user: body.user.id, err: toCodedError(e) }));
    }
  };
}

export function registerHome(app: Listeners, deps: HomeDeps, publish: HomePublisher = homePublisher(deps)): string[] {
  app.event('app_home_opened', appHomeOpened(deps, publish));
  app.action<BlockAction<ButtonAction>>(ActionIds.homeNewPipelineRequest, homeNewPipelineRequestAction(deps));
  return [];
}
