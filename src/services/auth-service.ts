import { uuidv7 } from "uuidv7";
import type { AccessTokens } from "../crypto/jwt.js";
import type { PasswordHasher } from "../crypto/password.js";
import {
  createRefreshToken,
  hashRefreshToken,
  openSuccessor,
  sealSuccessor,
  sessionIdOfRefreshToken,
} from "../crypto/refresh-tokens.js";
import { ProblemError } from "../lib/problem.js";
import type { SessionRecord, SessionStore } from "../stores/session-store.js";
import type { User, UserStore } from "../stores/user-store.js";

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

export interface SessionLifetimes {
  refreshTokenTtlSeconds: number;
  sessionMaxLifetimeSeconds: number;
  refreshReuseGraceSeconds: number;
}

export interface AuthServiceOptions {
  users: UserStore;
  sessions: SessionStore;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  lifetimes: SessionLifetimes;
  clock: () => Date;
  /** Where security-relevant outcomes go (reuse detected, rehash failed); never given secrets. */
  onEvent?: (event: AuthEvent) => void;
}

export type AuthEvent =
  | { type: "refresh_token_reused"; userId: string; sessionId: string }
  | { type: "password_rehashed"; userId: string };

export interface AuthService {
  register(input: { email: string; password: string; name: string | null }): Promise<User>;
  login(input: { email: string; password: string } & ClientInfo): Promise<TokenPair>;
  refresh(input: { refreshToken: string }): Promise<TokenPair>;
  logout(input: { refreshToken: string }): Promise<void>;
  currentUser(userId: string): Promise<User>;
}

/**
 * NIST SP 800-63B §5.1.1.2: Unicode passwords are normalised (NFKC) before hashing, so the same
 * password typed on two keyboards that compose characters differently still matches.
 */
function normalisePassword(password: string): string {
  return password.normalize("NFKC");
}

/** The rules of register, login, refresh and logout. Knows nothing of HTTP. */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { users, sessions, hasher, accessTokens, lifetimes, clock } = options;
  const emit = options.onEvent ?? (() => {});
  // An unknown email still costs one Argon2 verification against this hash, so that the two login
  // failures take the same time. Made by the hasher itself so its cost always matches real hashes;
  // made lazily so that start-up does no hashing.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hasher.hash(crypto.randomUUID()));

  async function issuePair(session: SessionRecord, refreshToken: string, roles: string[], now: Date): Promise<TokenPair> {
    const accessToken = await accessTokens.sign({ userId: session.userId, sessionId: session.id, roles }, now);
    const refreshExpiresAt = Math.min(session.idleExpiresAt.getTime(), session.absoluteExpiresAt.getTime());
    return {
      accessToken,
      tokenType: "Bearer",
      expiresIn: accessTokens.ttlSeconds,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((refreshExpiresAt - now.getTime()) / 1000)),
    };
  }

  const invalidRefreshToken = () => new ProblemError("INVALID_REFRESH_TOKEN");

  return {
    async register({ email, password, name }) {
      const passwordHash = await hasher.hash(normalisePassword(password));
      const user = await users.create({ id: uuidv7(), email, name, passwordHash });
      if (!user) throw new ProblemError("EMAIL_TAKEN");
      return user;
    },

    async login({ email, password, userAgent, ip }) {
      const user = await users.findByEmail(email);
      const normalised = normalisePassword(password);
      if (!user) {
        await hasher.verify(await getDummyHash(), normalised);
        throw new ProblemError("INVALID_CREDENTIALS");
      }
      const { valid, needsRehash } = await hasher.verify(user.passwordHash, normalised);
      if (!valid) throw new ProblemError("INVALID_CREDENTIALS");
      // Only someone who knows the password learns that the account is disabled.
      if (user.disabledAt) throw new ProblemError("ACCOUNT_DISABLED");
      if (needsRehash) {
        await users.updatePasswordHash(user.id, await hasher.hash(normalised));
        emit({ type: "password_rehashed", userId: user.id });
      }

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
      return issuePair(session, refreshToken, user.roles, now);
    },

    async refresh({ refreshToken }) {
      const sessionId = sessionIdOfRefreshToken(refreshToken);
      if (!sessionId) throw invalidRefreshToken();
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
          if (!replayed) throw invalidRefreshToken();
          session = result.session;
          token = replayed;
          break;
        }
        case "reused":
          emit({ type: "refresh_token_reused", userId: result.userId, sessionId });
          throw invalidRefreshToken();
        case "invalid":
          throw invalidRefreshToken();
      }

      const user = await users.findById(session.userId);
      if (!user || user.disabledAt) {
        await sessions.revoke(session.id);
        throw invalidRefreshToken();
      }
      return issuePair(session, token, user.roles, now);
    },

    async logout({ refreshToken }) {
      // Always succeeds from the client's point of view: an unknown token is no oracle.
      const sessionId = sessionIdOfRefreshToken(refreshToken);
      if (!sessionId) return;
      await sessions.revokeWithToken(sessionId, await hashRefreshToken(refreshToken));
    },

    async currentUser(userId) {
      const user = await users.findById(userId);
      if (!user || user.disabledAt) throw new ProblemError("INVALID_TOKEN");
      return user;
    },
  };
}
