/** `npm run client:generate`: writes client/src/schema.d.ts from the document the app serves. */
import { writeFile } from "node:fs/promises";
import { CLIENT_SCHEMA_PATH, generateClientSchema } from "./openapi-document.js";

await writeFile(new URL(`../${CLIENT_SCHEMA_PATH}`, import.meta.url), await generateClientSchema());
process.stdout.write(`wrote ${CLIENT_SCHEMA_PATH}\n`);
