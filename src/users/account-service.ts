import type { PasswordHasher } from "../password/hasher.js";
import { ProblemError } from "../http/problem.js";
import type { SecurityEvent, SecurityEventStore } from "../events/store.js";
import type { SessionRecord, SessionStore } from "../sessions/store.js";
import type { User, UserStore } from "./store.js";
import { assertAcceptableNewPassword, normalisePassword, type ClientInfo } from "../auth/auth-service.js";
import type { PasswordPolicy } from "../password/policy.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { LoginThrottle } from "../login-throttle/with-login-throttle.js";
import type { PasswordJob } from "../password/hasher.js";
import { rateLimitKeyOfIp } from "../lib/ip-address.js";
import type { SecondFactorProof } from "../mfa/mfa-service.js";

export interface AccountServiceOptions {
  users: UserStore;
  sessions: SessionStore;
  events: SecurityEventStore;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  /** The failed-password budget that logins use too; absent: confirmations are not throttled. */
  throttle?: LoginThrottle;
  /** After a password change (the email flows end the reset links and send the notice); its failure does not undo the change. */
  afterPasswordChange?: (userId: string) => Promise<void>;
  /** The second factor of a step-up (the MFA service's check); absent: the password alone confirms. */
  requireSecondFactor?: (caller: Caller, proof: SecondFactorProof) => Promise<void>;
}

/** Who is calling: the verified access token's user and session, and where the request came from. */
export interface Caller extends ClientInfo {
  userId: string;
  sessionId: string;
}

export interface AccountService {
  /** The caller's live sessions, newest first. */
  listSessions(caller: Caller): Promise<SessionRecord[]>;
  /** Ends one of the caller's sessions; NOT_FOUND for anyone else's (ids do not leak). */
  revokeSession(caller: Caller, sessionId: string): Promise<void>;
  updateProfile(caller: Caller, changes: { name: string | null }): Promise<User>;
  /** Checks the current password, stores the new one, ends every other session. */
  changePassword(caller: Caller, input: { currentPassword: string; newPassword: string; secondFactor?: SecondFactorProof }): Promise<void>;
  /** Checks the password (and the second factor), then removes the account, its sessions and its events. */
  deleteAccount(caller: Caller, input: { password: string; secondFactor?: SecondFactorProof }): Promise<void>;
  listEvents(caller: Caller, limit: number): Promise<SecurityEvent[]>;
  /**
   * Re-authentication for a sensitive change made elsewhere (the email change): the same check,
   * budget, events and session revocation as the password change; throws WRONG_PASSWORD.
   */
  confirmPassword(caller: Caller, password: string): Promise<void>;
  /**
   * Step-up for a sensitive change: the password, then, when the account has a second factor, a
   * current code or a recovery code of it (MFA_CODE_REQUIRED when none is sent). The password comes
   * first, so the factor is not probed with a stolen token alone.
   */
  confirmStepUp(caller: Caller, password: string, secondFactor?: SecondFactorProof): Promise<void>;
}

/** A confirmation job, counted against the user and the address, for the hasher's fair queue. */
function confirmationJob(caller: Caller): PasswordJob {
  return { lane: "confirmation", clients: [`user:${caller.userId}`, `ip:${rateLimitKeyOfIp(caller.ip ?? undefined)}`] };
}

/** What a signed-in user may do to their own account. Knows nothing of HTTP. */
export function createAccountService(options: AccountServiceOptions): AccountService {
  const { users, sessions, events, hasher, passwordPolicy, clock, recordEvent, throttle } = options;

  /**
   * Re-authentication for sensitive changes: a stolen access token alone is not enough. A wrong
   * password counts toward the same per-(account, source) budget and hard cap as failed logins, so
   * a stolen token is no way around the login throttle, and is a security event. The session that
   * spends its source's budget is revoked (its tokens get 401 from then on): whoever holds it is
   * guessing. A refusal at the account's hard cap revokes nothing, since an attacker without any
   * token can reach the cap and must not be able to sign the owner out with it.
   */
  async function requirePassword(caller: Caller, password: string): Promise<void> {
    const user = await users.findByIdWithPasswordHash(caller.userId);
    if (!user) throw new ProblemError("INVALID_TOKEN");
    const check = async () => {
      const { valid } = await hasher.verify(user.passwordHash, normalisePassword(password), confirmationJob(caller));
      if (!valid) throw new ProblemError("WRONG_PASSWORD");
    };
    if (!throttle) {
      try {
        return await check();
      } catch (error) {
        if (error instanceof ProblemError && error.code === "WRONG_PASSWORD") await recordEvent("password_confirmation_failed", { ...caller, details: { session_revoked: false } });
        throw error;
      }
    }
    const revokeSession = () => sessions.revoke(caller.sessionId);
    await throttle.guard({ email: user.email, ip: caller.ip }, check, {
      isWrongPassword: (error) => error instanceof ProblemError && error.code === "WRONG_PASSWORD",
      async afterFailure({ sourceBudgetSpent }) {
        if (sourceBudgetSpent) await revokeSession();
        await recordEvent("password_confirmation_failed", { ...caller, details: { session_revoked: sourceBudgetSpent } });
      },
      async onRefused(scope) {
        if (scope === "source") await revokeSession();
      },
    });
  }

  async function requireStepUp(caller: Caller, password: string, secondFactor: SecondFactorProof = {}): Promise<void> {
    await requirePassword(caller, password);
    await options.requireSecondFactor?.(caller, secondFactor);
  }

  return {
    confirmPassword: requirePassword,
    confirmStepUp: requireStepUp,
    async listSessions(caller) {
      return sessions.listByUser(caller.userId, clock());
    },

    async revokeSession(caller, sessionId) {
      const session = await sessions.get(sessionId, clock());
      if (!session || session.userId !== caller.userId) {
        throw new ProblemError("NOT_FOUND", { detail: "No such session among yours." });
      }
      await sessions.revoke(sessionId);
      await recordEvent("session_revoked", { ...caller, details: { revoked_session_id: sessionId } });
    },

    async updateProfile(caller, { name }) {
      const user = await users.update(caller.userId, { name });
      if (!user) throw new ProblemError("INVALID_TOKEN");
      return user;
    },

    async changePassword(caller, { currentPassword, newPassword, secondFactor }) {
      // The rules first: a refused new password costs no Argon2 verification.
      assertAcceptableNewPassword(passwordPolicy, newPassword);
      await requireStepUp(caller, currentPassword, secondFactor);
      await users.updatePasswordHash(caller.userId, await hasher.hash(normalisePassword(newPassword), confirmationJob(caller)));
      const revoked = await sessions.revokeAllForUser(caller.userId, { exceptSessionId: caller.sessionId });
      await recordEvent("password_changed", { ...caller, details: { sessions_revoked: revoked } });
      await options.afterPasswordChange?.(caller.userId);
    },

    async deleteAccount(caller, { password, secondFactor }) {
      await requireStepUp(caller, password, secondFactor);
      // Sessions first: in Redis they do not go with the user row.
      await sessions.revokeAllForUser(caller.userId);
      await users.delete(caller.userId);
    },

    async listEvents(caller, limit) {
      return events.listByUser(caller.userId, limit);
    },
  };
}
