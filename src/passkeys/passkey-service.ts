import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { ProblemError } from "../http/problem.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { LoginThrottle } from "../login-throttle/with-login-throttle.js";
import type { SessionStore } from "../sessions/store.js";
import type { UserStore } from "../users/store.js";
import type { Caller } from "../users/account-service.js";
import type { ClientInfo } from "../auth/auth-service.js";
import { createOneTimeToken, hashOneTimeToken } from "../recovery/one-time-token.js";
import { fromBase64Url, toBase64Url, uuidToBytes } from "../lib/encoding.js";
import type { PasskeyCeremony, PasskeyRecord, PasskeyStore } from "./store.js";

/** How long the options of a ceremony may wait for its answer. */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 5 * 60;

/**
 * COSE algorithms accepted for new passkeys: ES256 (-7, what nearly every authenticator makes),
 * EdDSA (-8) and RS256 (-257, Windows Hello), in that order of preference.
 */
const SUPPORTED_ALGORITHMS = [-7, -8, -257];

/** RFC 8176 values of a passkey: `hwk` for a key bound to one device, `swk` for a synced one (its key leaves the hardware). */
export type PasskeyAmr = "hwk" | "swk";

export interface PasskeyServiceOptions {
  store: PasskeyStore;
  relyingParty: Config["webauthn"];
  users: Pick<UserStore, "findById" | "findByEmail">;
  sessions: Pick<SessionStore, "revokeAllForUser">;
  /**
   * The step-up that removing a passkey needs: the password always, and a TOTP code or a recovery
   * code when TOTP is enabled (with their throttle, events and revocation).
   */
  confirmStepUp(caller: Caller, proof: { password: string; code?: string | undefined; recoveryCode?: string | undefined }): Promise<void>;
  /** The user of a live mfa_token (MfaService.loginChallengeUser), or null. */
  mfaTokenUser(mfaToken: string): Promise<string | null>;
  /** The failed-login budget that wrong assertions of a passwordless login spend; absent: not throttled. */
  loginThrottle?: LoginThrottle;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
}

export interface PasswordlessLogin {
  userId: string;
  /** `[hwk|swk, "user", "mfa"]`: something the user has, verified by the authenticator (PIN or biometrics). */
  amr: string[];
  passkeyId: string;
}

