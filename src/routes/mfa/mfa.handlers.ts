import type { AppRouteHandler } from "../create-router.js";
import { caller } from "../client-info.js";
import type * as routes from "./mfa.routes.js";

export const getMfa: AppRouteHandler<typeof routes.getMfa> = async (c) => {
  const [status, passkeys] = await Promise.all([c.var.services.mfa.status(c.var.auth.userId), c.var.services.passkeys.count(c.var.auth.userId)]);
  return c.json({ totp: { enabled: status.totpEnabled }, passkeys, recovery_codes_left: status.recoveryCodesLeft }, 200);
};

export const beginTotp: AppRouteHandler<typeof routes.beginTotp> = async (c) => {
  const { secret, otpauthUri } = await c.var.services.mfa.beginTotp(caller(c), c.req.valid("json").password);
  return c.json({ secret, otpauth_uri: otpauthUri }, 200);
};

export const confirmTotp: AppRouteHandler<typeof routes.confirmTotp> = async (c) => {
  const codes = await c.var.services.mfa.confirmTotp(caller(c), c.req.valid("json").code);
  return c.json({ recovery_codes: codes }, 200);
};

export const disableTotp: AppRouteHandler<typeof routes.disableTotp> = async (c) => {
  await c.var.services.mfa.disableTotp(caller(c), c.req.valid("json"));
  return c.body(null, 204);
};

export const regenerateRecoveryCodes: AppRouteHandler<typeof routes.regenerateRecoveryCodes> = async (c) => {
  const codes = await c.var.services.mfa.regenerateRecoveryCodes(caller(c), c.req.valid("json"));
  return c.json({ recovery_codes: codes }, 200);
};
