/**
 * `/telemetry <customer>` and its buttons. Thin: ack at once, ask the
 * service, answer through `response_url` with a view.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, StaticSelectAction } from '@slack/bolt';
import { ActionIds, Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import type { TelemetryService } from '../src/services/telemetry.js';
import type { Clicks } from '../src/services/clicks.js';
import { toCodedError } from '../src/errors.js';
import { failureMessage, noteMessage, type MessageBody } from '../views/common.js';
import { foregroundIdle } from '../src/foreground.js';
import {
  telemetryCardMessage,
  telemetryLookingUpMessage,
  telemetryNoMatchMessage,
  telemetryPickerMessage,
  telemetryTooLongMessage,
  telemetryUsageMessage,
} from '../views/telemetry.js';
import { buttonContext, clickedInEphemeral } from '../src/slack/click.js';

export interface TelemetryDeps {
  telemetry: TelemetryService;
  clicks: Clicks;
  logger: Logger;
  /** The Looker instance (LOOKER_BASE_URL), to link the card's "Looker:" lines; null when not configured. */
  lookerUrl?: string | null;
  /** How long a lookup runs before a "Looking up" note is shown; default {@link LOOKING_UP_NOTE_AFTER_MS}. */
  lookingUpNoteAfterMs?: number;
}

/** A second Share of the same card by the same person does nothing for this long, once the first is about to post. */
const SHARE_ONCE_MS = 24 * 3_600_000;
/** While a Share looks the card up: a process dying then leaves its button held this long, not a day. */
const SHARE_LOOKING_MS = 2 * 60_000;

const ALREADY_SHARED = noteMessage(':eyes: You shared this card already (or it is on its way): look in the channel. If it is not there, run `/telemetry` again for a card to share.');

const WAREHOUSE_FAILED = failureMessage('I could not reach the warehouse to look that up.');

function reportFailure(logger: Logger, err: unknown, context: Record<string, unknown>): MessageBody {
  const coded = toCodedError(err);
  logger.error('telemetry lookup failed', { ...context, code: coded.code, err: coded });
  if (coded.code === 'warehouse_timeout') return failureMessage('The warehouse took too long to answer.');
  // Trying again reads as much again: only a higher cap (BigQuery's maximumBytesBilled) helps.
  if (coded.code === 'cost_cap_exceeded') return failureMessage('Looking this customer up would read more of the warehouse than the bot\'s cost cap allows.', 'Please tell the data team in #analytics.');
  return WAREHOUSE_FAILED;
}

/** How long a lookup may take before the person is shown that it is under way. */
export const LOOKING_UP_NOTE_AFTER_MS = 1_500;

/**
 * How long, from its start, the answer waits for the note's post to be answered. A post that
 * stalls (Bolt's respond() has no timeout; our fetch gives up only after 10 s) must not hold the
 * card back: the answer then goes anyway (see {@link lookingUpNote}).
 */
export const LOOKING_UP_NOTE_WAIT_MS = 2_000;

/** `posted`, or `ms` from now, whichever comes first. */
function settledWithin(posted: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([posted.then(() => undefined), late]).finally(() => clearTimeout(timer));
}

