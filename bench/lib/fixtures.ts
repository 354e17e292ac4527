import { uuidv7 } from "uuidv7";
import type { Stores } from "../../src/compose.js";
import { randomBytes } from "../../src/lib/encoding.js";
import { createRefreshToken, hashRefreshToken } from "../../src/sessions/refresh-tokens.js";
import type { AccessTokens } from "../../src/tokens/jwt.js";
import { postJson, type Credentials } from "./load.js";

/**
 * What the HTTP scenarios mint before the clock starts, written with the service's own code into the
 * storage the service reads: users and sessions through the stores `composeStores` builds (the same
 * wiring as the service, over the bench's own handles on the same database and Redis prefix), access
 * tokens signed with the service's key. Only accounts that must log in are made through the API,
 * because only a real Argon2id hash of a known password lets them.
 */
export interface Fixtures {
  stores: Pick<Stores, "users" | "sessions">;
  /** Signs exactly as the service's login does (same key, issuer, audience, lifetime). */
  accessTokens: AccessTokens;
  /** What the service's login gives a new session. */
  sessionLifetimes: { idleTtlSeconds: number; maxLifetimeSeconds: number };
  /** Unique to this run, in every email, so runs sharing a database never collide. */
  runTag: string;
}

export const BENCH_PASSWORD = "bench-password-correct-horse";

/** Sessions and access tokens are minted in batches: enough to keep the stores busy, not so many that memory spikes. */
const MINT_BATCH = 256;

/** Users who never log in get a well-formed Argon2id string over random bytes: no password matches it. */
function unusablePasswordHash(): string {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");
  return `$argon2id$v=19$m=19456,t=2,p=1$${b64(randomBytes(16))}$${b64(randomBytes(32))}`;
}

export interface SignedInUser {
  userId: string;
  sessionId: string;
  roles: string[];
}

async function createUser(fixtures: Fixtures, email: string): Promise<{ id: string; roles: string[] }> {
  const user = await fixtures.stores.users.create({ id: uuidv7(), email, name: null, passwordHash: unusablePasswordHash() });
  if (!user) throw new Error(`could not create the bench user ${email}`);
  return user;
}

/** One session of `userId`, as the service's login writes it; returns its refresh token. */
async function mintSession(fixtures: Fixtures, userId: string): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = uuidv7();
  const refreshToken = createRefreshToken(sessionId);
  await fixtures.stores.sessions.create({
    id: sessionId,
    userId,
    tokenHash: await hashRefreshToken(refreshToken),
    userAgent: "bench",
    ip: "127.0.0.1",
    now: new Date(),
    ...fixtures.sessionLifetimes,
  });
  return { sessionId, refreshToken };
}

/** `count` users with one live session each: what a login leaves behind, without its Argon2id verify. */
export async function signInUsers(fixtures: Fixtures, label: string, count: number): Promise<SignedInUser[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const user = await createUser(fixtures, `${label}-${fixtures.runTag}-${index}@bench.example.com`);
      const { sessionId } = await mintSession(fixtures, user.id);
      return { userId: user.id, sessionId, roles: user.roles };
    }),
  );
}

export function signAccessToken(fixtures: Fixtures, user: SignedInUser): Promise<string> {
  return fixtures.accessTokens.sign(user, new Date());
}

/**
 * One access token per signed-in user, reused request after request as clients do (so the service's
 * verified-token cache is warm). Re-signed once half their lifetime has passed: a long custom run
 * outlives the 15-minute default.
 */
export interface ReusedAccessTokens {
  current(): Promise<readonly string[]>;
}

export async function createReusedAccessTokens(fixtures: Fixtures, label: string, count: number): Promise<ReusedAccessTokens> {
  const users = await signInUsers(fixtures, label, count);
  const sign = () => Promise.all(users.map((user) => signAccessToken(fixtures, user)));
  let tokens = await sign();
  let signedAt = Date.now();
  return {
    async current() {
      if (Date.now() - signedAt > (fixtures.accessTokens.ttlSeconds * 1000) / 2) {
        tokens = await sign();
        signedAt = Date.now();
      }
      return tokens;
    },
  };
}

/**
 * Refresh tokens of fresh sessions of one user, for /refresh and /logout: each logout spends one,
 * and minting tens of thousands through /login (one Argon2id each, ~100/s) is out of the question.
 */
export interface SessionPool {
  /** Sessions minted so far. */
  readonly minted: number;
  /**
   * A fresh session's refresh token; once none is left, the token of a session already revoked
   * (which the service refuses), counted in `dryTakes` so the report says the pool ran dry.
   */
  take(): string;
  /** Takes that found the pool empty, so far. */
  readonly dryTakes: number;
  /** Mints sessions until `count` are unspent. */
  fill(count: number): Promise<void>;
}

export async function createSessionPool(fixtures: Fixtures, label: string): Promise<SessionPool> {
  const [owner] = await signInUsers(fixtures, label, 1);
  const userId = owner!.userId;
  const spent = await mintSession(fixtures, userId);
  await fixtures.stores.sessions.revoke(spent.sessionId);
  const tokens: string[] = [];
  let minted = 0;
  let dryTakes = 0;
  return {
    get minted() {
      return minted;
    },
    get dryTakes() {
      return dryTakes;
    },
    take() {
      const token = tokens.pop();
      if (token !== undefined) return token;
      dryTakes++;
      return spent.refreshToken;
    },
    async fill(count) {
      while (tokens.length < count) {
        const batch = Math.min(MINT_BATCH, count - tokens.length);
        const made = await Promise.all(Array.from({ length: batch }, () => mintSession(fixtures, userId)));
        tokens.push(...made.map((session) => session.refreshToken));
        minted += made.length;
      }
    },
  };
}

/** Access tokens for sessions already signed in, signed in batches before a run. */
export async function signManyAccessTokens(fixtures: Fixtures, users: readonly SignedInUser[], count: number, offset: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    const batch = Math.min(MINT_BATCH, count - tokens.length);
    const start = offset + tokens.length;
    tokens.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => signAccessToken(fixtures, users[(start + i) % users.length]!)))));
  }
  return tokens;
}

/** Accounts registered through POST /register, so that they can log in with BENCH_PASSWORD. */
export async function registerAccounts(baseUrl: string, fixtures: Fixtures, label: string, count: number): Promise<Credentials[]> {
  const accounts = Array.from({ length: count }, (_, index) => ({
    email: `${label}-${fixtures.runTag}-${index}@bench.example.com`,
    password: BENCH_PASSWORD,
  }));
  await Promise.all(
    accounts.map(async (account) => {
      const { status, json } = await postJson(`${baseUrl}/register`, account);
      if (status !== 201) throw new Error(`register answered ${status}: ${JSON.stringify(json)}`);
    }),
  );
  return accounts;
}
