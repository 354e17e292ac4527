import createClient, { type Client } from "openapi-fetch";
import { errorOf } from "./errors.js";
import type { components, paths } from "./schema.js";

export type User = components["schemas"]["User"];
export type TokenPair = components["schemas"]["TokenPair"];
export type RegisterRequest = components["schemas"]["RegisterRequest"];
export type LoginRequest = components["schemas"]["LoginRequest"];
/** A right password for an account with a second factor: no tokens yet; finish with `loginMfa`. */
export type MfaRequired = components["schemas"]["MfaRequired"];
export type LoginMfaRequest = components["schemas"]["LoginMfaRequest"];
/** /logout's body is inline in the document (so that its defaulted `scope` stays optional): read from the path. */
export type LogoutScope = NonNullable<paths["/logout"]["post"]["requestBody"]["content"]["application/json"]["scope"]>;

/** The token pair a client holds, with the access token's expiry on the client's own clock. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /**
   * When the access token expires, in milliseconds on the client's clock: the time the request
   * for the pair was sent plus its `expires_in`, so a skew between the client's and the server's clocks does not
   * matter (the token's own `exp` is on the server's clock).
   */
  accessTokenExpiresAt: number;
}

export interface AuthClientOptions {
  /** The service's base URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** The fetch to send requests with (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
  /** The client's clock in milliseconds (default: `Date.now`). */
  now?: () => number;
  /**
   * Refresh this many seconds before the access token expires (default 10). Keep it below the
   * service's `ACCESS_TOKEN_TTL` (at least 30 s), or every call refreshes.
   */
  refreshLeewaySeconds?: number;
  /** A pair kept from before (e.g. read from storage), to start signed in. */
  tokens?: StoredTokens | null;
  /** Called whenever the pair changes (login, refresh, logout, a refused refresh token): persist it, or forget it on `null`. */
  onTokensChange?: (tokens: StoredTokens | null) => void;
}

export interface AuthClient {
  /**
   * Every operation of the document, typed (openapi-fetch: `{ data, error, response }`), with the
   * access token attached, refreshed before it expires and once more after a 401 `invalid_token`
   * answer, then the request retried. `unwrap()` turns its answers into data or a thrown problem.
   */
  readonly api: Client<paths>;
  /** The pair held now, or null when signed out. */
  readonly tokens: StoredTokens | null;
  register(body: RegisterRequest): Promise<User>;
  /** Signs in and keeps the pair; for an account with a second factor, answers MfaRequired (no pair yet). */
  login(body: LoginRequest): Promise<TokenPair | MfaRequired>;
  /** The second step of a login (the mfa_token and a TOTP code or a recovery code); keeps the pair. */
  loginMfa(body: LoginMfaRequest): Promise<TokenPair>;
  me(): Promise<User>;
  /**
   * Rotates the refresh token now and keeps the new pair. Concurrent callers (and the automatic
   * refreshes) share one request. A refused refresh token (401 `INVALID_REFRESH_TOKEN`: the
   * session ended) signs the client out.
   */
  refresh(): Promise<TokenPair>;
  /** Ends the session (or, with a scope, the user's other or all sessions) and forgets the pair. */
  logout(scope?: LogoutScope): Promise<void>;
  /** A valid access token (refreshed first when due), e.g. to call a service that verifies it; null when signed out. */
  accessToken(): Promise<string | null>;
}

type ApiResult<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

/** The body of a 2xx answer of `api`, or the answer as a thrown `ProblemError` (`HttpError` for a non-problem answer). */
export async function unwrap<T>(pending: ApiResult<T>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw errorOf(response, error);
  return data as T;
}

/** RFC 6750 §3.1: the service says `error="invalid_token"` when the access token it was sent is refused. */
function refusesToken(response: Response): boolean {
  return response.status === 401 && /\berror="invalid_token"/.test(response.headers.get("www-authenticate") ?? "");
}

