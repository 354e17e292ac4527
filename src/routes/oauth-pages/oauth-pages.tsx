import { Hono, type Context } from "hono";
import type { AppEnv } from "../../deps.js";
import { ProblemError } from "../../http/problem.js";
import type { SignInProof } from "../../auth/auth-service.js";
import type { AuthorizationOutcome } from "../../oauth/authorization.js";
import { clearBrowserSessionCookie, ConsentPage, CSRF_FIELD, describeScopes, ErrorPage, LogoutConfirmPage, SecondFactorPage, setBrowserSessionCookie, SignedOutPage, SignInPage } from "../../pages/index.js";
import { isSecureIssuer, readBrowserSessionCookie } from "../../pages/index.js";
import { clientInfo } from "../client-info.js";
import { browserSession, csrfValid, formActionFor, formFields, pageContext, render } from "./page-context.js";

/**
 * The hosted pages of the OAuth provider (src/oauth/): the authorization endpoint, sign-in (the
 * password, then the second factor, or a passkey), consent and RP-initiated logout. Each handler
 * asks the provider what comes next and renders it; the rules live in src/oauth/. Browser pages,
 * not API operations: they are not in the OpenAPI document (discovery names them).
 */
export const SIGN_IN_PATH = "/oauth/sign-in";
const SECOND_FACTOR_PATH = "/oauth/sign-in/second-factor";
const CONSENT_PATH = "/oauth/consent";
const LOGOUT_PATH = "/oauth/logout";

/** What a refused sign-in tells the user: no more than the API's problems say (no account oracle). */
const SIGN_IN_MESSAGES: Partial<Record<string, string>> = {
  INVALID_CREDENTIALS: "The email or the password is wrong.",
  ACCOUNT_DISABLED: "This account is disabled.",
  EMAIL_NOT_VERIFIED: "Confirm your email address with the link sent to it before signing in.",
  RATE_LIMITED: "Too many attempts. Wait a few minutes and try again.",
  INVALID_MFA_CODE: "That code is wrong or was already used.",
  INVALID_MFA_TOKEN: "This sign-in took too long or had too many wrong codes. Sign in again.",
  INVALID_PASSKEY: "The passkey was not accepted.",
};

const EXPIRED_REQUEST = "This sign-in request has expired or is unknown. Start again from the application.";
const EXPIRED_FORM = "This form has expired or was not sent from this page. Go back to the application and start again.";

function errorPage(c: Context<AppEnv>, status: 400 | 403 | 404, message: string, title = "Something went wrong") {
  const page = pageContext(c);
  return render(c, page, <ErrorPage branding={page.branding} nonce={page.nonce} title={title} message={message} requestId={c.var.requestId} />, status);
}

/** Where the provider's answer sends the browser; null when it is an error page instead. */
function locationOf(outcome: AuthorizationOutcome): string | null {
  switch (outcome.kind) {
    case "redirect":
      return outcome.location;
    case "sign-in":
      return `${SIGN_IN_PATH}?request=${encodeURIComponent(outcome.requestId)}`;
    case "consent":
      return `${CONSENT_PATH}?request=${encodeURIComponent(outcome.requestId)}`;
    case "error-page":
      return null;
  }
}

/** The provider's answer as the browser sees it. */
function follow(c: Context<AppEnv>, outcome: AuthorizationOutcome) {
  const location = locationOf(outcome);
  if (location !== null) return c.redirect(location, 303);
  return errorPage(c, 400, outcome.kind === "error-page" ? outcome.message : EXPIRED_REQUEST);
}

async function signInPage(c: Context<AppEnv>, requestId: string, options: { error?: string; email?: string; status?: 200 | 400 | 401 | 403 | 429 } = {}) {
  const pending = await c.var.services.oauth.authorization.pending(requestId);
  if (!pending) return errorPage(c, 400, EXPIRED_REQUEST);
  const page = pageContext(c);
  return render(
    c,
    page,
    <SignInPage
      branding={page.branding}
      nonce={page.nonce}
      csrfToken={page.csrfToken}
      action={SIGN_IN_PATH}
      hiddenFields={{ request: requestId }}
      clientName={pending.client.name}
      email={options.email ?? pending.parameters.loginHint ?? undefined}
      error={options.error}
      passkeys={true}
    />,
    options.status ?? 200,
    [formActionFor(pending.parameters.redirectUri)],
  );
}

