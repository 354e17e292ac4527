import type { ClientInfo } from "../auth/auth-service.js";
import { assertAcceptableNewPassword, normalisePassword } from "../auth/auth-service.js";
import type { Config } from "../config.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import { ProblemError } from "../http/problem.js";
import type { BackgroundTasks } from "../lib/background.js";
import type { MailMessage, MailTemplates } from "../mail/index.js";
import type { PasswordHasher } from "../password/hasher.js";
import type { PasswordPolicy } from "../password/policy.js";
import type { AddressRateLimit } from "../rate-limit/address-limit.js";
import type { SessionStore } from "../sessions/store.js";
import type { Caller } from "../users/account-service.js";
import type { User, UserStore } from "../users/store.js";
import { createOneTimeToken, hashOneTimeToken, isOneTimeTokenShape } from "./one-time-token.js";
import type { SecondFactorProof } from "../mfa/mfa-service.js";
import type { OneTimeTokenPurpose, OneTimeTokenStore } from "./token-store.js";

/** Where messages go: the durable outbox (src/mail/mail-queue.ts); `configured` false: nowhere (503 MAIL_NOT_CONFIGURED). */
export interface MailOutbox {
  readonly configured: boolean;
  enqueue(message: MailMessage): Promise<unknown>;
}

export interface EmailFlowsServiceOptions {
  users: UserStore;
  sessions: SessionStore;
  tokens: OneTimeTokenStore;
  hasher: PasswordHasher;
  /** What a new password must pass: the same policy as register and the password change. */
  passwordPolicy: PasswordPolicy;
  /** The account service's password confirmation (throttled, counted, recorded). */
  /** The account service's step-up: the password, and the second factor when the account has one. */
  confirmStepUp: (caller: Caller, password: string, secondFactor?: SecondFactorProof) => Promise<void>;
  mail: MailOutbox;
  templates: MailTemplates;
  addressLimit: AddressRateLimit;
  ttlSeconds: Config["emailFlows"]["tokenTtlSeconds"];
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  /** Where the work after an answer runs (the lookup and the message of forgotPassword). */
  background: BackgroundTasks;
}

export interface EmailFlowsService {
  /** Sends a verification link to the caller's address; nothing when it is verified already. */
  requestVerification(caller: Caller): Promise<void>;
  /** Spends a verification or email-change token; the user as they are now. */
  verifyEmail(input: { token: string } & ClientInfo): Promise<User>;
  /**
   * Returns before anything depends on the address: the lookup, the token and the message happen
   * afterwards (in `background`), so known and unknown addresses get the same answer in
   * the same time. Only the per-address limit runs first, and it counts every address alike.
   */
  forgotPassword(input: { email: string } & ClientInfo): Promise<void>;
  /** Sets the new password (already checked by the password rules), ends every session and every reset token of the user. */
  resetPassword(input: { token: string; newPassword: string } & ClientInfo): Promise<void>;
  /** Checks the step-up and sends a confirmation link to the new address; the address changes when it is used. */
  requestEmailChange(caller: Caller, input: { newEmail: string; password: string; secondFactor?: SecondFactorProof }): Promise<void>;
  /** After a password change elsewhere (POST /me/password): ends the reset tokens and sends the notice. */
  passwordChanged(userId: string): Promise<void>;
}

const VERIFY_PURPOSES = ["email_verification", "email_change"] as const satisfies readonly OneTimeTokenPurpose[];
const RESET_PURPOSES = ["password_reset"] as const satisfies readonly OneTimeTokenPurpose[];

