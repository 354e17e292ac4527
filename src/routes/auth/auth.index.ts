import { createRouter } from "../create-router.js";
import * as handlers from "./auth.handlers.js";
import * as routes from "./auth.routes.js";

export function createAuthRouter() {
  return createRouter()
    .openapi(routes.register, handlers.register)
    .openapi(routes.login, handlers.login)
    .openapi(routes.loginMfa, handlers.loginMfa)
    .openapi(routes.me, handlers.me)
    .openapi(routes.refresh, handlers.refresh)
    .openapi(routes.logout, handlers.logout);
}
