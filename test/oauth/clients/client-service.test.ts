import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientAuthentication } from "../../../src/oauth/clients/client-authentication.js";
import { createClientService, type ClientService } from "../../../src/oauth/clients/client-service.js";
import { createSqlClientStore } from "../../../src/oauth/clients/sql-store.js";
import { ProblemError } from "../../../src/http/problem.js";
import { createTestPglite, createTestPostgres, testDatabaseUrl, type TestBackend } from "../../helpers/backends.js";
import type { DatabaseHandle } from "../../../src/db/database.js";

const ISSUER = "https://auth.example.test";

function describeClientService(name: string, makeBackend: () => Promise<TestBackend<DatabaseHandle>>) {
  describe(`ClientService (${name})`, () => {
    let backend: TestBackend<DatabaseHandle>;
    let service: ClientService;
    let authenticate: ReturnType<typeof createClientAuthentication>;
    const ended: string[] = [];
    beforeAll(async () => {
      backend = await makeBackend();
      const clients = createSqlClientStore({ db: backend.value.db });
      service = createClientService({ clients, clock: () => new Date(), endGrants: async (id) => void ended.push(id) });
      authenticate = createClientAuthentication({ clients, issuer: ISSUER, tokenEndpoint: `${ISSUER}/oauth/token` });
    });
    afterAll(() => backend.cleanup());

    async function problem(promise: Promise<unknown>) {
      const error = await promise.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ProblemError);
      return error as ProblemError;
    }
    const post = (id: string, secret: string) => authenticate({ authorization: undefined, form: { client_id: id, client_secret: secret }, now: new Date() });

    it("a confidential client gets a secret once, client_secret_basic and the default scopes; a public one none and no secret", async () => {
      const { client, clientSecret } = await service.create({ name: "Web app", type: "confidential", redirectUris: ["https://app.example/cb"] });
      expect(client).toMatchObject({ type: "confidential", tokenEndpointAuthMethod: "client_secret_basic", scopes: ["openid", "profile", "email"], grantTypes: ["authorization_code", "refresh_token"] });
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(await service.get(client.id))).not.toContain(clientSecret);
      const pub = await service.create({ name: "Mobile", type: "public", redirectUris: ["com.example.app:/callback", "http://127.0.0.1/cb"] });
      expect(pub.clientSecret).toBeUndefined();
      expect(pub.client.tokenEndpointAuthMethod).toBe("none");
    });

    it("rotation returns a new secret and the old one stops working; a public client has none to rotate (409)", async () => {
      const { client, clientSecret } = await service.create({ name: "Rotated", type: "confidential", redirectUris: ["https://app.example/cb"], tokenEndpointAuthMethod: "client_secret_post" });
      expect((await post(client.id, clientSecret!)).id).toBe(client.id);
      const next = await service.rotateSecret(client.id);
      expect(next).not.toBe(clientSecret);
      expect((await post(client.id, next)).id).toBe(client.id);
      await expect(post(client.id, clientSecret!)).rejects.toMatchObject({ code: "invalid_client" });
      const pub = await service.create({ name: "Public", type: "public", redirectUris: ["https://app.example/cb"] });
      expect((await problem(service.rotateSecret(pub.client.id))).code).toBe("CLIENT_HAS_NO_SECRET");
      expect((await problem(service.rotateSecret("unknown"))).code).toBe("CLIENT_NOT_FOUND");
    });

    it("refuses clients that break the registration rules, naming the field", async () => {
      const cases = [
        [{ type: "public", grantTypes: ["authorization_code", "client_credentials"] }, "#/grant_types"],
        [{ type: "public", grantTypes: ["refresh_token"] }, "#/grant_types"],
        [{ type: "confidential", grantTypes: ["refresh_token", "client_credentials"] }, "#/grant_types"],
        [{ type: "confidential", redirectUris: [] }, "#/redirect_uris"],
        [{ type: "confidential", tokenEndpointAuthMethod: "private_key_jwt" }, "#/jwks"],
        [{ type: "confidential", tokenEndpointAuthMethod: "none" }, "#/token_endpoint_auth_method"],
        [{ type: "public", tokenEndpointAuthMethod: "client_secret_basic" }, "#/token_endpoint_auth_method"],
      ] as const;
      for (const [input, pointer] of cases) {
        const error = await problem(service.create({ name: "Bad", redirectUris: ["https://app.example/cb"], ...input } as never));
        expect(error.code, JSON.stringify(input)).toBe("VALIDATION_FAILED");
        expect(error.errors?.map((e) => e.pointer)).toContain(pointer);
      }
      // A machine client needs no redirect URI.
      const machine = await service.create({ name: "Machine", type: "confidential", grantTypes: ["client_credentials"] });
      expect(machine.clientSecret).toBeDefined();
    });

    it("updates by patch, checking the merged client; deletes after ending the client's grants; 404 for unknown ids", async () => {
      const { client } = await service.create({ name: "Patched", type: "confidential", redirectUris: ["https://app.example/cb"] });
      expect((await service.update(client.id, { name: "Renamed", firstParty: true })).name).toBe("Renamed");
      expect((await problem(service.update(client.id, { redirectUris: [] }))).code).toBe("VALIDATION_FAILED");
      expect((await problem(service.update("unknown", { name: "x" }))).code).toBe("CLIENT_NOT_FOUND");
      await service.delete(client.id);
      expect(ended).toContain(client.id);
      expect((await problem(service.get(client.id))).code).toBe("CLIENT_NOT_FOUND");
      expect((await problem(service.delete(client.id))).code).toBe("CLIENT_NOT_FOUND");
    });
  });
}

describeClientService("PGlite", createTestPglite);
describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeClientService("PostgreSQL", createTestPostgres);
});
