import { routerOf } from "../create-router.js";
import * as handlers from "./service.handlers.js";
import * as routes from "./service.routes.js";

export function createServiceRouter() {
  return routerOf(routes, handlers);
}
