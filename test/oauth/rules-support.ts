import * as oidc from "openid-client";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import type { TestApp } from "../helpers/test-app.js";
import { REDIRECT_URI, registerClient, signInThroughPages, testBrowser } from "./support.js";

/**
 * Raw HTTP steps for the OAuth rules tests: what a client sends and sees, without a relying-party
 * library that would refuse a bad answer before the test can look at it.
 */
export const basicAuth = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

export interface RawResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POSTs a form to an OAuth endpoint; `authorization` is the header as sent. */
export async function postForm(testApp: TestApp, path: string, form: Record<string, string>, authorization?: string): Promise<RawResponse> {
  const response = await testApp.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization && { authorization }) },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

export async function registerUser(testApp: TestApp, email = uniqueEmail("oauth-rules")) {
  const response = await testApp.app.request("/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (response.status !== 201) throw new Error(`register: ${response.status}`);
  return { email, user: (await response.json()) as { id: string; email: string } };
}

export interface CodeOptions {
  scope?: string;
  redirectUri?: string;
  extra?: Record<string, string>;
}

/**
 * Signs `email` in through the hosted pages for `clientId` (consenting if asked) and returns the
 * code of the final redirect with its PKCE verifier.
 */
export async function authorizationCode(testApp: TestApp, clientId: string, email: string, options: CodeOptions = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const redirectUri = options.redirectUri ?? REDIRECT_URI;
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: options.scope ?? "openid email profile offline_access",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: "s",
    nonce: "n",
    ...options.extra,
  });
  const browser = testBrowser(testApp);
  const response = await signInThroughPages(browser, testApp, new URL(`/oauth/authorize?${query}`, testApp.config.jwt.issuer), email);
  if (!response.location) throw new Error(`no redirect to the client: ${response.status}`);
  const code = new URL(response.location).searchParams.get("code");
  if (!code) throw new Error(`no code: ${response.location}`);
  return { code, verifier, redirectUri, browser };
}

/** A confidential client (HTTP Basic), a user, and the tokens of one code exchange. */
export async function issuedTokens(testApp: TestApp, options: CodeOptions & { client?: Awaited<ReturnType<typeof registerClient>>; email?: string } = {}) {
  const registered = options.client ?? (await registerClient(testApp));
  const { email, user } = options.email ? { email: options.email, user: null } : await registerUser(testApp);
  const { code, verifier, redirectUri } = await authorizationCode(testApp, registered.client.id, email, options);
  const auth = basicAuth(registered.client.id, registered.clientSecret!);
  const response = await postForm(testApp, "/oauth/token", { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }, auth);
  if (response.status !== 200) throw new Error(`token: ${response.status} ${JSON.stringify(response.body)}`);
  return { client: registered.client, auth, email, user, tokens: response.body as { access_token: string; refresh_token?: string; id_token?: string; scope: string; expires_in: number } };
}
