import { createRouter } from "../create-router.js";
import * as handlers from "./admin.handlers.js";
import * as routes from "./admin.routes.js";

export function createAdminRouter() {
  return createRouter()
    .openapi(routes.listUsers, handlers.listUsers)
    .openapi(routes.getUser, handlers.getUser)
    .openapi(routes.updateUser, handlers.updateUser)
    .openapi(routes.revokeUserSessions, handlers.revokeUserSessions)
    .openapi(routes.resetUserMfa, handlers.resetUserMfa);
}
