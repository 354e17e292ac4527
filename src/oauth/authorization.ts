import { randomBytes, sha256Base64Url, toBase64Url } from "../lib/encoding.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import { parseAuthorizationRequest, type AuthorizationParameters } from "./authorization-request.js";
import type { BrowserSession } from "./browser-sessions.js";
import type { OAuthClient } from "./clients/store.js";
import { OAuthError } from "./errors.js";
import { withQuery } from "./redirect-uri.js";
import type { OAuthStore } from "./store.js";

/**
 * The authorization endpoint's decisions (OAuth 2.1 §4.1.1, OIDC Core §3.1.2): given a request and
 * the browser's session, either a redirect back to the client (a code, or an error), an error page,
 * or a step the user must take first (sign in, consent), kept as a pending request whose random id
 * the pages carry. Knows nothing of HTTP or pages.
 */
export type AuthorizationOutcome =
  | { kind: "redirect"; location: string }
  | { kind: "error-page"; message: string }
  | { kind: "sign-in"; requestId: string; client: OAuthClient; parameters: AuthorizationParameters }
  | { kind: "consent"; requestId: string; client: OAuthClient; parameters: AuthorizationParameters };

export interface PendingAuthorization {
  client: OAuthClient;
  parameters: AuthorizationParameters;
}

export interface Authorization {
  authorize(query: URLSearchParams, browser: BrowserSession | null): Promise<AuthorizationOutcome>;
  /** After a sign-in (or on any page of the request): what the request needs now. */
  resume(requestId: string, browser: BrowserSession | null): Promise<AuthorizationOutcome>;
  /** The consent page's answer. */
  decide(requestId: string, browser: BrowserSession | null, allow: boolean): Promise<AuthorizationOutcome>;
  /** The pending request, for rendering its pages; null when unknown or expired. */
  pending(requestId: string): Promise<PendingAuthorization | null>;
}

export interface AuthorizationOptions {
  store: OAuthStore;
  findClient: (id: string) => Promise<OAuthClient | null>;
  issuer: string;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  /** OAuth 2.1 §4.1.2: short-lived; 60 s here. */
  codeTtlSeconds: number;
  /** How long the user has to sign in and consent. */
  requestTtlSeconds: number;
}


/** 256 bits from the Web Crypto source, base64url: codes and request ids. */
export function randomValue(): string {
  return toBase64Url(randomBytes(32));
}

const expired: AuthorizationOutcome = { kind: "error-page", message: "This sign-in request has expired, was already completed, or is unknown. Start again from the application." };

