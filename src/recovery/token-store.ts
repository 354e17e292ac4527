/** What a one-time token is for; a token of one purpose never works for another. */
export type OneTimeTokenPurpose = "email_verification" | "password_reset" | "email_change";

export interface OneTimeTokenRecord {
  userId: string;
  purpose: OneTimeTokenPurpose;
  /** The address the link went to: the user's own, or the new one of an email change. */
  email: string;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * One-time tokens of the email flows, stored by hash only (the caller hashes; the store never sees
 * a token). Times are absolute Dates compared with the `now` given, so a test clock moves them.
 */
export interface OneTimeTokenStore {
  create(record: OneTimeTokenRecord & { tokenHash: string }): Promise<void>;
  /** The live token with this hash and one of these purposes (not spent, not expired), without spending it; null otherwise. */
  peek(tokenHash: string, purposes: readonly OneTimeTokenPurpose[], now: Date): Promise<OneTimeTokenRecord | null>;
  /**
   * Spends the token atomically: of any number of concurrent calls with the same hash, at most one
   * gets the record; every other one, and any later one, gets null. Null too when the token is
   * unknown, expired or of another purpose.
   */
  consume(tokenHash: string, purposes: readonly OneTimeTokenPurpose[], now: Date): Promise<OneTimeTokenRecord | null>;
  /** Ends every live token of the user with this purpose; returns how many. */
  revokeAll(userId: string, purpose: OneTimeTokenPurpose, now: Date): Promise<number>;
  /** Deletes tokens expired or spent before `cutoff`; returns how many. */
  pruneBefore(cutoff: Date): Promise<number>;
}
