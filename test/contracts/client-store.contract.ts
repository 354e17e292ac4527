import { describe, expect, it } from "vitest";
import { useSuiteContext, type SuiteContext } from "../helpers/suite-context.js";
import type { ClientStore, OAuthClient } from "../../src/oauth/clients/store.js";

export interface ClientStoreTestContext extends SuiteContext {
  store: ClientStore;
}

const MINUTE = 60_000;

/** The behaviour every ClientStore shares; time moves by passing a later `now`. */
export function describeClientStoreContract(name: string, makeStore: () => Promise<ClientStoreTestContext>): void {
  describe(`ClientStore contract: ${name}`, () => {
    const ctx = useSuiteContext(makeStore);
    const store = () => ctx().store;

    function client(overrides: Partial<OAuthClient> = {}): OAuthClient {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      return {
        id: `client-${crypto.randomUUID()}`,
        name: "Web app",
        type: "confidential",
        redirectUris: ["https://app.example/cb"],
        postLogoutRedirectUris: [],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "profile", "email"],
        firstParty: false,
        tokenEndpointAuthMethod: "client_secret_basic",
        jwks: null,
        createdAt: now,
        updatedAt: now,
        ...overrides,
      };
    }

    it("creates a client, gets it back as stored, lists clients oldest first, and refuses a duplicate id", async () => {
      const older = client({ createdAt: new Date(Date.now() - 10 * MINUTE) });
      const jwks = [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "k1" }];
      const newer = client({ type: "public", tokenEndpointAuthMethod: "none", jwks, firstParty: true, postLogoutRedirectUris: ["https://app.example/bye"] });
      expect(await store().create(newer, null)).toEqual(newer);
      expect(await store().create(older, "ab".repeat(32))).toEqual(older);
      expect(await store().get(newer.id)).toEqual(newer);
      expect(await store().get("unknown")).toBeNull();
      const ids = (await store().list()).map((c) => c.id);
      expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
      await expect(store().create(client({ id: older.id }), null)).rejects.toThrow();
    });

    it("updates only the fields patched and updated_at; null for an unknown client", async () => {
      const original = client();
      await store().create(original, "ab".repeat(32));
      const later = new Date(original.createdAt.getTime() + MINUTE);
      const updated = await store().update(original.id, { name: "Renamed", scopes: ["openid"], firstParty: true }, later);
      expect(updated).toEqual({ ...original, name: "Renamed", scopes: ["openid"], firstParty: true, updatedAt: later });
      expect(await store().get(original.id)).toEqual(updated);
      expect(await store().secretHash(original.id)).toBe("ab".repeat(32));
      expect(await store().update("unknown", { name: "x" }, later)).toBeNull();
    });

    it("keeps the secret's hash apart from the client, replaces it, and answers null when there is none", async () => {
      const withSecret = client();
      await store().create(withSecret, "cd".repeat(32));
      expect(await store().secretHash(withSecret.id)).toBe("cd".repeat(32));
      const later = new Date(withSecret.createdAt.getTime() + MINUTE);
      expect(await store().setSecretHash(withSecret.id, "ef".repeat(32), later)).toBe(true);
      expect(await store().secretHash(withSecret.id)).toBe("ef".repeat(32));
      expect((await store().get(withSecret.id))!.updatedAt).toEqual(later);
      expect(await store().setSecretHash("unknown", "ef".repeat(32), later)).toBe(false);
      expect(await store().secretHash("unknown")).toBeNull();
      const publicClient = client({ type: "public", tokenEndpointAuthMethod: "none" });
      await store().create(publicClient, null);
      expect(await store().secretHash(publicClient.id)).toBeNull();
    });

    it("deletes a client once", async () => {
      const doomed = client();
      await store().create(doomed, null);
      expect(await store().delete(doomed.id)).toBe(true);
      expect(await store().get(doomed.id)).toBeNull();
      expect(await store().delete(doomed.id)).toBe(false);
    });

    it("spends an assertion's jti once per client: of 10 concurrent spends exactly one succeeds; another client's same jti is its own", async () => {
      const first = client();
      const second = client();
      await store().create(first, null);
      await store().create(second, null);
      const now = new Date();
      const expiresAt = new Date(now.getTime() + 5 * MINUTE);
      const results = await Promise.all(Array.from({ length: 10 }, () => store().spendAssertion(first.id, "jti-1", expiresAt, now)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().spendAssertion(first.id, "jti-1", expiresAt, new Date(now.getTime() + MINUTE))).toBe(false);
      expect(await store().spendAssertion(second.id, "jti-1", expiresAt, now)).toBe(true);
      expect(await store().spendAssertion(first.id, "jti-2", expiresAt, now)).toBe(true);
    });

    it("forgets a jti once its assertion expired (it is refused as expired before it gets here)", async () => {
      const owner = client();
      await store().create(owner, null);
      const now = new Date();
      const expiresAt = new Date(now.getTime() + MINUTE);
      expect(await store().spendAssertion(owner.id, "short-lived", expiresAt, now)).toBe(true);
      expect(await store().spendAssertion(owner.id, "short-lived", new Date(now.getTime() + 3 * MINUTE), new Date(now.getTime() + 2 * MINUTE))).toBe(true);
    });

    it("a deleted client's spent jtis go with it", async () => {
      const owner = client();
      await store().create(owner, null);
      const now = new Date();
      expect(await store().spendAssertion(owner.id, "jti", new Date(now.getTime() + MINUTE), now)).toBe(true);
      expect(await store().delete(owner.id)).toBe(true);
      await store().create(owner, null);
      expect(await store().spendAssertion(owner.id, "jti", new Date(now.getTime() + MINUTE), now)).toBe(true);
    });
  });
}
