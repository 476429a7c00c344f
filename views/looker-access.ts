/**
 * Block Kit for `/looker-access`: the request modal, the request card in the
 * analytics channel (with Approve / Deny while pending, then who decided and
 * when), the DMs to the requester, and the ephemeral answers to admins.
 * Pure functions of data.
 */
import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import {
  LOOKER_LEVELS,
  LOOKER_TEAMS,
  MAX_DURATION_DAYS,
  MAX_EMAIL_LENGTH,
  MAX_REASON_LENGTH,
  MIN_DURATION_DAYS,
  isElevated,
  levelLabel,
  remindsBeforeEnd,
  sameEmail,
  OWN_EMAIL_FOR_SOMEONE_ELSE,
  approvalReasons,
  type ApprovalReason,
  teamLabel,
  type DecisionRefusal,
  type LookerLevel,
  type LookerTeam,
} from '../src/domain/looker-policy.js';
import { lookerRequestRef, type LookerAccessRequest } from '../src/services/looker-access.js';
import type { SubmissionRefusal } from '../src/ports/notices.js';
import { escapeMrkdwn, slackDate, truncate, escapeAndTruncate, type MessageBody } from './common.js';

/** What the modal keeps in private_metadata. */
export interface LookerModalMetadata {
  requesterId: string;
  /** The requester's own Slack email: a request for someone else must not use it. */
  requesterEmail: string | null;
}

export interface LookerModalData extends LookerModalMetadata {
  subjectId: string;
  email: string | null;
  team?: LookerTeam;
  level?: LookerLevel;
  /** Whether the bot grants View in Looker itself; when not, a Looker admin grants every request by hand. */
  lookerConnected: boolean;
}

const option = (value: string, text: string, description?: string): PlainTextOption => ({
  text: { type: 'plain_text', text: truncate(text, 75) },
  value,
  ...(description ? { description: { type: 'plain_text', text: truncate(description, 75) } } : {}),
});

/**
 * The email input's block ID for a subject. Slack keeps what was typed in an
 * input across views.update unless its block ID changes, so picking someone
 * else gets a fresh block (prefilled with their email).
 */
export function lookerEmailBlockId(data: Pick<LookerModalData, 'requesterId' | 'subjectId'>): string {
  return data.subjectId === data.requesterId ? BlockIds.lookerAccessEmail : `${BlockIds.lookerAccessEmail}.${data.subjectId}`;
}

/** What the modal says first: who gets what at once, and what goes to a Looker admin (the policy of src/domain/looker-policy.ts routeOf). */
function lookerPolicyText(lookerConnected: boolean): string {
  const elevated = `*Create content* and *Develop* are approved by a Looker admin and last ${MIN_DURATION_DAYS} to ${MAX_DURATION_DAYS} days.`;
  return lookerConnected
    ? `*View* (the View group and the View role: Looker needs both) is granted at once when you ask for yourself, with your own Slack email, for a listed team. Asking for someone else, with another email, or for team Other goes to a Looker admin first. ${elevated}`
    : `Looker is not connected to the bot here, so a Looker admin grants every request by hand, View included. ${elevated}`;
}

/**
 * The `/looker-access` modal: who, their Looker email, team, level; a reason
 * and a number of days only for the elevated levels (picking a level updates
 * the modal: see commands/looker-access.ts).
 */