/** A completed sign-in: the browser session opened, its cookie set, and the request carried on. */
async function signedIn(c: Context<AppEnv>, requestId: string, proof: SignInProof) {
  const { oauth, issuer } = c.var.services;
  const { cookie, session, maxAgeSeconds } = await oauth.browserSessions.open(proof, clientInfo(c));
  setBrowserSessionCookie(c, cookie, { secure: isSecureIssuer(issuer), maxAgeSeconds });
  return oauth.authorization.resume(requestId, session);
}

function refusalMessage(error: unknown): string | null {
  return error instanceof ProblemError ? (SIGN_IN_MESSAGES[error.code] ?? null) : null;
}

export function createOAuthPagesRouter() {
  const router = new Hono<AppEnv>();

  router.get("/oauth/authorize", async (c) => {
    const outcome = await c.var.services.oauth.authorization.authorize(new URL(c.req.url).searchParams, await browserSession(c));
    return follow(c, outcome);
  });

  router.get(SIGN_IN_PATH, (c) => signInPage(c, c.req.query("request") ?? ""));

  router.post(SIGN_IN_PATH, async (c) => {
    const form = await formFields(c);
    const requestId = form.request ?? "";
    if (!csrfValid(c, form[CSRF_FIELD])) return errorPage(c, 403, EXPIRED_FORM);
    const email = (form.email ?? "").trim().toLowerCase();
    const password = form.password ?? "";
    if (!email || !password || email.length > 320 || password.length > 1024) return signInPage(c, requestId, { error: "Enter your email and your password.", email, status: 400 });
    if (!(await c.var.services.oauth.authorization.pending(requestId))) return signInPage(c, requestId);
    let check;
    try {
      check = await c.var.services.auth.checkPassword({ email, password, ...clientInfo(c) });
    } catch (error) {
      const message = refusalMessage(error);
      if (message === null) throw error;
      return signInPage(c, requestId, { error: message, email, status: (error as ProblemError).status as 401 | 403 | 429 });
    }
    if (check.kind === "signed_in") return follow(c, await signedIn(c, requestId, check.proof));
    return secondFactorPage(c, requestId, check.mfaToken);
  });

  async function secondFactorPage(c: Context<AppEnv>, requestId: string, mfaToken: string, error?: string) {
    const page = pageContext(c);
    const pending = await c.var.services.oauth.authorization.pending(requestId);
    if (!pending) return errorPage(c, 400, EXPIRED_REQUEST);
    return render(
      c,
      page,
      <SecondFactorPage
        branding={page.branding}
        nonce={page.nonce}
        csrfToken={page.csrfToken}
        action={SECOND_FACTOR_PATH}
        hiddenFields={{ request: requestId, mfa_token: mfaToken }}
        methods={["totp", "recovery_code"]}
        error={error}
      />,
      error ? 403 : 200,
      [formActionFor(pending.parameters.redirectUri)],
    );
  }

  router.post(SECOND_FACTOR_PATH, async (c) => {
    const form = await formFields(c);
    const requestId = form.request ?? "";
    if (!csrfValid(c, form[CSRF_FIELD])) return errorPage(c, 403, EXPIRED_FORM);
    const mfaToken = form.mfa_token ?? "";
    const code = form.code?.trim() || undefined;
    const recoveryCode = form.recovery_code?.trim() || undefined;
    if ((code === undefined) === (recoveryCode === undefined)) return secondFactorPage(c, requestId, mfaToken, "Enter the code from your authenticator app, or one recovery code.");
    let proof;
    try {
      proof = await c.var.services.auth.checkSecondFactor({ mfaToken, code, recoveryCode, ...clientInfo(c) });
    } catch (error) {
      const message = refusalMessage(error);
      if (message === null) throw error;
      // A spent or expired mfa_token cannot be retried: back to the password.
      if (error instanceof ProblemError && error.code === "INVALID_MFA_TOKEN") return signInPage(c, requestId, { error: message, status: 401 });
      return secondFactorPage(c, requestId, mfaToken, message);
    }
    return follow(c, await signedIn(c, requestId, proof));
  });

  // The passkey button's two calls (src/pages/passkey-script.ts): JSON in, JSON out.
  router.post(`${SIGN_IN_PATH}/passkey/options`, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    if (!csrfValid(c, body[CSRF_FIELD])) return c.json({ error: "csrf" }, 403);
    if (typeof body.request !== "string" || !(await c.var.services.oauth.authorization.pending(body.request))) return c.json({ error: "expired" }, 400);
    return c.json({ options: await c.var.services.passkeys.loginOptions({}) }, 200);
  });

  router.post(`${SIGN_IN_PATH}/passkey`, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    if (!csrfValid(c, body[CSRF_FIELD])) return c.json({ error: "csrf" }, 403);
    const requestId = typeof body.request === "string" ? body.request : "";
    if (typeof body.response !== "object" || body.response === null) return c.json({ error: "invalid" }, 400);
    let proof;
    try {
      proof = await c.var.services.auth.checkPasskey({ response: body.response as never, ...clientInfo(c) });
    } catch (error) {
      if (refusalMessage(error) === null) throw error;
      return c.json({ error: "refused" }, (error as ProblemError).status as 401 | 403 | 429);
    }
    const location = locationOf(await signedIn(c, requestId, proof));
    return location ? c.json({ location }, 200) : c.json({ error: "expired" }, 400);
  });

  router.get(CONSENT_PATH, async (c) => {
    const requestId = c.req.query("request") ?? "";
    const browser = await browserSession(c);
    const pending = await c.var.services.oauth.authorization.pending(requestId);
    if (!pending) return errorPage(c, 400, EXPIRED_REQUEST);
    if (!browser) return c.redirect(`${SIGN_IN_PATH}?request=${encodeURIComponent(requestId)}`, 303);
    const user = await c.var.services.users.findById(browser.userId);
    const page = pageContext(c);
    return render(
      c,
      page,
      <ConsentPage
        branding={page.branding}
        nonce={page.nonce}
        csrfToken={page.csrfToken}
        action={CONSENT_PATH}
        hiddenFields={{ request: requestId }}
        clientName={pending.client.name}
        scopes={describeScopes(pending.parameters.scopes)}
        userEmail={user?.email ?? ""}
      />,
      200,
      [formActionFor(pending.parameters.redirectUri)],
    );
  });

  router.post(CONSENT_PATH, async (c) => {
    const form = await formFields(c);
    if (!csrfValid(c, form[CSRF_FIELD])) return errorPage(c, 403, EXPIRED_FORM);
    if (form.decision !== "allow" && form.decision !== "deny") return errorPage(c, 400, "Choose Allow or Deny.");
    return follow(c, await c.var.services.oauth.authorization.decide(form.request ?? "", await browserSession(c), form.decision === "allow"));
  });

  router.get(LOGOUT_PATH, async (c) => {
    const parsed = await c.var.services.oauth.endSession.parse(c.req.query());
    if (!parsed.ok) return errorPage(c, 400, parsed.message);
    const { client, postLogoutRedirectUri, state } = parsed.request;
    const page = pageContext(c);
    const hiddenFields: Record<string, string> = {
      ...(client && { client_id: client.id }),
      ...(postLogoutRedirectUri && { post_logout_redirect_uri: postLogoutRedirectUri }),
      ...(state && { state }),
    };
    return render(
      c,
      page,
      <LogoutConfirmPage branding={page.branding} nonce={page.nonce} csrfToken={page.csrfToken} action={LOGOUT_PATH} hiddenFields={hiddenFields} clientName={client?.name} />,
      200,
      postLogoutRedirectUri ? [formActionFor(postLogoutRedirectUri)] : [],
    );
  });

  router.post(LOGOUT_PATH, async (c) => {
    const form = await formFields(c);
    if (!csrfValid(c, form[CSRF_FIELD])) return errorPage(c, 403, EXPIRED_FORM);
    if (form.decision === "cancel") return errorPage(c, 400, "You are still signed in.", "Sign-out cancelled");
    if (form.decision !== "confirm") return errorPage(c, 400, "Choose Sign out or Cancel.");
    // Validated again: the hidden fields came back from the browser.
    const parsed = await c.var.services.oauth.endSession.parse({ client_id: form.client_id, post_logout_redirect_uri: form.post_logout_redirect_uri, state: form.state });
    if (!parsed.ok) return errorPage(c, 400, parsed.message);
    const secure = isSecureIssuer(c.var.services.issuer);
    const next = await c.var.services.oauth.endSession.confirm(parsed.request, readBrowserSessionCookie(c, { secure }), clientInfo(c));
    clearBrowserSessionCookie(c, { secure });
    if (next) return c.redirect(next, 303);
    const page = pageContext(c);
    return render(c, page, <SignedOutPage branding={page.branding} nonce={page.nonce} />, 200);
  });

  return router;
}
