import * as oidc from "openid-client";
import { createClientService, type CreateClientInput } from "../../src/oauth/clients/index.js";
import { createTestBrowser, formFieldsOf, type TestBrowser } from "../helpers/browser.js";
import { PASSWORD } from "../helpers/flows.js";
import type { TestApp } from "../helpers/test-app.js";

/** Where the test relying parties say they live; nothing listens there: the browser stops at the redirect. */
export const REDIRECT_URI = "http://127.0.0.1:8765/callback";
export const POST_LOGOUT_URI = "http://127.0.0.1:8765/signed-out";

/** The app behind `fetch`, in process: what openid-client and the test browser talk to. */
export function appFetch(testApp: TestApp) {
  return (url: string | URL, init?: RequestInit) => Promise.resolve(testApp.app.request(String(url), init));
}

export async function registerClient(testApp: TestApp, input: Partial<CreateClientInput> = {}) {
  const service = createClientService({ clients: testApp.deps.clients, clock: () => new Date(), endGrants: async () => {} });
  return service.create({
    name: "Test app",
    type: "confidential",
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [POST_LOGOUT_URI],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["openid", "profile", "email", "offline_access"],
    firstParty: true,
    ...input,
  });
}

/**
 * openid-client's Configuration for a client of the test app: discovery over the in-process
 * transport. With a secret, HTTP Basic (the registry's default method) unless `auth` says otherwise.
 */
export async function relyingParty(testApp: TestApp, clientId: string, clientSecret?: string, auth?: oidc.ClientAuth): Promise<oidc.Configuration> {
  const authentication = auth ?? (clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(clientSecret));
  const config = await oidc.discovery(new URL(testApp.config.jwt.issuer), clientId, undefined, authentication, {
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: appFetch(testApp) as oidc.CustomFetch,
  });
  config[oidc.customFetch] = appFetch(testApp) as oidc.CustomFetch;
  return config;
}

export function testBrowser(testApp: TestApp): TestBrowser {
  return createTestBrowser(appFetch(testApp), testApp.config.jwt.issuer);
}

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(config: oidc.Configuration, parameters: Record<string, string> = {}): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid email profile offline_access",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...parameters,
  });
  return { url, verifier, state, nonce };
}

/**
 * Sends the browser to the authorization URL and signs in on the hosted page (email and password),
 * consenting if asked: returns the final redirect to the client (its Location is the callback URL).
 */
export async function signInThroughPages(browser: TestBrowser, testApp: TestApp, url: URL, email: string, password = PASSWORD) {
  const origin = new URL(testApp.config.jwt.issuer).origin;
  let response = await browser.follow(await browser.get(url.href), origin);
  if (response.status === 200 && response.text.includes('action="/oauth/sign-in"')) {
    const fields = formFieldsOf(response.text, "/oauth/sign-in");
    response = await browser.follow(await browser.submit("/oauth/sign-in", { ...fields, email, password }), origin);
  }
  if (response.status === 200 && response.text.includes('action="/oauth/consent"')) {
    const fields = formFieldsOf(response.text, "/oauth/consent");
    response = await browser.follow(await browser.submit("/oauth/consent", { ...fields, decision: "allow" }), origin);
  }
  return response;
}