export function lookerAccessModal(data: LookerModalData): ModalView {
  const teams = LOOKER_TEAMS.map((t) => option(t.id, t.label));
  const levels = LOOKER_LEVELS.map((l) => option(l.id, l.label, l.description));
  const levelId: LookerLevel = data.level ?? 'view';
  const level = levels.find((l) => l.value === levelId) ?? levels[0]!;
  const team = data.team ? teams.find((t) => t.value === data.team) : undefined;
  const metadata: LookerModalMetadata = { requesterId: data.requesterId, requesterEmail: data.requesterEmail };
  const forSomeoneElse = data.subjectId !== data.requesterId;
  const blocks: ModalView['blocks'] = [
    { type: 'section', text: { type: 'mrkdwn', text: lookerPolicyText(data.lookerConnected) } },
    {
      type: 'input',
      block_id: BlockIds.lookerAccessSubject,
      // Picking someone else swaps in their email (see lookerEmailBlockId).
      dispatch_action: true,
      label: { type: 'plain_text', text: 'Who needs access' },
      hint: {
        type: 'plain_text',
        text: forSomeoneElse
          ? 'For someone else, a Looker admin approves the request, View included.'
          : 'You, or someone on your team if you are their manager.',
      },
      element: { type: 'users_select', action_id: ActionIds.lookerAccessSubject, initial_user: data.subjectId },
    },
    {
      type: 'input',
      block_id: lookerEmailBlockId(data),
      label: { type: 'plain_text', text: 'Looker email' },
      hint: { type: 'plain_text', text: forSomeoneElse ? 'Their work email, as they sign in to Looker.' : 'Your work email, as you sign in to Looker.' },
      element: {
        type: 'plain_text_input',
        action_id: ActionIds.lookerAccessEmail,
        max_length: MAX_EMAIL_LENGTH,
        ...(data.email ? { initial_value: data.email } : {}),
        placeholder: { type: 'plain_text', text: 'name@example.com' },
      },
    },
    {
      type: 'input',
      block_id: BlockIds.lookerAccessTeam,
      label: { type: 'plain_text', text: 'Team' },
      element: {
        type: 'static_select',
        action_id: ActionIds.lookerAccessTeam,
        options: teams,
        placeholder: { type: 'plain_text', text: 'Pick a team' },
        ...(team ? { initial_option: team } : {}),
      },
    },
    {
      type: 'input',
      block_id: BlockIds.lookerAccessLevel,
      // Picking a level brings in (or takes out) the reason and the days.
      dispatch_action: true,
      label: { type: 'plain_text', text: 'Access' },
      element: { type: 'radio_buttons', action_id: ActionIds.lookerAccessLevel, options: levels, initial_option: level },
    },
  ];
  if (isElevated(levelId)) {
    blocks.push(
      {
        type: 'input',
        block_id: BlockIds.lookerAccessReason,
        label: { type: 'plain_text', text: 'Reason' },
        hint: { type: 'plain_text', text: `What you will build with ${levelLabel(levelId)} access, and for whom: the Looker admins decide on it.` },
        element: {
          type: 'plain_text_input',
          action_id: ActionIds.lookerAccessReason,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
          placeholder: { type: 'plain_text', text: 'e.g. A dashboard of weekly active instances for the CE team' },
        },
      },
      {
        type: 'input',
        block_id: BlockIds.lookerAccessDuration,
        label: { type: 'plain_text', text: `Days (${MIN_DURATION_DAYS} to ${MAX_DURATION_DAYS})` },
        hint: { type: 'plain_text', text: `${levelLabel(levelId)} access ends on its own after this many days; View stays.` },
        element: {
          type: 'number_input',
          action_id: ActionIds.lookerAccessDuration,
          is_decimal_allowed: false,
          min_value: String(MIN_DURATION_DAYS),
          max_value: String(MAX_DURATION_DAYS),
          placeholder: { type: 'plain_text', text: '30' },
        },
      },
    );
  }
  return {
    type: 'modal',
    callback_id: CallbackIds.lookerAccess,
    title: { type: 'plain_text', text: 'Looker access' },
    submit: { type: 'plain_text', text: 'Request' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify(metadata),
    blocks,
  };
}

/** Whether a modal shows the inputs a level needs (an older view may lack the reason and days). */
export function lookerModalHasInputsFor(level: LookerLevel, blockIds: readonly string[]): boolean {
  return !isElevated(level) || (blockIds.includes(BlockIds.lookerAccessReason) && blockIds.includes(BlockIds.lookerAccessDuration));
}

const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

/** The card's label for a level, with its duration when elevated: "Develop for 14 days". */
function levelText(r: Pick<LookerAccessRequest, 'level' | 'durationDays'>): string {
  return isElevated(r.level) && r.durationDays ? `${levelLabel(r.level)} for ${days(r.durationDays)}` : levelLabel(r.level);
}

/** What was asked, as a phrase: "Develop access to Looker for 14 days". */
export function lookerAccessPhrase(r: Pick<LookerAccessRequest, 'level' | 'durationDays'>): string {
  return `${levelLabel(r.level)} access to Looker${isElevated(r.level) && r.durationDays ? ` for ${days(r.durationDays)}` : ''}`;
}

/** The one short ID people see for a request, everywhere: `LA-7QK2ZD`. */
export function lookerRef(r: Pick<LookerAccessRequest, 'id'>): string {
  return `\`${lookerRequestRef(r.id)}\``;
}

/** Who decided, as the subject of a sentence. */
function decider(r: Pick<LookerAccessRequest, 'decidedBy'>): string {
  return r.decidedBy === 'bot' ? 'The bot' : r.decidedBy ? `<@${r.decidedBy}>` : 'A Looker admin';
}

/** The admin's reason for a denial, quoted. */
function quotedReason(reason: string): string {
  return `>${escapeAndTruncate(reason.trim(), 1000).replace(/\n/g, '\n>')}`;
}

/** What a grant by hand adds, as a list: "the View group and the View role", "the View group, the View role and the Develop role". */
function grantedByHandList(r: Pick<LookerAccessRequest, 'level'>, until = ''): string {
  return isElevated(r.level) ? `the View group, the View role and the ${levelLabel(r.level)} role${until}` : 'the View group and the View role';
}

/** What an admin grants by hand when the bot cannot reach Looker. */
function manualGrantText(r: LookerAccessRequest): string {
  const until = r.durationDays ? ` (until ${r.expiresAt ? slackDate(new Date(r.expiresAt), '{date_short_pretty}') : 'expiry'})` : '';
  return `Looker is not connected to the bot: please grant it by hand in Looker (Admin → Users → \`${escapeMrkdwn(r.email)}\`): ${grantedByHandList(r, until)}.`;
}

// Slack's date tokens read "Today at 8:08 PM" or "Nov 28 at 8:08 PM": never after "on" or "at".
function decisionLine(r: LookerAccessRequest): string {
  const when = r.decidedAt ? ` · ${slackDate(new Date(r.decidedAt))}` : '';
  const who = r.decidedBy === 'bot' ? 'automatically (View for a listed team)' : `by <@${r.decidedBy}>`;
  switch (r.status) {
    case 'pending':
      return '';
    case 'approved':
      return `:white_check_mark: *Approved* ${who}${when}`;
    case 'denied':
      return `:no_entry: *Denied* by <@${r.decidedBy}>${when}${r.denyReason ? `\n${quotedReason(r.denyReason)}` : ''}`;
    case 'expired':
      return `:hourglass: *Expired* ${r.expiredAt ? slackDate(new Date(r.expiredAt)) : ''} (approved ${r.decidedBy === 'bot' ? 'automatically' : `by <@${r.decidedBy}>`}${when})`;
  }
}

/** Elevated access that ended before its grant ever ran: Looker was never touched, and no admin was asked to grant it. */
function endedBeforeGrant(r: LookerAccessRequest): boolean {
  return r.status === 'expired' && !r.grant && Boolean(r.grantSkippedAt);
}

function grantLine(r: LookerAccessRequest): string | null {
  if (endedBeforeGrant(r)) return ':information_source: It ended before it could be granted in Looker; nothing was changed there.';
  if (r.status === 'expired' && r.grant?.mode === 'looker' && r.revokedRoleIds === null && !r.revokeError) {
    return `:hourglass_flowing_sand: Ended: taking the ${levelLabel(r.level)} role back in Looker…`;
  }
  if (r.status !== 'approved' && r.status !== 'expired') return null;
  if (r.grantError) return `:warning: Looker did not accept the grant (${escapeAndTruncate(r.grantError, 300)}). Fix the cause and click *Retry grant*, or grant it by hand in Looker: ${grantedByHandList(r)}.`;
  if (!r.grant) return r.status === 'approved' ? ':hourglass_flowing_sand: Granting it in Looker…' : null;
  if (r.grant.mode === 'manual') return manualGrantText(r);
  if (r.grant.setupEmailError) {
    return `:key: Granted in Looker${r.grant.createdUser ? ' (new Looker user created)' : ''}. :warning: Looker could not send the account setup email (${escapeAndTruncate(r.grant.setupEmailError, 200)}): please send it again from Admin → Users in Looker.`;
  }
  const created = r.grant.createdUser ? ' (new Looker user created; they set a password from the account setup email)' : '';
  return `:key: Granted in Looker${created}.`;
}

/** Whether the requested email is the Slack email of the person getting access: a warning for the admin when it is not, or Slack shows none. */
function emailWarning(r: LookerAccessRequest): string | null {
  if (r.subjectSlackEmail === undefined) return null;
  if (r.subjectSlackEmail === null) return `:warning: Slack shows no email for <@${r.subjectId}>: check that \`${escapeMrkdwn(r.email)}\` is theirs before approving.`;
  if (sameEmail(r.email, r.subjectSlackEmail)) return null;
  return `:warning: \`${escapeMrkdwn(r.email)}\` is not <@${r.subjectId}>'s Slack email (\`${escapeMrkdwn(r.subjectSlackEmail)}\`): check that it is theirs before approving. Approving gives that address the access.`;
}

/** An approval of the same access that the bot still shows in force: the admins check Looker before approving again. */
function earlierApprovalLine(r: LookerAccessRequest): string | null {
  const e = r.earlierApproval;
  if (!e) return null;
  const by = e.decidedBy === 'bot' ? 'granted automatically' : e.decidedBy ? `approved by <@${e.decidedBy}>` : 'approved';
  const when = e.decidedAt ? ` ${slackDate(new Date(e.decidedAt))}` : '';
  const until = e.expiresAt ? `, until ${slackDate(new Date(e.expiresAt))}` : '';
  return `:information_source: Asked before: ${lookerRef({ id: e.requestId })}, the same ${levelLabel(r.level)} access for <@${r.subjectId}> (\`${escapeMrkdwn(r.email)}\`), ${by}${when}${until}. I cannot tell whether it was removed in Looker since: check there before approving again.`;
}

const APPROVAL_REASONS: Record<ApprovalReason, string> = {
  elevated: 'elevated access',
  unlisted_team: 'a team the handbook does not list',
  looker_not_connected: 'Looker is not connected to the bot',
  on_behalf: 'asked on someone else\'s behalf',
  unvouched_email: 'an email Slack does not vouch for',
};

/**
 * Why a request waits for an admin: every reason the routing rule gives. A request stored before the subject's
 * Slack email was kept is taken as vouched for; when nothing else kept it from being granted, the email did.
 */
function whyApproval(r: LookerAccessRequest, lookerConfigured: boolean): string {
  const reasons = approvalReasons(r, { lookerConfigured, requesterSlackEmail: r.subjectSlackEmail === undefined ? r.email : r.subjectSlackEmail });
  return (reasons.length ? reasons : (['unvouched_email'] as const)).map((x) => APPROVAL_REASONS[x]).join('; ');
}

/**
 * The card's state in a few words, for its top-level text (notifications, previews, screen readers): the grant's
 * outcome too, since the card is edited as the grant goes (granting, granted, refused by Looker, to grant by hand).
 */
function cardState(r: LookerAccessRequest): string {
  if (r.status !== 'approved') return r.status;
  if (r.grantError && !r.grant) return 'approved, but Looker did not accept the grant: retry it or grant it by hand';
  if (!r.grant) return 'approved, granting it in Looker';
  if (r.grant.mode === 'manual') return 'approved, to be granted in Looker by hand';
  return 'approved and granted in Looker';
}

/** The request card in the analytics channel; Approve / Deny only while pending. */
export function lookerRequestCard(
  r: LookerAccessRequest,
  options: { adminsUsergroup: string | null; lookerConnected: boolean; lookerUrl: string | null },
): MessageBody {
  const forWhom = r.subjectId === r.requesterId ? `<@${r.subjectId}>` : `<@${r.subjectId}> (requested by <@${r.requesterId}>)`;
  const text = `Looker access request ${lookerRequestRef(r.id)}: ${levelLabel(r.level)} for <@${r.subjectId}> (${cardState(r)})`;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:bar_chart: *Looker access request* for ${forWhom}` },
      fields: [
        { type: 'mrkdwn', text: `*Looker email*\n${escapeMrkdwn(r.email)}` },
        { type: 'mrkdwn', text: `*Team*\n${teamLabel(r.team)}` },
        { type: 'mrkdwn', text: `*Access*\n${levelText(r)}` },
        { type: 'mrkdwn', text: `*Requested*\n${slackDate(new Date(r.createdAt))}` },
      ],
    },
  ];
  if (r.reason) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${escapeAndTruncate(r.reason, 2500)}` } });
  if (r.status === 'pending') {
    const who = options.adminsUsergroup ? `<!subteam^${options.adminsUsergroup}>` : 'a Looker admin';
    const warning = emailWarning(r);
    if (warning) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: warning } });
    const earlier = earlierApprovalLine(r);
    if (earlier) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: earlier } });
    blocks.push(
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Waiting for ${who} (${whyApproval(r, options.lookerConnected)}).${options.lookerConnected ? ' Approving grants it in Looker.' : ' Approving records it, and you grant it by hand.'}` }] },
      {
        type: 'actions',
        block_id: BlockIds.lookerAccessActions,
        elements: [
          { type: 'button', action_id: ActionIds.lookerAccessApprove, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: r.id },
          // Opens the reason modal (lookerDenyModal), which is the confirmation too.
          { type: 'button', action_id: ActionIds.lookerAccessDeny, style: 'danger', text: { type: 'plain_text', text: 'Deny…' }, value: r.id },
        ],
      },
    );
  } else {
    const lines = [decisionLine(r), grantLine(r)];
    // Only once granted: a grant that failed has nothing to end yet.
    if (r.status === 'approved' && r.expiresAt && r.grant) lines.push(`:hourglass_flowing_sand: ${levelLabel(r.level)} ends ${slackDate(new Date(r.expiresAt))}; the View access stays.`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.filter(Boolean).join('\n') } });
    if (r.status === 'approved' && r.grantError && !r.grant) {
      blocks.push({
        type: 'actions',
        block_id: BlockIds.lookerAccessActions,
        elements: [{ type: 'button', action_id: ActionIds.lookerAccessRetryGrant, text: { type: 'plain_text', text: 'Retry grant' }, value: r.id }],
      });
    }
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Request ${lookerRef(r)}` }] });
  return { text, blocks };
}

