import type { AppRouteHandler } from "../create-router.js";
import { caller, clientInfo } from "../client-info.js";
import { toTokenPairBody } from "../auth/auth.schemas.js";
import type * as routes from "./passkeys.routes.js";
import { toAuthenticationOptionsBody, toAuthenticationResponse, toPasskeyBody, toRegistrationOptionsBody, toRegistrationResponse } from "./passkeys.schemas.js";

export const registrationOptions: AppRouteHandler<typeof routes.registrationOptions> = async (c) => {
  return c.json(toRegistrationOptionsBody(await c.var.services.passkeys.registrationOptions(caller(c))), 200);
};

export const registerPasskey: AppRouteHandler<typeof routes.registerPasskey> = async (c) => {
  const { name, response } = c.req.valid("json");
  const passkey = await c.var.services.passkeys.register(caller(c), { name: name ?? null, response: toRegistrationResponse(response) });
  return c.json(toPasskeyBody(passkey), 201);
};

export const listPasskeys: AppRouteHandler<typeof routes.listPasskeys> = async (c) => {
  const passkeys = await c.var.services.passkeys.list(c.var.auth.userId);
  return c.json({ items: passkeys.map(toPasskeyBody) }, 200);
};

export const removePasskey: AppRouteHandler<typeof routes.removePasskey> = async (c) => {
  const { password, code, recovery_code } = c.req.valid("json");
  await c.var.services.passkeys.remove(caller(c), c.req.valid("param").id, { password, code, recoveryCode: recovery_code });
  return c.body(null, 204);
};

export const loginOptions: AppRouteHandler<typeof routes.loginOptions> = async (c) => {
  return c.json(toAuthenticationOptionsBody(await c.var.services.passkeys.loginOptions({ email: c.req.valid("json").email })), 200);
};

export const loginWithPasskey: AppRouteHandler<typeof routes.loginWithPasskey> = async (c) => {
  const pair = await c.var.services.auth.loginWithPasskey({ response: toAuthenticationResponse(c.req.valid("json").response), ...clientInfo(c) });
  return c.json(toTokenPairBody(pair), 200);
};

export const mfaPasskeyOptions: AppRouteHandler<typeof routes.mfaPasskeyOptions> = async (c) => {
  const options = await c.var.services.passkeys.secondFactorOptions({ mfaToken: c.req.valid("json").mfa_token });
  return c.json(toAuthenticationOptionsBody(options), 200);
};