/** The rules of email verification, password reset and email change. Knows nothing of HTTP. */
export function createEmailFlowsService(options: EmailFlowsServiceOptions): EmailFlowsService {
  const { users, sessions, tokens, hasher, passwordPolicy, confirmStepUp, mail, templates, addressLimit, ttlSeconds, clock, recordEvent, background } = options;
  const invalidToken = () => new ProblemError("INVALID_ONE_TIME_TOKEN");

  function requireMail(): void {
    if (!mail.configured) {
      throw new ProblemError("MAIL_NOT_CONFIGURED", {
        detail: "This deployment sends no mail, so this flow is unavailable.",
        // Not an outage that passes by itself: the operator has to set SMTP_URL.
        headers: { "retry-after": "3600" },
      });
    }
  }

  /** A fresh token for the user and purpose; only its hash is stored. */
  async function issue(userId: string, purpose: OneTimeTokenPurpose, email: string, lifetimeSeconds: number): Promise<string> {
    const token = createOneTimeToken();
    const now = clock();
    await tokens.create({ tokenHash: await hashOneTimeToken(token), userId, purpose, email, createdAt: now, expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000) });
    return token;
  }

  async function sendPasswordNotice(user: User): Promise<void> {
    if (!mail.configured) return;
    await mail.enqueue(templates.render("password-changed-notice", { to: user.email, name: user.name }));
  }

  return {
    async requestVerification(caller) {
      const user = await users.findById(caller.userId);
      if (!user) throw new ProblemError("INVALID_TOKEN");
      if (user.emailVerified) return;
      requireMail();
      await addressLimit.hit(user.email);
      const token = await issue(user.id, "email_verification", user.email, ttlSeconds.emailVerification);
      await mail.enqueue(templates.render("verify-email", { to: user.email, token, name: user.name }));
      await recordEvent("email_verification_sent", { ...caller });
    },

    async verifyEmail({ token, userAgent, ip }) {
      if (!isOneTimeTokenShape(token)) throw invalidToken();
      const tokenHash = await hashOneTimeToken(token);
      const found = await tokens.peek(tokenHash, VERIFY_PURPOSES, clock());
      if (!found) throw invalidToken();
      if (found.purpose === "email_change") {
        // Checked before the token is spent, so a taken address leaves the link usable once it is free again.
        const holder = await users.findByEmail(found.email);
        if (holder && holder.id !== found.userId) throw new ProblemError("EMAIL_TAKEN");
      }
      const record = await tokens.consume(tokenHash, VERIFY_PURPOSES, clock());
      if (!record) throw invalidToken();

      if (record.purpose === "email_verification") {
        const user = await users.markEmailVerified(record.userId, record.email);
        // The account's address changed since the link was sent: it proves nothing about the new one.
        if (!user) throw invalidToken();
        await recordEvent("email_verified", { userId: user.id, userAgent, ip });
        return user;
      }
      const before = await users.findById(record.userId);
      if (!before) throw invalidToken();
      const changed = await users.changeEmail(record.userId, record.email);
      // Registered between the check above and this update: the unique index decided.
      if (changed === "taken") throw new ProblemError("EMAIL_TAKEN");
      if (!changed) throw invalidToken();
      const now = clock();
      // Links sent to the old address, or to other candidate addresses, must not work any more.
      await Promise.all((["password_reset", "email_verification", "email_change"] as const).map((purpose) => tokens.revokeAll(changed.id, purpose, now)));
      await recordEvent("email_changed", { userId: changed.id, userAgent, ip });
      await mail.enqueue(templates.render("email-changed-notice", { to: before.email, newEmail: changed.email, name: changed.name }));
      return changed;
    },

    async forgotPassword({ email, userAgent, ip }) {
      requireMail();
      await addressLimit.hit(email);
      background.run("password reset request", async () => {
        const user = await users.findByEmail(email);
        if (!user || user.disabledAt) return;
        const now = clock();
        // A new request ends the links sent before: only the newest one works.
        await tokens.revokeAll(user.id, "password_reset", now);
        const token = await issue(user.id, "password_reset", user.email, ttlSeconds.passwordReset);
        await mail.enqueue(templates.render("reset-password", { to: user.email, token, name: user.name }));
        await recordEvent("password_reset_requested", { userId: user.id, userAgent, ip });
      });
    },

    async resetPassword({ token, newPassword, userAgent, ip }) {
      if (!isOneTimeTokenShape(token)) throw invalidToken();
      // The rules before anything else: a refused new password spends nothing.
      assertAcceptableNewPassword(passwordPolicy, newPassword);
      const tokenHash = await hashOneTimeToken(token);
      // Looked at first, so that an unknown token costs no Argon2 hash; the hash is made before the
      // token is spent, so a busy hasher (503) leaves the link usable.
      if (!(await tokens.peek(tokenHash, RESET_PURPOSES, clock()))) throw invalidToken();
      const passwordHash = await hasher.hash(normalisePassword(newPassword));
      const record = await tokens.consume(tokenHash, RESET_PURPOSES, clock());
      if (!record) throw invalidToken();
      const user = await users.findById(record.userId);
      if (!user || user.disabledAt) throw invalidToken();
      await users.updatePasswordHash(user.id, passwordHash);
      await tokens.revokeAll(user.id, "password_reset", clock());
      const revoked = await sessions.revokeAllForUser(user.id);
      // The link went to this address, so following it proves the address (unless it changed since).
      await users.markEmailVerified(user.id, record.email);
      await recordEvent("password_reset", { userId: user.id, userAgent, ip, details: { sessions_revoked: revoked } });
      await sendPasswordNotice(user);
    },

    async requestEmailChange(caller, { newEmail, password, secondFactor }) {
      requireMail();
      // The account service's step-up: wrong passwords and codes count toward the failed-login budget.
      await confirmStepUp(caller, password, secondFactor);
      const user = await users.findByIdWithPasswordHash(caller.userId);
      if (!user) throw new ProblemError("INVALID_TOKEN");
      if (newEmail === user.email.toLowerCase()) throw new ProblemError("CONFLICT", { detail: "This is already the account's address." });
      if (await users.findByEmail(newEmail)) throw new ProblemError("EMAIL_TAKEN");
      await addressLimit.hit(newEmail);
      const now = clock();
      await tokens.revokeAll(user.id, "email_change", now);
      const token = await issue(user.id, "email_change", newEmail, ttlSeconds.emailChange);
      await mail.enqueue(templates.render("confirm-email-change", { to: newEmail, token, name: user.name }));
      await recordEvent("email_change_requested", { ...caller });
    },

    async passwordChanged(userId) {
      await tokens.revokeAll(userId, "password_reset", clock());
      const user = await users.findById(userId);
      if (user) await sendPasswordNotice(user);
    },
  };
}
