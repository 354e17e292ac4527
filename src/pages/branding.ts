import { readFile } from "node:fs/promises";
import { ConfigError, type Config } from "../config.js";

/** How the hosted pages look for a deployment: from config.pages, the logo already inlined. */
export interface Branding {
  productName: string;
  /** A `data:image/...;base64,` URL: pages load nothing from anywhere (CSP `img-src data:`). */
  logoDataUrl?: string;
  /** `#rgb` or `#rrggbb` (config checks it): buttons, links and focus rings. */
  accentColor: string;
}

/** The logo is inlined into every page, so it must stay small. */
export const MAX_LOGO_BYTES = 128 * 1024;

/** The image type from the file's first bytes, not its name: a renamed file is refused rather than mislabelled. */
function imageType(bytes: Uint8Array): string | null {
  const starts = (...prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.slice(8, 12)) === "WEBP") return "image/webp";
  // SVG is text: an optional BOM, XML declaration, comments or doctype, then <svg. Shown through
  // <img>, an SVG's scripts never run, and CSP default-src 'none' covers what it might load.
  const head = new TextDecoder().decode(bytes.slice(0, 1024)).replace(/^\uFEFF/, "");
  if (/^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(head)) return "image/svg+xml";
  return null;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The logo's bytes as a data: URL; a ConfigError naming PAGES_LOGO_FILE when they are not a supported image. */
export function logoDataUrl(bytes: Uint8Array): string {
  if (bytes.length > MAX_LOGO_BYTES) {
    throw new ConfigError("PAGES_LOGO_FILE", `is ${bytes.length} bytes; a logo inlined into every page must be at most ${MAX_LOGO_BYTES}`);
  }
  const type = imageType(bytes);
  if (!type) throw new ConfigError("PAGES_LOGO_FILE", "is not a PNG, JPEG, WebP or SVG image");
  return `data:${type};base64,${base64(bytes)}`;
}

/**
 * The pages' branding from config.pages. Only config.ts reads the environment, and it reads no
 * files, so the logo file is read here, once, by the composition (src/bootstrap.ts, like the mail
 * templates): a missing or unsupported file fails the start with a ConfigError, not the first page.
 */
export async function loadBranding(pages: Config["pages"], read: (path: string) => Promise<Uint8Array> = readFile): Promise<Branding> {
  const branding: Branding = { productName: pages.productName, accentColor: pages.accentColor };
  if (pages.logoFile === undefined) return branding;
  let bytes: Uint8Array;
  try {
    bytes = await read(pages.logoFile);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError("PAGES_LOGO_FILE", `cannot be read (${reason}): ${pages.logoFile}`);
  }
  return { ...branding, logoDataUrl: logoDataUrl(bytes) };
}
