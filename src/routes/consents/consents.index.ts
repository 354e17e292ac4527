import { routerOf } from "../create-router.js";
import * as handlers from "./consents.handlers.js";
import * as routes from "./consents.routes.js";

export function createConsentsRouter() {
  return routerOf(routes, handlers);
}
