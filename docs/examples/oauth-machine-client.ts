import * as oidc from "openid-client";

/**
 * A service calling another with a token of its own (no user): the client credentials grant with
 * openid-client (v6). The token's `sub` is the client; there is no refresh token: ask again when it
 * expires. docs/API.md, "OAuth and OpenID Connect".
 */
export async function createMachineClient(options: { issuer: string; clientId: string; clientSecret: string; allowInsecureIssuer?: boolean }) {
  const config = await oidc.discovery(
    new URL(options.issuer),
    options.clientId,
    undefined,
    oidc.ClientSecretBasic(options.clientSecret),
    options.allowInsecureIssuer ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  let cached: { token: string; expiresAt: number } | undefined;

  /** A live access token, fetched again a minute before the last one expires. */
  return async function accessToken(scope?: string): Promise<string> {
    if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
    const tokens = await oidc.clientCredentialsGrant(config, scope ? { scope } : {});
    cached = { token: tokens.access_token, expiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000 };
    return cached.token;
  };
}
