/**
 * The email flows: verification, password reset and address change over one-time links sent by
 * mail (src/mail/). Tokens: 256 random bits, stored as SHA-256 hashes bound to a user, a purpose and
 * an address, spent by one conditional UPDATE (sql-token-store.ts); the rules: email-flows-service.ts.
 */
export { createEmailFlowsService, type EmailFlowsService, type EmailFlowsServiceOptions, type MailOutbox } from "./email-flows-service.js";
export { createSqlOneTimeTokenStore } from "./sql-token-store.js";
export { createOneTimeToken, hashOneTimeToken, isOneTimeTokenShape } from "./one-time-token.js";
export type { OneTimeTokenPurpose, OneTimeTokenRecord, OneTimeTokenStore } from "./token-store.js";
