import { routerOf } from "../create-router.js";
import * as handlers from "./account.handlers.js";
import * as routes from "./account.routes.js";

export function createAccountRouter() {
  return routerOf(routes, handlers);
}
