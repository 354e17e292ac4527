import type { AppRouteHandler } from "../create-router.js";
import { caller } from "../client-info.js";
import type * as routes from "./admin.routes.js";
import { encodeCursor, toAdminUserBody } from "./admin.schemas.js";

export const listUsers: AppRouteHandler<typeof routes.listUsers> = async (c) => {
  const { email, cursor, limit } = c.req.valid("query");
  const page = await c.var.services.admin.listUsers({ emailContains: email, afterId: cursor, limit });
  return c.json({ items: page.items.map(toAdminUserBody), next_cursor: page.nextAfterId ? encodeCursor(page.nextAfterId) : null }, 200);
};

export const getUser: AppRouteHandler<typeof routes.getUser> = async (c) => {
  const user = await c.var.services.admin.getUser(c.req.valid("param").id);
  return c.json({ ...toAdminUserBody(user), session_count: user.sessionCount }, 200);
};

export const updateUser: AppRouteHandler<typeof routes.updateUser> = async (c) => {
  const user = await c.var.services.admin.updateUser(caller(c), c.req.valid("param").id, c.req.valid("json"));
  return c.json(toAdminUserBody(user), 200);
};

export const revokeUserSessions: AppRouteHandler<typeof routes.revokeUserSessions> = async (c) => {
  await c.var.services.admin.revokeSessions(caller(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const resetUserMfa: AppRouteHandler<typeof routes.resetUserMfa> = async (c) => {
  await c.var.services.admin.resetSecondFactors(caller(c), c.req.valid("param").id);
  return c.body(null, 204);
};
