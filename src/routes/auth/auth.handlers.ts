import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../deps.js";
import { clientIp } from "../../lib/client-ip.js";
import type { ClientInfo } from "../../services/auth-service.js";
import type { LoginRoute, LogoutRoute, MeRoute, RefreshRoute, RegisterRoute } from "./auth.routes.js";
import { toTokenPairBody, toUserBody } from "./auth.schemas.js";

const MAX_USER_AGENT_LENGTH = 512;

function clientInfo(c: Context<AppEnv>): ClientInfo {
  const { remoteAddress, config } = c.var.services;
  const userAgent = c.req.header("user-agent")?.slice(0, MAX_USER_AGENT_LENGTH) ?? null;
  return { userAgent, ip: clientIp(c, remoteAddress(c), config.http.trustProxyHops) ?? null };
}

function noStore(c: Context<AppEnv>): void {
  c.header("cache-control", "no-store");
  c.header("pragma", "no-cache");
}

export const register: RouteHandler<RegisterRoute, AppEnv> = async (c) => {
  const { email, password, name } = c.req.valid("json");
  const user = await c.var.services.auth.register({ email, password, name: name ?? null });
  return c.json(toUserBody(user), 201);
};

export const login: RouteHandler<LoginRoute, AppEnv> = async (c) => {
  const { email, password } = c.req.valid("json");
  const pair = await c.var.services.auth.login({ email, password, ...clientInfo(c) });
  noStore(c);
  return c.json(toTokenPairBody(pair), 200);
};

export const me: RouteHandler<MeRoute, AppEnv> = async (c) => {
  const user = await c.var.services.auth.currentUser(c.var.auth.userId);
  return c.json(toUserBody(user), 200);
};

export const refresh: RouteHandler<RefreshRoute, AppEnv> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  const pair = await c.var.services.auth.refresh({ refreshToken: refresh_token });
  noStore(c);
  return c.json(toTokenPairBody(pair), 200);
};

export const logout: RouteHandler<LogoutRoute, AppEnv> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  await c.var.services.auth.logout({ refreshToken: refresh_token });
  return c.body(null, 204);
};
