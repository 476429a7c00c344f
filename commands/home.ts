/**
 * App Home: published on `app_home_opened`, plus its "New pipeline request" button, and the "Show all"
 * modal of a section cut at its most, a page at a time.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ActionIds, isUserId } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import type { HomeData, HomeListKey, HomeService } from '../src/services/home.js';
import { rolesOf, type RoleGroups } from '../src/services/roles.js';
import { CachedMembership } from '../src/slack/directory.js';
import { loggedOpenedAlready, slackErrorCode, slackRefusedArgument } from '../src/slack/errors.js';
import { failureMessage } from '../views/common.js';
import { homeListModal, homeListPendingModal, homeView, type HomeList, type HomeListPageRef } from '../views/home.js';
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

/** Reads what the Home tab shows a user, with the roles Slack gives them. */
export type HomeReader = (client: WebClient, userId: string) => Promise<HomeData>;

/**
 * What the Home tab (and its "Show all" lists) shows `userId`: their roles from the user groups' member lists,
 * cached for display (`rolesCacheMs`), as the clicker's own, so a forged click lists only what is theirs to see.
 */
export function homeReader(deps: HomeDeps): HomeReader {
  let members: CachedMembership | undefined;
  return async (client, userId) => {
    const membership = (members ??= new CachedMembership(client, deps.logger, deps.rolesCacheMs));
    return deps.home.homeFor(userId, await rolesOf(membership, deps, userId));
  };
}

/** The Home publisher (reading with `read`, by default a reader of its own). Failures are logged, not thrown. */
export function homePublisher(deps: HomeDeps, read: HomeReader = homeReader(deps)): HomePublisher {
  return async (client, userId, hash) => {
    const build = async () => homeView(await read(client, userId));
    try {
      try {
        await client.views.publish({ user_id: userId, view: await build(), ...(hash ? { hash } : {}) });
      } catch (err) {
        if (!hash || slackErrorCode(err) !== 'hash_conflict') throw err;
        // Read again, once: what the store holds now is at least as new as what the other publish showed.
        await client.views.publish({ user_id: userId, view: await build() });
      }
    } catch (err) {
      // Slack knows no such person (an event for someone deleted since, or a forged one; views.publish says
      // invalid_arguments, "invalid `user_id`"): there is no Home to draw for them, and nothing wrong with the bot.
      if (slackRefusedArgument(err, 'user_id')) {
        deps.logger.warn('app home not published: Slack knows no such user', { user: userId });
        return;
      }
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

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** The list a "Show all" button names, as clicked (possibly forged): anything but `waiting` is the person's own. */
const listOf = (value: unknown): HomeList => (value === 'waiting' ? 'waiting' : 'mine');

/** A request's place in a list, as a click carries it (possibly forged): two short strings, or nothing. */
function keyOf(value: unknown): HomeListKey | undefined {
  return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string' && v.length <= 200) ? [value[0] as string, value[1] as string] : undefined;
}

/**
 * The list and page a Previous / Next carries, as clicked (possibly forged): the first page of the person's own
 * list for one that does not parse, and the first page of the list it names for a place that does not.
 */
function homeListPageOf(value: unknown): HomeListPageRef {
  try {
    const parsed = JSON.parse(String(value ?? '').slice(0, 1000)) as Record<string, unknown> | null;
    const after = keyOf(parsed?.['a']);
    const before = after ? undefined : keyOf(parsed?.['b']);
    return { l: listOf(parsed?.['l']), ...(after ? { a: after } : {}), ...(before ? { b: before } : {}) };
  } catch {
    return { l: 'mine' };
  }
}

/**
 * Draws a page of a Home list into the open modal, read as the Home tab reads it for the person who clicked.
 * `hash` is the modal as that click saw it: should another click on the same page have redrawn it first (Previous
 * and Next in quick succession), that page stays, rather than a redraw whose read may be the older one. A failure is
 * said in the modal, and logged.
 */
async function drawHomeList(deps: HomeDeps, read: HomeReader, client: WebClient, userId: string, at: { viewId: string; hash?: string }, ref: HomeListPageRef): Promise<void> {
  try {
    await client.views.update({ view_id: at.viewId, ...(at.hash ? { hash: at.hash } : {}), view: homeListModal(await read(client, userId), ref.l, ref) });
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === 'hash_conflict') {
      deps.logger.info('home list page not drawn: another click redrew the modal first', { user: userId, list: ref.l });
      return;
    }
    // Closed before its page was read: nobody to show it, or a failure, to.
    if (code === 'not_found') {
      deps.logger.info('home list page not drawn: the modal was closed', { user: userId, list: ref.l });
      return;
    }
    const coded = toCodedError(err);
    deps.logger.warn('home list not shown', { user: userId, list: ref.l, code: coded.code, err: coded });
    await client.views.update({ view_id: at.viewId, view: homeListPendingModal(ref.l, 'failed') }).catch(() => undefined);
  }
}

/**
 * "Show all N" under a Home section cut at its most: a modal with that whole list, a page at a time. It opens at
 * once with a line saying it is reading (the click's trigger lasts 3 seconds; the read asks the store and Slack's
 * user groups), then shows the first page. If it cannot open, the person is told in the app's DM.
 */
export function homeShowAllAction(deps: HomeDeps, read: HomeReader) {
  return async ({ ack, action, body, client }: ButtonArgs): Promise<void> => {
    await ack();
    const list = listOf(action.value);
    let viewId: string | undefined;
    let hash: string | undefined;
    try {
      const opened = await client.views.open({ trigger_id: body.trigger_id, view: homeListPendingModal(list, 'loading') });
      viewId = opened.view?.id;
      hash = opened.view?.hash;
    } catch (err) {
      if (loggedOpenedAlready(err, deps.logger, 'home list', 'click', { user: body.user.id })) return;
      const coded = toCodedError(err);
      deps.logger.error('could not open a home list', { user: body.user.id, list, code: coded.code, err: coded });
      await client.chat
        .postMessage({ channel: body.user.id, ...failureMessage('I could not open that list of requests.', 'Please click Show all on the Home tab again.') })
        .catch((e: unknown) => deps.logger.warn('could not tell them either', { user: body.user.id, err: toCodedError(e) }));
      return;
    }
    if (!viewId) return;
    await drawHomeList(deps, read, client, body.user.id, { viewId, ...(hash ? { hash } : {}) }, { l: list });
  };
}

/** Previous / Next in a Home list's modal: the modal shows that page, read again. */
export function homeListPageAction(deps: HomeDeps, read: HomeReader) {
  return async ({ ack, action, body, client }: ButtonArgs): Promise<void> => {
    await ack();
    if (!body.view) return;
    await drawHomeList(deps, read, client, body.user.id, { viewId: body.view.id, hash: body.view.hash }, homeListPageOf(action.value));
  };
}

export function registerHome(app: Listeners, deps: HomeDeps, publish?: HomePublisher, read: HomeReader = homeReader(deps)): string[] {
  app.event('app_home_opened', appHomeOpened(deps, publish ?? homePublisher(deps, read)));
  app.action<BlockAction<ButtonAction>>(ActionIds.homeNewPipelineRequest, homeNewPipelineRequestAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.homeShowAll, homeShowAllAction(deps, read));
  app.action<BlockAction<ButtonAction>>(ActionIds.homeListPrevious, homeListPageAction(deps, read));
  app.action<BlockAction<ButtonAction>>(ActionIds.homeListNext, homeListPageAction(deps, read));
  return [];
}
