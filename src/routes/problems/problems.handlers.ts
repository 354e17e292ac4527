import { accepts } from "hono/accepts";
import type { Context } from "hono";
import { ProblemError, PROBLEMS, problemCodeOfSlug, type ProblemCode } from "../../http/problem.js";
import type { AppEnv } from "../../deps.js";
import type { AppRouteHandler } from "../create-router.js";
import type { getProblemType as GetProblemTypeRoute, listProblemTypes as ListProblemTypesRoute } from "./problems.routes.js";
import { pageSecurityPolicy, problemIndexPage, problemTypeFacts, problemTypePage } from "./problems.page.js";

/** The pages change only with a new release of the service. */
const PAGE_MAX_AGE_SECONDS = 3600;

/** HTML for people (a browser asks for it first), JSON for a program that asks for it. */
function wantsJson(c: Context): boolean {
  return accepts(c, { header: "Accept", supports: ["text/html", "application/json"], default: "text/html" }) === "application/json";
}

/** The headers both representations carry; the policy's hash is computed once, on first use. */
function createPageHeaders() {
  let policy: Promise<string> | undefined;
  return async function setPageHeaders(c: Context<AppEnv>): Promise<void> {
    policy ??= pageSecurityPolicy();
    c.header("content-security-policy", await policy);
    c.header("cache-control", `public, max-age=${PAGE_MAX_AGE_SECONDS}`);
    c.header("vary", "Accept");
  };
}

export function createProblemHandlers() {
  const setPageHeaders = createPageHeaders();

  const getProblemType: AppRouteHandler<typeof GetProblemTypeRoute> = async (c) => {
    const code = problemCodeOfSlug(c.req.valid("param").slug);
    if (!code) throw new ProblemError("NOT_FOUND", { detail: "No problem type of this service has this name." });
    const { issuer } = c.var.services;
    await setPageHeaders(c);
    return wantsJson(c) ? c.json(problemTypeFacts(code, issuer), 200) : c.html(problemTypePage(code, issuer), 200);
  };

  const listProblemTypes: AppRouteHandler<typeof ListProblemTypesRoute> = async (c) => {
    const { issuer } = c.var.services;
    await setPageHeaders(c);
    if (!wantsJson(c)) return c.html(problemIndexPage(issuer), 200);
    return c.json({ items: (Object.keys(PROBLEMS) as ProblemCode[]).map((code) => problemTypeFacts(code, issuer)) }, 200);
  };

  return { getProblemType, listProblemTypes };
}
