/**
 * The second factors' storage: a user's TOTP factor, their recovery codes and the pending second
 * steps of logins. The store never sees a TOTP secret in clear (the caller seals it,
 * secret-box.ts), a recovery code or an mfa_token (the caller hashes them). Times are passed in by
 * the caller (`now`), never read from a clock inside the store, so a test clock moves them.
 */
export interface TotpFactorRecord {
  userId: string;
  /** The secret sealed by secret-box.ts; only the service can open it. */
  secretSealed: string;
  createdAt: Date;
  /** Null while the enrolment waits for its first code. */
  confirmedAt: Date | null;
  /** The last time step whose code was accepted (-1: none yet). */
  lastStep: number;
}

export interface LoginChallengeRecord {
  userId: string;
  /** When the password was checked. */
  createdAt: Date;
  expiresAt: Date;
  failedAttempts: number;
}

export interface MfaStore {
  /** The user's factor, confirmed or pending, or null. */
  findTotp(userId: string): Promise<TotpFactorRecord | null>;
  /**
   * Starts (or restarts) an enrolment: stores a pending factor with this sealed secret, replacing a
   * pending one. Returns false, and changes nothing, when a confirmed factor exists.
   */
  putPendingTotp(userId: string, secretSealed: string, now: Date): Promise<boolean>;
  /**
   * Accepts a code of time step `step` atomically: raises `last_step` to `step` if it is below it
   * (and, with `confirm`, marks a pending factor confirmed). Of any number of concurrent calls for
   * one user and step, at most one returns true; a step at or below the last accepted one never does.
   * `confirm: false` accepts only on a confirmed factor, `confirm: true` only on a pending one.
   */
  acceptTotpStep(userId: string, step: number, now: Date, options: { confirm: boolean }): Promise<boolean>;
  /** Removes the user's factor (pending or confirmed) and every recovery code; returns whether a factor existed. */
  deleteTotp(userId: string): Promise<boolean>;

  /** Replaces every recovery code of the user with these hashes, in one transaction (the old set stops working). */
  replaceRecoveryCodes(userId: string, codeHashes: readonly string[], now: Date): Promise<void>;
  /** Spends the user's unused code with this hash: of concurrent calls, at most one gets true. */
  consumeRecoveryCode(userId: string, codeHash: string, now: Date): Promise<boolean>;
  /** How many unused recovery codes the user has. */
  countRecoveryCodes(userId: string): Promise<number>;

  createLoginChallenge(challenge: LoginChallengeRecord & { tokenHash: string }): Promise<void>;
  /** The live challenge (not spent, not expired) with this hash, without spending it; null otherwise. */
  peekLoginChallenge(tokenHash: string, now: Date): Promise<LoginChallengeRecord | null>;
  /** Spends the live challenge atomically: at most one of concurrent calls gets the record. */
  consumeLoginChallenge(tokenHash: string, now: Date): Promise<LoginChallengeRecord | null>;
  /**
   * Counts one wrong code against the live challenge; the failure that reaches `maxAttempts` spends
   * it. Returns the failures counted so far, or null when the challenge was not live.
   */
  failLoginChallenge(tokenHash: string, now: Date, maxAttempts: number): Promise<number | null>;
  /** Deletes challenges expired or spent before `cutoff`; returns how many. */
  pruneBefore(cutoff: Date): Promise<number>;
}
