import { caller } from "../client-info.js";
import type { AppRouteHandler } from "../create-router.js";
import type * as routes from "./consents.routes.js";
import { toConsentBody } from "./consents.schemas.js";

export const listConsents: AppRouteHandler<typeof routes.listConsents> = async (c) => {
  const consents = await c.var.services.oauth.applications.listConsents(c.var.auth.userId);
  return c.json(consents.map(toConsentBody), 200);
};

export const revokeConsent: AppRouteHandler<typeof routes.revokeConsent> = async (c) => {
  await c.var.services.oauth.applications.revoke(caller(c), c.req.valid("param").client_id);
  return c.body(null, 204);
};
