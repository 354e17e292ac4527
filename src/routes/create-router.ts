import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../deps.js";
import { validationHook } from "../http/validation.js";

/** Every router shares the hook that turns a zod failure into a 400 problem. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
