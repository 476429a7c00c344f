/**
 * Where the commands register their listeners: one Bolt listener per kind
 * (commands, buttons and menus, form submissions) that hands each request to
 * the listener registered for its name, instead of one Bolt listener per name.
 *
 * Bolt runs every request through every listener's chain (its type check,
 * its name check, a copy of the chain, a promise per step), so with ~40
 * listeners each `/telemetry` paid for ~40 chains before its own: in the
 * ack-charts benchmark, a quarter of the bot thread's allocations (and of its
 * young-generation collections, which pause the acks). Here a request costs
 * Bolt a few chains and one Map lookup. RegExp action IDs stay listeners of
 * their own, with Bolt's match context; a view listener takes
 * `view_submission` only, as `app.view(callbackId)` does.
 *
 * A command's text is unescaped once, here, for every command: Slack sends
 * `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so "AT&T" arrives as
 * "AT&amp;T".
 *
 * A click or form submission no listener takes (a link button, a button of a
 * message from an earlier version, a tampered payload) is still acknowledged,
 * and logged: unanswered, Slack would show the person an error after 3
 * seconds, and the receiver would log an error of its own. A form says it is
 * out of date rather than closing without a word.
 */
import type {
  AllMiddlewareArgs,
  App,
  SlackAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackViewAction,
  SlackViewMiddlewareArgs,
} from '@slack/bolt';
import { unescapeMrkdwn } from '../blockkit/mrkdwn.js';
import { clickedInEphemeral } from './click.js';
import { formGoneModal } from '../../views/common.js';

type Listener<A> = (args: A & AllMiddlewareArgs) => Promise<void>;

/** The part of Bolt's App the commands register on. */
export interface Listeners {
  command(name: string, listener: Listener<SlackCommandMiddlewareArgs>): void;
  action<A extends SlackAction = SlackAction>(actionId: string | RegExp, listener: Listener<SlackActionMiddlewareArgs<A>>): void;
  view<V extends SlackViewAction = SlackViewAction>(callbackId: string, listener: Listener<SlackViewMiddlewareArgs<V>>): void;
  event<E extends string>(type: E, listener: Listener<SlackEventMiddlewareArgs<E>>): void;
}

/** Lets `register` add its listeners to {@link routedListeners}; returns what `register` returned. */
export function registerRouted<T>(app: App, register: (listeners: Listeners) => T): T {
  return register(routedListeners(app));
}

/**
 * Installs on `app` one listener per kind, each matching every request of its
 * kind, and returns where to register a listener per name. The name is looked
 * up per request, so a listener registered later (a test's) is found too, and
 * a request whose name has none is answered here, at once.
 */
export function routedListeners(app: App): Listeners {
  const commands = new Map<string, Listener<SlackCommandMiddlewareArgs>>();
  const actions = new Map<string, Listener<SlackActionMiddlewareArgs>>();
  const views = new Map<string, Listener<SlackViewMiddlewareArgs>>();
  const patterns: RegExp[] = [];
  const once = <L>(map: Map<string, L>, kind: string, name: string, listener: L) => {
    if (map.has(name)) throw new Error(`a listener for the ${kind} “${name}” is already registered`);
    map.set(name, listener);
  };

  app.command(ANY, async (args) => {
    const listener = commands.get(args.command.command);
    if (!listener) return args.ack({ response_type: 'ephemeral', text: `analytics-bot does not answer ${args.command.command} (any more).` });
    // Slack sends the text as it sends all text, with &, < and > escaped: the commands read what was typed.
    args.command.text = unescapeMrkdwn(args.command.text ?? '');
    return listener(args);
  });
  app.action(ANY, async (args) => {
    const id = actionIdOf(args);
    const listener = actions.get(id);
    if (listener) return listener(guardedRespond(args));
    // A pattern's own listener answers it.
    if (patterns.some((p) => p.test(id))) return;
    await args.ack();
    args.logger.info(`acknowledged a click no listener takes: ${JSON.stringify(id).slice(0, 120)}`);
  });
  app.view({ callback_id: ANY, type: 'view_submission' }, async (args) => {
    const listener = views.get(args.view.callback_id);
    if (listener) return listener(args);
    await args.ack({ response_action: 'update', view: formGoneModal() });
    args.logger.info(`answered a form submission no listener takes: ${JSON.stringify(args.view.callback_id).slice(0, 120)}`);
  });

  return {
    command: (name, listener) => once(commands, 'command', name, listener),
    action: (actionId, listener) => {
      if (actionId instanceof RegExp) {
        // A pattern keeps a Bolt listener of its own: Bolt puts what it matched in context.actionIdMatches.
        patterns.push(new RegExp(actionId.source, actionId.flags.replace(/[gy]/g, '')));
        app.action(actionId, (args) => (listener as Listener<SlackActionMiddlewareArgs>)(guardedRespond(args)));
      } else once(actions, 'action', actionId, listener as Listener<SlackActionMiddlewareArgs>);
    },
    view: (callbackId, listener) => once(views, 'view', callbackId, listener as Listener<SlackViewMiddlewareArgs>),
    event: (type, listener) => app.event(type, listener),
  };
}

/** Matches every name. */
const ANY = /^/;

const actionIdOf = (args: SlackActionMiddlewareArgs): string => String((args.payload as { action_id?: unknown }).action_id ?? '');

/**
 * A click's `respond`, made safe for every listener at once:
 * - a click in the channel or a DM (not the clicker's private message) never replaces or removes the
 *   message through its response_url: that message is the same for everyone who sees it, and only a
 *   tampered click could name a list's, picker's or Share's action on it. Its answer comes as a reply
 *   of its own; a removal is dropped with a warning;
 * - a click in a modal or App Home comes with no response_url, so Bolt gives it no `respond`; a
 *   listener of a message's button called there (again only by a tampered click: Slack sends the IDs
 *   a view has) would throw "respond is not a function" after acting on nothing: its answer is
 *   dropped, with a warning.
 * A listener that must know which it was (the picker, which resends its card in place) asks
 * {@link clickedInEphemeral} itself.
 */
function guardedRespond<A extends SlackActionMiddlewareArgs & AllMiddlewareArgs>(args: A): A {
  const respond = (args as { respond?: unknown }).respond;
  const dropped = (what: string) => {
    args.logger.warn(`${what}; the answer was dropped: ${JSON.stringify(actionIdOf(args)).slice(0, 120)}`);
    // Nothing was posted, so there is no response to give back; the listeners never read it.
    return Promise.resolve(undefined as unknown as Awaited<ReturnType<A['respond']>>);
  };
  if (typeof respond !== 'function') {
    args.respond = (() => dropped('a click with no response_url (in a modal or App Home) asked to answer by it')) as A['respond'];
  } else if (!clickedInEphemeral(args.body)) {
    const answer = respond as A['respond'];
    args.respond = ((message: Parameters<A['respond']>[0]) => {
      if (typeof message === 'string' || !(message.replace_original || message.delete_original)) return answer(message);
      if (message.delete_original) return dropped('a click on a message everyone sees asked to remove it');
      return answer({ ...message, replace_original: false });
    }) as A['respond'];
  }
  return args;
}
