/**
 * Passkeys (WebAuthn, with @simplewebauthn/server): registration, passwordless login and the
 * passkey as the second step of a password login (passkey-service.ts); the storage of credentials
 * and of the challenges of ceremonies in flight (store.ts, sql-store.ts).
 */
export { createSqlPasskeyStore } from "./sql-store.js";
export { createPasskeyService, PASSKEY_CHALLENGE_TTL_SECONDS, type PasskeyAmr, type PasskeyService, type PasswordlessLogin } from "./passkey-service.js";
export type { PasskeyCeremony, PasskeyChallengeRecord, PasskeyRecord, PasskeyStore } from "./store.js";
