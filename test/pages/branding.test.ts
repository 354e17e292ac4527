import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_ACCENT_COLOR, loadConfig } from "../../src/config.js";
import { loadBranding, logoDataUrl, MAX_LOGO_BYTES } from "../../src/pages/branding.js";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const WEBP = new TextEncoder().encode("RIFF\u0024\0\0\0WEBPVP8 ");
const SVG = new TextEncoder().encode(`<?xml version="1.0"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>`);

describe("PAGES_* configuration", () => {
  it("defaults to the mail product name, no logo and the calm blue", () => {
    expect(loadConfig({}).pages).toEqual({ productName: "auth-service", logoFile: undefined, accentColor: DEFAULT_ACCENT_COLOR });
    expect(loadConfig({ MAIL_PRODUCT_NAME: "Acme" }).pages.productName).toBe("Acme");
  });

  it("reads the product name, the logo path and the accent colour", () => {
    const pages = loadConfig({ MAIL_PRODUCT_NAME: "Acme mail", PAGES_PRODUCT_NAME: " Acme ID ", PAGES_LOGO_FILE: "/etc/acme/logo.svg", PAGES_ACCENT_COLOR: "#0A7D33" }).pages;
    expect(pages).toEqual({ productName: "Acme ID", logoFile: "/etc/acme/logo.svg", accentColor: "#0a7d33" });
    expect(loadConfig({ PAGES_ACCENT_COLOR: "#abc" }).pages.accentColor).toBe("#abc");
  });

  it.each(["blue", "#abcd", "#12345g", "1a5fb4", "#1a5fb4; }", "rgb(0,0,0)"])("refuses the accent colour %j", (colour) => {
    const error = configError({ PAGES_ACCENT_COLOR: colour });
    expect(error.variable).toBe("PAGES_ACCENT_COLOR");
    expect(error.problem).toBe("must be a hex colour, #rgb or #rrggbb");
  });
});

describe("the logo", () => {
  it.each([
    ["PNG", PNG, "image/png"],
    ["JPEG", JPEG, "image/jpeg"],
    ["WebP", WEBP, "image/webp"],
    ["SVG", SVG, "image/svg+xml"],
  ] as const)("inlines a %s as a data: URL of its type", (_name, bytes, type) => {
    const url = logoDataUrl(bytes);
    expect(url.startsWith(`data:${type};base64,`)).toBe(true);
    expect(Uint8Array.from(atob(url.slice(url.indexOf(",") + 1)), (c) => c.charCodeAt(0))).toEqual(bytes);
  });

  it("refuses what is not one of those images, and one too big to inline", () => {
    expect(() => logoDataUrl(new TextEncoder().encode("<html><script>"))).toThrow(/PAGES_LOGO_FILE: is not a PNG, JPEG, WebP or SVG image/);
    const big = new Uint8Array(MAX_LOGO_BYTES + 1);
    big.set(PNG);
    expect(() => logoDataUrl(big)).toThrow(ConfigError);
  });

  describe("loadBranding", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "branding-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("reads the logo file into the branding", async () => {
      const file = join(dir, "logo.png");
      await writeFile(file, PNG);
      const branding = await loadBranding(loadConfig({ PAGES_PRODUCT_NAME: "Acme", PAGES_LOGO_FILE: file }).pages);
      expect(branding).toEqual({ productName: "Acme", accentColor: DEFAULT_ACCENT_COLOR, logoDataUrl: logoDataUrl(PNG) });
    });

    it("has no logo without a file", async () => {
      expect(await loadBranding(loadConfig({}).pages)).toEqual({ productName: "auth-service", accentColor: DEFAULT_ACCENT_COLOR });
    });

    it("fails with a ConfigError naming the variable when the file is missing", async () => {
      await expect(loadBranding(loadConfig({ PAGES_LOGO_FILE: join(dir, "missing.png") }).pages)).rejects.toThrow(/^PAGES_LOGO_FILE: cannot be read \(ENOENT\)/);
    });
  });
});
