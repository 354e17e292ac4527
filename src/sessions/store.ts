/**
 * A session is one login's family of refresh tokens. The store keeps only SHA-256 hashes of refresh
 * tokens, never a token itself: a dump of the store yields nothing that can be presented.
 *
 * Times are passed in by the caller (`now`), never read from a clock inside the store, so tests can
 * move time; TTLs are in seconds.
 */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** Renewed by each rotation, never past `absoluteExpiresAt`. */
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** How the login was proven (RFC 8176 values: "pwd", "otp", "mfa"); refreshed tokens carry it forward. */
  amr: string[];
  /** When the user last authenticated (the password check of the login), for `auth_time`. */
  authTime: Date;
}

export interface NewSession {
  id: string;
  userId: string;
  tokenHash: string;
  userAgent: string | null;
  ip: string | null;
  now: Date;
  idleTtlSeconds: number;
  maxLifetimeSeconds: number;
  /** Absent: ["pwd"]. */
  amr?: string[];
  /** Absent: `now`. */
  authTime?: Date;
}

export interface RotateInput {
  sessionId: string;
  /** Hash of the refresh token the client presented. */
  presentedHash: string;
  /** Hash of the successor token, stored if the presented token is the current one. */
  nextHash: string;
  /** The successor token sealed under a key derived from the presented token (see refresh-tokens.ts). */
  sealedSuccessor: string;
  now: Date;
  idleTtlSeconds: number;
  /** 0 turns the grace window off. */
  graceSeconds: number;
}

export type RotateResult =
  /** The presented token was current: the successor is now current, the presented one spent. */
  | { outcome: "rotated"; session: SessionRecord }
  /** The presented token was rotated out less than `graceSeconds` ago: hand back the same successor. */
  | { outcome: "replayed"; session: SessionRecord; sealedSuccessor: string }
  /** The presented token was spent earlier: the whole session has been revoked. */
  | { outcome: "reused"; userId: string }
  /** No live session knows this token (unknown, expired or revoked). Nothing changed. */
  | { outcome: "invalid" };

export interface SessionStore {
  create(session: NewSession): Promise<SessionRecord>;
  /**
   * Rotation, reuse detection and the grace window as one atomic step: of any number of concurrent
   * calls with the same current token exactly one rotates; the others see a replay or a reuse.
   */
  rotate(input: RotateInput): Promise<RotateResult>;
  /** The live (unrevoked, unexpired at `now`) session, or null. */
  get(sessionId: string, now: Date): Promise<SessionRecord | null>;
  /**
   * Revokes the session if `tokenHash` is its current, previous or any spent token (logout proves
   * possession of a token of the session). Returns the revoked session, or null if none was.
   */
  revokeWithToken(sessionId: string, tokenHash: string): Promise<SessionRecord | null>;
  /**
   * The live session whose current or previous refresh token hashes to `tokenHash` (a proof that the
   * caller holds the session's token), or null. Changes nothing.
   */
  findByToken(sessionId: string, tokenHash: string, now: Date): Promise<SessionRecord | null>;
  /** Revokes one session; returns whether it existed. */
  revoke(sessionId: string): Promise<boolean>;
  /** The user's live sessions, newest first. */
  listByUser(userId: string, now: Date): Promise<SessionRecord[]>;
  /** Revokes every session of the user except `exceptSessionId`; returns how many were revoked. */
  revokeAllForUser(userId: string, options?: { exceptSessionId?: string }): Promise<number>;
  /** Resolves when the backing service answers; rejects otherwise. */
  ping(): Promise<void>;
}
