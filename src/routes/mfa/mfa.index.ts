import { routerOf } from "../create-router.js";
import * as handlers from "./mfa.handlers.js";
import * as routes from "./mfa.routes.js";

export function createMfaRouter() {
  return routerOf(routes, handlers);
}