const section = (text: string): MessageBody => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

/** To the requester (and the subject): the request is with the admins. */
export function lookerRequestSentDm(r: LookerAccessRequest, options: { channel: string | null; posted: boolean; forSubject?: boolean }): MessageBody {
  const what = `${lookerAccessPhrase(r)} (\`${escapeMrkdwn(r.email)}\`)`;
  if (!options.posted) {
    // With a channel to post in, the card is tried again later; without one, it never will be.
    const later = options.channel ? ' yet. I will keep trying; meanwhile, please' : '. Please';
    return section(`:warning: Your request ${lookerRef(r)} for ${what} is recorded, but I could not post it for the Looker admins${later} mention it in #analytics.`);
  }
  const where = options.channel ? ` in <#${options.channel}>` : '';
  return section(
    options.forSubject
      ? `:inbox_tray: <@${r.requesterId}> asked for ${what} on your behalf (${lookerRef(r)}). The Looker admins will decide${where}; I will tell you.`
      : `:inbox_tray: Your request ${lookerRef(r)} for ${what} is with the Looker admins${where}. I will tell you when it is decided.`,
  );
}

/** The modal was fine, but the person picked cannot get Looker access. */
export function lookerSubmissionRefusedDm(reason: SubmissionRefusal, refs: readonly string[] = []): MessageBody {
  const listed = refs.map((ref) => `\`${ref}\``).join(', ');
  switch (reason) {
    case 'bot_subject':
      return section(':warning: Looker access is for people, not bots or apps. Nothing was requested.');
    case 'unknown_subject':
      return section(':warning: I could not find the person you picked in this workspace. Nothing was requested; try again with `/looker-access`.');
    case 'requester_email':
      return section(':warning: The Looker email you gave is your own, on a request for someone else. Nothing was requested; run `/looker-access` again with the email of the person who needs access.');
    case 'already_pending':
      return section(`:hourglass_flowing_sand: You already asked for this${listed ? ` (${listed})` : ''}, and it is waiting for a Looker admin. Nothing new was requested; you will get a DM when they decide.`);
    case 'too_many_pending':
      return section(
        `:warning: You have ${refs.length || 'several'} Looker access requests waiting for an admin${listed ? ` (${listed})` : ''}. Nothing new was requested: ask again once some of them are decided.`,
      );
  }
}

