/**
 * `/pipeline <subcommand>`: acks at once, then hands the command to the
 * subcommand named by its first word (`request`, `status`, `rerun`, `help`).
 * Subcommands never ack.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { failureMessage, quoteUserText, type MessageBody } from '../views/common.js';
import { pipelineUsageMessage } from '../views/freshness.js';
import { editDistance } from '../src/domain/customer-match.js';
import { commandWords } from '../src/format.js';

/** A subcommand listener: gets the command after the router acked it. */
export type PipelineSubcommand = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

export interface PipelineDeps {
  logger: Logger;
  /** Subcommand name (lower case) → its listener, e.g. `request`. */
  subcommands: Record<string, PipelineSubcommand>;
}

/**
 * The help `/pipeline help` gives, after what was wrong (an unknown word), so
 * that a mistyped or missing subcommand gets the same help, not a terser one.
 */
function usage(problem: string | null): MessageBody {
  const help = pipelineUsageMessage();
  if (!problem) return help;
  const note = `:warning: ${problem}`;
  return { text: `${note}\n${help.text}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: note } }, ...help.blocks] };
}

/**
 * The subcommands a mistyped word was meant to be: the ones it begins
 * (`stat` → `status`, `re` → `request`, `rerun`) or is a letter or two from
 * (`rerum`). A word shorter than two letters suggests nothing.
 */
export function nearSubcommands(word: string, names: readonly string[]): string[] {
  const typed = word.toLowerCase();
  if (typed.length < 2 || typed.length > 40) return [];
  return names.filter((n) => n.startsWith(typed) || editDistance(typed, n, 2) <= 2);
}

/** The `/pipeline` listener, exported apart from its registration for tests. */
export function pipelineCommand({ logger, subcommands }: PipelineDeps) {
  return async (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await args.ack();
    const word = commandWords(args.command.text ?? '')[0] ?? '';
    const name = word.toLowerCase();
    const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
    if (!sub) {
      const near = nearSubcommands(word, Object.keys(subcommands));
      const guess = near.length ? ` Did you mean ${near.map((n) => `\`${Commands.pipeline} ${n}\``).join(' or ')}?` : '';
      await args.respond({ response_type: 'ephemeral', ...usage(word ? `I don't know ${quoteUserText(word, 40)}.${guess}` : null) });
      return;
    }
    try {
      await sub(args);
    } catch (err) {
      const coded = toCodedError(err);
      logger.error('pipeline subcommand failed', { subcommand: name, code: coded.code, err: coded });
      await args.respond({ response_type: 'ephemeral', ...failureMessage('Something went wrong with that command.') });
    }
  };
}

export function registerPipeline(app: Listeners, deps: PipelineDeps): string[] {
  app.command(Commands.pipeline, pipelineCommand(deps));
  return [Commands.pipeline];
}
