import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import {
  clearBrowserSessionCookie,
  createNonce,
  isSecureIssuer,
  issueCsrfToken,
  pageContentSecurityPolicy,
  readBrowserSessionCookie,
  setBrowserSessionCookie,
  verifyCsrf,
} from "../../src/pages/page-security.js";

/**
 * A test-only app with the CSRF steps a page flow takes: GET /form issues the token (answering it),
 * POST /form verifies the form's `csrf_token` against the cookie; and the session cookie helpers.
 */
function csrfApp(secure: boolean) {
  const app = new Hono();
  app.get("/form", (c) => c.text(issueCsrfToken(c, { secure })));
  app.post("/form", async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.csrf_token === "string" ? form.csrf_token : undefined;
    return verifyCsrf(c, token, { secure }) ? c.text("ok", 200) : c.text("forbidden", 403);
  });
  app.post("/session", async (c) => {
    setBrowserSessionCookie(c, "bs.value", { secure, maxAgeSeconds: 3600 });
    return c.body(null, 204);
  });
  app.get("/session", (c) => c.text(readBrowserSessionCookie(c, { secure }) ?? "none"));
  app.delete("/session", (c) => {
    clearBrowserSessionCookie(c, { secure });
    return c.body(null, 204);
  });
  return app;
}

const ORIGIN = { true: "https://auth.example.com", false: "http://localhost:3000" } as const;

function post(app: Hono, secure: boolean, body: Record<string, string>, cookie?: string) {
  return app.request(`${ORIGIN[`${secure}`]}/form`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie && { cookie }) },
    body: new URLSearchParams(body),
  });
}

async function issue(app: Hono, secure: boolean, cookie?: string) {
  const response = await app.request(`${ORIGIN[`${secure}`]}/form`, cookie ? { headers: { cookie } } : {});
  return { token: await response.text(), setCookie: response.headers.getSetCookie() };
}