/** The same refusal on the form, while it is open (plain text, as Slack shows a field's error). */
export function lookerSubmissionRefusedOnForm(reason: SubmissionRefusal, refs: readonly string[] = []): string {
  const listed = refs.length ? ` (${refs.join(', ')})` : '';
  switch (reason) {
    case 'bot_subject':
      return 'Looker access is for people, not bots or apps: pick a person.';
    case 'unknown_subject':
      return 'I could not find this person in the workspace: pick someone else.';
    case 'requester_email':
      return OWN_EMAIL_FOR_SOMEONE_ELSE;
    case 'already_pending':
      return `You already asked for this${listed}, and it is waiting for a Looker admin: you will get a DM when they decide. Close this form, or change what you ask for.`;
    case 'too_many_pending':
      return `You have ${refs.length || 'several'} Looker access requests waiting for an admin${listed}. Ask again once some of them are decided.`;
  }
}

/** View for a listed team, granted at once. */
export function lookerGrantedNowDm(r: LookerAccessRequest, options: { lookerUrl: string | null }): MessageBody {
  if (r.grantError) {
    return section(`:warning: Your View access to Looker is approved, but Looker did not accept the change yet. The Looker admins have been told; no need to ask again (${lookerRef(r)}).`);
  }
  const login = options.lookerUrl ? ` Sign in at ${escapeMrkdwn(options.lookerUrl)} with \`${escapeMrkdwn(r.email)}\`.` : '';
  const created = r.grant?.createdUser ? ` Your Looker account is new: set your password from the account setup link.${setupEmailNotSent(r)}` : setupEmailNotSent(r);
  return section(`:white_check_mark: You have *View* access to Looker (the View group and role).${login}${created}`);
}

