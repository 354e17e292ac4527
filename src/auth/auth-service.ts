import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import type { AccessTokens } from "../tokens/jwt.js";
import type { PasswordPolicy } from "../password/policy.js";
import type { PasswordHasher } from "../password/hasher.js";
import {
  createRefreshToken,
  hashRefreshToken,
  openSuccessor,
  sealSuccessor,
  sessionIdOfRefreshToken,
} from "../sessions/refresh-tokens.js";
import { ProblemError } from "../http/problem.js";
import type { RotateResult, SessionRecord, SessionStore } from "../sessions/store.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { User, UserStore } from "../users/store.js";
import type { Logger } from "pino";
import { logError } from "../lib/loggable-error.js";
import { rateLimitKeyOfIp } from "../lib/ip-address.js";
import type { PasswordJob } from "../password/hasher.js";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";

export interface TokenPair {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** What a right password answers: the tokens, or (with a second factor enrolled) the second step. */
export type LoginResult =
  | { kind: "tokens"; pair: TokenPair }
  | { kind: "mfa_required"; mfaToken: string; methods: SecondFactorMethod[] };

/** What POST /login/mfa accepts for an account: "passkey" when it also has passkeys. */
export type SecondFactorMethod = "totp" | "recovery_code" | "passkey";

/** The second factor as login sees it (src/mfa/mfa-service.ts). */
export interface LoginSecondFactor {
  isEnrolled(userId: string): Promise<boolean>;
  startLoginChallenge(userId: string, now: Date): Promise<string>;
  completeLoginChallenge(input: { mfaToken: string; code?: string | undefined; recoveryCode?: string | undefined } & ClientInfo): Promise<{ userId: string; amr: string[]; authTime: Date }>;
  /** The methods the second step offers the user; absent: TOTP and recovery codes. */
  methods?(userId: string): Promise<SecondFactorMethod[]>;
  /** The second step with a passkey's assertion (src/passkeys/); absent: refused as an invalid mfa_token. */
  completeLoginChallengeWithPasskey?(input: { mfaToken: string; response: AuthenticationResponseJSON } & ClientInfo): Promise<{ userId: string; amr: string[]; authTime: Date }>;
}

/** A passwordless login's verified assertion as login sees it (src/passkeys/passkey-service.ts). */
export interface PasskeyLogin {
  verifyLogin(input: { response: AuthenticationResponseJSON } & ClientInfo): Promise<{ userId: string; amr: string[]; passkeyId: string }>;
}

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/** The refresh side of `Config["tokens"]` (the access-token lifetime belongs to AccessTokens). */
export type SessionLifetimes = Pick<Config["tokens"], "refreshTokenTtlSeconds" | "sessionMaxLifetimeSeconds" | "refreshReuseGraceSeconds">;

export interface AuthServiceOptions {
  users: UserStore;
  sessions: SessionStore;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  accessTokens: AccessTokens;
  lifetimes: SessionLifetimes;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  /** Where a failed-login event that could not be written is reported (it is written after the answer). */
  logger: Pick<Logger, "warn" | "error">;
  /** REQUIRE_EMAIL_VERIFICATION: a login with the right password to an unverified account is refused (403). */
  requireEmailVerification?: boolean;
  /** Told how each login and refresh ended (for metrics); must not throw. */
  onOutcome?: (outcome: AuthOutcome) => void;
  /** Second factors; absent: a right password always answers tokens. */
  secondFactor?: LoginSecondFactor;
  /** Passwordless login with a passkey; absent: refused as an invalid passkey. */
  passkeys?: PasskeyLogin;
}

/**
 * How a login or refresh ended, for counting: a fixed set of values, nothing about the user or the
 * token. A refresh is `invalid` when no live session accepts it (unknown, malformed, expired,
 * revoked, or its user is gone or disabled).
 */
export type AuthOutcome =
  | { operation: "login"; outcome: "success" }
  | { operation: "login"; outcome: "failure"; reason: "invalid_credentials" | "account_disabled" | "email_not_verified" }
  | { operation: "refresh"; outcome: RotateResult["outcome"] };

/** `session`: the token's own session; `others`: every other session of its user; `all`: every one. */
export type LogoutScope = "session" | "others" | "all";

export interface AuthService {
  register(input: { email: string; password: string; name: string | null } & ClientInfo): Promise<User>;
  login(input: { email: string; password: string } & ClientInfo): Promise<LoginResult>;
  /** The second step of a login: the mfa_token and a TOTP code or a recovery code. */
  completeSecondFactor(input: { mfaToken: string; code?: string | undefined; recoveryCode?: string | undefined; passkey?: AuthenticationResponseJSON | undefined } & ClientInfo): Promise<TokenPair>;
  /** A passwordless login: a passkey's assertion with user verification (POST /login/passkey). */
  loginWithPasskey(input: { response: AuthenticationResponseJSON } & ClientInfo): Promise<TokenPair>;
  refresh(input: { refreshToken: string } & ClientInfo): Promise<TokenPair>;
  logout(input: { refreshToken: string; scope: LogoutScope } & ClientInfo): Promise<void>;
  /**
   * The checks of `login`, `completeSecondFactor` and `loginWithPasskey` without the API session
   * they end in: what the hosted sign-in pages (src/oauth/) use to open a browser session instead.
   * Same refusals, same failure events, same throttle (withLoginThrottle wraps `checkPassword`).
   */
  checkPassword(input: { email: string; password: string } & ClientInfo): Promise<PasswordCheck>;
  checkSecondFactor(input: { mfaToken: string; code?: string | undefined; recoveryCode?: string | undefined; passkey?: AuthenticationResponseJSON | undefined } & ClientInfo): Promise<SignInProof>;
  checkPasskey(input: { response: AuthenticationResponseJSON } & ClientInfo): Promise<SignInProof>;
}

/** Who signed in, and how: what a session (API or browser) is started from. */
export interface SignInProof {
  user: User;
  amr: string[];
  authTime: Date;
  /** The details of the login_succeeded event. */
  details: Record<string, unknown> | null;
}

export type PasswordCheck = { kind: "signed_in"; proof: SignInProof } | { kind: "mfa_required"; mfaToken: string; methods: SecondFactorMethod[] };

/**
 * NIST SP 800-63B §5.1.1.2: Unicode passwords are normalised (NFKC) before hashing, so the same
 * password typed on two keyboards that compose characters differently still matches.
 */
export function normalisePassword(password: string): string {
  return password.normalize("NFKC");
}

/**
 * A new password (register, change, reset) must pass the policy (src/password/policy.ts: length,
 * common and breached passwords, mostly invisible or repeated characters); the problem names the
 * rule. Login never applies it, so accounts made under older rules still sign in.
 */
export function assertAcceptableNewPassword(policy: PasswordPolicy, password: string): void {
  const verdict = policy.check(password);
  if (!verdict.ok) throw new ProblemError(verdict.rule, { detail: verdict.detail });
}

/** A sign-in job counted against the client's address (IPv6 by /64), for the hasher's fair queue. */
function signInJob(ip: string | null): PasswordJob {
  return { lane: "sign-in", clients: [`ip:${rateLimitKeyOfIp(ip ?? undefined)}`] };
}

/** The rules of register, login, refresh and logout. Knows nothing of HTTP. */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { users, sessions, hasher, passwordPolicy, accessTokens, lifetimes, clock, recordEvent, logger } = options;
  const report = options.onOutcome ?? (() => {});
  // An unknown email still costs one Argon2 verification against this hash, so that the two login
  // failures take the same time. Made by the hasher itself so its cost always matches real hashes;
  // made lazily so that start-up does no hashing.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hasher.hash(crypto.randomUUID()));