export interface PasskeyService {
  /** The options for navigator.credentials.create: a discoverable credential, no attestation, the caller's passkeys excluded. */
  registrationOptions(caller: Caller): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Verifies the answer to the caller's registration options and stores the passkey. */
  register(caller: Caller, input: { name: string | null; response: RegistrationResponseJSON }): Promise<PasskeyRecord>;
  list(userId: string): Promise<PasskeyRecord[]>;
  count(userId: string): Promise<number>;
  /** Removes one of the caller's passkeys after the step-up; NOT_FOUND for an id that is not theirs. */
  remove(caller: Caller, id: string, proof: { password: string; code?: string | undefined; recoveryCode?: string | undefined }): Promise<void>;
  /** Options of a passwordless login; with an email, bound to that account (the same answer whether it exists or not). */
  loginOptions(input: { email?: string | undefined }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Verifies a passwordless login's assertion (user verification required) under the account's failed-login budget. */
  verifyLogin(input: { response: AuthenticationResponseJSON } & ClientInfo): Promise<PasswordlessLogin>;
  /** Options of the second step of a password login, for the user of a live mfa_token (INVALID_MFA_TOKEN otherwise). */
  secondFactorOptions(input: { mfaToken: string }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Verifies the assertion of the second step: its challenge must come from secondFactorOptions for
   * this mfa_token and user. The caller (MfaService.completeLoginChallengeWith) holds the throttle.
   */
  verifySecondFactor(input: { userId: string; mfaToken: string; response: AuthenticationResponseJSON } & ClientInfo): Promise<PasskeyAmr>;
  /** Every passkey of the user removed (an admin's reset of the factors); returns how many. */
  removeAllForUser(userId: string): Promise<number>;
}

const invalidPasskey = (detail = "The passkey's answer could not be verified; ask for new options and try again.") => new ProblemError("INVALID_PASSKEY", { detail });
const isInvalidPasskey = (error: unknown) => error instanceof ProblemError && error.code === "INVALID_PASSKEY";

/**
 * The challenge and origin that clientDataJSON claims, read before any verification: the challenge
 * names the stored ceremony to spend. Null for anything that is not base64url JSON with a string
 * challenge (the library checks everything else again).
 */
function readClientData(clientDataJSON: string): { challenge: string; origin: unknown; type: unknown } | null {
  const bytes = fromBase64Url(clientDataJSON);
  if (!bytes) return null;
  try {
    const parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
    if (typeof parsed !== "object" || parsed === null) return null;
    const { challenge, origin, type } = parsed as Record<string, unknown>;
    return typeof challenge === "string" && challenge.length > 0 && challenge.length <= 128 ? { challenge, origin, type } : null;
  } catch {
    return null;
  }
}

/** A fixed, useful reason for a refused ceremony, without echoing the library's message (it quotes the values it compared). */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  if (/rp ?id/i.test(message)) return "The authenticator answered for another RP ID than this service's (WEBAUTHN_RP_ID).";
  if (/user verification/i.test(message)) return "The authenticator did not verify the user (PIN or biometrics), which a passwordless login needs.";
  if (/user not present/i.test(message)) return "The authenticator did not report the user's presence.";
  return "The passkey's answer could not be verified; ask for new options and try again.";
}

/** The library takes ArrayBuffer-backed arrays only (its `Uint8Array_`): a copy is one. */
const ownBytes = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/** The user handle of a user, as registration gives it to the authenticator: the id's 16 bytes. */
const userHandleOf = (userId: string) => toBase64Url(uuidToBytes(userId));

const amrOf = (deviceType: string): PasskeyAmr => (deviceType === "multiDevice" ? "swk" : "hwk");

/** The rules of passkeys: ceremonies, their challenges, the counter, and the events. Knows nothing of HTTP. */
export function createPasskeyService(options: PasskeyServiceOptions): PasskeyService {
  const { store, relyingParty, users, clock, recordEvent } = options;

  /** A fresh challenge (256 random bits) stored, by its hash only, for one ceremony. */
  async function newChallenge(ceremony: PasskeyCeremony, binding: { userId: string | null; mfaTokenHash?: string }): Promise<string> {
    const challenge = createOneTimeToken();
    const now = clock();
    await store.createChallenge({
      challengeHash: await hashOneTimeToken(challenge),
      ceremony,
      userId: binding.userId,
      mfaTokenHash: binding.mfaTokenHash ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + PASSKEY_CHALLENGE_TTL_SECONDS * 1000),
    });
    return challenge;
  }

  /** Spends the challenge that clientDataJSON names, for this ceremony; null when it is not live (unknown, used, expired, another ceremony's). */
  async function spendChallenge(clientDataJSON: string, ceremony: PasskeyCeremony) {
    const clientData = readClientData(clientDataJSON);
    if (!clientData) return null;
    const record = await store.consumeChallenge(await hashOneTimeToken(clientData.challenge), ceremony, clock());
    return record && { ...record, challenge: clientData.challenge, origin: clientData.origin };
  }

  const wrongOrigin = () => invalidPasskey("The ceremony ran on an origin this service does not accept (WEBAUTHN_ORIGINS).");