/**
 * When elevated access ends, and who hears a day before (the reminder goes to the requester and the person
 * getting access): said to `to`, who on a request for someone else may be either.
 */
function accessEndsText(r: LookerAccessRequest, to: string | undefined): string {
  if (!r.expiresAt) return '';
  const when = slackDate(new Date(r.expiresAt));
  const reminded = remindsBeforeEnd(r.durationDays);
  if (r.subjectId === r.requesterId) return ` It lasts until ${when}${reminded ? '; I will remind you a day before' : ''}.`;
  if (to === r.requesterId) return ` The access is <@${r.subjectId}>'s and lasts until ${when}${reminded ? '; I will remind you both a day before' : ''}.`;
  if (to === r.subjectId) return ` It lasts until ${when}${reminded ? `; I will remind you and <@${r.requesterId}> a day before` : ''}.`;
  return ` <@${r.subjectId}>'s access lasts until ${when}${reminded ? `; I will remind <@${r.subjectId}> and <@${r.requesterId}> a day before` : ''}.`;
}

/** An admin decided: to the requester and the subject (`to`: which of them reads it). */
export function lookerDecidedDm(r: LookerAccessRequest, options: { lookerUrl: string | null; to?: string }): MessageBody {
  const what = `${lookerAccessPhrase(r)} (\`${escapeMrkdwn(r.email)}\`, ${lookerRef(r)})`;
  if (r.status === 'denied') {
    return section(
      r.denyReason
        ? `:no_entry: ${decider(r)} denied the request for ${what}:\n${quotedReason(r.denyReason)}`
        : `:no_entry: ${decider(r)} denied the request for ${what}. Ask in #analytics if you need to know more.`,
    );
  }
  const until = accessEndsText(r, options.to);
  if (r.grantError || r.grant?.mode === 'manual') {
    return section(`:white_check_mark: ${decider(r)} approved ${what}. A Looker admin is adding it in Looker by hand.${until}`);
  }
  const login = options.lookerUrl ? ` Sign in at ${escapeMrkdwn(options.lookerUrl)}.` : '';
  return section(`:white_check_mark: ${decider(r)} approved ${what}; it is active in Looker.${login}${setupEmailNotSent(r)}${until}`);
}