/** Slack answered the post with a 4xx (a used or expired URL, a payload it will not take): it showed nothing. */
function refusedBySlack(err: unknown): boolean {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

type Respond = SlackCommandMiddlewareArgs['respond'];

/**
 * A short "Looking up" note through `respond` once `afterMs` has passed (a slow warehouse must not leave the
 * person looking at nothing); `done()` calls it off, and says whether it was begun. The note, once begun, is in
 * place before `done()` returns, so the answer comes after it, unless its post stalls: then the answer goes after
 * LOOKING_UP_NOTE_WAIT_MS all the same, and the two posts are in flight together.
 *
 * After a pick, the note takes the picker's place and the answer takes the note's (an action's response_url
 * replaces the message clicked in). Slack does not promise to apply a response_url's posts in the order they were
 * sent, and a replace_original that comes before the note does not replace it: the note could land after the
 * answer and be what the person sees. So `lastWord(send)`, once the answer has gone, waits for the note's post to
 * settle (our fetch gives up on it after 10 s) and, unless Slack refused the note, sends the answer again,
 * replacing the note wherever it landed. A note whose post was answered before the answer went needs none of this.
 *
 * After a command, nothing can be replaced: a command's response_url has no original message, and Slack posts
 * each of its posts as a new one (bolt-js#2287). The note stays above the answer; `lastWord` is not for it.
 */
function lookingUpNote(respond: Respond, note: Parameters<Respond>[0] & object, afterMs: number, logger: Logger, user: string) {
  /** Settles when Slack has answered the note's post (or our fetch gave up): whether Slack may show the note. */
  let posted: Promise<boolean> | undefined;
  let answered = false;
  let shown: Promise<void> | undefined;
  /** The answer went while the note's post was still in flight. */
  let overtaken = false;
  const timer = setTimeout(() => {
    posted = respond(note).then(
      () => (answered = true),
      (err: unknown) => {
        answered = true;
        logger.warn('could not post the /telemetry looking-up note', { user, err: toCodedError(err) });
        // No answer from Slack (a timeout, a reset) is not a refusal: Slack may have shown it all the same.
        return !refusedBySlack(err);
      },
    );
    shown = settledWithin(posted, LOOKING_UP_NOTE_WAIT_MS);
  }, afterMs);
  return {
    async done(): Promise<boolean> {
      clearTimeout(timer);
      const noted = shown !== undefined;
      await shown;
      overtaken = noted && !answered;
      return noted;
    },
    /** After the answer was sent (by `send`): sends it again once the note's post settles, if the answer went before that. */
    async lastWord(send: () => Promise<unknown>): Promise<void> {
      if (!overtaken || !posted || !(await posted)) return;
      logger.info('the /telemetry looking-up note was answered after the answer went; sending the answer again', { user });
      await send().then(
        () => undefined,
        (err: unknown) => logger.warn('could not send the /telemetry answer again after a late looking-up note', { user, err: toCodedError(err) }),
      );
    },
  };
}

/** The slash command listener, exported apart from its registration for tests. */
export function telemetryCommand({ telemetry, logger, lookerUrl = null, lookingUpNoteAfterMs = LOOKING_UP_NOTE_AFTER_MS }: TelemetryDeps) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const note = lookingUpNote(respond, { response_type: 'ephemeral', ...telemetryLookingUpMessage(command.text ?? '') }, lookingUpNoteAfterMs, logger, command.user_id);
    let reply: MessageBody;
    try {
      await foregroundIdle();
      const answer = await telemetry.answer(command.text ?? '', { userId: command.user_id });
      switch (answer.kind) {
        case 'usage': reply = telemetryUsageMessage(); break;
        case 'too_long': reply = telemetryTooLongMessage(answer.max); break;
        case 'card': reply = telemetryCardMessage(answer.telemetry, { shareable: true, lookerUrl, ...(answer.also ? { alsoMatching: answer.also } : {}) }); break;
        case 'several': reply = telemetryPickerMessage(answer.query, answer.customers, answer.more ?? 0); break;
        case 'none': reply = telemetryNoMatchMessage(answer.query, answer.closest); break;
      }
    } catch (err) {
      reply = reportFailure(logger, err, { user: command.user_id });
    }
    // Below the note, if there is one: a command's response_url cannot replace its earlier post.
    await note.done();
    await foregroundIdle();
    try {
      await respond({ response_type: 'ephemeral', ...reply });
    } catch (err) {
      // Slack refused the answer itself (a card it will not take): the person still hears something.
      const coded = toCodedError(err);
      logger.error('Slack refused the /telemetry answer', { user: command.user_id, code: coded.code, err: coded });
      await respond({ response_type: 'ephemeral', ...failureMessage('Slack would not show the answer I made for that.', 'Please tell the data team in #analytics.') })
        .catch((e: unknown) => logger.warn('could not answer /telemetry', { err: toCodedError(e) }));
    }
  };
}

type PickAction = SlackActionMiddlewareArgs<BlockAction<ButtonAction | StaticSelectAction>> & AllMiddlewareArgs;

function chosenCustomerId(action: ButtonAction | StaticSelectAction): string {
  const raw = action.type === 'static_select' ? action.selected_option?.value : action.value;
  // Values come back from the client; a forged one is at worst an unknown ID.
  return typeof raw === 'string' ? raw.slice(0, 200) : '';
}

/** The name on what was picked (the button's or the option's label), for the "Looking up" note. */
function chosenLabel(action: ButtonAction | StaticSelectAction): string {
  const raw = action.type === 'static_select' ? action.selected_option?.text?.text : action.text?.text;
  return typeof raw === 'string' ? raw : 'that customer';
}

/**
 * A customer picked from several matches: the ephemeral picker becomes the card. A slow lookup first
 * turns the picker into a "Looking up" note (a second pick meanwhile is no longer offered). A pick that did
 * not come from a private message (a tampered payload naming the picker's action on a channel card) is
 * answered apart, as a command is: the message it names stays as it is for everyone.
 */
