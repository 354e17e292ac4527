import { describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";
import { ConfigError, loadConfig } from "../src/config.js";
import { generateSigningJwk } from "../src/tokens/jwt.js";

/** A secret as `openssl rand -base64 32` makes one (fixed, so the tests are repeatable). */
const SECRET = "q3Zt9mR1vX7bK2pL8wN4cY6hJ0sD5fG+aE/uT1iOk2M=";
const ISSUER = "https://auth.example.com";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("defaults to development with PGlite, no Redis, a generated key and docs/API.md's lifetimes", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.redis).toBeUndefined();
    expect(config.jwt.signing).toEqual({ kind: "development-key" });
    expect(config.tokens).toMatchObject({ accessTokenTtlSeconds: 900, refreshReuseGraceSeconds: 10 });
    expect(config.http.trustProxyHops).toBe(0);
    expect(config.http.corsOrigins).toEqual([]);
  });

  it("reads durations as seconds or with a unit", () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: "5m", REFRESH_TOKEN_TTL: "7d", SESSION_MAX_LIFETIME: "2592000", REFRESH_REUSE_GRACE_SECONDS: "0" });
    expect(config.tokens).toEqual({
      accessTokenTtlSeconds: 300,
      refreshTokenTtlSeconds: 604_800,
      sessionMaxLifetimeSeconds: 2_592_000,
      refreshReuseGraceSeconds: 0,
    });
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://localhost/db" }, "DATABASE_URL"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [{ ACCESS_TOKEN_TTL: "fifteen minutes" }, "ACCESS_TOKEN_TTL"],
    [{ TRUST_PROXY: "-1" }, "TRUST_PROXY"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ JWT_PRIVATE_KEYS: "not json" }, "JWT_PRIVATE_KEYS"],
    [{ JWT_PRIVATE_KEYS: '[{"kty":"OKP","crv":"Ed25519","x":"abc","kid":"k1"}]' }, "JWT_PRIVATE_KEYS"],
    [{ JWT_SECRET: SECRET, JWT_PRIVATE_KEYS: "[]" }, "JWT_PRIVATE_KEYS"],
    [{ REFRESH_TOKEN_TTL: "30d", SESSION_MAX_LIFETIME: "1d" }, "SESSION_MAX_LIFETIME"],
  ])("names the variable of a bad value: %j", (env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: .+`));
    expect(error.message).not.toContain("\n");
  });

  it("never echoes a secret in its message", () => {
    const error = configError({ JWT_SECRET: "hunter2-but-short" });
    expect(error.message).not.toContain("hunter2");
  });

  it("refuses production without a signing secret or key, or with a short secret", () => {
    expect(configError({ NODE_ENV: "production" }).variable).toBe("JWT_SECRET");
    expect(configError({ NODE_ENV: "production", JWT_SECRET: "x".repeat(31) }).variable).toBe("JWT_SECRET");
    expect(loadConfig({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_SECRET: SECRET }).jwt.signing).toEqual({ kind: "hmac", secret: SECRET });
  });

  it("lets tools that sign nothing (the migration CLI) start in production without a key", () => {
    expect(loadConfig({ NODE_ENV: "production" }, { requireSigningKey: false }).env).toBe("production");
  });

  it("takes asymmetric keys as a JSON array of private JWKs", () => {
    const jwk = { kty: "OKP", crv: "Ed25519", x: "x", d: "d", kid: "k1" };
    const config = loadConfig({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_PRIVATE_KEYS: JSON.stringify([jwk]) });
    // The algorithm is pinned from the key type when the JWK does not name it.
    expect(config.jwt.signing).toEqual({ kind: "asymmetric", privateJwks: [{ ...jwk, alg: "EdDSA" }] });
  });

  describe("RSA and EC keys in JWT_PRIVATE_KEYS", () => {
    // node:crypto, because jose refuses to generate the short key this test needs.
    const rsa = async (modulusLength: number, alg?: string) => {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength });
      return { ...privateKey.export({ format: "jwk" }), kid: `rsa-${modulusLength}`, ...(alg && { alg }) };
    };

    it("pins RS256 for an RSA key without alg, keeps PS256 when the key names it, and ES256 for P-256", async () => {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const ec = { ...(await exportJWK(privateKey)), kid: "ec" };
      const config = loadConfig({ JWT_PRIVATE_KEYS: JSON.stringify([await rsa(2048), await rsa(3072, "PS256"), ec]) });
      if (config.jwt.signing.kind !== "asymmetric") throw new Error("expected asymmetric keys");
      expect(config.jwt.signing.privateJwks.map((key) => [key.kty, key.alg])).toEqual([
        ["RSA", "RS256"],
        ["RSA", "PS256"],
        ["EC", "ES256"],
      ]);
    });

    it.each([
      ["an RSA key below 2048 bits", async () => [await rsa(1024)]],
      ["an RSA key with an alg it cannot use", async () => [await rsa(2048, "ES256")]],
      ["an Ed25519 key that asks for RS256", async () => [{ kty: "OKP", crv: "Ed25519", x: "x", d: "d", kid: "k", alg: "RS256" }]],
      ["an RSA public key", async () => [{ ...(await rsa(2048)), d: undefined, p: undefined }]],
      ["an unknown key type", async () => [{ kty: "oct", k: "abc", kid: "k" }]],
    ])("refuses %s, naming JWT_PRIVATE_KEYS", async (_, keys) => {
      expect(configError({ JWT_PRIVATE_KEYS: JSON.stringify(await keys()) }).variable).toBe("JWT_PRIVATE_KEYS");
    });
  });

  describe("JWT_ISSUER and JWT_CLIENT_ID", () => {
    it("default to the development URL on PORT and a first-party client id", () => {
      expect(loadConfig({}).jwt).toMatchObject({ issuer: "http://localhost:3000", clientId: "auth-service" });
      expect(loadConfig({ PORT: "8080" }).jwt.issuer).toBe("http://localhost:8080");
      expect(loadConfig({ JWT_CLIENT_ID: "web-app" }).jwt.clientId).toBe("web-app");
    });

    it("takes an https URL in production, without a trailing slash", () => {
      expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET, JWT_ISSUER: "https://auth.example.com/" }).jwt.issuer).toBe(ISSUER);
    });

    it("takes http in production only for loopback hosts", () => {
      for (const issuer of ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]) {
        expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET, JWT_ISSUER: issuer }).jwt.issuer).toBe(issuer);
      }
    });

    it.each([
      [{ NODE_ENV: "production", JWT_SECRET: SECRET }, "production without JWT_ISSUER"],
      [{ NODE_ENV: "production", JWT_SECRET: SECRET, JWT_ISSUER: "http://auth.example.com" }, "plain http in production"],
      [{ JWT_ISSUER: "auth-service" }, "a name that is not a URL"],
      [{ JWT_ISSUER: "https://auth.example.com/?tenant=1" }, "a query"],
      [{ JWT_ISSUER: "https://auth.example.com/#x" }, "a fragment"],
    ])("refuses %j (%s), naming JWT_ISSUER", (env, _case) => {
      expect(configError(env as Record<string, string>).variable).toBe("JWT_ISSUER");
    });
  });

  it("refuses JWT_SECRET and JWT_PRIVATE_KEYS together, even when each is valid on its own", async () => {
    const ISSUER = "https://auth.example.com";
    const keys = JSON.stringify([await generateSigningJwk()]);
    // each alone passes every check, so only the "not both" rule can refuse the pair
    expect(loadConfig({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_SECRET: SECRET }).jwt.signing.kind).toBe("hmac");
    expect(loadConfig({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_PRIVATE_KEYS: keys }).jwt.signing.kind).toBe("asymmetric");
    for (const NODE_ENV of ["production", "development"]) {
      const error = configError({ NODE_ENV, JWT_ISSUER: ISSUER, JWT_SECRET: SECRET, JWT_PRIVATE_KEYS: keys });
      expect(["JWT_SECRET", "JWT_PRIVATE_KEYS"]).toContain(error.variable);
    }
  });

  it("bounds slow clients by default: 10 s for the headers, 30 s for the request, 5 s idle keep-alive, 1000 connections", () => {
    expect(loadConfig({}).http).toMatchObject({ headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, keepAliveTimeoutSeconds: 5, maxConnections: 1000 });
    const tuned = loadConfig({ HTTP_HEADERS_TIMEOUT: "2", HTTP_REQUEST_TIMEOUT: "1m", HTTP_KEEP_ALIVE_TIMEOUT: "65s", HTTP_MAX_CONNECTIONS: "20000" });
    expect(tuned.http).toMatchObject({ headersTimeoutSeconds: 2, requestTimeoutSeconds: 60, keepAliveTimeoutSeconds: 65, maxConnections: 20_000 });
  });

  it.each([
    [{ HTTP_HEADERS_TIMEOUT: "0" }, "HTTP_HEADERS_TIMEOUT"],
    [{ HTTP_REQUEST_TIMEOUT: "256" }, "HTTP_REQUEST_TIMEOUT"],
    [{ HTTP_KEEP_ALIVE_TIMEOUT: "5m" }, "HTTP_KEEP_ALIVE_TIMEOUT"],
    [{ HTTP_MAX_CONNECTIONS: "0" }, "HTTP_MAX_CONNECTIONS"],
    [{ HTTP_HEADERS_TIMEOUT: "40", HTTP_REQUEST_TIMEOUT: "30" }, "HTTP_HEADERS_TIMEOUT"],
  ])("refuses a slow-client limit that is off or out of range: %j", (env, variable) => {
    expect(configError(env).variable).toBe(variable);
  });

  it("serves /doc and /ui unless DOCS_ENABLED is false", () => {
    expect(loadConfig({}).docs.enabled).toBe(true);
    expect(loadConfig({ DOCS_ENABLED: "false" }).docs.enabled).toBe(false);
    expect(configError({ DOCS_ENABLED: "sometimes" }).variable).toBe("DOCS_ENABLED");
  });

  it("treats empty variables as unset and splits CORS_ORIGINS", () => {
    const config = loadConfig({ DATABASE_URL: "", CORS_ORIGINS: "https://a.example, https://b.example" });
    expect(config.database.url).toBeUndefined();
    expect(config.http.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
  });
});

describe("production refuses known and degenerate HS256 secrets", () => {
  const ISSUER = "https://auth.example.com";
  /** Every JWT_SECRET value written in the repository's examples and scripts. */
  async function shippedPlaceholders(): Promise<string[]> {
    const { readFile } = await import("node:fs/promises");
    const found: string[] = [];
    for (const file of [".env.example", "deploy/secret.example.yaml", ".ci/run", "README.md", "docker-compose.yml"]) {
      const text = await readFile(new URL(`../${file}`, import.meta.url), "utf8");
      for (const match of text.matchAll(/JWT_SECRET["']?\s*[:=]\s*["']?([^"'\s$][^"'\s]*)/g)) found.push(match[1]!);
    }
    return found.filter((value) => value.length >= 32);
  }

  it("refuses every placeholder the repository ships, naming JWT_SECRET and how to make one", async () => {
    const placeholders = await shippedPlaceholders();
    expect(placeholders.length).toBeGreaterThanOrEqual(3);
    for (const secret of placeholders) {
      const error = configError({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_SECRET: secret });
      expect(error.variable, secret).toBe("JWT_SECRET");
      expect(error.message).toContain("openssl rand -base64 32");
    }
  });

  it.each([
    ["32 x a", "a".repeat(32)],
    ["40 spaces", " ".repeat(40)],
    ["a repeated pair", "ab".repeat(24)],
    ["a repeated word", "password".repeat(5)],
  ])("refuses %s", (_case, secret) => {
    expect(configError({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_SECRET: secret }).variable).toBe("JWT_SECRET");
  });

  it("accepts random secrets of 32 bytes in base64 and 16 bytes in hex, and leaves development alone", () => {
    const random = (bytes: number) => crypto.getRandomValues(new Uint8Array(bytes));
    const base64 = btoa(String.fromCharCode(...random(32)));
    const hex = [...random(16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    expect(loadConfig({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_SECRET: base64 }).jwt.signing.kind).toBe("hmac");
    expect(loadConfig({ NODE_ENV: "production", JWT_ISSUER: ISSUER, JWT_SECRET: hex }).jwt.signing.kind).toBe("hmac");
    expect(loadConfig({ JWT_SECRET: "a".repeat(32) }).jwt.signing.kind).toBe("hmac");
  });
});

describe("MFA_ENCRYPTION_KEY", () => {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

  it("takes 32 bytes of base64, refuses anything else, and is optional", () => {
    const configured = loadConfig({ MFA_ENCRYPTION_KEY: key }).mfa.encryptionKey;
    expect(configured.kind).toBe("configured");
    expect(configured.kind === "configured" && configured.key.length).toBe(32);
    expect(() => loadConfig({ MFA_ENCRYPTION_KEY: btoa("too short") })).toThrow(/MFA_ENCRYPTION_KEY/);
    expect(() => loadConfig({ MFA_ENCRYPTION_KEY: "not base64!" })).toThrow(/MFA_ENCRYPTION_KEY/);
    expect(loadConfig({}).mfa.encryptionKey.kind).toBe("development-key");
  });

  it("production starts without it, with TOTP enrolment off", () => {
    const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: "k8Jd2mQp9xV4nR7tL1wZ5cB3hF6gY0sA", JWT_ISSUER: "https://auth.example.com" });
    expect(config.mfa.encryptionKey.kind).toBe("none");
  });
});

describe("WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS", () => {
  const production = { NODE_ENV: "production", JWT_SECRET: "k8Jd2mQp9xV4nR7tL1wZ5cB3hF6gY0sA", JWT_ISSUER: "https://auth.example.com" };

  it("in development with nothing set: RP ID localhost and the origin http://localhost:PORT", () => {
    expect(loadConfig({}).webauthn).toEqual({ rpId: "localhost", rpName: "auth-service", origins: ["http://localhost:3000"] });
    expect(loadConfig({ PORT: "4100", MAIL_PRODUCT_NAME: "Acme" }).webauthn).toEqual({ rpId: "localhost", rpName: "Acme", origins: ["http://localhost:4100"] });
  });

  it("unset in production: JWT_ISSUER's host and origin", () => {
    expect(loadConfig(production).webauthn).toEqual({ rpId: "auth.example.com", rpName: "auth-service", origins: ["https://auth.example.com"] });
  });

  it("takes a parent domain and several origins on it, in production https only", () => {
    const config = loadConfig({ ...production, WEBAUTHN_RP_ID: "Example.com", WEBAUTHN_RP_NAME: "Example", WEBAUTHN_ORIGINS: "https://app.example.com, https://example.com" });
    expect(config.webauthn).toEqual({ rpId: "example.com", rpName: "Example", origins: ["https://app.example.com", "https://example.com"] });
    expect(() => loadConfig({ ...production, WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "http://app.example.com" })).toThrow(/WEBAUTHN_ORIGINS.*https/);
  });

  it("refuses an origin off the RP ID, an origin with a path, and an IP address or URL as RP ID", () => {
    expect(() => loadConfig({ WEBAUTHN_RP_ID: "example.com" })).toThrow(/WEBAUTHN_ORIGINS: http:\/\/localhost:3000 is not on the RP ID/);
    expect(() => loadConfig({ WEBAUTHN_ORIGINS: "http://localhost:3000/app" })).toThrow(/WEBAUTHN_ORIGINS/);
    expect(() => loadConfig({ WEBAUTHN_RP_ID: "192.168.1.10" })).toThrow(/WEBAUTHN_RP_ID/);
    expect(() => loadConfig({ WEBAUTHN_RP_ID: "https://example.com" })).toThrow(/WEBAUTHN_RP_ID/);
  });
});