describe("createNonce", () => {
  it("makes 128-bit base64url nonces, a new one each time", () => {
    const nonces = new Set(Array.from({ length: 50 }, createNonce));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("pageContentSecurityPolicy", () => {
  const nonce = createNonce();

  it("allows only the nonce'd inline code, data: images, this origin and the given form targets", () => {
    expect(pageContentSecurityPolicy({ nonce, formActions: [] })).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    const csp = pageContentSecurityPolicy({
      nonce,
      formActions: ["https://App.Example:8443", "http://127.0.0.1:*", "http://[::1]:8080", "https://*.example.org", "com.example.app:", "https://app.example:8443"],
    });
    expect(csp).toContain("form-action 'self' https://app.example:8443 http://127.0.0.1:* http://[::1]:8080 https://*.example.org com.example.app:;");
  });

  it.each([
    "https://evil.example; script-src *",
    "https://a.example https://b.example",
    "'unsafe-inline'",
    '"https://a.example"',
    "https://a.example/callback",
    "https://a.example,https://b.example",
    "*",
    "javascript:alert(1)",
    "javascript:",
    "DATA:",
    "blob:",
    "",
  ])("refuses the source %j", (source) => {
    expect(() => pageContentSecurityPolicy({ nonce, formActions: [source] })).toThrow(TypeError);
  });

  it("refuses a nonce that could break out of its directive", () => {
    expect(() => pageContentSecurityPolicy({ nonce: "abc'; script-src *", formActions: [] })).toThrow(TypeError);
  });
});

describe("isSecureIssuer", () => {
  it("is true for https issuers only", () => {
    expect(isSecureIssuer("https://auth.example.com")).toBe(true);
    expect(isSecureIssuer("http://localhost:3000")).toBe(false);
    expect(isSecureIssuer("not a url")).toBe(false);
  });
});

describe("CSRF double-submit cookie", () => {
  it("on https: a __Host- cookie, Secure, HttpOnly, SameSite=Lax, Path=/", async () => {
    const { token, setCookie } = await issue(csrfApp(true), true);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookie).toEqual([`__Host-csrf=${token}; Path=/; HttpOnly; Secure; SameSite=Lax`]);
  });

  it("on a plain-http development host: an unprefixed cookie without Secure", async () => {
    const { token, setCookie } = await issue(csrfApp(false), false);
    expect(setCookie).toEqual([`csrf=${token}; Path=/; HttpOnly; SameSite=Lax`]);
  });

  it("keeps the browser's existing token, and replaces a malformed one", async () => {
    const app = csrfApp(true);
    const first = await issue(app, true);
    const again = await issue(app, true, `__Host-csrf=${first.token}`);
    expect(again).toEqual({ token: first.token, setCookie: [] });
    const replaced = await issue(app, true, "__Host-csrf=short");
    expect(replaced.token).not.toBe("short");
    expect(replaced.setCookie).toHaveLength(1);
  });

  for (const secure of [true, false]) {
    const name = secure ? "__Host-csrf" : "csrf";
    describe(secure ? "https" : "plain http", () => {
      it("accepts the token issued, posted back with its cookie", async () => {
        const app = csrfApp(secure);
        const { token } = await issue(app, secure);
        const response = await post(app, secure, { csrf_token: token }, `${name}=${token}`);
        expect(response.status).toBe(200);
      });

      it("refuses a post without the cookie (a cross-site form: SameSite=Lax keeps it back)", async () => {
        const app = csrfApp(secure);
        const { token } = await issue(app, secure);
        expect((await post(app, secure, { csrf_token: token })).status).toBe(403);
      });

      it("refuses a post without the field, or with another token", async () => {
        const app = csrfApp(secure);
        const { token } = await issue(app, secure);
        const other = (await issue(app, secure)).token;
        expect(other).not.toBe(token);
        expect((await post(app, secure, {}, `${name}=${token}`)).status).toBe(403);
        expect((await post(app, secure, { csrf_token: "" }, `${name}=${token}`)).status).toBe(403);
        expect((await post(app, secure, { csrf_token: other }, `${name}=${token}`)).status).toBe(403);
      });
    });
  }

  it("on https, does not take the unprefixed cookie a sibling subdomain could have planted", async () => {
    const app = csrfApp(true);
    const { token } = await issue(app, true);
    expect((await post(app, true, { csrf_token: token }, `csrf=${token}`)).status).toBe(403);
  });
});

describe("browser session cookie", () => {
  it("on https: __Host-session, Secure, HttpOnly, SameSite=Lax, Path=/, with its Max-Age; read back and cleared", async () => {
    const app = csrfApp(true);
    const set = await app.request(`${ORIGIN.true}/session`, { method: "POST" });
    expect(set.headers.getSetCookie()).toEqual(["__Host-session=bs.value; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax"]);
    expect(await (await app.request(`${ORIGIN.true}/session`, { headers: { cookie: "__Host-session=bs.value" } })).text()).toBe("bs.value");
    expect(await (await app.request(`${ORIGIN.true}/session`, { headers: { cookie: "session=bs.value" } })).text()).toBe("none");
    const cleared = await app.request(`${ORIGIN.true}/session`, { method: "DELETE", headers: { cookie: "__Host-session=bs.value" } });
    expect(cleared.headers.getSetCookie()).toEqual(["__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"]);
  });

  it("on plain http: session, without Secure", async () => {
    const app = csrfApp(false);
    const set = await app.request(`${ORIGIN.false}/session`, { method: "POST" });
    expect(set.headers.getSetCookie()).toEqual(["session=bs.value; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax"]);
    expect(await (await app.request(`${ORIGIN.false}/session`, { headers: { cookie: "session=bs.value" } })).text()).toBe("bs.value");
    const cleared = await app.request(`${ORIGIN.false}/session`, { method: "DELETE" });
    expect(cleared.headers.getSetCookie()).toEqual(["session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"]);
  });
});