  /**
   * Verifies an assertion of `passkey` over `challenge`, then moves its counter forward. The library
   * is given a counter of 0 so that it checks only the signature: the counter is compared here,
   * after the signature verified, so that only the real key's signatures can raise a clone
   * suspicion. A counter that did not move forward (and is not the 0 of an authenticator without
   * one) means a second copy of the key signed: refused, and recorded.
   */
  async function verifyAssertion(passkey: PasskeyRecord, response: AuthenticationResponseJSON, challenge: string, requireUserVerification: boolean, client: ClientInfo) {
    const publicKey = fromBase64Url(passkey.publicKey);
    if (!publicKey) throw invalidPasskey();
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: relyingParty.origins,
        expectedRPID: relyingParty.rpId,
        credential: { id: passkey.credentialId, publicKey: ownBytes(publicKey), counter: 0 },
        requireUserVerification,
      });
    } catch (error) {
      throw invalidPasskey(reasonOf(error));
    }
    if (!verified.verified) throw invalidPasskey();
    const { newCounter, credentialBackedUp, userVerified } = verified.authenticationInfo;
    const regressed = (newCounter > 0 || passkey.signCount > 0) && newCounter <= passkey.signCount;
    if (regressed || !(await store.recordUse(passkey.id, { signCount: newCounter, backedUp: credentialBackedUp, now: clock() }))) {
      await recordEvent("passkey_clone_suspected", {
        userId: passkey.userId,
        ...client,
        details: { passkey_id: passkey.id, stored_counter: passkey.signCount, presented_counter: newCounter },
      });
      throw invalidPasskey("The authenticator's signature counter did not move forward: this looks like a copy of the passkey, so it was refused.");
    }
    return { userVerified };
  }

  /** The stored passkey an assertion names, checked against the user handle it carries (when it carries one). */
  async function passkeyOf(response: AuthenticationResponseJSON): Promise<PasskeyRecord | null> {
    const passkey = await store.findByCredentialId(response.id);
    if (!passkey) return null;
    const { userHandle } = response.response;
    if (userHandle !== undefined && userHandle !== userHandleOf(passkey.userId)) return null;
    return passkey;
  }

  return {
    async registrationOptions(caller) {
      const user = await users.findById(caller.userId);
      if (!user) throw new ProblemError("INVALID_TOKEN");
      const existing = await store.listByUser(caller.userId);
      const challenge = await newChallenge("registration", { userId: caller.userId });
      return generateRegistrationOptions({
        rpName: relyingParty.rpName,
        rpID: relyingParty.rpId,
        userName: user.email,
        userDisplayName: user.name ?? user.email,
        userID: ownBytes(uuidToBytes(user.id)),
        challenge: ownBytes(fromBase64Url(challenge)!),
        timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
        attestationType: "none",
        excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransportFuture[] })),
        // Discoverable, so a passwordless login needs no email (and the options never list an
        // account's credentials); user verification preferred, so the passkey can sign in alone.
        authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
    },

    async register(caller, { name, response }) {
      const refused = (detail: string) => new ProblemError("PASSKEY_REGISTRATION_FAILED", { detail });
      const spent = await spendChallenge(response.response.clientDataJSON, "registration");
      if (!spent || spent.userId !== caller.userId) throw refused("No live registration challenge of this account: ask POST /me/passkeys/options for one (it lasts 5 minutes and works once).");
      if (typeof spent.origin !== "string" || !relyingParty.origins.includes(spent.origin)) throw refused("The ceremony ran on an origin this service does not accept (WEBAUTHN_ORIGINS).");
      let verified;
      try {
        verified = await verifyRegistrationResponse({
          response,
          expectedChallenge: spent.challenge,
          expectedOrigin: relyingParty.origins,
          expectedRPID: relyingParty.rpId,
          // Verified or not, the passkey may serve as a second factor; a passwordless login then asks for verification.
          requireUserVerification: false,
          supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
        });
      } catch (error) {
        throw refused(reasonOf(error));
      }
      if (!verified.verified) throw refused("The authenticator's answer could not be verified.");
      const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
      const record: PasskeyRecord = {
        id: uuidv7(),
        userId: caller.userId,
        credentialId: credential.id,
        publicKey: toBase64Url(credential.publicKey),
        signCount: credential.counter,
        transports: credential.transports ?? [],
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        name,
        createdAt: clock(),
        lastUsedAt: null,
      };
      if (!(await store.createCredential(record))) throw new ProblemError("CONFLICT", { detail: "This passkey is already registered." });
      await recordEvent("passkey_added", { ...caller, details: { passkey_id: record.id, device_type: record.deviceType, backed_up: record.backedUp } });
      return record;
    },

    list: (userId) => store.listByUser(userId),
    count: (userId) => store.countByUser(userId),

    async remove(caller, id, proof) {
      const mine = (await store.listByUser(caller.userId)).some((passkey) => passkey.id === id);
      if (!mine) throw new ProblemError("NOT_FOUND", { detail: "No such passkey among yours." });
      await options.confirmStepUp(caller, proof);
      if (!(await store.deleteCredential(caller.userId, id))) throw new ProblemError("NOT_FOUND", { detail: "No such passkey among yours." });
      // As for any factor removed: the sessions it may have started end, except the caller's.
      const revoked = await options.sessions.revokeAllForUser(caller.userId, { exceptSessionId: caller.sessionId });
      await recordEvent("passkey_removed", { ...caller, details: { passkey_id: id, sessions_revoked: revoked } });
    },

    async loginOptions({ email }) {
      let userId: string | null = null;
      if (email !== undefined) {
        // An unknown address binds the challenge to an id that exists nowhere: the same query, the
        // same insert and the same answer as for an account, so the options tell nothing.
        userId = (await users.findByEmail(email))?.id ?? uuidv7();
      }
      const challenge = await newChallenge("login", { userId });
      // Never `allowCredentials`: listing an account's credentials would say that it exists (and
      // which passkeys it has); every passkey registered here is discoverable anyway.
      return generateAuthenticationOptions({ rpID: relyingParty.rpId, challenge: ownBytes(fromBase64Url(challenge)!), timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000, userVerification: "required" });
    },

    async verifyLogin({ response, userAgent, ip }) {
      const client = { userAgent, ip };
      // Spent first, whatever follows: an assertion is presented once.
      const spent = await spendChallenge(response.response.clientDataJSON, "login");
      const passkey = await passkeyOf(response);
      const user = passkey && (await users.findById(passkey.userId));
      // No account to charge: the per-IP limit of the route is what bounds these.
      if (!passkey || !user) throw invalidPasskey();
      const check = async () => {
        if (!spent || (spent.userId !== null && spent.userId !== passkey.userId)) {
          throw invalidPasskey("No live login challenge for this passkey: ask POST /login/passkey/options for one (it lasts 5 minutes and works once).");
        }
        if (typeof spent.origin !== "string" || !relyingParty.origins.includes(spent.origin)) throw wrongOrigin();
        // RFC 8176: with user verification the passkey is two factors (something held, and a PIN or
        // biometrics); without it only possession, weaker than the password it replaces: refused.
        await verifyAssertion(passkey, response, spent.challenge, true, client);
      };
      const failed = () =>
        recordEvent("mfa_challenge_failed", { userId: user.id, ...client, details: { during: "passkey_login", method: "passkey", passkey_id: passkey.id } });
      const { loginThrottle } = options;
      try {
        if (loginThrottle) await loginThrottle.guard({ email: user.email, ip }, check, { isWrongPassword: isInvalidPasskey, afterFailure: failed });
        else await check();
      } catch (error) {
        if (!loginThrottle && isInvalidPasskey(error)) await failed();
        throw error;
      }
      await recordEvent("passkey_login", { userId: user.id, ...client, details: { passkey_id: passkey.id, as: "passwordless" } });
      return { userId: user.id, amr: [amrOf(passkey.deviceType), "user", "mfa"], passkeyId: passkey.id };
    },

    async secondFactorOptions({ mfaToken }) {
      const userId = await options.mfaTokenUser(mfaToken);
      if (!userId) throw new ProblemError("INVALID_MFA_TOKEN", { detail: "Log in with the password again for a new mfa_token." });
      const passkeys = await store.listByUser(userId);
      if (passkeys.length === 0) throw new ProblemError("CONFLICT", { detail: "This account has no passkey; finish the login with a TOTP code or a recovery code." });
      const challenge = await newChallenge("second_factor", { userId, mfaTokenHash: await hashOneTimeToken(mfaToken) });
      return generateAuthenticationOptions({
        rpID: relyingParty.rpId,
        challenge: ownBytes(fromBase64Url(challenge)!),
        timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
        // The password was the first factor: presence is enough here (the library's advice for a second factor).
        userVerification: "discouraged",
        // The caller proved the password, so the account's passkeys may be named.
        allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransportFuture[] })),
      });
    },

    async verifySecondFactor({ userId, mfaToken, response, userAgent, ip }) {
      const spent = await spendChallenge(response.response.clientDataJSON, "second_factor");
      if (!spent || spent.userId !== userId || spent.mfaTokenHash !== (await hashOneTimeToken(mfaToken))) {
        throw invalidPasskey("No live challenge for this mfa_token: ask POST /login/mfa/passkey/options for one (it lasts 5 minutes and works once).");
      }
      if (typeof spent.origin !== "string" || !relyingParty.origins.includes(spent.origin)) throw wrongOrigin();
      const passkey = await passkeyOf(response);
      if (!passkey || passkey.userId !== userId) throw invalidPasskey("This passkey is not one of the account's.");
      await verifyAssertion(passkey, response, spent.challenge, false, { userAgent, ip });
      await recordEvent("passkey_login", { userId, userAgent, ip, details: { passkey_id: passkey.id, as: "second_factor" } });
      return amrOf(passkey.deviceType);
    },

    removeAllForUser: (userId) => store.deleteAllForUser(userId),
  };
}
