import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createSigningKeys } from "../../src/tokens/jwt.js";

const guideText = () => readFile(new URL("../../docs/VERIFYING-TOKENS.md", import.meta.url), "utf8");

/** docs/VERIFYING-TOKENS.md quotes each file of docs/examples/ whole: the code verifiers.test.ts runs. */
describe("docs/VERIFYING-TOKENS.md", () => {
  it("quotes every example in docs/examples/ exactly as it is tested", async () => {
    const examples = new URL("../../docs/examples/", import.meta.url);
    const guide = await guideText();
    // The verify-with-* files are this guide's; oauth-*.ts belong to docs/API.md (test/docs/oauth-examples.test.ts).
    const files = (await readdir(examples)).filter((name) => name.startsWith("verify-with-") && name.endsWith(".ts"));
    expect(files.sort()).toEqual([
      "verify-with-express-oauth2-jwt-bearer.ts",
      "verify-with-hono-jwk.ts",
      "verify-with-jose.ts",
      "verify-with-jsonwebtoken.ts",
    ]);
    for (const name of files) {
      const source = await readFile(new URL(name, examples), "utf8");
      expect(guide, `${name} is not quoted as it is`).toContain("```ts\n" + source + "```");
    }
  });

  it("makes an RSA key with its shell command that JWT_PRIVATE_KEYS takes as an RS256 key", async () => {
    const commands = [...(await guideText()).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(commands).toHaveLength(1);
    const { stdout } = await promisify(execFile)("sh", ["-c", commands[0]!]);
    const config = loadConfig({ JWT_PRIVATE_KEYS: stdout.trim() });
    const keys = await createSigningKeys(config.jwt.signing);
    expect(keys.signing.alg).toBe("RS256");
    expect(keys.publicJwks).toEqual([expect.objectContaining({ kty: "RSA", alg: "RS256", kid: "rsa-2027-01" })]);
  });
});
