import type { Context } from "hono";
import type { AppEnv, AuthenticatedEnv } from "../deps.js";
import type { Caller } from "../users/account-service.js";
import type { ClientInfo } from "../auth/auth-service.js";
import { clientIp } from "../http/client-ip.js";

const MAX_USER_AGENT_LENGTH = 512;

/** Where the request came from, as recorded with sessions and security events. */
export function clientInfo<E extends AppEnv>(c: Context<E>): ClientInfo {
  const { remoteAddress, config } = c.var.services;
  const userAgent = c.req.header("user-agent")?.slice(0, MAX_USER_AGENT_LENGTH) ?? null;
  return { userAgent, ip: clientIp(c, remoteAddress(c), config.http.trustProxyHops) ?? null };
}

/** The authenticated caller (requireAuth ran) and where the request came from. */
export function caller(c: Context<AuthenticatedEnv>): Caller {
  return { userId: c.var.auth.userId, sessionId: c.var.auth.sessionId, ...clientInfo(c) };
}
