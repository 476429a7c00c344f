/**
 * Looker access policy, from the handbook ("Looker administration"): a user
 * needs both a group and a role; every listed team, and any team not listed,
 * gets the View group and the View role; anything more (create content,
 * develop) is elevated, time-limited, and approved by a Looker admin who is
 * neither the requester nor the person getting access. Pure: no I/O, no clock.
 */
import { reasonProblem, trimText } from '../format.js';

/** The teams the modal offers, in the handbook's order, and whether the handbook lists them. */
export const LOOKER_TEAMS = [
  { id: 'engineering', label: 'Engineering', listed: true },
  { id: 'marketing', label: 'Marketing', listed: true },
  { id: 'customer_support', label: 'Customer Support', listed: true },
  { id: 'people_ops', label: 'People Ops', listed: true },
  { id: 'talent', label: 'Talent', listed: true },
  { id: 'cto', label: 'CTO', listed: true },
  { id: 'ce', label: 'CE', listed: true },
  { id: 'sales', label: 'Sales', listed: true },
  { id: 'product', label: 'Product', listed: true },
  { id: 'other', label: 'Other', listed: false },
] as const;

export type LookerTeam = (typeof LOOKER_TEAMS)[number]['id'];

/** What someone asks for: View, or one of the elevated levels. */
export const LOOKER_LEVELS = [
  { id: 'view', label: 'View', description: 'Explore, dashboards and Looks' },
  { id: 'create_content', label: 'Create content', description: 'Save Looks and dashboards' },
  { id: 'develop', label: 'Develop', description: 'Edit LookML in development mode' },
] as const;

export type LookerLevel = (typeof LOOKER_LEVELS)[number]['id'];

export const MIN_DURATION_DAYS = 1;
export const MAX_DURATION_DAYS = 90;
export const MAX_REASON_LENGTH = 1000;
export const MAX_EMAIL_LENGTH = 254;
const DAY_MS = 86_400_000;

export function isLookerTeam(value: unknown): value is LookerTeam {
  return LOOKER_TEAMS.some((t) => t.id === value);
}

export function isLookerLevel(value: unknown): value is LookerLevel {
  return LOOKER_LEVELS.some((l) => l.id === value);
}

export function teamLabel(team: LookerTeam): string {
  return LOOKER_TEAMS.find((t) => t.id === team)?.label ?? team;
}

export function levelLabel(level: LookerLevel): string {
  return LOOKER_LEVELS.find((l) => l.id === level)?.label ?? level;
}

/** Anything above View needs a Looker admin's approval, a reason and a duration. */
export function isElevated(level: LookerLevel): boolean {
  return level !== 'view';
}

/** Whether the handbook names the team (unlisted teams still get View, but an admin looks first). */
export function isListedTeam(team: LookerTeam): boolean {
  return LOOKER_TEAMS.find((t) => t.id === team)?.listed ?? false;
}

/** Looker group and role IDs, from configuration. */
export interface LookerAccessIds {
  viewGroupId: string;
  viewRoleId: string;
  /** Roles added for each elevated level (on top of View). */
  elevatedRoleIds: { create_content: string[]; develop: string[] };
}

/**
 * What to grant in Looker: the View group and the View role (a user needs
 * both), plus the level's roles. The team does not change it: every listed
 * team, and any team not listed, gets View.
 */
export function accessFor(level: LookerLevel, ids: LookerAccessIds): { groupIds: string[]; roleIds: string[] } {
  const extra = level === 'view' ? [] : ids.elevatedRoleIds[level];
  return { groupIds: [ids.viewGroupId], roleIds: unique([ids.viewRoleId, ...extra]) };
}

/** The roles only an elevated grant adds, which expiry takes back. */
export function elevatedRolesOf(level: LookerLevel, ids: LookerAccessIds): string[] {
  // Stryker disable next-line ConditionalExpression,StringLiteral: skipping the 'view' test is equivalent; elevatedRoleIds has no 'view' entry, so the other branch also gives []
  return level === 'view' ? [] : unique(ids.elevatedRoleIds[level]).filter((r) => r !== ids.viewRoleId);
}

/**
 * The elevated roles an expiring request takes back, when several elevated
 * requests for one Looker user overlap (someone asks again before the first
 * one ends, as the reminder tells them to). A grant records as "added" only
 * the roles the user lacked, so a renewal adds nothing and its own record
 * cannot say what to take back; the requests share the roles instead:
 *
 *   remove = the roles this request's level grants
 *            − roles another approved, unexpired request for the same Looker
 *              user (same email, any case) still grants
 *            − the baseline: roles the user had before the FIRST of the
 *              overlapping grants (View, and anything given some other way).
 *
 * So the first request to end keeps what the renewal still grants, and the
 * last one to end takes back what the first one added. `kept` is what was
 * left in place only because another request still grants it.
 */
