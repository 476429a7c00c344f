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
} as const;

export const BlockIds = {
  telemetryPicker: 'telemetry_picker',
} as const;

export const CallbackIds = {} as const;

/** The slash commands the app registers; manifest.yml must list exactly these. */
export const Commands = {
  telemetry: '/telemetry',
} as const;
