import { createRouter } from "../create-router.js";
import { createProblemHandlers } from "./problems.handlers.js";
import * as routes from "./problems.routes.js";

/** /problems and /problems/{slug}: the pages the problem `type` URIs point to (src/http/problem.ts). */
export function createProblemsRouter() {
  const handlers = createProblemHandlers();
  return createRouter().openapi(routes.listProblemTypes, handlers.listProblemTypes).openapi(routes.getProblemType, handlers.getProblemType);
}
