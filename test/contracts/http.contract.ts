import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccessTokens, createAsymmetricSigningKeys, generateSigningJwk } from "../../src/tokens/jwt.js";
import { users } from "../../src/db/schema.js";
import { eq } from "drizzle-orm";
import type { TestApp, TestClient, TestResponse } from "../helpers/test-app.js";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";

export interface HttpContractContext {
  testApp: TestApp;
  client: TestClient;
}


function expectProblem(response: TestResponse, status: number, code?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, type: expect.stringMatching(/^https?:\/\/.+\/problems\/[a-z-]+$/), title: expect.any(String) });
  if (code) expect(response.body.code).toBe(code);
  expect(response.text).not.toMatch(/at .+\.(ts|js):\d+/); // never a stack trace
}

/**
 * Every rule of docs/API.md's endpoints and rules, as a client sees it. Run against each
 * backend and transport by the test files that import it.
 */
export function describeHttpContract(name: string, setup: (env?: Record<string, string>) => Promise<HttpContractContext>) {
  describe(`HTTP contract: ${name}`, () => {
    let ctx: HttpContractContext;
    const others: HttpContractContext[] = [];
    // Explicit hook timeouts: bun test's default is 5 s, too short for a migration on a busy machine.
    beforeAll(async () => {
      ctx = await setup();
    }, 120_000);
    // The apps are shared by the tests, their clocks are not: each test starts at the wall clock's now,
    // whatever an earlier one moved (also done by vitest's setup file; bun test has none).
    beforeEach(() => {
      for (const context of [ctx, ...others]) context?.testApp.clock.reset();
    });
    afterAll(async () => {
      for (const context of [ctx, ...others]) {
        await context?.client.close();
        await context?.testApp.cleanup();
      }
    }, 120_000);
    async function withEnv(env: Record<string, string>): Promise<HttpContractContext> {
      const context = await setup(env);
      others.push(context);
      return context;
    }

    const request = (...args: Parameters<TestClient["request"]>) => ctx.client.request(...args);
    async function register(email = uniqueEmail(), client = ctx.client) {
      const response = await client.request("POST", "/register", { json: { email, password: PASSWORD } });
      expect(response.status).toBe(201);
      return { email, user: response.body };
    }
    async function login(email: string, client = ctx.client) {
      const response = await client.request("POST", "/login", { json: { email, password: PASSWORD } });
      expect(response.status).toBe(200);
      return response.body as { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number };
    }
    async function signedIn(client = ctx.client) {
      const { email, user } = await register(undefined, client);
      return { email, user, tokens: await login(email, client) };
    }
    /**
     * Every claim of one of our access tokens for the user's session, valid at the app's clock for
     * five minutes; the test adds the header and the key, which are what it is about.
     */
    function accessTokenClaims(userId: string, sid: unknown, audience = ctx.testApp.config.jwt.audience) {
      const now = Math.floor(ctx.testApp.clock().getTime() / 1000);
      return new SignJWT({ sid, roles: ["user"] })
        .setIssuer(ctx.testApp.config.jwt.issuer)
        .setAudience(audience)
        .setSubject(userId)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .setJti(crypto.randomUUID());
    }

    describe("POST /register", () => {
      it("creates a user: 201 with the User shape, email trimmed and lower-cased, never a hash", async () => {
        const email = uniqueEmail("Mixed");
        const response = await request("POST", "/register", { json: { email: `  ${email.toUpperCase()} `, password: PASSWORD, name: "Ada" } });
        expect(response.status).toBe(201);
        expect(response.body).toEqual({
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
          email: email.toLowerCase(),
          name: "Ada",
          roles: ["user"],
          email_verified: false,
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          updated_at: expect.stringMatching(/Z$/),
        });
        expect(response.text).not.toContain("argon2");
        expect(response.text).not.toContain(PASSWORD);
      });

      it("name is optional and then null", async () => {
        const { user } = await register();
        expect(user.name).toBeNull();
      });

      it("answers 409 for an address already registered, in any case", async () => {
        const { email } = await register();
        const response = await request("POST", "/register", { json: { email: email.toUpperCase(), password: PASSWORD } });
        expectProblem(response, 409, "EMAIL_TAKEN");
      });

      it("of 20 concurrent registrations of one address exactly one gets 201, the rest 409, none 500", async () => {
        const email = uniqueEmail("race");
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            request("POST", "/register", { json: { email: i % 2 ? email.toUpperCase() : email, password: PASSWORD } }),
          ),
        );
        const statuses = responses.map((response) => response.status).sort();
        expect(statuses.filter((status) => status === 201)).toHaveLength(1);
        expect(statuses.filter((status) => status === 409)).toHaveLength(19);
      });

      it.each([
        ["a missing email", { password: PASSWORD }, "#/email"],
        ["an invalid email", { email: "not-an-email", password: PASSWORD }, "#/email"],
        ["an email over 254 characters", { email: `${"a".repeat(250)}@example.com`, password: PASSWORD }, "#/email"],
        ["a password of 7 characters", { email: uniqueEmail(), password: "1234567" }, "#/password"],
        ["a password of 257 characters", { email: uniqueEmail(), password: "p".repeat(257) }, "#/password"],
        ["a password that is a number", { email: uniqueEmail(), password: 12345678 }, "#/password"],
        ["an empty name", { email: uniqueEmail(), password: PASSWORD, name: "  " }, "#/name"],
      ])("rejects %s with a 400 problem pointing at the field", async (_label, body, pointer) => {
        const response = await request("POST", "/register", { json: body });
        expectProblem(response, 400, "VALIDATION_FAILED");
        expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer, detail: expect.any(String) })]));
        expect(response.text).not.toContain("1234567");
      });

      it("accepts passwords of exactly 8 and 256 characters, counting code points", async () => {
        // Boundary lengths that also pass the new-password policy (not common, not repetitive).
        const astral = Array.from({ length: 256 }, (_, i) => String.fromCodePoint(0x1f600 + (i % 64))).join("");
        for (const password of ["k7#Vq2!m", astral]) {
          const response = await request("POST", "/register", { json: { email: uniqueEmail(), password } });
          expect(response.status).toBe(201);
        }
      });

      it("rejects a body that is not JSON (415) or not valid JSON (400), losing nothing", async () => {
        expectProblem(await request("POST", "/register", { body: "email=a@b.c", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415);
        expectProblem(await request("POST", "/register", { body: '{"email":', headers: { "content-type": "application/json" } }), 400, "MALFORMED_JSON");
        expectProblem(await request("POST", "/register", { body: "[]", headers: { "content-type": "application/json" } }), 400, "VALIDATION_FAILED");
      });
    });

    describe("POST /login", () => {
      it("returns a TokenPair with RFC 6749 names and Cache-Control: no-store", async () => {
        const { email } = await register();
        const response = await request("POST", "/login", { json: { email: email.toUpperCase(), password: PASSWORD } });
        expect(response.status).toBe(200);
        expect(response.headers.get("cache-control")).toBe("no-store");
        expect(response.body).toEqual({
          access_token: expect.any(String),
          token_type: "Bearer",
          expires_in: 900,
          refresh_token: expect.any(String),
          refresh_expires_in: expect.any(Number),
        });
        expect(response.body.refresh_expires_in).toBeGreaterThan(0);
      });

      it("issues an RFC 9068 access token with every claim docs/API.md names", async () => {
        const { user, tokens } = await signedIn();
        const header = decodeProtectedHeader(tokens.access_token);
        expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt", kid: expect.any(String) });
        const claims = decodeJwt(tokens.access_token);
        expect(claims).toMatchObject({
          iss: ctx.testApp.config.jwt.issuer,
          aud: ctx.testApp.config.jwt.audience,
          sub: user.id,
          sid: expect.any(String),
          jti: expect.any(String),
          roles: ["user"],
        });
        expect(claims.exp! - claims.iat!).toBe(900);
      });

      it("gives an unknown email and a wrong password the same 401", async () => {
        const { email } = await register();
        const wrong = await request("POST", "/login", { json: { email, password: "wrong password!" } });
        const unknown = await request("POST", "/login", { json: { email: uniqueEmail("ghost"), password: PASSWORD } });
        expectProblem(wrong, 401, "INVALID_CREDENTIALS");
        const strip = ({ request_id: _ignored, ...rest }: Record<string, unknown>) => rest;
        expect(strip(unknown.body)).toEqual(strip(wrong.body));
        expect(unknown.status).toBe(wrong.status);
      });

      it("validates its body", async () => {
        expectProblem(await request("POST", "/login", { json: { email: "nope", password: "" } }), 400, "VALIDATION_FAILED");
      });
    });

    describe("GET /me", () => {
      it("returns the token's user", async () => {
        const { user, tokens } = await signedIn();
        const response = await request("GET", "/me", { token: tokens.access_token });
        expect(response.status).toBe(200);
        expect(response.body).toEqual(user);
      });

      it("without a token: 401 with a bare Bearer challenge", async () => {
        const response = await request("GET", "/me");
        expectProblem(response, 401, "INVALID_TOKEN");
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(response.headers.get("www-authenticate")).not.toContain("error=");
      });

      async function expectRejected(token: string) {
        const response = await request("GET", "/me", { token });
        expectProblem(response, 401, "INVALID_TOKEN");
        expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
      }

      it("rejects a malformed token or a non-Bearer scheme", async () => {
        await expectRejected("not-a-jwt");
        const { tokens } = await signedIn();
        const response = await request("GET", "/me", { headers: { authorization: `Basic ${tokens.access_token}` } });
        expectProblem(response, 401, "INVALID_TOKEN");
      });

      it("rejects a tampered token", async () => {
        const { tokens } = await signedIn();
        const [header, payload, signature] = tokens.access_token.split(".");
        const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
        const forged = Buffer.from(JSON.stringify({ ...claims, roles: ["admin"] })).toString("base64url");
        await expectRejected(`${header}.${forged}.${signature}`);
        await expectRejected(`${header}.${payload}.${signature!.slice(0, -4)}AAAA`);
      });

      it('rejects alg "none"', async () => {
        const { tokens } = await signedIn();
        const claims = decodeJwt(tokens.access_token);
        const unsecured = new UnsecuredJWT(claims).encode();
        await expectRejected(unsecured);
        const [, payload] = tokens.access_token.split(".");
        const noneHeader = Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt", kid: decodeProtectedHeader(tokens.access_token).kid })).toString("base64url");
        await expectRejected(`${noneHeader}.${payload}.`);
      });

      it("rejects an expired token (beyond the small clock tolerance)", async () => {
        const { tokens } = await signedIn();
        ctx.testApp.clock.advance(900 + ctx.testApp.config.jwt.clockToleranceSeconds + 1);
        try {
          await expectRejected(tokens.access_token);
        } finally {
          ctx.testApp.clock.advance(-(900 + ctx.testApp.config.jwt.clockToleranceSeconds + 1));
        }
      });

      it("rejects a token with the wrong issuer or audience, even signed with the right key", async () => {
        const { user, tokens } = await signedIn();
        const sid = decodeJwt(tokens.access_token).sid as string;
        for (const [issuer, audience] of [["someone-else", ctx.testApp.config.jwt.audience], [ctx.testApp.config.jwt.issuer, "another-api"]] as const) {
          const foreign = createAccessTokens({ keys: ctx.testApp.signingKeys, issuer, audience, clientId: "auth-service", ttlSeconds: 900, clockToleranceSeconds: 0 });
          await expectRejected(await foreign.sign({ userId: user.id, sessionId: sid, roles: ["user"] }, ctx.testApp.clock()));
        }
      });

      it("rejects a token signed by any other key, even with our kid", async () => {
        const { user, tokens } = await signedIn();
        const sid = decodeJwt(tokens.access_token).sid as string;
        const otherJwk = await generateSigningJwk();
        const ourKid = decodeProtectedHeader(tokens.access_token).kid!;
        const otherKeys = await createAsymmetricSigningKeys([{ ...otherJwk, kid: ourKid }]);
        const other = createAccessTokens({ keys: otherKeys, issuer: ctx.testApp.config.jwt.issuer, audience: ctx.testApp.config.jwt.audience, clientId: "auth-service", ttlSeconds: 900, clockToleranceSeconds: 0 });
        await expectRejected(await other.sign({ userId: user.id, sessionId: sid, roles: ["user"] }, ctx.testApp.clock()));
        // HS256 with the public key as the secret: the classic algorithm-confusion attack.
        const publicJwk = ctx.testApp.signingKeys.publicJwks[0]!;
        const confused = await accessTokenClaims(user.id, sid)
          .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: ourKid })
          .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
        await expectRejected(confused);
      });

      it("rejects a token whose typ is not at+jwt", async () => {
        const { user, tokens } = await signedIn();
        const key = ctx.testApp.signingKeys.signing;
        const plain = await accessTokenClaims(user.id, decodeJwt(tokens.access_token).sid)
          .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
          .sign(key.key);
        await expectRejected(plain);
      });

      it("rejects a refresh token presented as an access token, and a JWT of our key meant for another use", async () => {
        const { user, tokens } = await signedIn();
        await expectRejected(tokens.refresh_token);
        // Signed with our key, naming a live session of a live user, every claim of an access
        // token present: only its type (a refresh-token JWT) or its audience tells it apart.
        const key = ctx.testApp.signingKeys.signing;
        const { issuer, audience } = ctx.testApp.config.jwt;
        const sid = decodeJwt(tokens.access_token).sid;
        const jwt = (typ: string, aud: string) =>
          accessTokenClaims(user.id, sid, aud).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(key.key);
        expect((await request("GET", "/me", { token: await jwt("at+jwt", audience) })).status).toBe(200);
        await expectRejected(await jwt("rt+jwt", audience));
        await expectRejected(await jwt("at+jwt", `${issuer}/refresh`));
      });

      it("rejects the token of a user deleted since it was issued", async () => {
        const { user, tokens } = await signedIn();
        await ctx.testApp.database.db.delete(users).where(eq(users.id, user.id));
        await expectRejected(tokens.access_token);
      });
    });

    describe("POST /refresh", () => {
      it("rotates: a new pair whose access token works, with no-store", async () => {
        const { user, tokens } = await signedIn();
        const response = await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        expect(response.status).toBe(200);
        expect(response.headers.get("cache-control")).toBe("no-store");
        expect(response.body.refresh_token).not.toBe(tokens.refresh_token);
        expect(decodeJwt(response.body.access_token).sid).toBe(decodeJwt(tokens.access_token).sid);
        const me = await request("GET", "/me", { token: response.body.access_token });
        expect(me.body.id).toBe(user.id);
      });

      it("gives the token just rotated the same successor again within the grace window", async () => {
        const { tokens } = await signedIn();
        const first = await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        ctx.testApp.clock.advance(5);
        const retry = await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        expect(retry.status).toBe(200);
        expect(retry.body.refresh_token).toBe(first.body.refresh_token);
        const next = await request("POST", "/refresh", { json: { refresh_token: first.body.refresh_token } });
        expect(next.status).toBe(200);
      });

      it("treats a rotated token presented after the grace window as reuse: 401 and the whole session revoked", async () => {
        const { tokens } = await signedIn();
        const first = await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        ctx.testApp.clock.advance(11);
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } }), 401, "INVALID_REFRESH_TOKEN");
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: first.body.refresh_token } }), 401, "INVALID_REFRESH_TOKEN");
        expectProblem(await request("GET", "/me", { token: first.body.access_token }), 401);
      });

      it("detects reuse of a token two generations old", async () => {
        const { tokens } = await signedIn();
        const second = await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        const third = await request("POST", "/refresh", { json: { refresh_token: second.body.refresh_token } });
        expect(third.status).toBe(200);
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } }), 401);
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: third.body.refresh_token } }), 401);
      });

      it("10 concurrent refreshes of one token all get the same successor (grace on)", async () => {
        const { tokens } = await signedIn();
        const responses = await Promise.all(
          Array.from({ length: 10 }, () => request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } })),
        );
        expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
        const successors = new Set(responses.map((response) => response.body.refresh_token));
        expect(successors.size).toBe(1);
        const [successor] = [...successors];
        expect((await request("POST", "/refresh", { json: { refresh_token: successor } })).status).toBe(200);
      });

      it("10 concurrent refreshes with the grace window off: one wins, the rest are reuse, the session ends", async () => {
        const other = await withEnv({ REFRESH_REUSE_GRACE_SECONDS: "0" });
        const { tokens } = await signedIn(other.client);
        const responses = await Promise.all(
          Array.from({ length: 10 }, () => other.client.request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } })),
        );
        const winners = responses.filter((response) => response.status === 200);
        expect(winners).toHaveLength(1);
        expect(responses.filter((response) => response.status === 401)).toHaveLength(9);
        const afterwards = await other.client.request("POST", "/refresh", { json: { refresh_token: winners[0]!.body.refresh_token } });
        expect(afterwards.status).toBe(401);
      });

      it("with the grace window off, a retried token is reuse at once", async () => {
        const other = await withEnv({ REFRESH_REUSE_GRACE_SECONDS: "0" });
        const { tokens } = await signedIn(other.client);
        const first = await other.client.request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        expect(first.status).toBe(200);
        expect((await other.client.request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } })).status).toBe(401);
        expect((await other.client.request("POST", "/refresh", { json: { refresh_token: first.body.refresh_token } })).status).toBe(401);
      });

      it("refuses a session idle for longer than REFRESH_TOKEN_TTL", async () => {
        const { tokens } = await signedIn();
        ctx.testApp.clock.advance(ctx.testApp.config.tokens.refreshTokenTtlSeconds + 1);
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } }), 401, "INVALID_REFRESH_TOKEN");
      });

      it("refuses a session older than SESSION_MAX_LIFETIME however recently used", async () => {
        const other = await withEnv({ REFRESH_TOKEN_TTL: "1h", SESSION_MAX_LIFETIME: "3h" });
        let { tokens } = await signedIn(other.client);
        for (let hour = 0; hour < 2; hour++) {
          other.testApp.clock.advance(55 * 60);
          const response = await other.client.request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
          expect(response.status).toBe(200);
          tokens = response.body;
        }
        // 110 minutes in: the idle expiry (one hour ahead) comes before the absolute one (70 minutes).
        expect(tokens.refresh_expires_in).toBe(3600);
        other.testApp.clock.advance(55 * 60);
        const last = await other.client.request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
        expect(last.status).toBe(200);
        // 165 minutes in: the idle expiry would be an hour ahead, but the absolute one is 15 minutes away.
        expect(last.body.refresh_expires_in).toBe(15 * 60);
        other.testApp.clock.advance(20 * 60);
        const late = await other.client.request("POST", "/refresh", { json: { refresh_token: last.body.refresh_token } });
        expectProblem(late, 401, "INVALID_REFRESH_TOKEN");
      });

      it.each([["garbage", "not-a-token"], ["an access token", "ACCESS"], ["a well-formed unknown token", "UNKNOWN"]])(
        "answers %s with 401",
        async (_label, kind) => {
          const { tokens } = await signedIn();
          const value = kind === "ACCESS" ? tokens.access_token.slice(0, 512) : kind === "UNKNOWN" ? `${tokens.refresh_token.slice(0, 22)}${"A".repeat(42)}` : kind;
          expectProblem(await request("POST", "/refresh", { json: { refresh_token: value } }), 401, "INVALID_REFRESH_TOKEN");
          // a guess at a live session's token does not revoke it
          expect((await request("GET", "/me", { token: tokens.access_token })).status).toBe(200);
        },
      );

      it("refuses the tokens of a deleted user", async () => {
        const { user, tokens } = await signedIn();
        await ctx.testApp.database.db.delete(users).where(eq(users.id, user.id));
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } }), 401);
      });
    });

    describe("POST /logout", () => {
      it("revokes the session: 204, then its refresh and access tokens are refused", async () => {
        const { tokens } = await signedIn();
        const response = await request("POST", "/logout", { json: { refresh_token: tokens.refresh_token } });
        expect(response.status).toBe(204);
        expect(response.text).toBe("");
        expectProblem(await request("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } }), 401);
        expectProblem(await request("GET", "/me", { token: tokens.access_token }), 401);
      });

      it("leaves the user's other sessions alone", async () => {
        const { email } = await register();
        const first = await login(email);
        const second = await login(email);
        await request("POST", "/logout", { json: { refresh_token: first.refresh_token } });
        expect((await request("GET", "/me", { token: second.access_token })).status).toBe(200);
        expect((await request("POST", "/refresh", { json: { refresh_token: second.refresh_token } })).status).toBe(200);
      });

      it("answers 204 for unknown, malformed and already revoked tokens alike (no oracle)", async () => {
        const { tokens } = await signedIn();
        await request("POST", "/logout", { json: { refresh_token: tokens.refresh_token } });
        for (const value of [tokens.refresh_token, "garbage", `${tokens.refresh_token.slice(0, 22)}${"B".repeat(42)}`]) {
          expect((await request("POST", "/logout", { json: { refresh_token: value } })).status).toBe(204);
        }
      });

      it("still validates the body", async () => {
        expectProblem(await request("POST", "/logout", { json: {} }), 400, "VALIDATION_FAILED");
      });
    });

    describe("cross-cutting HTTP behaviour", () => {
      it("keeps a sane X-Request-Id and replaces anything else", async () => {
        expect((await request("GET", "/healthz", { headers: { "x-request-id": "abc-123" } })).headers.get("x-request-id")).toBe("abc-123");
        const replaced = (await request("GET", "/healthz", { headers: { "x-request-id": "<script>" } })).headers.get("x-request-id");
        expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
      });

      it("sends secure headers and no X-Powered-By", async () => {
        const response = await request("GET", "/healthz");
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("x-powered-by")).toBeNull();
      });

      it("answers an unknown path with a 404 problem", async () => {
        expectProblem(await request("GET", "/no/such/path"), 404, "NOT_FOUND");
      });

      it("answers an oversized body with a 413 problem", async () => {
        const response = await request("POST", "/register", { json: { email: uniqueEmail(), password: PASSWORD, name: "x".repeat(20_000) } });
        expectProblem(response, 413, "PAYLOAD_TOO_LARGE");
      });

      it("serves /healthz, /readyz and the JWKS", async () => {
        expect((await request("GET", "/healthz")).body).toEqual({ status: "ok" });
        const ready = await request("GET", "/readyz");
        expect(ready.status).toBe(200);
        expect(ready.body.status).toBe("ok");
        const jwks = await request("GET", "/.well-known/jwks.json");
        expect(jwks.body.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", kid: expect.any(String) });
        expect(jwks.body.keys[0].d).toBeUndefined();
        expect(jwks.headers.get("cache-control")).toMatch(/max-age=\d+/);
      });

      it("publishes an OpenAPI 3.1 document of every endpoint, with the Bearer scheme and problem bodies", async () => {
        const doc = (await request("GET", "/doc")).body;
        expect(doc.openapi).toBe("3.1.0");
        for (const path of [
          "/register", "/login", "/me", "/refresh", "/logout", "/healthz", "/readyz", "/.well-known/jwks.json",
          "/sessions", "/sessions/{id}", "/me/password", "/me/events", "/admin/users", "/admin/users/{id}", "/admin/users/{id}/sessions",
        ]) {
          expect(doc.paths[path], path).toBeDefined();
        }
        expect(Object.keys(doc.paths["/me"]).sort()).toEqual(["delete", "get", "patch"]);
        for (const [path, method] of [["/admin/users", "get"], ["/admin/users/{id}", "patch"], ["/sessions/{id}", "delete"]] as const) {
          const operation = doc.paths[path][method];
          expect(operation.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
          expect(operation.responses["401"], `${method} ${path}`).toBeDefined();
        }
        expect(doc.paths["/admin/users/{id}"].patch.responses["403"]).toBeDefined();
        expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
        expect(doc.paths["/me"].get.security).toEqual([{ bearerAuth: [] }]);
        expect(doc.paths["/register"].post.responses["409"].content["application/problem+json"]).toBeDefined();
        expect(doc.paths["/login"].post.responses["401"]).toBeDefined();
        expect((await request("GET", "/ui")).status).toBe(200);
      });
    });
  });
}
