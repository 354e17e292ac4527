import type { AppRouteHandler } from "../create-router.js";
import { caller } from "../client-info.js";
import type * as routes from "./admin.routes.js";
import { encodeCursor, toAdminUserBody, toClientBody } from "./admin.schemas.js";

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

export const createClient: AppRouteHandler<typeof routes.createClient> = async (c) => {
  const body = c.req.valid("json");
  const { client, clientSecret } = await c.var.services.clients.create({
    name: body.name,
    type: body.type,
    redirectUris: body.redirect_uris,
    postLogoutRedirectUris: body.post_logout_redirect_uris,
    firstParty: body.first_party,
    ...(body.grant_types && { grantTypes: body.grant_types }),
    ...(body.scopes && { scopes: body.scopes }),
    ...(body.token_endpoint_auth_method && { tokenEndpointAuthMethod: body.token_endpoint_auth_method }),
    ...(body.jwks && { jwks: body.jwks }),
  });
  return c.json({ ...toClientBody(client), ...(clientSecret && { client_secret: clientSecret }) }, 201);
};

export const listClients: AppRouteHandler<typeof routes.listClients> = async (c) => {
  return c.json({ items: (await c.var.services.clients.list()).map(toClientBody) }, 200);
};

export const getClient: AppRouteHandler<typeof routes.getClient> = async (c) => {
  return c.json(toClientBody(await c.var.services.clients.get(c.req.valid("param").id)), 200);
};

export const updateClient: AppRouteHandler<typeof routes.updateClient> = async (c) => {
  const body = c.req.valid("json");
  const client = await c.var.services.clients.update(c.req.valid("param").id, {
    ...(body.name !== undefined && { name: body.name }),
    ...(body.redirect_uris && { redirectUris: body.redirect_uris }),
    ...(body.post_logout_redirect_uris && { postLogoutRedirectUris: body.post_logout_redirect_uris }),
    ...(body.grant_types && { grantTypes: body.grant_types }),
    ...(body.scopes && { scopes: body.scopes }),
    ...(body.first_party !== undefined && { firstParty: body.first_party }),
    ...(body.token_endpoint_auth_method && { tokenEndpointAuthMethod: body.token_endpoint_auth_method }),
    ...(body.jwks !== undefined && { jwks: body.jwks }),
  });
  return c.json(toClientBody(client), 200);
};

export const deleteClient: AppRouteHandler<typeof routes.deleteClient> = async (c) => {
  await c.var.services.clients.delete(c.req.valid("param").id);
  return c.body(null, 204);
};

export const rotateClientSecret: AppRouteHandler<typeof routes.rotateClientSecret> = async (c) => {
  return c.json({ client_secret: await c.var.services.clients.rotateSecret(c.req.valid("param").id) }, 200);
};
