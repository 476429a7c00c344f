/**
 * Every callback, block and action ID the app uses, in one place: the view
 * that sets an ID and the listener that reads it both import it from here.
 * State goes in `private_metadata` or a button's `value`, never in an ID.
 */
export const ActionIds = {
  /** Telemetry card: share the ephemeral card in the channel. */
  telemetryShare: 'telemetry_share',
  /** Telemetry: the user picks one of several matching customers. */
  telemetryPickCustomer: 'telemetry_pick_customer',

  // ── Looker access (issue 4) ──
  /** Looker request card: a Looker admin approves (value: request ID). */
  lookerAccessApprove: 'looker_access_approve',
  /** Looker request card: a Looker admin denies (value: request ID). */
  lookerAccessDeny: 'looker_access_deny',
  /** Looker access modal inputs. */
  lookerAccessSubject: 'looker_access_subject',
  lookerAccessEmail: 'looker_access_email',
  lookerAccessTeam: 'looker_access_team',
  lookerAccessLevel: 'looker_access_level',
  lookerAccessReason: 'looker_access_reason',
  lookerAccessDuration: 'looker_access_duration',
} as const;

export const BlockIds = {
  telemetryPicker: 'telemetry_picker',

  // ── Looker access (issue 4): input blocks, named so inline errors can target them ──
  lookerAccessSubject: 'looker_access_subject',
  lookerAccessEmail: 'looker_access_email',
  lookerAccessTeam: 'looker_access_team',
  lookerAccessLevel: 'looker_access_level',
  lookerAccessReason: 'looker_access_reason',
  lookerAccessDuration: 'looker_access_duration',
  lookerAccessActions: 'looker_access_actions',
} as const;

export const CallbackIds = {
  // ── Looker access (issue 4) ──
  /** The `/looker-access` modal. */
  lookerAccess: 'looker_access',
} as const;

/** The slash commands the app registers; manifest.yml must list exactly these. */
export const Commands = {
  telemetry: '/telemetry',
  // ── Looker access (issue 4) ──
  lookerAccess: '/looker-access',
} as const;
