import { describe, expect } from "vitest";
import { testDatabaseUrl, testRedisUrl } from "./backends.js";
import type { BackendName, TestClient } from "./test-app.js";

export const PASSWORD = "correct horse battery staple";

export function uniqueEmail(tag = "user"): string {
  return `${tag}-${crypto.randomUUID().slice(0, 12)}@example.com`;
}

export interface TokenPairBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
}

/** The common client steps of the HTTP tests, each asserting its own success. */
export function flows(client: () => TestClient) {
  async function register(email = uniqueEmail(), password = PASSWORD) {
    const response = await client().request("POST", "/register", { json: { email, password } });
    expect(response.status).toBe(201);
    return response.body as { id: string; email: string };
  }
  async function login(email: string, password = PASSWORD, userAgent = "vitest") {
    const response = await client().request("POST", "/login", { json: { email, password }, headers: { "user-agent": userAgent } });
    expect(response.status).toBe(200);
    return response.body as TokenPairBody;
  }
  async function signedIn(tag = "user") {
    const email = uniqueEmail(tag);
    const user = await register(email);
    return { email, user, tokens: await login(email) };
  }
  const me = (token: string) => client().request("GET", "/me", { token });
  const refresh = (refreshToken: string) => client().request("POST", "/refresh", { json: { refresh_token: refreshToken } });
  return { register, login, signedIn, me, refresh };
}

/** Runs `body` once per backend available: PGlite always, PostgreSQL and PostgreSQL + Redis with the TEST_* variables. */
export function describeEachBackend(title: string, body: (backend: BackendName) => void): void {
  describe(`${title} (embedded PGlite)`, () => body("pglite"));
  describe.runIf(Boolean(testDatabaseUrl))(`${title} (PostgreSQL, sessions in SQL)`, () => body("postgres"));
  describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))(`${title} (PostgreSQL + Redis)`, () => body("postgres+redis"));
}
