import { describe, expect, it } from "vitest";
import { createLogger as createLoggerFromBootstrap } from "../../src/bootstrap.js";
import { loadConfig } from "../../src/config.js";
import { createLogger, resolveLogFormat } from "../../src/observability/logger.js";

/** A destination that keeps what the logger wrote. */
function capture() {
  const chunks: string[] = [];
  return { destination: { write: (chunk: string) => void chunks.push(chunk) }, output: () => chunks.join("") };
}

const ANSI_ESCAPE = "\u001b[";

describe("log format selection", () => {
  it.each([
    // [NODE_ENV, LOG_FORMAT, stdout is a terminal, expected]
    ["development", undefined, true, "pretty"],
    ["development", undefined, false, "json"],
    ["production", undefined, true, "json"],
    ["test", undefined, true, "json"],
    ["production", "pretty", false, "pretty"],
    ["development", "json", true, "json"],
  ] as const)("NODE_ENV=%s LOG_FORMAT=%s tty=%s: %s", (env, logFormat, isTty, expected) => {
    const config = loadConfig({ NODE_ENV: env, LOG_FORMAT: logFormat, JWT_ISSUER: "https://auth.example.com", JWT_SECRET: "q3Zt9mR1vX7bK2pL8wN4cY6hJ0sD5fG+aE/uT1iOk2M=" });
    expect(config.logFormat).toBe(logFormat);
    expect(resolveLogFormat(config, isTty)).toBe(expected);
  });

  it("refuses another LOG_FORMAT at start, naming the variable", () => {
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/^LOG_FORMAT: must be pretty or json/);
  });

  it("writes one JSON object per line in json format", () => {
    const { destination, output } = capture();
    const logger = createLogger({ logLevel: "info", env: "development", logFormat: "json" }, { destination, stdoutIsTty: true });
    logger.info({ requestId: "r-1", status: 200 }, "request");
    logger.debug("below the level");
    const lines = output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "request", requestId: "r-1", status: 200, level: 30, service: "auth-service" });
  });

  it("writes human-readable lines in pretty format, coloured only on a terminal", () => {
    const plain = capture();
    createLogger({ logLevel: "info", logFormat: "pretty" }, { destination: plain.destination, stdoutIsTty: false }).info({ requestId: "r-2" }, "request");
    expect(() => JSON.parse(plain.output())).toThrow();
    expect(plain.output()).toMatch(/INFO.*request/);
    expect(plain.output()).toContain('requestId: "r-2"');
    expect(plain.output()).not.toContain(ANSI_ESCAPE);

    const coloured = capture();
    createLogger({ logLevel: "info", env: "development" }, { destination: coloured.destination, stdoutIsTty: true }).info("listening");
    expect(coloured.output()).toContain(ANSI_ESCAPE);
    expect(coloured.output()).toContain("listening");
  });

  it("is the logger bootstrap builds the runtime with", () => {
    expect(createLoggerFromBootstrap).toBe(createLogger);
  });
});

describe("redaction in createLogger", () => {
  const secrets = {
    password: "secret-password-1",
    current_password: "secret-password-2",
    new_password: "secret-password-3",
    newPassword: "secret-password-4",
    refresh_token: "secret-refresh-1",
    refreshToken: "secret-refresh-2",
    access_token: "secret-access-1",
    accessToken: "secret-access-2",
    token: "secret-token-1",
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LWhhc2g$secret-hash-1",
    password_hash: "secret-hash-2",
    tokenHash: "secret-hash-3",
    presentedHash: "secret-hash-4",
    sealedSuccessor: "secret-sealed-1",
    secret: "secret-secret-1",
    authorization: "Bearer secret-bearer-1",
    cookie: "sid=secret-cookie-1",
  };

  /** Everything above at the top level, one level down, and in the places a request or config would hold it. */
  function logEverything(format: "json" | "pretty") {
    const { destination, output } = capture();
    const logger = createLogger({ logLevel: "info", logFormat: format }, { destination, stdoutIsTty: false });
    logger.info({ ...secrets, body: { ...secrets }, input: { ...secrets } }, "everything at once");
    logger.info(
      {
        req: { headers: { authorization: "Bearer secret-bearer-2", cookie: "sid=secret-cookie-2" } },
        headers: { authorization: "Bearer secret-bearer-3", "set-cookie": "sid=secret-cookie-3" },
        config: { jwt: { signing: { kind: "hmac", secret: "secret-jwt-1" } }, metrics: { token: "secret-metrics-1" } },
        JWT_SECRET: "secret-jwt-2",
        METRICS_TOKEN: "secret-metrics-2",
      },
      "a request and a config",
    );
    return output();
  }

  it.each(["json", "pretty"] as const)("keeps every password, token, hash and secret out of %s lines", (format) => {
    const text = logEverything(format);
    expect(text).toContain("everything at once");
    expect(text).toContain("[redacted]");
    const leaked = [...text.matchAll(/secret-[a-z]+-\d/g)].map(([match]) => match);
    expect(leaked).toEqual([]);
    expect(text).not.toContain("$argon2id$");
  });

  it("leaves the fields that are not secret as they are", () => {
    const { destination, output } = capture();
    createLogger({ logLevel: "info", logFormat: "json" }, { destination }).info({ userId: "u-1", route: "/login", email_domain: "example.com" }, "ok");
    expect(JSON.parse(output())).toMatchObject({ userId: "u-1", route: "/login", email_domain: "example.com" });
  });
});
