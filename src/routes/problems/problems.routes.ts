import { createRoute, z } from "@hono/zod-openapi";
import { headerRef, NO_CLIENT_ERROR_EXPECTED, NO_SECURITY, problemResponses } from "../../http/openapi.js";
import { PROBLEMS, problemSlug, type ProblemCode } from "../../http/problem.js";

const tags = ["Discovery"];
const PROBLEM_CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

export const ProblemTypeSchema = z
  .object({
    type: z.url().openapi({ description: "This page's URI: the `type` of the problems of this code" }),
    code: z.enum(PROBLEM_CODES),
    status: z.number().int(),
    title: z.string(),
    description: z.string().openapi({ description: "What the problem means and what a client can do about it" }),
  })
  .openapi("ProblemType", {
    example: {
      type: "https://auth.example.com/problems/rate-limited",
      code: "RATE_LIMITED",
      status: PROBLEMS.RATE_LIMITED.status,
      title: PROBLEMS.RATE_LIMITED.title,
      description: PROBLEMS.RATE_LIMITED.help,
    },
  });

const SlugParamsSchema = z.object({
  slug: z
    .string()
    .max(64)
    .openapi({ param: { name: "slug", in: "path" }, description: "A problem code in kebab-case", example: problemSlug("VALIDATION_FAILED") }),
});

/** The pages never change while the service runs: any cache may keep them an hour. */
const pageHeaders = {
  "Cache-Control": headerRef("CacheControlPublic"),
  "Content-Security-Policy": {
    description: "No scripts, no external resources: `default-src 'none'` and the hash of the page's one stylesheet",
    schema: { type: "string" as const },
    example: "default-src 'none'; style-src 'sha256-…'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  },
  Vary: { description: "The answer depends on Accept (HTML or JSON)", schema: { type: "string" as const, const: "Accept" }, example: "Accept" },
};

export const getProblemType = createRoute({
  method: "get",
  path: "/problems/{slug}",
  operationId: "getProblemType",
  tags,
  summary: "What a problem type means: the page its `type` URI points to",
  description:
    "A short HTML page for people, or the same facts as JSON when `Accept` prefers `application/json`. Every `type` of this service's problems is such a URI, built on JWT_ISSUER.",
  security: NO_SECURITY,
  request: { params: SlugParamsSchema },
  responses: {
    200: {
      description: "The problem type",
      headers: pageHeaders,
      content: {
        "text/html": { schema: z.string().openapi({ example: "<!doctype html>…" }) },
        "application/json": { schema: ProblemTypeSchema },
      },
    },
    ...problemResponses("NOT_FOUND"),
  },
});

export const listProblemTypes = createRoute({
  method: "get",
  path: "/problems",
  operationId: "listProblemTypes",
  tags,
  summary: "Every problem type this service answers with",
  description: "An HTML index of the problem types, or the list as JSON when `Accept` prefers `application/json`.",
  security: NO_SECURITY,
  responses: {
    200: {
      description: "The problem types",
      headers: pageHeaders,
      content: {
        "text/html": { schema: z.string().openapi({ example: "<!doctype html>…" }) },
        "application/json": {
          schema: z.object({ items: z.array(ProblemTypeSchema) }).openapi("ProblemTypeList", {
            example: {
              items: [{ type: "https://auth.example.com/problems/not-found", code: "NOT_FOUND", status: 404, title: PROBLEMS.NOT_FOUND.title, description: PROBLEMS.NOT_FOUND.help }],
            },
          }),
        },
      },
    },
    ...NO_CLIENT_ERROR_EXPECTED,
  },
});