  async function issuePair(session: SessionRecord, refreshToken: string, roles: string[], now: Date): Promise<TokenPair> {
    const accessToken = await accessTokens.sign({ userId: session.userId, sessionId: session.id, roles, amr: session.amr, authTime: session.authTime }, now);
    // Already the earlier of the two expiries: every SessionStore keeps idleExpiresAt within
    // absoluteExpiresAt (its JSDoc; test/contracts/session-store.contract.ts pins it on each store).
    const refreshExpiresAt = session.idleExpiresAt.getTime();
    return {
      accessToken,
      tokenType: "Bearer",
      expiresIn: accessTokens.ttlSeconds,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((refreshExpiresAt - now.getTime()) / 1000)),
    };
  }

  /**
   * A failed login's event is written after the answer, not before: awaited, the insert made a
   * wrong password for a known address measurably slower than an unknown address (which has no
   * event to write), an oracle for which addresses have accounts. Both failures now do the same
   * work before answering (one Argon2 verification). A write that fails is logged, never thrown.
   */
  function recordLoginFailure(input: Parameters<RecordSecurityEvent>[1]): void {
    void recordEvent("login_failed", input).catch((error: unknown) => logError(logger, "could not record a failed login", error));
  }

  const invalidRefreshToken = () => new ProblemError("INVALID_REFRESH_TOKEN");

  /** A new session (one login) and its first token pair. */
  async function startSession({ user, amr, authTime, details }: SignInProof, client: ClientInfo, now: Date): Promise<TokenPair> {
    const proof = { amr, authTime };
    const sessionId = uuidv7();
    const refreshToken = createRefreshToken(sessionId);
    const session = await sessions.create({
      id: sessionId,
      userId: user.id,
      tokenHash: await hashRefreshToken(refreshToken),
      userAgent: client.userAgent,
      ip: client.ip,
      now,
      idleTtlSeconds: lifetimes.refreshTokenTtlSeconds,
      maxLifetimeSeconds: lifetimes.sessionMaxLifetimeSeconds,
      amr: proof.amr,
      authTime: proof.authTime,
    });
    await recordEvent("login_succeeded", { userId: user.id, sessionId, userAgent: client.userAgent, ip: client.ip, details });
    report({ operation: "login", outcome: "success" });
    return issuePair(session, refreshToken, user.roles, now);
  }

  const service: AuthService = {
    async login(input) {
      const check = await service.checkPassword(input);
      if (check.kind === "mfa_required") return check;
      return { kind: "tokens", pair: await startSession(check.proof, input, clock()) };
    },

    async completeSecondFactor(input) {
      return startSession(await service.checkSecondFactor(input), input, clock());
    },

    async loginWithPasskey(input) {
      return startSession(await service.checkPasskey(input), input, clock());
    },

    async register({ email, password, name, userAgent, ip }) {
      assertAcceptableNewPassword(passwordPolicy, password);
      const passwordHash = await hasher.hash(normalisePassword(password), signInJob(ip));
      const user = await users.create({ id: uuidv7(), email, name, passwordHash });
      if (!user) throw new ProblemError("EMAIL_TAKEN");
      await recordEvent("registered", { userId: user.id, userAgent, ip });
      return user;
    },

    async checkPassword({ email, password, userAgent, ip }) {
      const user = await users.findByEmail(email);
      const normalised = normalisePassword(password);
      if (!user) {
        await hasher.verify(await getDummyHash(), normalised, signInJob(ip));
        // One reason for both failures: a metric that told them apart would say, to anyone who can
        // read it before and after a login, whether an address has an account.
        report({ operation: "login", outcome: "failure", reason: "invalid_credentials" });
        throw new ProblemError("INVALID_CREDENTIALS");
      }
      const { valid, needsRehash } = await hasher.verify(user.passwordHash, normalised, signInJob(ip));
      if (!valid) {
        report({ operation: "login", outcome: "failure", reason: "invalid_credentials" });
        recordLoginFailure({ userId: user.id, userAgent, ip, details: { reason: "wrong_password" } });
        throw new ProblemError("INVALID_CREDENTIALS");
      }
      // Only someone who knows the password learns that the account is disabled.
      if (user.disabledAt) {
        report({ operation: "login", outcome: "failure", reason: "account_disabled" });
        recordLoginFailure({ userId: user.id, userAgent, ip, details: { reason: "account_disabled" } });
        throw new ProblemError("ACCOUNT_DISABLED");
      }
      // Like a disabled account: only someone who knows the password learns it is unverified.
      if (options.requireEmailVerification && !user.emailVerified) {
        report({ operation: "login", outcome: "failure", reason: "email_not_verified" });
        await recordEvent("login_failed", { userId: user.id, userAgent, ip, details: { reason: "email_not_verified" } });
        throw new ProblemError("EMAIL_NOT_VERIFIED", { detail: "Confirm the address with the link sent to it (POST /email/verification sends a new one) before logging in." });
      }
      if (needsRehash) await users.updatePasswordHash(user.id, await hasher.hash(normalised, signInJob(ip)));

      const now = clock();
      // The password is right; with a second factor, no session yet: a short-lived mfa_token for POST /login/mfa.
      if (options.secondFactor && (await options.secondFactor.isEnrolled(user.id))) {
        const methods = (await options.secondFactor.methods?.(user.id)) ?? ["totp", "recovery_code"];
        return { kind: "mfa_required", mfaToken: await options.secondFactor.startLoginChallenge(user.id, now), methods };
      }
      return { kind: "signed_in", proof: { user, amr: ["pwd"], authTime: now, details: needsRehash ? { password_rehashed: true } : null } };
    },

    async checkSecondFactor({ mfaToken, code, recoveryCode, passkey, userAgent, ip }) {
      const { secondFactor } = options;
      if (!secondFactor) throw new ProblemError("INVALID_MFA_TOKEN");
      if (passkey !== undefined && !secondFactor.completeLoginChallengeWithPasskey) throw new ProblemError("INVALID_MFA_TOKEN");
      const proof =
        passkey !== undefined
          ? await secondFactor.completeLoginChallengeWithPasskey!({ mfaToken, response: passkey, userAgent, ip })
          : await secondFactor.completeLoginChallenge({ mfaToken, code, recoveryCode, userAgent, ip });
      const user = await users.findById(proof.userId);
      // Disabled between the two steps: as at the first one, only someone who knows the password learns it.
      if (!user) throw new ProblemError("INVALID_MFA_TOKEN");
      if (user.disabledAt) throw new ProblemError("ACCOUNT_DISABLED");
      return { user, amr: proof.amr, authTime: proof.authTime, details: { second_factor: passkey !== undefined ? "passkey" : code !== undefined ? "totp" : "recovery_code" } };
    },

    async checkPasskey({ response, userAgent, ip }) {
      if (!options.passkeys) throw new ProblemError("INVALID_PASSKEY");
      // Verified first: as with a password, only someone holding the passkey learns that the account is disabled or unverified.
      const proof = await options.passkeys.verifyLogin({ response, userAgent, ip });
      const user = await users.findById(proof.userId);
      if (!user) throw new ProblemError("INVALID_PASSKEY");
      if (user.disabledAt) {
        report({ operation: "login", outcome: "failure", reason: "account_disabled" });
        await recordEvent("login_failed", { userId: user.id, userAgent, ip, details: { reason: "account_disabled", method: "passkey" } });
        throw new ProblemError("ACCOUNT_DISABLED");
      }
      if (options.requireEmailVerification && !user.emailVerified) {
        report({ operation: "login", outcome: "failure", reason: "email_not_verified" });
        await recordEvent("login_failed", { userId: user.id, userAgent, ip, details: { reason: "email_not_verified", method: "passkey" } });
        throw new ProblemError("EMAIL_NOT_VERIFIED", { detail: "Confirm the address with the link sent to it (POST /email/verification sends a new one) before logging in." });
      }
      return { user, amr: proof.amr, authTime: clock(), details: { method: "passkey", passkey_id: proof.passkeyId } };
    },

    async refresh({ refreshToken, userAgent, ip }) {
      const invalid = () => {
        report({ operation: "refresh", outcome: "invalid" });
        return invalidRefreshToken();
      };
      const sessionId = sessionIdOfRefreshToken(refreshToken);
      if (!sessionId) throw invalid();
      const now = clock();
      const successor = createRefreshToken(sessionId);
      const result = await sessions.rotate({
        sessionId,
        presentedHash: await hashRefreshToken(refreshToken),
        nextHash: await hashRefreshToken(successor),
        sealedSuccessor: await sealSuccessor(refreshToken, successor),
        now,
        idleTtlSeconds: lifetimes.refreshTokenTtlSeconds,
        graceSeconds: lifetimes.refreshReuseGraceSeconds,
      });

      let session: SessionRecord;
      let token: string;
      switch (result.outcome) {
        case "rotated":
          session = result.session;
          token = successor;
          break;
        case "replayed": {
          const replayed = await openSuccessor(refreshToken, result.sealedSuccessor);
          if (!replayed) throw invalid();
          session = result.session;
          token = replayed;
          break;
        }
        case "reused":
          report({ operation: "refresh", outcome: "reused" });
          await recordEvent("refresh_token_reused", { userId: result.userId, sessionId, userAgent, ip });
          throw invalidRefreshToken();
        case "invalid":
          throw invalid();
      }

      const user = await users.findById(session.userId);
      if (!user || user.disabledAt) {
        await sessions.revoke(session.id);
        throw invalid();
      }
      if (result.outcome === "rotated") await recordEvent("refreshed", { userId: user.id, sessionId, userAgent, ip });
      report({ operation: "refresh", outcome: result.outcome });
      return issuePair(session, token, user.roles, now);
    },

    async logout({ refreshToken, scope, userAgent, ip }) {
      // Always succeeds from the client's point of view: an unknown token is no oracle.
      const sessionId = sessionIdOfRefreshToken(refreshToken);
      if (!sessionId) return;
      const tokenHash = await hashRefreshToken(refreshToken);
      if (scope === "session") {
        const revoked = await sessions.revokeWithToken(sessionId, tokenHash);
        if (revoked) await recordEvent("logged_out", { userId: revoked.userId, sessionId, userAgent, ip });
        return;
      }
      const session = await sessions.findByToken(sessionId, tokenHash, clock());
      if (!session) return;
      const count = await sessions.revokeAllForUser(session.userId, scope === "others" ? { exceptSessionId: session.id } : {});
      await recordEvent("logged_out", { userId: session.userId, sessionId, userAgent, ip, details: { scope, sessions_revoked: count } });
    },
  };
  return service;
}
