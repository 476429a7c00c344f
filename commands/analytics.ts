/**
 * `/analytics audit [n]`: the last n audit entries, for Looker admins and
 * BizOps only (asked of Slack on every use); others get a polite refusal.
 */
import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { parseAuditCount, type AuditService } from '../src/services/audit.js';
import { rolesOf, type MembershipSource, type RoleGroups } from '../src/services/roles.js';
import { failureMessage, type MessageBody } from '../views/common.js';
import { analyticsUsageMessage, auditLogMessage, auditNotAllowedMessage, auditRoleUnknownMessage } from '../views/audit.js';

export interface AnalyticsDeps extends RoleGroups {
  audit: AuditService;
  /** Who is in BizOps and the Looker admins, asked on every use. */
  directory: MembershipSource;
  logger: Logger;
}

/** The slash command listener, exported apart from its registration for tests. */
export function analyticsCommand(deps: AnalyticsDeps) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const [sub = '', ...rest] = (command.text ?? '').trim().split(/\s+/);
    let reply: MessageBody;
    if (sub.toLowerCase() !== 'audit') {
      reply = analyticsUsageMessage(sub ? `I don't know “${sub.slice(0, 40)}”.` : undefined);
    } else {
      const count = parseAuditCount(rest.join(' '));
      if (!count.ok) {
        reply = analyticsUsageMessage(count.reason);
      } else {
        try {
          const roles = await rolesOf(deps.directory, deps, command.user_id);
          const allowed = roles.lookerAdmin === 'member' || roles.bizops === 'member';
          if (allowed) {
            reply = auditLogMessage(await deps.audit.recent(count.count), count.count);
          } else if (roles.lookerAdmin === 'unknown' || roles.bizops === 'unknown') {
            reply = auditRoleUnknownMessage();
          } else {
            deps.logger.warn('audit log refused', { user: command.user_id });
            reply = auditNotAllowedMessage();
          }
        } catch (err) {
          const coded = toCodedError(err);
          deps.logger.error('audit log read failed', { user: command.user_id, code: coded.code, err: coded });
          reply = failureMessage('I could not read the audit log.');
        }
      }
    }
    await respond({ response_type: 'ephemeral', ...reply });
  };
}

export function registerAnalytics(app: App, deps: AnalyticsDeps): string[] {
  app.command(Commands.analytics, analyticsCommand(deps));
  return [Commands.analytics];
}
