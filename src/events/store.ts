/** What happened to an account. Never carries a password, a hash or a token. */
export const SECURITY_EVENT_TYPES = [
  "registered",
  "login_succeeded",
  "login_failed",
  "refreshed",
  "refresh_token_reused",
  "logged_out",
  "session_revoked",
  "password_changed",
  "password_confirmation_failed",
  "roles_changed",
  "account_disabled",
  "account_enabled",
  "sessions_revoked_by_admin",
  "email_verification_sent",
  "email_verified",
  "password_reset_requested",
  "password_reset",
  "email_change_requested",
  "email_changed",
  "mfa_enabled",
  "mfa_disabled",
  "mfa_challenge_failed",
  "recovery_code_used",
  "recovery_codes_regenerated",
  "passkey_added",
  "passkey_removed",
  "passkey_login",
  "passkey_clone_suspected",
  "oauth_authorized",
  "oauth_code_reused",
  "oauth_consent_granted",
  "oauth_consent_revoked",
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export interface SecurityEvent {
  id: string;
  userId: string;
  type: SecurityEventType;
  occurredAt: Date;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  /** The admin who acted, for admin actions. */
  actorId: string | null;
  /** Small, non-secret facts (e.g. the new roles, how many sessions ended). */
  details: Record<string, unknown> | null;
}

export interface SecurityEventStore {
  record(event: SecurityEvent): Promise<void>;
  /** The user's events, newest first. */
  listByUser(userId: string, limit: number): Promise<SecurityEvent[]>;
  /** Deletes every event that occurred before `cutoff`; returns how many. */
  pruneBefore(cutoff: Date): Promise<number>;
}
