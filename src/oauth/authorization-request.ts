import type { OAuthClient } from "./clients/store.js";
import { OAuthError } from "./errors.js";
import { S256_CHALLENGE } from "./pkce.js";
import { redirectUriMatches } from "./redirect-uri.js";
import { parseScope } from "./scopes.js";

/** A validated authorization request (what the pending-request record keeps). */
export interface AuthorizationParameters {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  nonce: string | null;
  codeChallenge: string;
  prompt: Prompt[];
  /** Seconds; null when absent. */
  maxAge: number | null;
  resource: string | null;
  /** Prefills the email field of the sign-in page. */
  loginHint: string | null;
}

export type Prompt = "none" | "login" | "consent";

/**
 * What is wrong with a request, by where the answer goes. RFC 6749 §4.1.2.1: without a known
 * client and one of its redirect URIs nothing may be redirected (that would be an open redirect),
 * so the user sees an error page; every later error goes back to the client by redirect.
 */
export type AuthorizationRequestResult =
  | { ok: true; client: OAuthClient; parameters: AuthorizationParameters }
  | { ok: false; to: "page"; message: string }
  | { ok: false; to: "client"; redirectUri: string; state: string | null; error: OAuthError };

const KNOWN_PROMPTS = new Set<string>(["none", "login", "consent"]);
/** OAuth 2.1 §1.4.1 / RFC 6749 §10.10: enough to keep state and nonce opaque values, short enough to bound the record. */
const MAX_VALUE_LENGTH = 2048;

export async function parseAuthorizationRequest(
  query: URLSearchParams,
  findClient: (id: string) => Promise<OAuthClient | null>,
): Promise<AuthorizationRequestResult> {
  // RFC 6749 §3.1: a parameter sent twice is an error, decided on its own (not first or last wins).
  const repeated = [...new Set(query.keys())].filter((name) => query.getAll(name).length > 1);
  const value = (name: string) => query.get(name) ?? undefined;

  const clientId = value("client_id");
  if (!clientId || repeated.includes("client_id")) return { ok: false, to: "page", message: "The application did not identify itself (client_id is missing or repeated)." };
  const client = clientId.length <= 200 ? await findClient(clientId) : null;
  if (!client) return { ok: false, to: "page", message: "The application that sent you here is not registered with this service." };

  const presentedRedirect = value("redirect_uri");
  if (repeated.includes("redirect_uri")) return { ok: false, to: "page", message: "The request names its redirect URI twice." };
  // Optional only when the client registered exactly one (RFC 6749 §3.1.2.3).
  const redirectUri = presentedRedirect ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri || !redirectUriMatches(client.redirectUris, redirectUri)) {
    return { ok: false, to: "page", message: "The address this request would send you back to is not one the application registered." };
  }

  const state = value("state") ?? null;
  const fail = (code: ConstructorParameters<typeof OAuthError>[0], description: string): AuthorizationRequestResult => ({
    ok: false,
    to: "client",
    redirectUri,
    state: state && state.length <= MAX_VALUE_LENGTH ? state : null,
    error: new OAuthError(code, description),
  });

  if (repeated.length > 0) return fail("invalid_request", `repeated parameters: ${repeated.join(", ")}`);
  if (state !== null && state.length > MAX_VALUE_LENGTH) return fail("invalid_request", "state is too long");
  for (const unsupported of ["request", "request_uri"]) {
    if (query.has(unsupported)) return fail("invalid_request", `${unsupported} is not supported`);
  }
  const responseType = value("response_type");
  if (responseType === undefined) return fail("invalid_request", "response_type is required");
  // OAuth 2.1 drops the implicit grant: "code" is the one response type.
  if (responseType !== "code") return fail("unsupported_response_type", "only response_type=code is supported");
  const responseMode = value("response_mode");
  if (responseMode !== undefined && responseMode !== "query") return fail("invalid_request", "only response_mode=query is supported");
  if (!client.grantTypes.includes("authorization_code")) return fail("unauthorized_client", "this client may not use the authorization code grant");

  const codeChallenge = value("code_challenge");
  const method = value("code_challenge_method");
  if (codeChallenge === undefined) return fail("invalid_request", "code_challenge is required (PKCE with S256)");
  if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256");
  if (!S256_CHALLENGE.test(codeChallenge)) return fail("invalid_request", "code_challenge is not a base64url SHA-256 digest");

  const requested = parseScope(value("scope"));
  if (requested === null) return fail("invalid_scope", "scope is malformed");
  const notAllowed = requested.filter((scope) => !client.scopes.includes(scope));
  if (notAllowed.length > 0) return fail("invalid_scope", `not allowed for this client: ${notAllowed.join(" ")}`);
  // OIDC Core §11: offline access only for a client that can use refresh tokens; otherwise ignored.
  const scopes = client.grantTypes.includes("refresh_token") ? requested : requested.filter((scope) => scope !== "offline_access");

  const prompt = (value("prompt") ?? "").split(" ").filter((entry) => entry !== "");
  if (!prompt.every((entry) => KNOWN_PROMPTS.has(entry))) return fail("invalid_request", "prompt must be none, login or consent");
  if (prompt.includes("none") && prompt.length > 1) return fail("invalid_request", "prompt=none cannot be combined with other values");

  const rawMaxAge = value("max_age");
  if (rawMaxAge !== undefined && !/^\d{1,9}$/.test(rawMaxAge)) return fail("invalid_request", "max_age must be a non-negative integer");

  const resource = value("resource") ?? null;
  if (resource !== null && !isResourceIndicator(resource)) return fail("invalid_target", "resource must be an absolute URI without a fragment");

  const nonce = value("nonce") ?? null;
  if (nonce !== null && nonce.length > MAX_VALUE_LENGTH) return fail("invalid_request", "nonce is too long");
  const loginHint = value("login_hint") ?? null;

  return {
    ok: true,
    client,
    parameters: {
      clientId: client.id,
      redirectUri,
      scopes,
      state,
      nonce,
      codeChallenge,
      prompt: prompt as Prompt[],
      maxAge: rawMaxAge === undefined ? null : Number(rawMaxAge),
      resource,
      loginHint: loginHint && loginHint.length <= 320 ? loginHint : null,
    },
  };
}

/** RFC 8707 §2: an absolute URI, no fragment. */
export function isResourceIndicator(value: string): boolean {
  return URL.canParse(value) && !value.includes("#") && value.length <= 2048;
}
