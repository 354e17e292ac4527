import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, listen, type Listener, type TestApp } from "../helpers/test-app.js";
import { registerClient } from "../oauth/support.js";

/**
 * The OAuth code flow in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): a relying party started here (a loopback listener using openid-client 6:
 * discovery, PKCE S256, state and nonce, and on its callback the code grant) sends the browser to the
 * authorization endpoint; the hosted sign-in page renders under its CSP, the user fills the fields
 * found by their labels, consents for a third-party client, and the relying party ends up with
 * verified tokens that /me accepts. The sign-in page's screenshot is kept at
 * reports/browser/oauth-sign-in.png (gitignored). The service is on http://localhost:<port> (its
 * issuer; plain http is allowed on loopback), the relying party on http://127.0.0.1:<port>.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const REPORTS = fileURLToPath(new URL("../../reports/browser/", import.meta.url));

interface RelyingPartyResult {
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  me: { status: number; body: { id: string; email: string } };
}

/**
 * A tiny web app that signs its users in with the service: GET /login starts an authorization
 * (its PKCE verifier, state and nonce kept server-side, as an RP keeps them in its session), GET
 * /callback finishes it and calls the service's /me with the access token.
 */
function relyingPartyApp(options: { config: () => oidc.Configuration; redirectUri: () => string; issuer: () => string; results: RelyingPartyResult[]; errors: unknown[] }) {
  let pending: { verifier: string; state: string; nonce: string } | undefined;
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === "/login") {
      const verifier = oidc.randomPKCECodeVerifier();
      pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
      const target = oidc.buildAuthorizationUrl(options.config(), {
        redirect_uri: options.redirectUri(),
        scope: "openid email profile",
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state: pending.state,
        nonce: pending.nonce,
      });
      return new Response(null, { status: 302, headers: { location: target.href } });
    }
    if (url.pathname === "/callback") {
      if (!pending) return new Response("no authorization in progress", { status: 400 });
      const checks = pending;
      pending = undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(options.config(), url, { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce });
        const me = await fetch(`${options.issuer()}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        options.results.push({ tokens, me: { status: me.status, body: (await me.json()) as RelyingPartyResult["me"]["body"] } });
        return new Response(`<!doctype html><html lang="en"><head><title>Relying party</title></head><body><h1>Signed in</h1></body></html>`, {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      } catch (error) {
        options.errors.push(error);
        return new Response("the code grant failed", { status: 500 });
      }
    }
    return new Response("not found", { status: 404 });
  };
}

describe("OAuth sign-in and consent in headless Chromium, with an openid-client relying party", () => {
  let browser: Browser;
  let service: Listener;
  let rp: Listener;
  let testApp: TestApp | undefined;
  let issuer: string;
  let config: oidc.Configuration;
  let clientId: string;
  const results: RelyingPartyResult[] = [];
  const errors: unknown[] = [];

  beforeAll(async () => {
    // The listeners first (the issuer and the redirect URI need their ports), then the app for them.
    service = await listen((request) => (testApp ? testApp.app.fetch(request) : new Response("starting", { status: 503 })));
    issuer = `http://localhost:${new URL(service.baseUrl).port}`;
    rp = await listen(relyingPartyApp({ config: () => config, redirectUri: () => `${rp.baseUrl}/callback`, issuer: () => issuer, results, errors }));
    testApp = await createTestApp({ env: { JWT_ISSUER: issuer, WEBAUTHN_ORIGINS: issuer } });
    // A third-party client: the user is asked to consent.
    const registered = await registerClient(testApp, { name: "Partner Notes", redirectUris: [`${rp.baseUrl}/callback`], scopes: ["openid", "profile", "email"], grantTypes: ["authorization_code"], firstParty: false });
    clientId = registered.client.id;
    // Discovery over real HTTP from the issuer URL; plain http is allowed here only because it is loopback.
    config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(registered.clientSecret!), { execute: [oidc.allowInsecureRequests] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    await mkdir(REPORTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rp?.close();
    await service?.close();
    await testApp?.cleanup();
  });

  it("renders the sign-in page under its CSP, signs in, consents, and the relying party gets tokens /me accepts", async () => {
    const email = uniqueEmail("chromium-oauth");
    const registered = await testApp!.app.request("/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD, name: "Ada" }) });
    expect(registered.status).toBe(201);
    const user = (await registered.json()) as { id: string };

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    await page.exposeFunction("reportCspViolation", (text: string) => violations.push(text));
    // Injected through the DevTools protocol, which the page's CSP does not govern (a string: the type-check has no DOM library).
    await page.addInitScript({
      content: `document.addEventListener("securitypolicyviolation", (event) => {
        window.reportCspViolation(event.violatedDirective + " " + event.blockedURI);
      });`,
    });

    // The relying party's /login redirects to the authorization endpoint, which sends the browser on to the sign-in page.
    const signIn = await page.goto(`${rp.baseUrl}/login`);
    expect(signIn).not.toBeNull();
    expect(new URL(page.url()).origin).toBe(issuer);
    expect(new URL(page.url()).pathname).toBe("/oauth/sign-in");
    expect(signIn!.status()).toBe(200);

    // The CSP as Chromium received it: a fresh nonce for the inline style and script, no framing.
    const csp = (await signIn!.allHeaders())["content-security-policy"];
    expect(csp).toBeDefined();
    const directives = new Map(csp!.split(";").map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name!, values] as const;
    }));
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    const scriptNonce = /^'nonce-([A-Za-z0-9_-]{16,})'$/.exec(directives.get("script-src")?.[0] ?? "")?.[1];
    expect(scriptNonce).toBeDefined();
    expect(directives.get("script-src")).toEqual([`'nonce-${scriptNonce}'`]);
    expect(directives.get("style-src")).toEqual([`'nonce-${scriptNonce}'`]);
    // The page's own script ran under that nonce: it shows the passkey button (hidden without script).
    expect(await page.evaluate("document.querySelector('script').nonce")).toBe(scriptNonce);
    await expect.poll(() => page.getByRole("button", { name: "Sign in with a passkey" }).isVisible()).toBe(true);

    await expect.poll(() => page.getByRole("heading", { name: "Sign in" }).isVisible()).toBe(true);
    expect(await page.getByText("Signing in to Partner Notes").isVisible()).toBe(true);
    await page.screenshot({ path: `${REPORTS}oauth-sign-in.png`, fullPage: true });

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();

    // Consent: a third-party client names what it asks for.
    const consentHeading = page.getByRole("heading", { name: "Allow Partner Notes?" });
    await consentHeading.waitFor({ state: "visible", timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe("/oauth/consent");
    expect(await page.getByText(email).isVisible()).toBe(true);
    await page.getByRole("button", { name: "Allow" }).click();

    await page.getByRole("heading", { name: "Signed in" }).waitFor({ state: "visible", timeout: 30_000 });
    expect(page.url().startsWith(`${rp.baseUrl}/callback?`)).toBe(true);
    expect(errors).toEqual([]);
    expect(results).toHaveLength(1);
    const { tokens, me } = results[0]!;
    expect(tokens.claims()).toMatchObject({ iss: issuer, sub: user.id, aud: clientId, nonce: expect.any(String), amr: ["pwd"], acr: "urn:auth-service:acr:single-factor", email, name: "Ada" });
    expect(typeof tokens.claims()!.at_hash).toBe("string");
    expect(tokens.scope).toBe("openid email profile");
    expect(tokens.refresh_token).toBeUndefined();
    expect(me).toEqual({ status: 200, body: expect.objectContaining({ id: user.id, email }) });
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);
});