/** Said when Looker could not send the account setup email the grant asked for. */
function setupEmailNotSent(r: LookerAccessRequest): string {
  return r.grant?.setupEmailError ? ' Looker could not send the account setup email, so you may not have it: a Looker admin has been asked to send it again.' : '';
}

/** A day before elevated access ends. */
export function lookerReminderDm(r: LookerAccessRequest): MessageBody {
  const when = r.expiresAt ? slackDate(new Date(r.expiresAt)) : 'soon';
  if (r.renewedBy) {
    const until = r.renewedBy.until ? ` until ${slackDate(new Date(r.renewedBy.until))}` : '';
    return section(`:hourglass_flowing_sand: Request ${lookerRef(r)} for ${levelLabel(r.level)} access to Looker (\`${escapeMrkdwn(r.email)}\`) ends ${when}, but request ${lookerRef({ id: r.renewedBy.requestId })} for the same Looker email carries that access on${until}: nothing for you to do.`);
  }
  return section(`:hourglass_flowing_sand: ${levelLabel(r.level)} access to Looker for \`${escapeMrkdwn(r.email)}\` (${lookerRef(r)}) ends ${when}. View stays. If you still need it, ask again with \`${Commands.lookerAccess}\`.`);
}

/** Elevated access has ended. */
export function lookerExpiredDm(r: LookerAccessRequest): MessageBody {
  if (endedBeforeGrant(r)) {
    return section(`:hourglass: ${levelLabel(r.level)} access to Looker for \`${escapeMrkdwn(r.email)}\` (${lookerRef(r)}) was approved, but it ended before I could grant it in Looker, so nothing changed there. Ask again with \`${Commands.lookerAccess}\` if you still need it.`);
  }
  if (r.keptFor) {
    const until = r.keptFor.until ? ` until ${slackDate(new Date(r.keptFor.until))}` : '';
    return section(`:hourglass: Request ${lookerRef(r)} for ${levelLabel(r.level)} access to Looker (\`${escapeMrkdwn(r.email)}\`) has ended, but request ${lookerRef({ id: r.keptFor.requestId })} for the same Looker email still gives that access${until}: nothing changes in Looker until then.`);
  }
  if (r.revokeError) {
    // Said as it is: the roles are still in Looker until an admin takes them.
    return section(`:hourglass: ${levelLabel(r.level)} access to Looker for \`${escapeMrkdwn(r.email)}\` (${lookerRef(r)}) has ended, but I could not take the ${levelLabel(r.level)} role back in Looker, so you may still have it until a Looker admin removes it; you keep View. Ask again with \`${Commands.lookerAccess}\` if you need it.`);
  }
  return section(`:hourglass: ${levelLabel(r.level)} access to Looker for \`${escapeMrkdwn(r.email)}\` (${lookerRef(r)}) has ended; you keep View. Ask again with \`${Commands.lookerAccess}\` if you need it.`);
}

