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
 * Bolt a few chains and one Map lookup. Matching is Bolt's own (exact names;
 * RegExp action IDs stay listeners of their own, with Bolt's match context);
 * a view listener takes `view_submission` only, as `app.view(callbackId)` does.
 *
 * A command's text is unescaped once, here, for every command: Slack sends
 * `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so "AT&T" arrives as
 * "AT&amp;T".
 *
 * A click or form submission no listener takes (a link button, a button of a
 * message from an earlier version, a tampered payload) is still acknowledged
 * after a second, and logged: unanswered, Slack would show the person an
 * error after 3 seconds, and the receiver would log an error of its own. A
 * form says it is out of date rather than closing without a word.
 */
import { ErrorCode } from '@slack/bolt';
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

type Listener<A> = (args: A & AllMiddlewareArgs) => Promise<void>;

/** The part of Bolt's App the commands register on. */
export interface Listeners {
  command(name: string, listener: Listener<SlackCommandMiddlewareArgs>): void;
  action<A extends SlackAction = SlackAction>(actionId: string | RegExp, listener: Listener<SlackActionMiddlewareArgs<A>>): void;
  view<V extends SlackViewAction = SlackViewAction>(callbackId: string, listener: Listener<SlackViewMiddlewareArgs<V>>): void;
  event<E extends string>(type: E, listener: Listener<SlackEventMiddlewareArgs<E>>): void;
}

/** Lets `register` add its listeners, then installs them on `app`; returns what `register` returned. */
export function registerRouted<T>(app: App, register: (listeners: Listeners) => T): T {
  const commands = new Map<string, Listener<SlackCommandMiddlewareArgs>>();
  const actions = new Map<string, Listener<SlackActionMiddlewareArgs>>();
  const views = new Map<string, Listener<SlackViewMiddlewareArgs>>();
  const patterns: RegExp[] = [];
  const once = <L>(map: Map<string, L>, kind: string, name: string, listener: L) => {
    if (map.has(name)) throw new Error(`a listener for the ${kind} “${name}” is already registered`);
    map.set(name, listener);
  };
  const result = register({
    command: (name, listener) => once(commands, 'command', name, listener),
    action: (actionId, listener) => {
      // A pattern keeps a Bolt listener of its own: Bolt puts what it matched in context.actionIdMatches.
      if (actionId instanceof RegExp) {
        // The catch-all below leaves out what the pattern matches by quoting it in a lookahead.
        if (!actionId.source.startsWith('^') || actionId.flags || /\\[1-9k]/.test(actionId.source)) {
          throw new Error(`an action ID pattern must start with ^, without flags or backreferences: ${String(actionId)}`);
        }
        patterns.push(actionId);
        app.action(actionId, listener as Listener<SlackActionMiddlewareArgs>);
      } else once(actions, 'action', actionId, listener as Listener<SlackActionMiddlewareArgs>);
    },
    view: (callbackId, listener) => once(views, 'view', callbackId, listener as Listener<SlackViewMiddlewareArgs>),
    event: (type, listener) => app.event(type, listener),
  });

  if (commands.size) {
    app.command(exactly(commands.keys()), (args) => {
      // Slack sends the text as it sends all text, with &, < and > escaped: the commands read what was typed.
      args.command.text = unescapeSlackText(args.command.text ?? '');
      return commands.get(args.command.command)!(args);
    });
  }
  if (actions.size) {
    app.action(exactly(actions.keys()), (args) => actions.get((args.payload as { action_id: string }).action_id)!(args));
  }
  if (views.size) {
    app.view({ callback_id: exactly(views.keys()), type: 'view_submission' }, (args) => views.get(args.view.callback_id)!(args));
  }
  app.action(noneOf(actions.keys(), patterns), async ({ ack, payload, logger }) => {
    if (await ackUnclaimed(() => ack())) logger.info(`acknowledged a click no listener takes: ${JSON.stringify(String((payload as { action_id?: unknown }).action_id ?? '')).slice(0, 120)}`);
  });
  app.view({ callback_id: noneOf(views.keys(), []), type: 'view_submission' }, async ({ ack, view, logger }) => {
    if (await ackUnclaimed(() => ack({ response_action: 'update', view: OUTDATED_FORM }))) {
      logger.info(`answered a form submission no listener takes: ${JSON.stringify(String(view.callback_id ?? '')).slice(0, 120)}`);
    }
  });
  return result;
}

/** How long a click or form no routed listener takes waits for one added to the app directly (tests do) before it is acked. */
const UNCLAIMED_ACK_MS = 1_000;

/** What a form from an earlier version of the bot turns into when submitted: it says so, rather than closing without a word. */
const OUTDATED_FORM = {
  type: 'modal' as const,
  title: { type: 'plain_text' as const, text: 'analytics-bot' },
  close: { type: 'plain_text' as const, text: 'Close' },
  blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'This form is from an earlier version of analytics-bot, and nothing was saved. Please open it again from its command or button.' } }],
};

/** Acks after a moment, unless a listener did meanwhile (then a second ack throws, and nothing is sent). */
async function ackUnclaimed(ack: () => Promise<void>): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, UNCLAIMED_ACK_MS));
  try {
    await ack();
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === ErrorCode.ReceiverMultipleAckError) return false;
    throw err;
  }
}

/** Text as typed, from text as Slack sends it (`&amp;`, `&lt;`, `&gt;`: the only three entities it uses). */
export function unescapeSlackText(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) => (name === 'amp' ? '&' : name === 'lt' ? '<' : '>'));
}

/** A pattern that matches anything but `names` and what `patterns` match. */
function noneOf(names: Iterable<string>, patterns: readonly RegExp[]): RegExp {
  const list = [...names];
  const exact = list.length ? `(?!${exactly(list).source.slice(1)})` : '';
  const others = patterns.map((p) => (p.source.startsWith('^') ? `(?!${p.source.slice(1)})` : `(?!.*(?:${p.source}))`)).join('');
  return new RegExp(`^${exact}${others}`);
}

/** A pattern that matches exactly one of `names`. */
function exactly(names: Iterable<string>): RegExp {
  return new RegExp(`^(?:${[...names].map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
}