export function telemetryPickAction({ telemetry, logger, lookerUrl = null, lookingUpNoteAfterMs = LOOKING_UP_NOTE_AFTER_MS }: TelemetryDeps) {
  return async ({ ack, action, body, respond }: PickAction): Promise<void> => {
    await ack();
    // Not in place (see guardedRespond), the card comes below the note, and is never sent twice.
    const inPlace = clickedInEphemeral(body);
    const note = lookingUpNote(respond, { response_type: 'ephemeral', replace_original: inPlace, ...telemetryLookingUpMessage(chosenLabel(action)) }, lookingUpNoteAfterMs, logger, body.user.id);
    let last: Parameters<Respond>[0] & object;
    try {
      await foregroundIdle();
      const card = await telemetry.cardFor(chosenCustomerId(action), { userId: body.user.id });
      const reply = card ? telemetryCardMessage(card, { shareable: true, lookerUrl }) : failureMessage('That customer is no longer in the warehouse.', 'Run the command again.');
      await note.done();
      last = { response_type: 'ephemeral', replace_original: inPlace, ...reply };
      await respond(last);
    } catch (err) {
      // Below the picker, which stays to pick again; in place of the note, where the note took the picker's place.
      const noted = await note.done();
      last = { response_type: 'ephemeral', replace_original: noted && inPlace, ...reportFailure(logger, err, { user: body.user.id }) };
      await respond(last);
    }
    if (inPlace) await note.lastWord(() => respond(last));
  };
}

/** A Share whose customer is no longer in the warehouse: nothing to share. */
class CustomerGone extends Error {}

/** "Share in channel": posts the card for everyone and removes the ephemeral copy. */
export function telemetryShareAction({ telemetry, clicks, logger, lookerUrl = null }: TelemetryDeps) {
  return async ({ ack, action, body, respond }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    // A double click (or Slack delivering the click twice) shares the card once.
    const once = `share:${body.user.id}:${buttonContext(body).messageTs ?? body.trigger_id}:${chosenCustomerId(action)}`;
    let card: NonNullable<Awaited<ReturnType<typeof telemetry.cardFor>>>;
    let click: string;
    try {
      // A lookup that failed, or found no customer, shared nothing: its click is forgotten, so clicking again answers.
      const looked = await clicks.once(once, SHARE_LOOKING_MS, async (name) => {
        const found = await telemetry.cardFor(chosenCustomerId(action), { userId: body.user.id });
        if (!found) throw new CustomerGone();
        return { found, name };
      });
      if (looked.repeated) {
        await respond({ response_type: 'ephemeral', replace_original: false, ...ALREADY_SHARED }).catch(() => undefined);
        return;
      }
      card = looked.value.found;
      click = looked.value.name;
    } catch (err) {
      const reply = err instanceof CustomerGone ? failureMessage('That customer is no longer in the warehouse.', 'Run the command again.') : reportFailure(logger, err, { user: body.user.id });
      await respond({ response_type: 'ephemeral', replace_original: false, ...reply });
      return;
    }
    // Held for a day before it posts: a lookup slower than its hold, and a second click after it, still post once.
    const mine = await clicks.keep(once, click, SHARE_ONCE_MS).catch((err: unknown) => {
      logger.warn('a telemetry share could not be held', { user: body.user.id, err: toCodedError(err) });
      return 'failed' as const;
    });
    if (mine !== true) {
      const reply = mine === false ? ALREADY_SHARED : failureMessage('I could not share the card just now.', 'Please try again in a couple of minutes.');
      await respond({ response_type: 'ephemeral', replace_original: false, ...reply }).catch(() => undefined);
      return;
    }
    try {
      await respond({ response_type: 'in_channel', replace_original: false, ...telemetryCardMessage(card, { shareable: false, sharedBy: body.user.id, lookerUrl }) });
    } catch (err) {
      // The card may have reached the channel even though Slack's answer did not come back: the click stays
      // used (another could post it twice), and the person is told to look first.
      const coded = toCodedError(err);
      logger.warn('a telemetry share was not confirmed by Slack', { user: body.user.id, code: coded.code, err: coded });
      await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage('Slack did not confirm the share.', 'Look in the channel: the card may be there already.') }).catch(() => undefined);
      return;
    }
    // Shared: the private copy goes. If Slack will not remove it, it stays (it goes when Slack is reloaded),
    // and nothing is said: the share itself was confirmed. (A Share clicked on a message everyone sees, which
    // only a tampered click could be, removes nothing: see guardedRespond in src/slack/listeners.ts.)
    await respond({ delete_original: true }).catch((err: unknown) => {
      const coded = toCodedError(err);
      logger.info('the shared telemetry card\'s private copy was not removed', { user: body.user.id, code: coded.code });
    });
  };
}

export function registerTelemetry(app: Listeners, deps: TelemetryDeps): string[] {
  app.command(Commands.telemetry, telemetryCommand(deps));
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(new RegExp(`^${ActionIds.telemetryPickCustomer}`), telemetryPickAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.telemetryShare, telemetryShareAction(deps));
  return [Commands.telemetry];
}
