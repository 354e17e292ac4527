import type { Context } from "hono";
import type { AppEnv } from "../../deps.js";
import { OAuthError, providerMetadata } from "../../oauth/index.js";
import { clientInfo } from "../client-info.js";
import type { AppRouteHandler } from "../create-router.js";
import type * as routes from "./oauth.routes.js";

const PUBLIC_DOCUMENT_MAX_AGE_SECONDS = 300;

function metadata(c: Context<AppEnv>) {
  c.header("cache-control", `public, max-age=${PUBLIC_DOCUMENT_MAX_AGE_SECONDS}`);
  const { oauth } = c.var.services;
  return providerMetadata(oauth.issuer, oauth.signingAlgorithms);
}

export const getOpenIdConfiguration: AppRouteHandler<typeof routes.getOpenIdConfiguration> = (c) => c.json(metadata(c), 200);

export const getAuthorizationServerMetadata: AppRouteHandler<typeof routes.getAuthorizationServerMetadata> = (c) => c.json(metadata(c), 200);

async function authenticatedClient(c: Context<AppEnv>, form: Record<string, string | undefined>) {
  const { oauth, clock } = c.var.services;
  return oauth.authenticateClient({ authorization: c.req.header("authorization"), form, now: clock() });
}

export const requestToken: AppRouteHandler<typeof routes.requestToken> = async (c) => {
  const form = c.req.valid("form");
  const client = await authenticatedClient(c, form);
  return c.json(await c.var.services.oauth.tokens.exchange(client, form, clientInfo(c)), 200);
};

export const revokeToken: AppRouteHandler<typeof routes.revokeToken> = async (c) => {
  const form = c.req.valid("form");
  const client = await authenticatedClient(c, form);
  await c.var.services.oauth.management.revoke(client, form.token, clientInfo(c));
  return c.body(null, 200);
};

export const introspectToken: AppRouteHandler<typeof routes.introspectToken> = async (c) => {
  const form = c.req.valid("form");
  const client = await authenticatedClient(c, form);
  return c.json(await c.var.services.oauth.management.introspect(client, form.token), 200);
};

/** RFC 6750 §2.1: the token in the Authorization header (the only way accepted: no query, no form). */
function bearerToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  const match = header && /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (header !== undefined && !match) throw new OAuthError("invalid_token", "the Authorization header is not a Bearer token");
  return match ? match[1] : undefined;
}

export const getUserInfo: AppRouteHandler<typeof routes.getUserInfo> = async (c) => c.json(await c.var.services.oauth.management.userinfo(bearerToken(c)), 200);

export const postUserInfo: AppRouteHandler<typeof routes.postUserInfo> = async (c) => c.json(await c.var.services.oauth.management.userinfo(bearerToken(c)), 200);