export function rolesToRevoke(input: { levelRoleIds: readonly string[]; baselineRoleIds: readonly string[]; stillGrantedRoleIds: readonly string[] }): { remove: string[]; kept: string[] } {
  const baseline = new Set(input.baselineRoleIds);
  const still = new Set(input.stillGrantedRoleIds);
  const ours = unique(input.levelRoleIds).filter((r) => !baseline.has(r));
  return { remove: ours.filter((r) => !still.has(r)), kept: ours.filter((r) => still.has(r)) };
}

/** Roles in every list (the baseline of overlapping grants: what the user had before the first of them). */
export function commonRoles(lists: ReadonlyArray<readonly string[]>): string[] {
  // Stryker disable next-line ConditionalExpression: equivalent; without the guard, unique(undefined) is new Set(undefined), also []
  if (lists.length === 0) return [];
  const [first, ...rest] = lists;
  return unique(first!).filter((r) => rest.every((l) => l.includes(r)));
}

/** What the modal collected, before validation (any field may be missing or malformed). */
export interface LookerAccessInput {
  requesterId: string;
  subjectId: string | null;
  email: string | null;
  team: string | null;
  level: string | null;
  reason: string | null;
  duration: string | null;
}

/** A valid request, ready to store. */
export interface ValidLookerAccessRequest {
  requesterId: string;
  subjectId: string;
  email: string;
  team: LookerTeam;
  level: LookerLevel;
  reason: string | null;
  durationDays: number | null;
}

export type LookerAccessField = 'subject' | 'email' | 'team' | 'level' | 'reason' | 'duration';

export type ValidationResult =
  | { ok: true; request: ValidLookerAccessRequest }
  | { ok: false; errors: Partial<Record<LookerAccessField, string>> };

// Deliberately simple: one @, no spaces, a dot in the domain. Looker checks the rest.
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[A-Za-z]{2,}$/;

/**
 * Characters that do not show, or reorder what does (`riley@\u202Emoc.elpmaxe` reads as riley@example.com): the
 * admins would approve an address that is not the one they read.
 */
const HIDDEN = /[\p{Cc}\p{Cf}]/u;

/** The requester's own email on a request for someone else: refused on the form, and by the service. */
export const OWN_EMAIL_FOR_SOMEONE_ELSE = 'That is your email; enter the email of the person who needs access.';

/** Checks what the modal collected; every problem is reported against its field. */
export function validateLookerAccess(input: LookerAccessInput, context: { requesterEmail?: string | null } = {}): ValidationResult {
  const errors: Partial<Record<LookerAccessField, string>> = {};
  const subjectId = input.subjectId?.trim() || input.requesterId;
  if (!/^[UW][A-Z0-9]{2,}$/.test(subjectId)) errors.subject = 'Pick a person from your workspace.';

  const email = (input.email ?? '').trim();
  if (!email) errors.email = 'Enter the Looker email address.';
  else if (HIDDEN.test(email)) errors.email = 'That email holds characters that do not show (a direction mark, a control character): type it in rather than paste it.';
  else if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) errors.email = 'This is not a valid email address (e.g. name@example.com).';
  else if (subjectId !== input.requesterId && context.requesterEmail && email.toLowerCase() === context.requesterEmail.toLowerCase()) {
    errors.email = OWN_EMAIL_FOR_SOMEONE_ELSE;
  }

  // Stryker disable next-line StringLiteral: equivalent; any fallback that is not a team id is refused the same way
  const team = input.team ?? '';
  if (!isLookerTeam(team)) errors.team = 'Pick a team (Other if yours is not listed).';

  const level = input.level || 'view';
  if (!isLookerLevel(level)) errors.level = 'Pick View, Create content or Develop.';

  const reason = trimText(input.reason ?? '');
  const rawDuration = (input.duration ?? '').trim();
  let durationDays: number | null = null;
  if (isLookerLevel(level) && isElevated(level)) {
    const problem = reasonProblem(reason, { max: MAX_REASON_LENGTH, missing: `A reason is required for ${levelLabel(level)} access.` });
    if (problem) errors.reason = problem;
    if (!rawDuration) errors.duration = `How many days (${MIN_DURATION_DAYS} to ${MAX_DURATION_DAYS})?`;
    // A minus sign is allowed here so that -5, a whole number, is told it is out of range like 0 and 91.
    else if (!/^-?\d{1,4}$/.test(rawDuration)) errors.duration = `Enter a whole number of days from ${MIN_DURATION_DAYS} to ${MAX_DURATION_DAYS}.`;
    else {
      durationDays = Number(rawDuration);
      if (durationDays < MIN_DURATION_DAYS || durationDays > MAX_DURATION_DAYS) {
        errors.duration = `Elevated access lasts ${MIN_DURATION_DAYS} to ${MAX_DURATION_DAYS} days; ${durationDays} is out of range.`;
      }
    }
  } else {
    const problem = reasonProblem(reason, { max: MAX_REASON_LENGTH });
    if (problem) errors.reason = problem;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const validLevel = level as LookerLevel;
  return {
    ok: true,
    request: {
      requesterId: input.requesterId,
      subjectId,
      email,
      team: team as LookerTeam,
      level: validLevel,
      reason: reason || null,
      durationDays: isElevated(validLevel) ? durationDays : null,
    },
  };
}

