import { routerOf } from "../create-router.js";
import * as handlers from "./passkeys.handlers.js";
import * as routes from "./passkeys.routes.js";

export function createPasskeysRouter() {
  return routerOf(routes, handlers);
}
