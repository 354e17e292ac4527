import { uuidv7 } from "uuidv7";
import type { ClientInfo, SignInProof } from "../auth/auth-service.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import { createRefreshToken, hashRefreshToken, sessionIdOfRefreshToken } from "../sessions/refresh-tokens.js";
import type { SessionStore } from "../sessions/store.js";
import type { UserStore } from "../users/store.js";

/**
 * The hosted pages' single sign-on: a browser session is a session of the session store (so it is
 * listed in /sessions, ended by "log out everywhere", a password change or disabling the user,
 * exactly like an API login), whose cookie holds a random value that only the store's hash knows.
 *
 * The cookie's value is `bs.` + a refresh-token-shaped string, and the store keeps the hash of the
 * whole value: /refresh never accepts it (wrong length), and the bare token inside it hashes to
 * something else, so a browser session cannot be turned into API tokens.
 */
const COOKIE_PREFIX = "bs.";

export interface BrowserSession {
  sessionId: string;
  userId: string;
  amr: string[];
  authTime: Date;
}

export interface BrowserSessions {
  /** Opens a session for a completed sign-in; returns the cookie's value and how long it lives. */
  open(proof: SignInProof, client: ClientInfo): Promise<{ cookie: string; session: BrowserSession; maxAgeSeconds: number }>;
  /** The live session the cookie names (its user still enabled), or null. */
  find(cookie: string | undefined): Promise<BrowserSession | null>;
  /** Ends the session the cookie names; returns it, or null when there was none. */
  end(cookie: string | undefined, client: ClientInfo): Promise<BrowserSession | null>;
}

export interface BrowserSessionOptions {
  sessions: SessionStore;
  users: Pick<UserStore, "findById">;
  recordEvent: RecordSecurityEvent;
  clock: () => Date;
  idleTtlSeconds: number;
  maxLifetimeSeconds: number;
}

/** The session id a well-formed cookie names, with the cookie itself; null for anything else. */
function parseCookie(cookie: string | undefined): { sessionId: string; cookie: string } | null {
  if (!cookie?.startsWith(COOKIE_PREFIX)) return null;
  const sessionId = sessionIdOfRefreshToken(cookie.slice(COOKIE_PREFIX.length));
  return sessionId ? { sessionId, cookie } : null;
}

export function createBrowserSessions(options: BrowserSessionOptions): BrowserSessions {
  const { sessions, users, recordEvent, clock } = options;
  return {
    async open({ user, amr, authTime, details }, client) {
      const sessionId = uuidv7();
      const cookie = COOKIE_PREFIX + createRefreshToken(sessionId);
      const now = clock();
      await sessions.create({
        id: sessionId,
        userId: user.id,
        tokenHash: await hashRefreshToken(cookie),
        userAgent: client.userAgent,
        ip: client.ip,
        now,
        idleTtlSeconds: options.idleTtlSeconds,
        maxLifetimeSeconds: options.maxLifetimeSeconds,
        amr,
        authTime,
      });
      await recordEvent("login_succeeded", { userId: user.id, sessionId, userAgent: client.userAgent, ip: client.ip, details: { ...details, via: "hosted_sign_in" } });
      // Never rotated, so its idle lifetime is its whole lifetime.
      return { cookie, session: { sessionId, userId: user.id, amr, authTime }, maxAgeSeconds: Math.min(options.idleTtlSeconds, options.maxLifetimeSeconds) };
    },

    async find(presented) {
      const parsed = parseCookie(presented);
      if (!parsed) return null;
      const { sessionId, cookie } = parsed;
      const session = await sessions.findByToken(sessionId, await hashRefreshToken(cookie), clock());
      if (!session) return null;
      const user = await users.findById(session.userId);
      if (!user || user.disabledAt) return null;
      return { sessionId, userId: session.userId, amr: session.amr, authTime: session.authTime };
    },

    async end(presented, client) {
      const parsed = parseCookie(presented);
      if (!parsed) return null;
      const { sessionId, cookie } = parsed;
      const revoked = await sessions.revokeWithToken(sessionId, await hashRefreshToken(cookie));
      if (!revoked) return null;
      await recordEvent("logged_out", { userId: revoked.userId, sessionId, userAgent: client.userAgent, ip: client.ip, details: { via: "hosted_sign_out" } });
      return { sessionId, userId: revoked.userId, amr: revoked.amr, authTime: revoked.authTime };
    },
  };
}
