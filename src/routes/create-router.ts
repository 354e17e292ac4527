import { OpenAPIHono, type RouteConfig, type RouteConfigToEnv, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../deps.js";
import type { ZodError } from "zod";
import { validationHook } from "../http/validation.js";

/** Every router shares the hook that turns a zod failure into a 400 problem (the OAuth endpoints bring their own). */
export function createRouter(hook: (result: { success: boolean; target: string; error?: ZodError }) => void = validationHook) {
  return new OpenAPIHono<AppEnv>({ defaultHook: hook as typeof validationHook });
}

/**
 * A handler of `R` in this app: the variables every request has (AppEnv) plus those its route's
 * middleware provides (requireAuth's `auth` and `user`), so only routes behind requireAuth see them.
 */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv & RouteConfigToEnv<R>>;

/** For each handler name of H, the handler type of the route of that name in R. */
type HandlersFor<R, H> = { [K in keyof H]: K extends keyof R ? (R[K] extends RouteConfig ? AppRouteHandler<R[K]> : never) : never };

/**
 * A feature's router: each handler of the feature's handlers module mounted on the route of the
 * same name in its routes module. The handler modules export only handlers (a route module also
 * exports its helpers), so the handlers name the routes; a handler without a route of its name, or
 * of another route's type, does not typecheck. Hono matches each path exactly, so the order of
 * mounting does not change which handler answers; it is sorted by name because it is the order of
 * the OpenAPI document, and a namespace's key order differs between runtimes and loaders (vitest's
 * transform keeps declaration order).
 */
export function routerOf<R extends object, H extends HandlersFor<R, H>>(routes: R, handlers: H, hook?: Parameters<typeof createRouter>[0]) {
  const router = createRouter(hook);
  for (const name of Object.keys(handlers).sort() as Array<keyof H & keyof R>) {
    // The pairing is checked by HandlersFor; inside the loop TypeScript sees only unions of them.
    router.openapi(routes[name] as RouteConfig, handlers[name] as never);
  }
  return router;
}
