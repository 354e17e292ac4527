import type { AppRouteHandler } from "../create-router.js";
import { caller } from "../client-info.js";
import { toUserBody } from "../auth/auth.schemas.js";
import type * as routes from "./account.routes.js";
import { toEventBody, toSessionBody } from "./account.schemas.js";
import { toSecondFactorProof } from "../mfa/mfa.schemas.js";

export const listSessions: AppRouteHandler<typeof routes.listSessions> = async (c) => {
  const [sessions, clients] = await Promise.all([
    c.var.services.account.listSessions(caller(c)),
    c.var.services.oauth.applications.clientsBySession(c.var.auth.userId),
  ]);
  return c.json(sessions.map((session) => toSessionBody(session, c.var.auth.sessionId, clients.get(session.id))), 200);
};

export const revokeSession: AppRouteHandler<typeof routes.revokeSession> = async (c) => {
  await c.var.services.account.revokeSession(caller(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const updateMe: AppRouteHandler<typeof routes.updateMe> = async (c) => {
  const user = await c.var.services.account.updateProfile(caller(c), c.req.valid("json"));
  return c.json(toUserBody(user), 200);
};

export const changePassword: AppRouteHandler<typeof routes.changePassword> = async (c) => {
  const body = c.req.valid("json");
  await c.var.services.account.changePassword(caller(c), {
    currentPassword: body.current_password,
    newPassword: body.new_password,
    secondFactor: toSecondFactorProof(body),
  });
  return c.body(null, 204);
};

export const deleteMe: AppRouteHandler<typeof routes.deleteMe> = async (c) => {
  const body = c.req.valid("json");
  await c.var.services.account.deleteAccount(caller(c), { password: body.password, secondFactor: toSecondFactorProof(body) });
  return c.body(null, 204);
};

export const listEvents: AppRouteHandler<typeof routes.listEvents> = async (c) => {
  const events = await c.var.services.account.listEvents(caller(c), c.req.valid("query").limit);
  return c.json({ items: events.map(toEventBody) }, 200);
};
