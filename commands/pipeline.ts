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
import { failureMessage } from '../views/common.js';

/** A subcommand listener: gets the command after the router acked it. */
export type PipelineSubcommand = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

export interface PipelineDeps {
  logger: Logger;
  /** Subcommand name (lower case) → its listener, e.g. `request`. */
  subcommands: Record<string, PipelineSubcommand>;
}

function usage(names: string[]): { text: string } {
  const list = names.map((n) => `\`${Commands.pipeline} ${n}\``).join(', ');
  return { text: `Usage: ${list}.` };
}

/** The `/pipeline` listener, exported apart from its registration for tests. */
export function pipelineCommand({ logger, subcommands }: PipelineDeps) {
  return async (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await args.ack();
    const name = (args.command.text ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
    if (!sub) {
      await args.respond({ response_type: 'ephemeral', ...usage(Object.keys(subcommands)) });
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