/** fetch rejects (a TypeError) when no answer arrived: the request may or may not have been processed. */
function isLostAnswer(error: unknown): boolean {
  return error instanceof TypeError;
}

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const baseFetch = options.fetch ?? ((request: Request) => fetch(request));
  const now = options.now ?? Date.now;
  const leewayMs = (options.refreshLeewaySeconds ?? 10) * 1000;
  let tokens: StoredTokens | null = options.tokens ?? null;
  /** The one refresh in flight, which every caller that needs a new pair meanwhile awaits. */
  let refreshing: Promise<TokenPair> | undefined;

  function setTokens(next: StoredTokens | null): void {
    tokens = next;
    options.onTokensChange?.(next === null ? null : { ...next });
  }

  /** `sentAt`: when the request left, so that on our clock the token expires no later than it does at the service. */
  function keep(pair: TokenPair, sentAt: number): TokenPair {
    setTokens({ accessToken: pair.access_token, refreshToken: pair.refresh_token, accessTokenExpiresAt: sentAt + pair.expires_in * 1000 });
    return pair;
  }

  // /register, /login and /refresh take no access token: a client without the auth fetch.
  const publicApi = createClient<paths>({ baseUrl: options.baseUrl, fetch: baseFetch });

  /**
   * POST /refresh with `refreshToken`. An answer lost on the way back (the connection dropped after
   * the service rotated) is retried once with the same token: within the service's grace window
   * (REFRESH_REUSE_GRACE_SECONDS, 10 s by default) the token rotated out last gets the same
   * successor again, where without the retry a later use of it would count as reuse and end the session.
   */
  async function rotate(refreshToken: string): Promise<TokenPair> {
    const send = () => publicApi.POST("/refresh", { body: { refresh_token: refreshToken } });
    const sentAt = now();
    const result = await send().catch((error: unknown) => {
      if (isLostAnswer(error)) return send();
      throw error;
    });
    // Still the pair this refresh started from (no logout or login meanwhile)?
    const current = tokens?.refreshToken === refreshToken;
    if (result.data) return current ? keep(result.data, sentAt) : result.data;
    // 401 INVALID_REFRESH_TOKEN: the session is over (logged out, expired, revoked, reused); a 429 or a 503 changes nothing.
    if (result.response.status === 401 && current) setTokens(null);
    throw errorOf(result.response, result.error);
  }

  function refresh(): Promise<TokenPair> {
    if (refreshing) return refreshing;
    const refreshToken = tokens?.refreshToken;
    if (refreshToken === undefined) return Promise.reject(new Error("not signed in: log in first"));
    refreshing = rotate(refreshToken).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  /** The access token to send: refreshed first when it is due (a refresh that fails leaves the current one, which the service then judges). */
  async function accessToken(): Promise<string | null> {
    if (refreshing) await refreshing.catch(() => undefined);
    if (tokens && now() >= tokens.accessTokenExpiresAt - leewayMs) await refresh().catch(() => undefined);
    return tokens?.accessToken ?? null;
  }

  async function sendWithToken(request: Request, token: string | null): Promise<Response> {
    if (token !== null) request.headers.set("authorization", `Bearer ${token}`);
    return baseFetch(request);
  }

  async function authFetch(request: Request): Promise<Response> {
    const retry = request.clone(); // before the body is read: a retry sends it again
    const token = await accessToken();
    const response = await sendWithToken(request, token);
    if (token === null || !refusesToken(response)) return response;
    // Refused before it expired on our clock (clocks apart, or the service ended the session).
    // Another call may have refreshed meanwhile; otherwise refresh (one for every caller) and retry once.
    if (tokens?.accessToken === token) await refresh().catch(() => undefined);
    const fresh = tokens?.accessToken;
    if (fresh === undefined || fresh === token) return response;
    await response.body?.cancel();
    return sendWithToken(retry, fresh);
  }

  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: authFetch });

  return {
    api,
    get tokens() {
      return tokens === null ? null : { ...tokens };
    },
    register: (body) => unwrap(publicApi.POST("/register", { body })),
    async login(body) {
      const sentAt = now();
      const answer = await unwrap(publicApi.POST("/login", { body }));
      return "mfa_required" in answer ? answer : keep(answer, sentAt);
    },
    async loginMfa(body) {
      const sentAt = now();
      return keep(await unwrap(publicApi.POST("/login/mfa", { body })), sentAt);
    },
    me: () => unwrap(api.GET("/me")),
    refresh,
    async logout(scope = "session") {
      // A refresh in flight would otherwise keep a new pair after the logout.
      if (refreshing) await refreshing.catch(() => undefined);
      const refreshToken = tokens?.refreshToken;
      if (refreshToken === undefined) return;
      try {
        await unwrap(publicApi.POST("/logout", { body: { refresh_token: refreshToken, scope } }));
      } finally {
        // Signed out here whatever the answer: the user asked to be.
        setTokens(null);
      }
    },
    accessToken,
  };
}