/** In the card's thread at expiry. */
export function lookerExpiredThreadMessage(r: LookerAccessRequest, options: { manual: boolean; adminsUsergroup: string | null }): MessageBody {
  const admins = options.adminsUsergroup ? `<!subteam^${options.adminsUsergroup}>` : 'Looker admins';
  if (endedBeforeGrant(r)) {
    return section(`:hourglass: ${levelLabel(r.level)} access for <@${r.subjectId}> ended before it was granted (the grant could not run until after its end); nothing was changed in Looker, and there is nothing to remove.`);
  }
  if (r.revokeError) {
    return section(`:warning: ${levelLabel(r.level)} access for <@${r.subjectId}> expired, but I could not take the roles back in Looker (last answer: ${escapeAndTruncate(r.revokeError, 300)}). ${admins}: please remove the ${levelLabel(r.level)} role by hand.`);
  }
  if (r.lookerUserMissing) {
    return section(`:warning: ${levelLabel(r.level)} access for <@${r.subjectId}> expired, but Looker answered that its Looker user does not exist (deleted, or no longer visible to the bot's API key), so I removed nothing. ${admins}: please check in Looker that \`${escapeMrkdwn(r.email)}\` has no ${levelLabel(r.level)} role left.`);
  }
  if (options.manual && r.keptFor) {
    // A renewal the admins approved still grants it: removing the role now would take away access they gave.
    const until = r.keptFor.until ? ` (until ${slackDate(new Date(r.keptFor.until))})` : '';
    return section(`:hourglass: ${levelLabel(r.level)} access for <@${r.subjectId}> expired, but request ${lookerRef({ id: r.keptFor.requestId })} for the same Looker email still grants it${until}: keep the ${levelLabel(r.level)} role in Looker; that request's end asks for it to be removed.`);
  }
  if (options.manual) {
    return section(`:hourglass: ${levelLabel(r.level)} access for <@${r.subjectId}> expired. ${admins}: please remove the ${levelLabel(r.level)} role from \`${escapeMrkdwn(r.email)}\` in Looker by hand; keep View.`);
  }
  if (r.keptFor && r.keptRoleIds?.length) {
    const until = r.keptFor.until ? ` (until ${slackDate(new Date(r.keptFor.until))})` : '';
    const removedToo = r.revokedRoleIds?.length ? ` I removed the other role${r.revokedRoleIds.length === 1 ? '' : 's'} this request added.` : '';
    return section(`:hourglass: ${levelLabel(r.level)} access for <@${r.subjectId}> expired, but request ${lookerRef({ id: r.keptFor.requestId })} for the same Looker user still grants it${until}, so I left those roles in place; they are taken back when that request ends.${removedToo}`);
  }
  const removed = r.revokedRoleIds?.length ? `removed the ${levelLabel(r.level)} role${r.revokedRoleIds.length === 1 ? '' : 's'}` : `found no ${levelLabel(r.level)} role left to remove`;
  return section(`:hourglass: ${levelLabel(r.level)} access for <@${r.subjectId}> expired: I ${removed} in Looker; View and any other roles stay.`);
}

// ---- ephemeral answers to the person who clicked ----

/** A click by someone without the right to decide. */
export function lookerRefusalMessage(reason: DecisionRefusal, adminsUsergroup: string | null): MessageBody {
  if (reason === 'own_request') return section(':lock: You cannot decide a request you made or that gives you access. Another Looker admin has to.');
  if (reason === 'own_email') return section(':lock: This request gives access to the Looker email on your own Slack profile, so you cannot decide it. Another Looker admin has to. Nothing was changed.');
  const who = adminsUsergroup ? `members of <!subteam^${adminsUsergroup}>` : 'Looker admins';
  return section(`:lock: Only ${who} can approve or deny Looker access. Nothing was changed.`);
}

/** The request was already decided (or has expired), told to `viewer` ("by you" when they decided it). */
export function lookerAlreadyDecidedMessage(r: LookerAccessRequest, viewer?: string): MessageBody {
  const who = r.decidedBy === 'bot' ? ' automatically' : viewer && r.decidedBy === viewer ? ' by you' : r.decidedBy ? ` by <@${r.decidedBy}>` : '';
  const when = r.decidedAt ? ` (${slackDate(new Date(r.decidedAt))})` : '';
  if (r.status === 'expired') return section(`:information_source: This request has already expired${r.expiredAt ? ` (${slackDate(new Date(r.expiredAt))})` : ''}. Nothing was changed.`);
  return section(`:information_source: This request was already ${r.status}${who}${when}. Nothing was changed.`);
}

export function lookerRequestNotFoundMessage(): MessageBody {
  return section(':information_source: I do not know this request (it may have been removed). Nothing was changed.');
}

