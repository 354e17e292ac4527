import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthClient, ProblemError, unwrap, type AuthClientOptions, type StoredTokens } from "@auth-service/client";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, listen, type Listener, type TestApp } from "../helpers/test-app.js";

/**
 * The typed client (client/) against a real auth-service listener: the README's flow, the refresh
 * before and after expiry, one refresh shared by concurrent calls, the grace window, problems.
 * Both clocks are test clocks (the service's moves its token checks, the client's its own idea of
 * expiry; test/setup/fresh-clocks.ts puts them back to now before each test), so nothing here waits
 * for or measures time.
 */
let testApp: TestApp;
let server: Listener;
/** How far to move a clock for an access token to be expired at the service, tolerance included. */
let pastExpirySeconds: number;

beforeAll(async () => {
  testApp = await createTestApp({ env: { ACCESS_TOKEN_TTL: "30s" } });
  server = await listen(testApp.app.fetch);
  pastExpirySeconds = testApp.config.tokens.accessTokenTtlSeconds + testApp.config.jwt.clockToleranceSeconds + 1;
});
afterAll(async () => {
  await server?.close();
  await testApp?.cleanup();
});

/** A client whose requests are listed as "METHOD /path" in `sent`, on the service's clock unless told otherwise. */
function client(options: Partial<AuthClientOptions> & { lose?: (request: Request) => boolean } = {}) {
  const sent: string[] = [];
  const { lose, ...rest } = options;
  const authClient = createAuthClient({
    baseUrl: server.baseUrl,
    now: () => testApp.clock().getTime(),
    async fetch(request) {
      sent.push(`${request.method} ${new URL(request.url).pathname}`);
      const response = await fetch(request);
      // The answer is lost on the way back, after the service acted on the request.
      if (lose?.(request)) {
        await response.body?.cancel();
        throw new TypeError("fetch failed");
      }
      return response;
    },
    ...rest,
  });
  return { client: authClient, sent, refreshes: () => sent.filter((line) => line === "POST /refresh").length };
}

async function signedIn(options: Parameters<typeof client>[0] = {}) {
  const made = client(options);
  const email = uniqueEmail("client");
  await made.client.register({ email, password: PASSWORD });
  await made.client.login({ email, password: PASSWORD });
  return { ...made, email };
}

