/**
 * `/analytics audit [n]`: the last n audit entries as sentences, for Looker
 * admins and BizOps only (asked of Slack on every use); others get a polite
 * refusal. `/analytics audit export [n]` and the audit message's "Download as
 * CSV" send the raw fields as a CSV file to the asker's DM with the bot.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ActionIds, Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { parseAuditCount, parseAuditExportCount, parseAuditListMark, type AuditListMark, type AuditService } from '../src/services/audit.js';
import type { Clicks } from '../src/services/clicks.js';
import { rolesOf, type MembershipSource, type RoleGroups } from '../src/services/roles.js';
import { failureMessage, type MessageBody } from '../views/common.js';
import { commandWords, quoteTyped } from '../src/format.js';
import {
  analyticsUsageMessage,
  auditCsv,
  auditCsvComment,
  auditExportAlreadyMessage,
  auditExportInvalidMessage,
  auditExportSentMessage,
  auditLogMessage,
  auditNotAllowedMessage,
  auditRoleUnknownMessage,
} from '../views/audit.js';
import { buttonContext } from '../src/slack/click.js';

export interface AnalyticsDeps extends RoleGroups {
  audit: AuditService;
  /** A double click on Download as CSV sends one file. */
  clicks: Clicks;
  /** Who is in BizOps and the Looker admins, asked on every use. */
  directory: MembershipSource;
  logger: Logger;
  /** Source names by ID (sources.yml), so entries about a source name it. */
  sourceNames?: ReadonlyMap<string, string>;
}

/** Null when `userId` may read the audit log; else what to tell them. */
async function refusal(deps: AnalyticsDeps, userId: string): Promise<MessageBody | null> {
  const roles = await rolesOf(deps.directory, deps, userId);
  if (roles.lookerAdmin === 'member' || roles.bizops === 'member') return null;
  if (roles.lookerAdmin === 'unknown' || roles.bizops === 'unknown') return auditRoleUnknownMessage();
  deps.logger.warn('audit log refused', { user: userId });
  return auditNotAllowedMessage();
}

/** The last `count` entries (or those a list showed) as a CSV file in the user's DM with the bot; what to tell them. */
async function exportAudit(deps: AnalyticsDeps, client: WebClient, userId: string, which: number | AuditListMark): Promise<MessageBody> {
  const entries = typeof which === 'number' ? await deps.audit.recent(which, { forExport: true }) : await deps.audit.shown(which);
  if (entries.length === 0) return auditExportSentMessage(0);
  const dm = await client.conversations.open({ users: userId });
  const channel = dm.channel?.id;
  if (!channel) throw new Error('conversations.open returned no channel');
  await client.filesUploadV2({
    channel_id: channel,
    file: Buffer.from(auditCsv(entries), 'utf8'),
    filename: `audit-log-${new Date().toISOString().slice(0, 10)}.csv`,
    title: 'Audit log (CSV)',
    initial_comment: auditCsvComment(entries.length),
  } as Parameters<WebClient['filesUploadV2']>[0]);
  return auditExportSentMessage(entries.length);
}

/** The slash command listener, exported apart from its registration for tests. */
export function analyticsCommand(deps: AnalyticsDeps) {
  return async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const [sub = '', ...rest] = commandWords(command.text ?? '');
    const exporting = rest[0]?.toLowerCase() === 'export';
    let reply: MessageBody;
    if (sub.toLowerCase() !== 'audit') {
      reply = analyticsUsageMessage(sub ? `I don't know ${quoteTyped(sub, 40)}.` : undefined);
    } else {
      const count = exporting ? parseAuditExportCount(rest.slice(1).join(' ')) : parseAuditCount(rest.join(' '));
      if (!count.ok) {
        reply = analyticsUsageMessage(count.reason);
      } else {
        try {
          reply = (await refusal(deps, command.user_id))
            ?? (exporting
              ? await exportAudit(deps, client, command.user_id, count.count)
              : auditLogMessage(await deps.audit.recent(count.count), count.count, { ...(deps.sourceNames ? { sourceNames: deps.sourceNames } : {}) }, count.requested));
        } catch (err) {
          const coded = toCodedError(err);
          deps.logger.error('audit log read failed', { user: command.user_id, code: coded.code, err: coded });
          reply = failureMessage(exporting ? 'I could not export the audit log.' : 'I could not read the audit log.');
        }
      }
    }
    await respond({ response_type: 'ephemeral', ...reply });
  };
}

/** A second Download as CSV of the same audit message by the same person within this long sends nothing more. */
const EXPORT_ONCE_MS = 60_000;

/** "Download as CSV" on the audit message: the same entries, every field, in a file (the roles checked again); once per double click. */
export function auditExportAction(deps: AnalyticsDeps) {
  return async ({ ack, action, body, respond, client }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    // The button carries which entries its log showed (how many, 1 to 100, and where they began). Anything else the bot never sent.
    const mark = parseAuditListMark(action.value);
    const once = `audit-csv:${userId}:${buttonContext(body).messageTs ?? body.trigger_id}:${action.value ?? ''}`;
    let reply: MessageBody;
    try {
      const refused = await refusal(deps, userId);
      if (refused) reply = refused;
      else if (!mark) reply = auditExportInvalidMessage();
      else {
        // An export that failed is forgotten, so clicking again works. (A file Slack shared before its answer
        // was lost would then be sent twice: rare, and a second copy of a log does no harm.)
        const exported = await deps.clicks.once(once, EXPORT_ONCE_MS, () => exportAudit(deps, client, userId, mark));
        reply = exported.repeated ? auditExportAlreadyMessage() : exported.value;
      }
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('audit log export failed', { user: userId, code: coded.code, err: coded });
      reply = failureMessage('I could not export the audit log.');
    }
    await respond({ response_type: 'ephemeral', replace_original: false, ...reply });
  };
}

export function registerAnalytics(app: Listeners, deps: AnalyticsDeps): string[] {
  app.command(Commands.analytics, analyticsCommand(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.auditExport, auditExportAction(deps));
  return [Commands.analytics];
}