/**
 * A View request for a listed team is granted at once when the bot can reach
 * Looker and the person asks for themselves, with the email of their own
 * Slack profile. Anything else waits for an admin: elevated access, an
 * unlisted team, no Looker, a request on someone else's behalf, or an email
 * Slack does not vouch for (anyone could type someone else's address).
 */
export function routeOf(
  request: Pick<ValidLookerAccessRequest, 'team' | 'level' | 'requesterId' | 'subjectId' | 'email'>,
  options: { lookerConfigured: boolean; requesterSlackEmail: string | null },
): 'grant_now' | 'needs_approval' {
  return approvalReasons(request, options).length ? 'needs_approval' : 'grant_now';
}

/** Why a request waits for an admin (see {@link routeOf}); none: it is granted at once. */
export type ApprovalReason = 'elevated' | 'unlisted_team' | 'looker_not_connected' | 'on_behalf' | 'unvouched_email';

/** Every reason a request waits for an admin, in the order a card says them. */
export function approvalReasons(
  request: Pick<ValidLookerAccessRequest, 'team' | 'level' | 'requesterId' | 'subjectId' | 'email'>,
  options: { lookerConfigured: boolean; requesterSlackEmail: string | null },
): ApprovalReason[] {
  const reasons: ApprovalReason[] = [];
  if (isElevated(request.level)) reasons.push('elevated');
  if (!isListedTeam(request.team)) reasons.push('unlisted_team');
  if (!options.lookerConfigured) reasons.push('looker_not_connected');
  if (request.subjectId !== request.requesterId) reasons.push('on_behalf');
  else if (options.requesterSlackEmail === null || !sameEmail(request.email, options.requesterSlackEmail)) reasons.push('unvouched_email');
  return reasons;
}

/** Email addresses compare without case (the part before @ is case-sensitive in theory, never in practice). */
export function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export type DecisionRefusal = 'not_admin' | 'own_request' | 'own_email';

/**
 * Who may approve or deny: a Looker admin, never the requester or the person
 * getting access, nor the owner of the Looker email the access goes to (a
 * request "for someone else" can name the admin's own address: the decider's
 * Slack profile email is compared, without case). `deciderEmail` null: Slack
 * shows no email for the decider, so only the Slack IDs can be compared.
 */
export function mayDecide(input: { deciderId: string; requesterId: string; subjectId: string; deciderIsLookerAdmin: boolean; deciderEmail?: string | null; requestEmail?: string }): { ok: true } | { ok: false; reason: DecisionRefusal } {
  if (!input.deciderIsLookerAdmin) return { ok: false, reason: 'not_admin' };
  if (input.deciderId === input.requesterId || input.deciderId === input.subjectId) return { ok: false, reason: 'own_request' };
  if (input.deciderEmail && input.requestEmail && sameEmail(input.deciderEmail, input.requestEmail)) return { ok: false, reason: 'own_email' };
  return { ok: true };
}

/** When elevated access approved at `approvedAt` for `durationDays` ends. */
export function expiryOf(approvedAt: Date, durationDays: number): Date {
  return new Date(approvedAt.getTime() + durationDays * DAY_MS);
}

/**
 * Whether elevated access of this many days gets an "ends tomorrow"
 * reminder. A 1-day grant does not: a day before its end is the moment it
 * is approved, and the approval message already says when it ends.
 */
export function remindsBeforeEnd(durationDays: number | null): boolean {
  // Stryker disable next-line ConditionalExpression: equivalent; null > 1 is false as well (the check is for the type)
  return durationDays !== null && durationDays > 1;
}

/** The requester is told a day before expiry. */
export function reminderDue(now: Date, expiresAt: Date): boolean {
  return now.getTime() >= expiresAt.getTime() - DAY_MS && now.getTime() < expiresAt.getTime();
}

export function isExpired(now: Date, expiresAt: Date): boolean {
  return now.getTime() >= expiresAt.getTime();
}

/** Looker's set-roles replaces the list: the roles to write are the current ones plus the new. */
export function mergedRoles(current: readonly string[], add: readonly string[]): { roleIds: string[]; added: string[] } {
  const have = new Set(current);
  const added = unique(add).filter((r) => !have.has(r));
  return { roleIds: [...unique(current), ...added], added };
}

/** At expiry: the current roles without the ones the grant added; everything else stays. */
export function rolesWithout(current: readonly string[], remove: readonly string[]): { roleIds: string[]; removed: string[] } {
  const drop = new Set(remove);
  return { roleIds: unique(current).filter((r) => !drop.has(r)), removed: unique(current).filter((r) => drop.has(r)) };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
