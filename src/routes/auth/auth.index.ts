import { routerOf } from "../create-router.js";
import * as handlers from "./auth.handlers.js";
import * as routes from "./auth.routes.js";

export function createAuthRouter() {
  return routerOf(routes, handlers);
}
