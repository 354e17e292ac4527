import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMfaEncryptionKey } from "../../src/bootstrap.js";
import { loadConfig } from "../../src/config.js";
import { createCapturingLogger } from "../security/support.js";

describe("the MFA encryption key at start", () => {
  it("outside production without MFA_ENCRYPTION_KEY: made once under DATA_DIR (0600), the same on the next start", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "mfa-key-"));
    try {
      const { logger } = createCapturingLogger();
      const config = loadConfig({ DATA_DIR: dataDir });
      const first = await loadMfaEncryptionKey(config, logger);
      const second = await loadMfaEncryptionKey(config, logger);
      expect(first).toHaveLength(32);
      expect(second).toEqual(first);
      expect((await stat(join(dataDir, "mfa-encryption-key"))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("in production without it: none, and the log says that enrolment answers 503", async () => {
    const { logger, output } = createCapturingLogger();
    const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: "k8Jd2mQp9xV4nR7tL1wZ5cB3hF6gY0sA", JWT_ISSUER: "https://auth.example.com" });
    expect(await loadMfaEncryptionKey(config, logger)).toBeUndefined();
    expect(output()).toContain("MFA_NOT_CONFIGURED");
  });
});
