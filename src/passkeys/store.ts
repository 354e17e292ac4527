/**
 * Passkeys' storage: a user's WebAuthn credentials and the challenges of ceremonies in flight. The
 * store never sees a challenge in clear (the caller hashes it) and holds nothing secret about a
 * credential (its public key only). Times are passed in by the caller (`now`), never read from a
 * clock inside the store, so a test clock moves them.
 */

/** What a user's authenticator told us when the passkey was registered, kept up to date by each login. */
export interface PasskeyRecord {
  /** Our id of the passkey (the path parameter of DELETE /me/passkeys/{id}). */
  id: string;
  userId: string;
  /** The authenticator's credential id, base64url; unique across users. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter as last seen; 0 for authenticators that keep none. */
  signCount: number;
  transports: string[];
  /** "singleDevice" or "multiDevice" (a synced passkey), from the backup-eligible flag. */
  deviceType: string;
  /** The backup-state flag as last seen. */
  backedUp: boolean;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** The ceremonies a challenge can belong to; a challenge answers only its own. */
export type PasskeyCeremony = "registration" | "login" | "second_factor";

export interface PasskeyChallengeRecord {
  ceremony: PasskeyCeremony;
  /** The user the ceremony is bound to; null for a passwordless login without an email (any passkey). */
  userId: string | null;
  /** For `second_factor`: the hash of the mfa_token whose login it completes. */
  mfaTokenHash: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface PasskeyStore {
  /** Adds a passkey; false, and nothing stored, when its credential id is already registered (to anyone). */
  createCredential(record: PasskeyRecord): Promise<boolean>;
  /** The passkey with this credential id, or null. */
  findByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** The user's passkeys, oldest first. */
  listByUser(userId: string): Promise<PasskeyRecord[]>;
  countByUser(userId: string): Promise<number>;
  /**
   * Records a verified assertion: sets the counter to `signCount`, the backup state and
   * `last_used_at`, only if the stored counter is still below `signCount` (or both are 0: an
   * authenticator without a counter). Of concurrent calls with the same counter at most one gets
   * true; false means the counter did not move forward (a cloned authenticator, or a race).
   */
  recordUse(id: string, update: { signCount: number; backedUp: boolean; now: Date }): Promise<boolean>;
  /** Deletes the user's passkey with this id; false when the user has none with it (ids of others do not leak). */
  deleteCredential(userId: string, id: string): Promise<boolean>;
  /** Deletes every passkey of the user; returns how many. */
  deleteAllForUser(userId: string): Promise<number>;

  /** Stores a challenge by the hash of its value. */
  createChallenge(challenge: PasskeyChallengeRecord & { challengeHash: string }): Promise<void>;
  /**
   * Spends the live (unexpired) challenge of this hash and ceremony atomically: of concurrent calls,
   * at most one gets the record; a challenge of another ceremony is neither returned nor spent.
   */
  consumeChallenge(challengeHash: string, ceremony: PasskeyCeremony, now: Date): Promise<PasskeyChallengeRecord | null>;
  /** Deletes challenges expired before `cutoff`; returns how many. */
  pruneBefore(cutoff: Date): Promise<number>;
}
