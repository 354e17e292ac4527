import type { MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../deps.js";
import { ErrorPage } from "../../pages/index.js";
import { pageContext, render } from "./page-context.js";

/** The paths a person's browser navigates to (not the page script's JSON calls, which read problems). */
export const HOSTED_PAGE_PATHS = ["/oauth/authorize", "/oauth/sign-in", "/oauth/sign-in/second-factor", "/oauth/consent", "/oauth/logout"];

/** The answer's headers a person's browser (or a retry) still needs on the page. */
const KEPT_HEADERS = ["retry-after", "ratelimit", "ratelimit-policy", "x-request-id", "set-cookie"];

function explain(status: number): { title: string; message: string } {
  if (status === 429) return { title: "Too many attempts", message: "There were too many attempts from this network. Wait a little, then try again." };
  if (status === 413) return { title: "Something went wrong", message: "The form sent was too large. Go back and try again." };
  if (status === 503) return { title: "Briefly unavailable", message: "Signing in is briefly unavailable. Try again in a moment." };
  if (status >= 500) return { title: "Something went wrong", message: "Something went wrong on our side. Try again; if it keeps happening, give the support team the reference below." };
  return { title: "Something went wrong", message: "This request could not be handled. Go back to the application and start again." };
}

/**
 * A person on the hosted pages gets an error page, not a problem document: the per-IP rate limit
 * (429), the body limit (413), a dead database or Redis (503) and any other problem answered on
 * these paths by the middleware before the page's handler or by app.onError become a page with the
 * same status, and Retry-After kept. Registered before those middleware, so it sees their answers.
 */
export function hostedPageErrors(): MiddlewareHandler<AppEnv> {
  return async function hostedPageErrors(c, next) {
    await next();
    const answer = c.res;
    if (!answer.headers.get("content-type")?.startsWith("application/problem+json")) return;
    const { title, message } = explain(answer.status);
    const page = pageContext(c);
    const html = await render(c, page, <ErrorPage branding={page.branding} nonce={page.nonce} title={title} message={message} requestId={c.var.requestId} />, answer.status as ContentfulStatusCode);
    for (const name of KEPT_HEADERS) {
      if (name === "set-cookie") for (const cookie of answer.headers.getSetCookie()) html.headers.append(name, cookie);
      else if (answer.headers.has(name) && !html.headers.has(name)) html.headers.set(name, answer.headers.get(name)!);
    }
    c.res = undefined;
    c.res = html;
  };
}
