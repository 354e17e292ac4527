/**
 * The OAuth client registry: clients and their storage (store.ts, sql-store.ts), the registration
 * rules (client-metadata.ts, client-service.ts), secrets (client-secret.ts) and client
 * authentication at the token endpoint (client-authentication.ts).
 */
export { createSqlClientStore } from "./sql-store.js";
export { createClientService, type ClientService, type ClientServiceOptions, type CreateClientInput } from "./client-service.js";
export { createClientAuthentication, type AuthenticateClient, type ClientAuthenticationInput, type ClientAuthenticationOptions } from "./client-authentication.js";
export type { ClientAuthMethod, ClientStore, GrantType, OAuthClient, OAuthClientPatch } from "./store.js";
