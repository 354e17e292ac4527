import { routerOf } from "../create-router.js";
import * as handlers from "./email.handlers.js";
import * as routes from "./email.routes.js";

export function createEmailRouter() {
  return routerOf(routes, handlers);
}
