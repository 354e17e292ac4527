import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * On the hosted pages a person gets an error page, not a problem document, for what the middleware
 * before the page answers: the per-IP rate limit (429, Retry-After kept) and the body limit (413).
 * The page keeps the pages' CSP. (A dead database on these paths: test/outage.test.ts.) The page
 * script's JSON calls (/oauth/sign-in/passkey*) keep problem documents, which the script reads.
 */
describe("error pages for the middleware's answers on the hosted pages", () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ env: { RATE_LIMIT_LOGIN: "2/10m", BODY_LIMIT_BYTES: "1024" } });
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const signIn = (body: string, ip: string) =>
    testApp.app.request("/oauth/sign-in", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": ip }, body }, { incoming: { socket: { remoteAddress: ip } } });

  it("answers the sign-in form's per-IP limit with a 429 page that keeps Retry-After", async () => {
    const ip = "198.51.100.7";
    const form = "request=unknown&email=a%40example.com&password=x";
    // Two within RATE_LIMIT_LOGIN (no CSRF token: the page's own 403), the third over it.
    for (const _ of [1, 2]) expect((await signIn(form, ip)).status).toBe(403);
    const answer = await signIn(form, ip);
    expect(answer.status).toBe(429);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(answer.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    const html = await answer.text();
    expect(html).toContain("Too many attempts");
    expect(html).toContain(answer.headers.get("x-request-id")!);
  });

  it("answers an oversized form with a 413 page", async () => {
    const answer = await signIn(`request=x&email=${"a".repeat(4096)}`, "198.51.100.8");
    expect(answer.status).toBe(413);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await answer.text()).toContain("too large");
  });

  it("leaves the page script's JSON calls with problem documents", async () => {
    const answer = await testApp.app.request("/oauth/sign-in/passkey/options", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ padding: "a".repeat(4096) }) });
    expect(answer.status).toBe(413);
    expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});