export function lookerAdminCheckFailedMessage(about: 'admins' | 'profile' = 'admins'): MessageBody {
  const what = about === 'admins' ? 'who the Looker admins are' : 'your Slack profile (to make sure the request does not name your own email)';
  return section(`:warning: I could not check ${what} just now. Nothing was changed; please try again in a minute.`);
}

/** To the admin who decided: what happened, and what is left to do by hand. */
export function lookerDecisionConfirmation(r: LookerAccessRequest): MessageBody {
  if (r.status === 'denied') return section(`:no_entry: Denied. <@${r.subjectId}> has been told.`);
  if (r.grantError) return section(`:warning: Approved, but Looker did not accept the grant (${escapeAndTruncate(r.grantError, 300)}). Fix the cause and click *Retry grant* on the request, or grant it by hand.`);
  if (r.grant?.mode === 'manual') return section(`:white_check_mark: Approved and recorded. ${manualGrantText(r)}`);
  if (!r.grant) return section(`:white_check_mark: Approved. I am granting it in Looker; the card shows when it is done, and <@${r.subjectId}> will be told.`);
  return section(`:white_check_mark: Approved and granted in Looker. <@${r.subjectId}> has been told.`);
}

/** To the admin who clicked Retry grant: how the new attempt went. */
export function lookerRetryConfirmation(r: LookerAccessRequest): MessageBody {
  if (r.grant) return section(`:white_check_mark: Granted in Looker this time. <@${r.subjectId}> has been told.`);
  if (r.grantError) return section(`:warning: Looker still did not accept the grant (${escapeAndTruncate(r.grantError, 300)}). Fix the cause and click Retry grant again, or grant it by hand.`);
  return section(':hourglass_flowing_sand: Trying the grant in Looker again; the card shows when it is done.');
}

/** Retry grant on a request whose grant is not waiting for one. */
export function lookerNothingToRetryMessage(r: LookerAccessRequest, options: { ended?: boolean } = {}): MessageBody {
  if (options.ended) return section(`:information_source: This ${levelLabel(r.level)} access ended${r.expiresAt ? ` ${slackDate(new Date(r.expiresAt))}` : ''}, so there is nothing left to grant. Nothing was changed.`);
  if (r.grant) return section(':information_source: This request is already granted. Nothing was changed.');
  if (r.status === 'approved' && !r.grantError) return section(':information_source: The grant is already being tried again; the card shows when it is done. Nothing was changed.');
  if (r.status === 'approved') return section(':information_source: The grant was tried again a moment ago, and the card shows how it went. Nothing was changed; click Retry grant again in a few seconds to try once more.');
  return section(`:information_source: This request is ${r.status}; there is no grant to retry. Nothing was changed.`);
}

/** In the card's thread when the grant gave up: the admins finish it by hand. */
export function lookerGrantFailedThreadMessage(r: LookerAccessRequest, options: { adminsUsergroup: string | null }): MessageBody {
  const admins = options.adminsUsergroup ? `<!subteam^${options.adminsUsergroup}>` : 'Looker admins';
  const why = r.grantError ? ` (${escapeAndTruncate(r.grantError, 300)})` : '';
  return section(`:warning: I could not grant this in Looker${why}. ${admins}: fix the cause and click *Retry grant* on the request, or grant it by hand: ${grantedByHandList(r)} for \`${escapeMrkdwn(r.email)}\`.`);
}

/** What the Deny modal keeps in private_metadata. */
export interface LookerDenyMetadata {
  id: string;
}

/** A Looker admin's Deny: the reason goes to the requester (and the person it was for) in a DM. */
export function lookerDenyModal(r: LookerAccessRequest): ModalView {
  const metadata: LookerDenyMetadata = { id: r.id };
  const forWhom = r.subjectId === r.requesterId ? `<@${r.subjectId}>` : `<@${r.subjectId}> (asked by <@${r.requesterId}>)`;
  return {
    type: 'modal',
    callback_id: CallbackIds.lookerAccessDeny,
    title: { type: 'plain_text', text: 'Deny Looker access' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify(metadata),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Deny ${lookerRef(r)}, ${lookerAccessPhrase(r)} for ${forWhom}. They get your reason in a DM.` } },
      {
        type: 'input',
        block_id: BlockIds.lookerAccessDenyReason,
        label: { type: 'plain_text', text: 'Reason' },
        element: {
          type: 'plain_text_input',
          action_id: ActionIds.lookerAccessDenyReason,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
          placeholder: { type: 'plain_text', text: 'e.g. View covers it: the dashboards are under Shared → CE' },
        },
      },
    ],
  };
}

/** The Deny modal was sent empty (or only spaces): said under the input. */
export const LOOKER_DENY_REASON_MISSING = 'Say why, so they know what to do instead.';
