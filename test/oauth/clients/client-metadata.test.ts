import { describe, expect, it } from "vitest";
import { CreateClientFieldsSchema, PublicJwkSchema, redirectUriProblem, ScopeSchema } from "../../../src/oauth/clients/client-metadata.js";

describe("client registration fields", () => {
  it("accepts https, http on loopback hosts and private-use schemes with a dot; refuses the rest", () => {
    for (const ok of ["https://app.example/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb", "http://localhost/cb", "com.example.app:/callback"]) expect(redirectUriProblem(ok), ok).toBeNull();
    for (const bad of ["/relative", "https://app.example/cb#frag", "http://app.example/cb", "myapp:/cb", "javascript:alert(1)", "http://127.0.0.2.example/cb"]) expect(redirectUriProblem(bad), bad).not.toBeNull();
  });

  it("scopes are RFC 6749 scope tokens; JWKs are public keys only", () => {
    expect(ScopeSchema.safeParse("offline_access").success).toBe(true);
    for (const bad of ["two words", 'quo"te', "back\\slash", ""]) expect(ScopeSchema.safeParse(bad).success, bad).toBe(false);
    expect(PublicJwkSchema.safeParse({ kty: "EC", crv: "P-256", x: "x", y: "y" }).success).toBe(true);
    expect(PublicJwkSchema.safeParse({ kty: "EC", crv: "P-256", x: "x", y: "y", d: "secret" }).success).toBe(false);
    expect(PublicJwkSchema.safeParse({ kty: "oct", k: "secret" }).success).toBe(false);
  });

  it("the create body needs a name and a type, and drops duplicate entries", () => {
    expect(CreateClientFieldsSchema.safeParse({ type: "public" }).success).toBe(false);
    expect(CreateClientFieldsSchema.parse({ name: "A", type: "public", redirect_uris: ["https://a.example/cb", "https://a.example/cb"] }).redirect_uris).toEqual(["https://a.example/cb"]);
  });
});
