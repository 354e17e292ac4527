import { createRouter } from "../create-router.js";
import * as handlers from "./account.handlers.js";
import * as routes from "./account.routes.js";

export function createAccountRouter() {
  return createRouter()
    .openapi(routes.listSessions, handlers.listSessions)
    .openapi(routes.revokeSession, handlers.revokeSession)
    .openapi(routes.updateMe, handlers.updateMe)
    .openapi(routes.changePassword, handlers.changePassword)
    .openapi(routes.deleteMe, handlers.deleteMe)
    .openapi(routes.listEvents, handlers.listEvents);
}