export function createAuthorization(options: AuthorizationOptions): Authorization {
  const { store, findClient, issuer, clock } = options;

  /** RFC 6749 §4.1.2.1 with RFC 9207's `iss`, so a client talking to several servers knows which one answered. */
  function errorRedirect(redirectUri: string, state: string | null, error: OAuthError): AuthorizationOutcome {
    return { kind: "redirect", location: withQuery(redirectUri, { error: error.code, error_description: error.description, state: state ?? undefined, iss: issuer }) };
  }

  /**
   * Whether the browser's sign-in serves the request. A fresh request: any sign-in, unless
   * `prompt=login` or one older than `max_age` (OIDC Core §3.1.2.1). A pending one: a sign-in at
   * or after `notBefore`, which is set exactly when the fresh request refused the sign-in it had.
   */
  function signInServes(browser: BrowserSession | null, parameters: AuthorizationParameters, pending: { notBefore: Date | null } | null, now: Date): browser is BrowserSession {
    if (!browser) return false;
    if (pending) return pending.notBefore === null || browser.authTime.getTime() >= pending.notBefore.getTime();
    if (parameters.prompt.includes("login")) return false;
    return parameters.maxAge === null || now.getTime() - browser.authTime.getTime() <= parameters.maxAge * 1000;
  }

  async function consentCovers(client: OAuthClient, browser: BrowserSession, parameters: AuthorizationParameters): Promise<boolean> {
    if (client.firstParty) return true;
    const consent = await store.getConsent(browser.userId, client.id);
    return consent !== null && parameters.scopes.every((scope) => consent.scopes.includes(scope));
  }

  async function savePending(client: OAuthClient, parameters: AuthorizationParameters, notBefore: Date | null, now: Date): Promise<string> {
    const requestId = randomValue();
    await store.saveAuthorizationRequest({
      idHash: await sha256Base64Url(requestId),
      clientId: client.id,
      parameters: { ...parameters },
      notBefore,
      createdAt: now,
      expiresAt: new Date(now.getTime() + options.requestTtlSeconds * 1000),
    });
    return requestId;
  }

  async function issueCode(client: OAuthClient, parameters: AuthorizationParameters, browser: BrowserSession, now: Date): Promise<AuthorizationOutcome> {
    const code = randomValue();
    await store.saveCode({
      codeHash: await sha256Base64Url(code),
      clientId: client.id,
      userId: browser.userId,
      redirectUri: parameters.redirectUri,
      scopes: parameters.scopes,
      codeChallenge: parameters.codeChallenge,
      nonce: parameters.nonce,
      resource: parameters.resource,
      amr: browser.amr,
      authTime: browser.authTime,
      browserSessionId: browser.sessionId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + options.codeTtlSeconds * 1000),
    });
    return { kind: "redirect", location: withQuery(parameters.redirectUri, { code, state: parameters.state ?? undefined, iss: issuer }) };
  }

  /** The request's next step, for a request already validated (fresh, or pending with its id). */
  async function proceed(client: OAuthClient, parameters: AuthorizationParameters, browser: BrowserSession | null, pending: { requestId: string; notBefore: Date | null } | null, now: Date): Promise<AuthorizationOutcome> {
    const none = parameters.prompt.includes("none");
    // A fresh request that refused the browser's sign-in requires one made from now on.
    const pendingOf = async (refusedSignIn: boolean) => pending?.requestId ?? (await savePending(client, parameters, refusedSignIn && browser ? now : null, now));
    if (!signInServes(browser, parameters, pending, now)) {
      // OIDC Core §3.1.2.6: prompt=none never shows a page.
      if (none) return errorRedirect(parameters.redirectUri, parameters.state, new OAuthError("login_required", "the user is not signed in"));
      return { kind: "sign-in", requestId: await pendingOf(true), client, parameters };
    }
    // First-party clients are the deployer's own: no consent page. Third parties: once per scope
    // set, remembered, unless prompt=consent asks again.
    const askConsent = !client.firstParty && (parameters.prompt.includes("consent") || !(await consentCovers(client, browser, parameters)));
    if (askConsent) {
      if (none) return errorRedirect(parameters.redirectUri, parameters.state, new OAuthError("consent_required", "the user has not consented to this client"));
      return { kind: "consent", requestId: await pendingOf(false), client, parameters };
    }
    if (pending && !(await store.consumeAuthorizationRequest(await sha256Base64Url(pending.requestId), now))) return expired;
    return issueCode(client, parameters, browser, now);
  }

  async function loadPending(requestId: string, now: Date) {
    if (requestId.length > 64) return null;
    const record = await store.getAuthorizationRequest(await sha256Base64Url(requestId), now);
    if (!record) return null;
    const client = await findClient(record.clientId);
    if (!client) return null;
    return { client, parameters: record.parameters as unknown as AuthorizationParameters, notBefore: record.notBefore };
  }

  return {
    async authorize(query, browser) {
      const parsed = await parseAuthorizationRequest(query, findClient);
      if (!parsed.ok) return parsed.to === "page" ? { kind: "error-page", message: parsed.message } : errorRedirect(parsed.redirectUri, parsed.state, parsed.error);
      return proceed(parsed.client, parsed.parameters, browser, null, clock());
    },

    async resume(requestId, browser) {
      const now = clock();
      const pending = await loadPending(requestId, now);
      if (!pending) return expired;
      return proceed(pending.client, pending.parameters, browser, { requestId, notBefore: pending.notBefore }, now);
    },

    async decide(requestId, browser, allow) {
      const now = clock();
      const pending = await loadPending(requestId, now);
      if (!pending) return expired;
      const { client, parameters } = pending;
      if (!signInServes(browser, parameters, pending, now)) return { kind: "sign-in", requestId, client, parameters };
      if (!(await store.consumeAuthorizationRequest(await sha256Base64Url(requestId), now))) return expired;
      if (!allow) return errorRedirect(parameters.redirectUri, parameters.state, new OAuthError("access_denied", "the user denied the request"));
      const previous = await store.getConsent(browser.userId, client.id);
      const scopes = [...new Set([...(previous?.scopes ?? []), ...parameters.scopes])];
      await store.saveConsent({ userId: browser.userId, clientId: client.id, scopes, grantedAt: now });
      await options.recordEvent("oauth_consent_granted", { userId: browser.userId, sessionId: browser.sessionId, userAgent: null, ip: null, details: { client_id: client.id, scopes } });
      return issueCode(client, parameters, browser, now);
    },

    async pending(requestId) {
      const pending = await loadPending(requestId, clock());
      return pending && { client: pending.client, parameters: pending.parameters };
    },
  };
}

