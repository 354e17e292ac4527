/**
 * Second factors: TOTP (RFC 6238, totp.ts) with its secret sealed at rest (secret-box.ts), recovery
 * codes kept as hashes (recovery-codes.ts), and the pending second step of a login; the storage
 * (store.ts, sql-store.ts).
 */
export { createSqlMfaStore } from "./sql-store.js";
export { createSecretBox, generateMfaEncryptionKey, MFA_KEY_BYTES, type SecretBox } from "./secret-box.js";
export { generateTotpSecret, matchTotpStep, totpSecretBase32, totpUri, TOTP_PERIOD_SECONDS } from "./totp.js";
export { createRecoveryCode, hashRecoveryCode, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes.js";
export type { LoginChallengeRecord, MfaStore, TotpFactorRecord } from "./store.js";
export { createMfaService, MFA_TOKEN_MAX_FAILURES, MFA_TOKEN_TTL_SECONDS, type Amr, type CompletedSecondFactor, type MfaService } from "./mfa-service.js";
