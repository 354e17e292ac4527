import { OpenAPIHono, type RouteConfig, type RouteConfigToEnv, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../deps.js";
import { validationHook } from "../http/validation.js";

/** Every router shares the hook that turns a zod failure into a 400 problem. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/**
 * A handler of `R` in this app: the variables every request has (AppEnv) plus those its route's
 * middleware provides (requireAuth's `auth` and `user`), so only routes behind requireAuth see them.
 */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv & RouteConfigToEnv<R>>;
