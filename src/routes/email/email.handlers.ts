import type { AppRouteHandler } from "../create-router.js";
import { caller, clientInfo } from "../client-info.js";
import { toUserBody } from "../auth/auth.schemas.js";
import { toSecondFactorProof } from "../mfa/mfa.schemas.js";
import type * as routes from "./email.routes.js";

export const requestVerification: AppRouteHandler<typeof routes.requestVerification> = async (c) => {
  await c.var.services.emailFlows.requestVerification(caller(c));
  return c.body(null, 202);
};

export const verifyEmail: AppRouteHandler<typeof routes.verifyEmail> = async (c) => {
  const user = await c.var.services.emailFlows.verifyEmail({ token: c.req.valid("json").token, ...clientInfo(c) });
  return c.json(toUserBody(user), 200);
};

export const forgotPassword: AppRouteHandler<typeof routes.forgotPassword> = async (c) => {
  await c.var.services.emailFlows.forgotPassword({ email: c.req.valid("json").email, ...clientInfo(c) });
  return c.body(null, 202);
};

export const resetPassword: AppRouteHandler<typeof routes.resetPassword> = async (c) => {
  const { token, new_password } = c.req.valid("json");
  await c.var.services.emailFlows.resetPassword({ token, newPassword: new_password, ...clientInfo(c) });
  return c.body(null, 204);
};

export const changeEmail: AppRouteHandler<typeof routes.changeEmail> = async (c) => {
  const body = c.req.valid("json");
  await c.var.services.emailFlows.requestEmailChange(caller(c), { newEmail: body.new_email, password: body.password, secondFactor: toSecondFactorProof(body) });
  return c.body(null, 202);
};
