import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/** The files of swagger-ui-dist that /ui serves, with their media types. */
export const SWAGGER_UI_FILES = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
} as const;

export type SwaggerUiFileName = keyof typeof SWAGGER_UI_FILES;

/**
 * Reads the Swagger UI files from the swagger-ui-dist that package-lock.json pins, so /ui works
 * with no network and loads nothing the service did not ship. The package has no "exports" map,
 * so its files are plain, resolvable paths (Node and Bun alike; src/password/hash-wasm-bundle.ts
 * reads hash-wasm the same way).
 */
export async function readSwaggerUiFiles(): Promise<Record<SwaggerUiFileName, Uint8Array>> {
  const require = createRequire(import.meta.url);
  const names = Object.keys(SWAGGER_UI_FILES) as SwaggerUiFileName[];
  const contents = await Promise.all(names.map((name) => readFile(require.resolve(`swagger-ui-dist/${name}`))));
  return Object.fromEntries(names.map((name, i) => [name, new Uint8Array(contents[i]!)])) as Record<SwaggerUiFileName, Uint8Array>;
}
