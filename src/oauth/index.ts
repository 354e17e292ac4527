/** The OAuth 2.1 / OpenID Connect provider (provider.ts says what and why) and its storage. */
export { createOAuthProvider, type OAuthProvider, type OAuthProviderOptions } from "./provider.js";
export { createSqlOAuthStore } from "./sql-store.js";
export { endClientGrants } from "./grants.js";
export { OAuthError, type OAuthErrorCode } from "./errors.js";
export { providerMetadata, type ProviderMetadata } from "./metadata.js";
export type { OAuthStore } from "./store.js";
export type { BrowserSession } from "./browser-sessions.js";
