import type { ZodError } from "zod";
import { ProblemError, type FieldError } from "./problem.js";

type Target = "json" | "form" | "query" | "param" | "header" | "cookie";

/** Zod issues as RFC 9457 `errors` entries: a JSON Pointer for body fields, a name for parameters. */
export function fieldErrors(error: ZodError, target: Target): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((segment) => String(segment).replaceAll("~", "~0").replaceAll("/", "~1"));
    if (target === "json" || target === "form") return { pointer: `#/${path.join("/")}`, detail: issue.message };
    return { parameter: path.join("."), detail: issue.message };
  });
}

/** zod-openapi's defaultHook: never the raw ZodError, never the rejected value. */
export function validationHook(result: { success: boolean; target: string; error?: ZodError }): void {
  if (!result.success && result.error) {
    throw new ProblemError("VALIDATION_FAILED", {
      detail: "One or more fields are invalid; see errors.",
      errors: fieldErrors(result.error, result.target as Target),
    });
  }
}
