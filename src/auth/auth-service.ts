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

export interface TokenPair {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
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
  login(input: { email: string; password: string } & ClientInfo): Promise<TokenPair>;
  refresh(input: { refreshToken: string } & ClientInfo): Promise<TokenPair>;
  logout(input: { refreshToken: string; scope: LogoutScope } & ClientInfo): Promise<void>;
}

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
    const accessToken = await accessTokens.sign({ userId: session.userId, sessionId: session.id, roles }, now);
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

  return {
    async register({ email, password, name, userAgent, ip }) {
      assertAcceptableNewPassword(passwordPolicy, password);
      const passwordHash = await hasher.hash(normalisePassword(password), signInJob(ip));
      const user = await users.create({ id: uuidv7(), email, name, passwordHash });
      if (!user) throw new ProblemError("EMAIL_TAKEN");
      await recordEvent("registered", { userId: user.id, userAgent, ip });
      return user;
    },

    async login({ email, password, userAgent, ip }) {
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
      const sessionId = uuidv7();
      const refreshToken = createRefreshToken(sessionId);
      const session = await sessions.create({
        id: sessionId,
        userId: user.id,
        tokenHash: await hashRefreshToken(refreshToken),
        userAgent,
        ip,
        now,
        idleTtlSeconds: lifetimes.refreshTokenTtlSeconds,
        maxLifetimeSeconds: lifetimes.sessionMaxLifetimeSeconds,
      });
      await recordEvent("login_succeeded", { userId: user.id, sessionId, userAgent, ip, details: needsRehash ? { password_rehashed: true } : null });
      report({ operation: "login", outcome: "success" });
      return issuePair(session, refreshToken, user.roles, now);
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
}