/** What the service says to a token sent by hand, without the client's help. */
async function statusOfMe(accessToken: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

async function problemOf(pending: Promise<unknown>): Promise<ProblemError> {
  const error = await pending.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe("the README flow", () => {
  it("registers, logs in, reads /me, refreshes and logs out", async () => {
    const changes: Array<StoredTokens | null> = [];
    const { client: c } = client({ onTokensChange: (tokens) => changes.push(tokens) });
    const email = uniqueEmail("readme");

    const user = await c.register({ email, password: PASSWORD, name: "Ada" });
    expect(user).toMatchObject({ email, name: "Ada", roles: ["user"] });
    expect(c.tokens).toBeNull();

    const pair = await c.login({ email, password: PASSWORD });
    // An account with a second factor would answer { mfa_required: true, mfa_token } (then c.loginMfa).
    if ("mfa_required" in pair) throw new Error("this account has no second factor");
    expect(pair.token_type).toBe("Bearer");
    expect(c.tokens).toMatchObject({ accessToken: pair.access_token, refreshToken: pair.refresh_token });

    expect(await c.me()).toEqual(user);

    const next = await c.refresh();
    expect(next.refresh_token).not.toBe(pair.refresh_token);
    expect(c.tokens?.refreshToken).toBe(next.refresh_token);
    expect((await c.me()).id).toBe(user.id);

    await c.logout();
    expect(c.tokens).toBeNull();
    expect(changes.map((tokens) => tokens?.refreshToken ?? null)).toEqual([pair.refresh_token, next.refresh_token, null]);
    // The session is over at the service: its access token is refused, and the client, signed out, gets the problem.
    expect(await statusOfMe(next.access_token)).toBe(401);
    expect((await problemOf(c.me())).code).toBe("INVALID_TOKEN");
  });

  it("types every operation of the document through `api`, with the token attached", async () => {
    const { client: c } = await signedIn();
    const sessions = await unwrap(c.api.GET("/sessions"));
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.current).toBe(true);
    const events = await unwrap(c.api.GET("/me/events", { params: { query: { limit: 10 } } }));
    expect(events.items.map((event) => event.type)).toEqual(["login_succeeded", "registered"]);
  });
});

describe("token refresh", () => {
  it("refreshes before a call once the access token has expired on the client's clock", async () => {
    const { client: c, sent } = await signedIn();
    const before = c.tokens!;
    testApp.clock.advance(pastExpirySeconds);
    // The service refuses the old access token now: the client must not send it.
    expect(await statusOfMe(before.accessToken)).toBe(401);

    await c.me();
    expect(sent.slice(-2)).toEqual(["POST /refresh", "GET /me"]);
    expect(c.tokens?.refreshToken).not.toBe(before.refreshToken);
  });

  it("refreshes and retries once when the service refuses a token the client still thought valid", async () => {
    // The client's clock stands still: to it the token never expires; the service's moves past expiry.
    const frozen = testApp.clock().getTime();
    const { client: c, sent } = await signedIn({ now: () => frozen });
    testApp.clock.advance(pastExpirySeconds);

    const user = await c.me();
    expect(user.id).toBeTruthy();
    expect(sent.slice(-3)).toEqual(["GET /me", "POST /refresh", "GET /me"]);
  });

  it("sends one refresh for concurrent calls that all need a new token, before the call", async () => {
    const { client: c, refreshes } = await signedIn();
    testApp.clock.advance(pastExpirySeconds);
    const users = await Promise.all(Array.from({ length: 6 }, () => c.me()));
    expect(new Set(users.map((user) => user.id)).size).toBe(1);
    expect(refreshes()).toBe(1);
    // Explicit refreshes at the same time share one request too.
    const pairs = await Promise.all([c.refresh(), c.refresh(), c.refresh()]);
    expect(new Set(pairs.map((pair) => pair.refresh_token)).size).toBe(1);
    expect(refreshes()).toBe(2);
  });

  it("sends one refresh for concurrent calls that all got a 401, and retries each", async () => {
    const frozen = testApp.clock().getTime();
    const { client: c, refreshes, sent } = await signedIn({ now: () => frozen });
    testApp.clock.advance(pastExpirySeconds);
    const users = await Promise.all(Array.from({ length: 6 }, () => c.me()));
    expect(users).toHaveLength(6);
    expect(refreshes()).toBe(1);
    expect(sent.filter((line) => line === "GET /me")).toHaveLength(12);
  });

  it("retries a refresh whose answer was lost with the same token, which the grace window answers with the same successor", async () => {
    let lost = 0;
    const { client: c, sent } = await signedIn({ lose: (request) => new URL(request.url).pathname === "/refresh" && lost++ === 0 });
    const before = c.tokens!;

    const pair = await c.refresh();
    expect(sent.slice(-2)).toEqual(["POST /refresh", "POST /refresh"]);
    expect(pair.refresh_token).not.toBe(before.refreshToken);
    // The session lived through it (a reuse would have ended it): its successor rotates, and /me answers.
    await c.refresh();
    await c.me();
  });

  it("a second client holding the same pair (another tab) refreshing at the same time gets the same successor", async () => {
    const first = await signedIn();
    const second = client({ tokens: first.client.tokens });
    const [a, b] = await Promise.all([first.client.refresh(), second.client.refresh()]);
    expect(a.refresh_token).toBe(b.refresh_token);
    await Promise.all([first.client.me(), second.client.me()]);
  });

  it("signs out when the service refuses the refresh token (the session ended elsewhere), answering with the problem", async () => {
    const changes: Array<StoredTokens | null> = [];
    const { client: c, email } = await signedIn({ onTokensChange: (tokens) => changes.push(tokens) });
    const elsewhere = client();
    await elsewhere.client.login({ email, password: PASSWORD });
    await elsewhere.client.logout("all");

    const problem = await problemOf(c.me());
    expect(problem).toMatchObject({ status: 401, code: "INVALID_TOKEN" });
    expect(c.tokens).toBeNull();
    expect(changes.at(-1)).toBeNull();
    await expect(c.refresh()).rejects.toThrow(/not signed in/);
  });
});

describe("problems", () => {
  it("a second registration of an address is a ProblemError with the code EMAIL_TAKEN (409)", async () => {
    const { client: c } = client();
    const email = uniqueEmail("taken");
    await c.register({ email, password: PASSWORD });
    const problem = await problemOf(c.register({ email: email.toUpperCase(), password: PASSWORD }));
    expect(problem.status).toBe(409);
    expect(problem.code).toBe("EMAIL_TAKEN");
    expect(problem.problem.request_id).toBe(problem.headers.get("x-request-id"));
  });

  it("an invalid body is a ProblemError with the code VALIDATION_FAILED (400) and the field's pointer", async () => {
    const { client: c } = client();
    const problem = await problemOf(c.register({ email: "not an address", password: PASSWORD }));
    expect(problem.status).toBe(400);
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.problem.errors?.map((error) => error.pointer)).toContain("#/email");
  });

  it("wrong credentials are a ProblemError with the code INVALID_CREDENTIALS (401), and no refresh is tried", async () => {
    const { client: c, email, refreshes } = await signedIn();
    const problem = await problemOf(c.login({ email, password: "not the password" }));
    expect(problem).toMatchObject({ status: 401, code: "INVALID_CREDENTIALS" });
    expect(problem.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(refreshes()).toBe(0);
  });
});
