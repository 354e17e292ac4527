import { ProblemError } from "../http/problem.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { LoginThrottle } from "../login-throttle/with-login-throttle.js";
import type { SessionStore } from "../sessions/store.js";
import type { UserStore } from "../users/store.js";
import type { Caller } from "../users/account-service.js";
import type { ClientInfo } from "../auth/auth-service.js";
import { createOneTimeToken, hashOneTimeToken, isOneTimeTokenShape } from "../recovery/one-time-token.js";
import type { MfaStore } from "./store.js";
import type { SecretBox } from "./secret-box.js";
import { generateTotpSecret, matchTotpStep, totpSecretBase32, totpUri } from "./totp.js";
import { createRecoveryCode, hashRecoveryCode, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes.js";

/** How long the second step of a login may wait, and how many wrong codes end it. */
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
export const MFA_TOKEN_MAX_FAILURES = 5;

/** RFC 8176 authentication method references of a completed login (hwk/swk/user: passkeys, src/passkeys/). */
export type Amr = "pwd" | "otp" | "mfa" | "hwk" | "swk" | "user";

export interface MfaServiceOptions {
  store: MfaStore;
  /** Absent (production without MFA_ENCRYPTION_KEY): enrolment answers 503 MFA_NOT_CONFIGURED. */
  secretBox?: SecretBox;
  users: Pick<UserStore, "findById">;
  sessions: Pick<SessionStore, "revoke" | "revokeAllForUser">;
  /** The account service's password confirmation (its throttle, events and revocation). */
  confirmPassword(caller: Caller, password: string): Promise<void>;
  /** The failed-password budget, shared by wrong codes of the signed-in routes; absent: not throttled. */
  throttle?: LoginThrottle;
  /** The same budget as seen from /login/mfa (its refusals are counted as the login's). */
  loginThrottle?: LoginThrottle;
  /** The `issuer` of the otpauth URI: the name authenticator apps show. */
  issuer: string;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  /** The user's passkeys (src/passkeys/), which an admin's reset removes too; absent: none to remove. */
  passkeys?: { removeAllForUser(userId: string): Promise<number> };
}

export interface MfaStatus {
  totpEnabled: boolean;
  recoveryCodesLeft: number;
}

/** How the second step of a login was made, as its events name it. */
export type SecondFactorMethod = "totp" | "recovery_code" | "passkey";

export interface SecondFactorProof {
  code?: string | undefined;
  recoveryCode?: string | undefined;
}

export interface CompletedSecondFactor {
  userId: string;
  amr: Amr[];
  /** When the password was checked (the `auth_time` of the session). */
  authTime: Date;
}

export interface MfaService {
  status(userId: string): Promise<MfaStatus>;
  /** Whether the user has a confirmed TOTP factor (a login then needs the second step). */
  isEnrolled(userId: string): Promise<boolean>;
  /** Checks the password, then starts (or restarts) an enrolment; CONFLICT while one is confirmed. */
  beginTotp(caller: Caller, password: string): Promise<{ secret: string; otpauthUri: string }>;
  /** The first code confirms the enrolment; answers the recovery codes, shown this once. */
  confirmTotp(caller: Caller, code: string): Promise<string[]>;
  /** Password and a current code; removes the factor and its codes, ends every other session. */
  disableTotp(caller: Caller, input: { password: string; code: string }): Promise<void>;
  /** Password and a current code; a new set of recovery codes, the old one stops working. */
  regenerateRecoveryCodes(caller: Caller, input: { password: string; code: string }): Promise<string[]>;
  /**
   * Step-up for a sensitive change: with TOTP enrolled, a current code or an unused recovery code is
   * needed (MFA_CODE_REQUIRED, INVALID_MFA_CODE); without a factor it passes.
   */
  requireSecondFactor(caller: Caller, proof: SecondFactorProof): Promise<void>;
  /** After the right password of an enrolled user: a fresh mfa_token (only its hash is stored). */
  startLoginChallenge(userId: string, now: Date): Promise<string>;
  /** The second step of a login: spends the mfa_token on a right code or recovery code. */
  completeLoginChallenge(input: { mfaToken: string } & SecondFactorProof & ClientInfo): Promise<CompletedSecondFactor>;
  /** An admin resets a user's factors (TOTP, recovery codes and passkeys); returns whether there was one. */
  adminReset(input: { actorId: string; userId: string } & ClientInfo): Promise<boolean>;
  /** The user of a live mfa_token, without spending it; null when it is not live. */
  loginChallengeUser(mfaToken: string): Promise<string | null>;
  /**
   * The second step of a login with a proof `check` makes (a code here, a passkey's assertion in
   * the passkey service): the mfa_token's rules (5 wrong proofs end it, spent once by a right one),
   * the failed-login budget and the events. `check` answers the
   * amr of the proof, or throws INVALID_PASSKEY / INVALID_MFA_CODE for a wrong one.
   */
  completeLoginChallengeWith(input: { mfaToken: string; method: SecondFactorMethod; check(userId: string): Promise<Amr[]> } & ClientInfo): Promise<CompletedSecondFactor>;
}

const isWrongCode = (error: unknown) => error instanceof ProblemError && error.code === "INVALID_MFA_CODE";
const wrongCode = () => new ProblemError("INVALID_MFA_CODE");
const isWrongProof = (error: unknown) => isWrongCode(error) || (error instanceof ProblemError && error.code === "INVALID_PASSKEY");

/** The rules of TOTP enrolment, step-up and the second step of a login. Knows nothing of HTTP. */
export function createMfaService(options: MfaServiceOptions): MfaService {
  const { store, secretBox, users, sessions, clock, recordEvent } = options;

  function box(): SecretBox {
    if (!secretBox) throw new ProblemError("MFA_NOT_CONFIGURED", { detail: "Set MFA_ENCRYPTION_KEY on the server to enable TOTP." });
    return secretBox;
  }

  /** The step of a right code of the user's factor, or INVALID_MFA_CODE; the step still has to be accepted once. */
  async function stepOf(userId: string, code: string, sealed: string): Promise<number> {
    const secret = await box().open(sealed, userId);
    if (!secret) throw new ProblemError("MFA_NOT_CONFIGURED", { detail: "The stored TOTP secret does not open under the configured MFA_ENCRYPTION_KEY." });
    const step = matchTotpStep(secret, code, clock());
    if (step === null) throw wrongCode();
    return step;
  }

  /** A current code of the confirmed factor, accepted once: a replayed code (same or older step) is wrong. */
  async function checkTotp(userId: string, code: string): Promise<void> {
    const factor = await store.findTotp(userId);
    if (!factor?.confirmedAt) throw wrongCode();
    const step = await stepOf(userId, code, factor.secretSealed);
    if (!(await store.acceptTotpStep(userId, step, clock(), { confirm: false }))) throw wrongCode();
  }

  /**
   * A code check of a signed-in caller under the failed-password budget: a wrong code counts like a
   * wrong password, is a security event, and the session that spends its source's budget is revoked
   * (the same rules as AccountService.confirmPassword).
   */
  async function guarded(caller: Caller, check: () => Promise<void>): Promise<void> {
    const failed = () => recordEvent("mfa_challenge_failed", { ...caller, details: { during: "confirmation" } });
    const { throttle } = options;
    if (!throttle) {
      try {
        return await check();
      } catch (error) {
        if (isWrongCode(error)) await failed();
        throw error;
      }
    }
    const user = await users.findById(caller.userId);
    if (!user) throw new ProblemError("INVALID_TOKEN");
    await throttle.guard({ email: user.email, ip: caller.ip }, check, {
      isWrongPassword: isWrongCode,
      async afterFailure({ sourceBudgetSpent }) {
        if (sourceBudgetSpent) await sessions.revoke(caller.sessionId);
        await failed();
      },
      async onRefused(scope) {
        if (scope === "source") await sessions.revoke(caller.sessionId);
      },
    });
  }

  /** One unused recovery code of the user, spent by one conditional write: of two racing uses, one wins. */
  async function spendRecoveryCode(userId: string, recoveryCode: string): Promise<void> {
    const normalised = normaliseRecoveryCode(recoveryCode);
    if (!normalised || !(await store.consumeRecoveryCode(userId, await hashRecoveryCode(userId, normalised), clock()))) throw wrongCode();
  }

  async function newRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => createRecoveryCode());
    const hashes = await Promise.all(codes.map((code) => hashRecoveryCode(userId, normaliseRecoveryCode(code)!)));
    await store.replaceRecoveryCodes(userId, hashes, clock());
    return codes;
  }

  async function requireEnrolled(userId: string): Promise<void> {
    const factor = await store.findTotp(userId);
    if (!factor?.confirmedAt) throw new ProblemError("CONFLICT", { detail: "TOTP is not enabled on this account." });
  }

  return {
    async status(userId) {
      const [factor, recoveryCodesLeft] = await Promise.all([store.findTotp(userId), store.countRecoveryCodes(userId)]);
      return { totpEnabled: Boolean(factor?.confirmedAt), recoveryCodesLeft };
    },

    async isEnrolled(userId) {
      return Boolean((await store.findTotp(userId))?.confirmedAt);
    },

    async beginTotp(caller, password) {
      const sealer = box();
      await options.confirmPassword(caller, password);
      const user = await users.findById(caller.userId);
      if (!user) throw new ProblemError("INVALID_TOKEN");
      const secret = generateTotpSecret();
      if (!(await store.putPendingTotp(caller.userId, await sealer.seal(secret, caller.userId), clock()))) {
        throw new ProblemError("CONFLICT", { detail: "TOTP is already enabled; disable it first (DELETE /me/mfa/totp)." });
      }
      return { secret: totpSecretBase32(secret), otpauthUri: totpUri(secret, options.issuer, user.email) };
    },

    async confirmTotp(caller, code) {
      const factor = await store.findTotp(caller.userId);
      if (!factor || factor.confirmedAt) {
        throw new ProblemError("CONFLICT", { detail: factor ? "TOTP is already enabled." : "No enrolment is waiting: start one with POST /me/mfa/totp." });
      }
      await guarded(caller, async () => {
        const step = await stepOf(caller.userId, code, factor.secretSealed);
        if (!(await store.acceptTotpStep(caller.userId, step, clock(), { confirm: true }))) throw wrongCode();
      });
      const codes = await newRecoveryCodes(caller.userId);
      await recordEvent("mfa_enabled", { ...caller, details: { method: "totp" } });
      return codes;
    },

    async disableTotp(caller, { password, code }) {
      await requireEnrolled(caller.userId);
      await options.confirmPassword(caller, password);
      await guarded(caller, () => checkTotp(caller.userId, code));
      await store.deleteTotp(caller.userId);
      const revoked = await sessions.revokeAllForUser(caller.userId, { exceptSessionId: caller.sessionId });
      await recordEvent("mfa_disabled", { ...caller, details: { method: "totp", sessions_revoked: revoked } });
    },

    async regenerateRecoveryCodes(caller, { password, code }) {
      await requireEnrolled(caller.userId);
      await options.confirmPassword(caller, password);
      await guarded(caller, () => checkTotp(caller.userId, code));
      const codes = await newRecoveryCodes(caller.userId);
      await recordEvent("recovery_codes_regenerated", { ...caller });
      return codes;
    },

    async requireSecondFactor(caller, { code, recoveryCode }) {
      if (!(await this.isEnrolled(caller.userId))) return;
      if (code !== undefined) return guarded(caller, () => checkTotp(caller.userId, code));
      if (recoveryCode === undefined) {
        throw new ProblemError("MFA_CODE_REQUIRED", { detail: "A second factor is enabled on this account: send a current code in `code`, or a recovery code in `recovery_code`." });
      }
      await guarded(caller, () => spendRecoveryCode(caller.userId, recoveryCode));
      await recordEvent("recovery_code_used", { ...caller, details: { during: "confirmation", recovery_codes_left: await store.countRecoveryCodes(caller.userId) } });
    },

    async startLoginChallenge(userId, now) {
      const token = createOneTimeToken();
      await store.createLoginChallenge({
        tokenHash: await hashOneTimeToken(token),
        userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_SECONDS * 1000),
        failedAttempts: 0,
      });
      return token;
    },

    async completeLoginChallenge({ mfaToken, code, recoveryCode, userAgent, ip }) {
      const completed = await this.completeLoginChallengeWith({
        mfaToken,
        userAgent,
        ip,
        method: code !== undefined ? "totp" : "recovery_code",
        async check(userId) {
          if (code !== undefined) {
            await checkTotp(userId, code);
            return ["pwd", "otp", "mfa"];
          }
          await spendRecoveryCode(userId, recoveryCode ?? "");
          // RFC 8176 has no value for a recovery code; it is a second thing the user has, hence "mfa".
          return ["pwd", "mfa"];
        },
      });
      if (code === undefined) {
        const { userId } = completed;
        await recordEvent("recovery_code_used", { userId, userAgent, ip, details: { during: "login", recovery_codes_left: await store.countRecoveryCodes(userId) } });
      }
      return completed;
    },

    async adminReset({ actorId, userId, userAgent, ip }) {
      const removed = await store.deleteTotp(userId);
      if (removed) await recordEvent("mfa_disabled", { userId, actorId, userAgent, ip, details: { method: "totp", by_admin: true } });
      const passkeysRemoved = (await options.passkeys?.removeAllForUser(userId)) ?? 0;
      if (passkeysRemoved > 0) await recordEvent("passkey_removed", { userId, actorId, userAgent, ip, details: { count: passkeysRemoved, by_admin: true } });
      return removed || passkeysRemoved > 0;
    },

    async loginChallengeUser(mfaToken) {
      if (!isOneTimeTokenShape(mfaToken)) return null;
      return (await store.peekLoginChallenge(await hashOneTimeToken(mfaToken), clock()))?.userId ?? null;
    },

    async completeLoginChallengeWith({ mfaToken, method, check, userAgent, ip }) {
      const invalidToken = () => new ProblemError("INVALID_MFA_TOKEN", { detail: "Log in with the password again for a new mfa_token." });
      if (!isOneTimeTokenShape(mfaToken)) throw invalidToken();
      const tokenHash = await hashOneTimeToken(mfaToken);
      const challenge = await store.peekLoginChallenge(tokenHash, clock());
      if (!challenge) throw invalidToken();
      const { userId } = challenge;
      const user = await users.findById(userId);
      if (!user) throw invalidToken();

      let amr: Amr[] | undefined;
      const run = async () => {
        amr = await check(userId);
      };
      const afterWrongProof = async () => {
        const failures = await store.failLoginChallenge(tokenHash, clock(), MFA_TOKEN_MAX_FAILURES);
        await recordEvent("mfa_challenge_failed", {
          userId,
          userAgent,
          ip,
          details: { during: "login", method, mfa_token_ended: failures === null || failures >= MFA_TOKEN_MAX_FAILURES },
        });
      };
      const { loginThrottle } = options;
      try {
        if (loginThrottle) await loginThrottle.guard({ email: user.email, ip }, run, { isWrongPassword: isWrongProof, afterFailure: afterWrongProof });
        else await run();
      } catch (error) {
        if (!loginThrottle && isWrongProof(error)) await afterWrongProof();
        throw error;
      }
      // Spent only now, once: of two right answers racing, one gets the session.
      if (!(await store.consumeLoginChallenge(tokenHash, clock()))) throw invalidToken();
      return { userId, amr: amr!, authTime: challenge.createdAt };
    },
  };
}
