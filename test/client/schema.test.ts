import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CLIENT_SCHEMA_PATH, generateClientSchema } from "../../scripts/openapi-document.js";

describe("the client's types (client/src/schema.d.ts)", () => {
  it("are what openapi-typescript makes of the document the app serves now: run `npm run client:generate` after changing a route", async () => {
    const committed = await readFile(new URL(`../../${CLIENT_SCHEMA_PATH}`, import.meta.url), "utf8");
    expect(committed).toBe(await generateClientSchema());
  }, 180_000); // an embedded database, the whole app and openapi-typescript's parser: slow on a busy two-core machine
});
