/**
 * LookerAdmin: grants and takes back Looker access. The Looker API 4.0 adapter
 * in production; a record-only adapter when Looker is not configured, which
 * changes nothing in Looker (an admin grants by hand) and says so.
 */

/** What to grant a person in Looker. */
export interface LookerGrant {
  email: string;
  /** Used when the user has to be created. */
  firstName: string;
  lastName: string;
  groupIds: string[];
  roleIds: string[];
  /**
   * An earlier attempt of this grant may have stopped after Looker created the
   * user but before its email login was added (a crash, a lost answer). The
   * adapter then takes that user over rather than creating a second one.
   */
  resumed?: boolean;
}

export type LookerGrantResult =
  | {
      applied: true;
      lookerUserId: string;
      /** The user did not exist and was created (with email credentials). */
      createdUser: boolean;
      /** Groups the user was not in before. */
      addedGroupIds: string[];
      /** Roles the user did not have before: what expiry may take back. */
      addedRoleIds: string[];
      /**
       * Looker was asked to email the person the link to set up their account
       * (a new user, or one who never logged in with their email login).
       * Creating the login sends nothing by itself.
       */
      setupEmailSent?: boolean;
      /**
       * The setup email was due but Looker did not send it (any failure after
       * the access was applied: the grant stands, the person is told).
       */
      setupEmailError?: string;
    }
  | { applied: false };

/**
 * `userMissing`: Looker answered its own 404 for the user (deleted, or not visible to the API key: Looker
 * answers 404 for both), so nothing was removed and nothing can be.
 */
export type LookerRevokeResult = { applied: true; removedRoleIds: string[]; userMissing?: true } | { applied: false };

/** A Looker user's access as it stands: what a grant finds before it changes anything. */
export interface LookerUserAccess {
  lookerUserId: string;
  /** Direct roles (not through groups). */
  roleIds: string[];
  groupIds: string[];
}

export interface LookerAdmin {
  readonly kind: 'looker' | 'record-only';
  /** The user with this email and their access, or null when Looker has no such user (or is not connected). */
  userAccess(email: string): Promise<LookerUserAccess | null>;
  /**
   * Finds (or creates) the user by email, adds them to the groups and merges
   * the roles in. Throws LookerError: `user_disabled` for a disabled Looker
   * user (nothing is granted), `forbidden` when Looker refuses (e.g. email
   * logins on Looker (Google Cloud core)), `retryable` for 429/5xx/network.
   */
  grant(grant: LookerGrant): Promise<LookerGrantResult>;
  /** Removes these roles from the user, keeping every other role. */
  revokeRoles(input: { lookerUserId: string; roleIds: string[]; beforeChange?: (removing: string[]) => Promise<void> }): Promise<LookerRevokeResult>;
}
