import { routerOf } from "../create-router.js";
import * as handlers from "./admin.handlers.js";
import * as routes from "./admin.routes.js";

export function createAdminRouter() {
  return routerOf(routes, handlers);
}
