import type { AppRouteHandler } from "../create-router.js";
import { clientInfo } from "../client-info.js";
import type { LoginMfaRoute, LoginRoute, LogoutRoute, MeRoute, RefreshRoute, RegisterRoute } from "./auth.routes.js";
import { toTokenPairBody, toUserBody } from "./auth.schemas.js";
import { toAuthenticationResponse } from "../passkeys/passkeys.schemas.js";

export const register: AppRouteHandler<RegisterRoute> = async (c) => {
  const { email, password, name } = c.req.valid("json");
  const user = await c.var.services.auth.register({ email, password, name: name ?? null, ...clientInfo(c) });
  return c.json(toUserBody(user), 201);
};

export const login: AppRouteHandler<LoginRoute> = async (c) => {
  const { email, password } = c.req.valid("json");
  const result = await c.var.services.auth.login({ email, password, ...clientInfo(c) });
  if (result.kind === "mfa_required") return c.json({ mfa_required: true as const, mfa_token: result.mfaToken, mfa_methods: result.methods }, 200);
  return c.json(toTokenPairBody(result.pair), 200);
};

export const loginMfa: AppRouteHandler<LoginMfaRoute> = async (c) => {
  const { mfa_token, code, recovery_code, passkey } = c.req.valid("json");
  const pair = await c.var.services.auth.completeSecondFactor({
    mfaToken: mfa_token,
    code,
    recoveryCode: recovery_code,
    passkey: passkey && toAuthenticationResponse(passkey),
    ...clientInfo(c),
  });
  return c.json(toTokenPairBody(pair), 200);
};

export const me: AppRouteHandler<MeRoute> = async (c) => {
  // requireAuth has just read the user from the database (a deleted or disabled one never gets here).
  return c.json(toUserBody(c.var.user), 200);
};

export const refresh: AppRouteHandler<RefreshRoute> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  const pair = await c.var.services.auth.refresh({ refreshToken: refresh_token, ...clientInfo(c) });
  return c.json(toTokenPairBody(pair), 200);
};

export const logout: AppRouteHandler<LogoutRoute> = async (c) => {
  const { refresh_token, scope } = c.req.valid("json");
  await c.var.services.auth.logout({ refreshToken: refresh_token, scope, ...clientInfo(c) });
  return c.body(null, 204);
};
