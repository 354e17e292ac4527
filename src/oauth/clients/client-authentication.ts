import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWK } from "jose";
import { OAuthError } from "../errors.js";
import { clientSecretMatches } from "./client-secret.js";
import type { ClientAuthMethod, ClientStore, OAuthClient } from "./store.js";

export interface ClientAuthenticationOptions {
  clients: ClientStore;
  /** JWT_ISSUER: an assertion's `aud` may name it (RFC 7523 §3). */
  issuer: string;
  /** The token endpoint's URL, the other `aud` an assertion may name. */
  tokenEndpoint: string;
}

export interface ClientAuthenticationInput {
  /** The request's Authorization header, as sent. */
  authorization: string | undefined;
  /** The parsed form body. */
  form: Record<string, string | undefined>;
  now: Date;
}

export type AuthenticateClient = (input: ClientAuthenticationInput) => Promise<OAuthClient>;

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Asymmetric only: a client's keys are public, and an HS256 assertion "signed" with one would be forgeable by anyone. */
const ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];
const MAX_ASSERTION_LIFETIME_SECONDS = 5 * 60;

/** One answer for every failure: an unknown client, a wrong secret and a wrong method look the same. */
const invalidClient = () => new OAuthError("invalid_client", "Client authentication failed.", 401);

/**
 * Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3,
 * RFC 7523 §2.2): exactly one method per request, and it must be the client's registered one.
 * Resolves to the client, or throws OAuthError invalid_client (401). A public client (`none`) is
 * returned on its client_id alone: the caller then requires PKCE, which is its proof.
 */
export function createClientAuthentication(options: ClientAuthenticationOptions): AuthenticateClient {
  const { clients, issuer, tokenEndpoint } = options;

  return async function authenticateClient({ authorization, form, now }) {
    // Stryker disable next-line ConditionalExpression: parseBasic(undefined) finds no match and answers null, the same as undefined here.
    const basic = authorization === undefined ? undefined : parseBasic(authorization);
    const assertion = form.client_assertion;
    const presented: ClientAuthMethod[] = [];
    if (basic) presented.push("client_secret_basic");
    if (form.client_secret !== undefined) presented.push("client_secret_post");
    if (assertion !== undefined || form.client_assertion_type !== undefined) presented.push("private_key_jwt");
    // Two methods at once is invalid (RFC 6749 §2.3); so is an Authorization header we cannot read.
    if (presented.length > 1 || (authorization !== undefined && !basic)) throw invalidClient();
    // Stryker disable next-line StringLiteral: any method name other than the three presented ones takes the same public-client path as "none".
    const method: ClientAuthMethod = presented[0] ?? "none";

    if (method === "client_secret_basic" || method === "client_secret_post") {
      const { clientId, secret } = method === "client_secret_basic" ? basic! : { clientId: form.client_id, secret: form.client_secret! };
      // Stryker disable next-line ConditionalExpression: for client_secret_post the clientId is form.client_id itself, so the comparison cannot differ.
      if (!clientId || (method === "client_secret_basic" && form.client_id !== undefined && form.client_id !== clientId)) throw invalidClient();
      const [client, storedHash] = await Promise.all([clients.get(clientId), clients.secretHash(clientId)]);
      // Always hash and compare, also for an unknown client, so the time taken does not tell which.
      const matches = await clientSecretMatches(secret, storedHash);
      if (!client || !matches || client.tokenEndpointAuthMethod !== method) throw invalidClient();
      return client;
    }

    if (method === "private_key_jwt") {
      if (form.client_assertion_type !== JWT_BEARER || !assertion) throw invalidClient();
      return verifyAssertion(assertion, form.client_id, now);
    }

    const clientId = form.client_id;
    if (!clientId) throw invalidClient();
    const client = await clients.get(clientId);
    if (!client || client.type !== "public" || client.tokenEndpointAuthMethod !== "none") throw invalidClient();
    return client;
  };

  async function verifyAssertion(assertion: string, formClientId: string | undefined, now: Date): Promise<OAuthClient> {
    // The client is named by the unverified `sub`; the signature is then checked with that client's keys.
    const clientId = unverifiedSubject(assertion);
    if (!clientId || (formClientId !== undefined && formClientId !== clientId)) throw invalidClient();
    const client = await clients.get(clientId);
    if (!client || client.tokenEndpointAuthMethod !== "private_key_jwt" || !client.jwks?.length) throw invalidClient();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: client.jwks as JWK[] }), {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        audience: [issuer, tokenEndpoint],
        requiredClaims: ["exp", "jti"],
        currentDate: now,
      }));
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: every bad assertion makes jose throw a JOSEError; the re-throw is for our own bugs, which no input reaches.
      if (error instanceof joseErrors.JOSEError) throw invalidClient();
      throw error;
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    // A long-lived assertion is a bearer credential; RFC 7523 lets us bound it (§3, item 4).
    if (payload.exp! - nowSeconds > MAX_ASSERTION_LIFETIME_SECONDS || typeof payload.jti !== "string" || payload.jti.length === 0) throw invalidClient();
    if (!(await clients.spendAssertion(clientId, payload.jti, new Date(payload.exp! * 1000), now))) throw invalidClient();
    return client;
  }
}

/**
 * `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1): both parts
 * are form-urlencoded before base64, so they are decoded after splitting on the first colon.
 * Null for anything else.
 */
function parseBasic(header: string): { clientId: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  // Stryker disable next-line ConditionalExpression: without the early return, reading the missing match throws inside the try below, which answers null too.
  if (!match) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  // Stryker disable next-line EqualityOperator: a colon first leaves an empty client id, which the check below refuses as well.
  if (colon < 0) return null;
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return clientId && secret ? { clientId, secret } : null;
    // Stryker disable next-line BlockStatement: without the return, undefined is as unreadable a header as null.
  } catch {
    return null;
  }
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replaceAll("+", " "));
}

function unverifiedSubject(jwt: string): string | null {
  try {
    const { sub } = decodeJwt(jwt);
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: an absent, empty or non-string sub finds no client either (the caller refuses a falsy one, the store knows no other).
    return typeof sub === "string" && sub.length > 0 ? sub : null;
    // Stryker disable next-line BlockStatement: undefined instead of null is refused the same way by the caller.
  } catch {
    return null;
  }
}
