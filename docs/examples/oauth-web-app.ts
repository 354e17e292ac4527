import * as oidc from "openid-client";

/**
 * A web app signing its users in through auth-service with openid-client (v6): the authorization
 * code flow with PKCE S256, state and nonce. `start` gives the URL to send the browser to and what
 * to keep in the app's own session (a signed cookie, say) until the callback; `finish` turns the
 * callback URL into verified tokens. docs/API.md, "OAuth and OpenID Connect".
 */
export interface WebAppOptions {
  /** auth-service's JWT_ISSUER. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registered exactly as-is on the client. */
  redirectUri: string;
  /** Only for a plain-http development issuer on loopback. */
  allowInsecureIssuer?: boolean;
}

/** What the app keeps between `start` and `finish`; never sent to the browser in clear. */
export interface PendingSignIn {
  verifier: string;
  state: string;
  nonce: string;
}

export async function createWebAppSignIn(options: WebAppOptions) {
  const config = await oidc.discovery(
    new URL(options.issuer),
    options.clientId,
    undefined,
    oidc.ClientSecretBasic(options.clientSecret),
    options.allowInsecureIssuer ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );

  return {
    async start(): Promise<{ url: URL; pending: PendingSignIn }> {
      const pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: "openid profile email offline_access", // offline_access: a refresh token too
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: "S256",
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url, pending };
    },

    /** `callbackUrl`: the full URL the browser came back on (`?code=…&state=…&iss=…`, or `?error=…`). */
    async finish(callbackUrl: URL, pending: PendingSignIn) {
      // Checks state, iss (RFC 9207), the code exchange, and the ID token (signature, iss, aud, nonce, at_hash).
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      return { tokens, user: { id: claims.sub, email: claims.email as string | undefined } };
    },

    /** A new access token (and a new refresh token: the old one is spent). */
    refresh: (refreshToken: string) => oidc.refreshTokenGrant(config, refreshToken),

    userInfo: (accessToken: string, userId: string) => oidc.fetchUserInfo(config, accessToken, userId),

    /** Where to send the browser to sign out at auth-service too (RP-initiated logout). */
    signOutUrl: (idToken: string, postLogoutRedirectUri: string) =>
      oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri }),
  };
}
