/** The hosted pages: components (hono/jsx), their security layer and the branding. */
export { loadBranding, logoDataUrl, MAX_LOGO_BYTES, type Branding } from "./branding.js";
export { ConsentPage, type ConsentPageProps } from "./consent.js";
export { ErrorPage, type ErrorPageProps } from "./error-page.js";
export { Page, type FormPageProps, type PageBaseProps } from "./layout.js";
export {
  clearBrowserSessionCookie,
  createNonce,
  CSRF_FIELD,
  isSecureIssuer,
  issueCsrfToken,
  pageContentSecurityPolicy,
  readBrowserSessionCookie,
  renderPage,
  setBrowserSessionCookie,
  verifyCsrf,
  type BrowserSessionCookieOptions,
  type CookieOptions,
  type PageCspOptions,
  type RenderPageOptions,
} from "./page-security.js";
export { describeScope, describeScopes, scopeDescriptions } from "./scopes.js";
export { SecondFactorPage, type SecondFactorMethod, type SecondFactorPageProps } from "./second-factor.js";
export { SignInPage, type FederationButton, type SignInPageProps } from "./sign-in.js";
export { LogoutConfirmPage, SignedOutPage, type LogoutConfirmPageProps } from "./sign-out.js";
