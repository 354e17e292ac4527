import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setShouldValidateFormat, validate, type OutputUnit, type Validator } from "@hyperjump/json-schema/openapi-3-1";
import "@hyperjump/json-schema/formats";
import type { TestResponse } from "./test-app.js";

/**
 * Checks answers against the OpenAPI document the service serves, as a validating proxy would:
 * the operation (path template and method), the status (exact, then `4XX`-style, then `default`),
 * the media type, the body against the response's schema, and every declared header (required
 * ones present, present ones valid). The schemas are evaluated by @hyperjump/json-schema in the
 * OpenAPI 3.1 dialect (JSON Schema 2020-12), with `format` asserted, straight from the served
 * document, so nothing here restates a schema.
 *
 * It also holds the service to "every header a client reads is declared": one of HEADERS_CLIENTS_READ
 * sent but not declared for that response is an error.
 */
export const HEADERS_CLIENTS_READ = [
  "x-request-id",
  "cache-control",
  "pragma",
  "www-authenticate",
  "retry-after",
  "ratelimit",
  "ratelimit-policy",
  "connection",
  "content-security-policy",
  "vary",
];

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Node = Record<string, any>;

export interface OpenApiValidator {
  /** The problems of one answer; empty when the answer is what the document promises. */
  check(method: string, path: string, response: TestResponse): Promise<string[]>;
  /** The problems of a value against the schema at `pointer` in the document (a JSON Pointer, "#/..."). */
  checkValue(pointer: string, value: unknown): Promise<string[]>;
  document: Node;
  close(): void;
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function describe(errors: OutputUnit[] | undefined): string {
  const leaves: string[] = [];
  const walk = (units: OutputUnit[] | undefined) => {
    for (const unit of units ?? []) {
      if (unit.errors?.length) walk(unit.errors);
      else leaves.push(`${unit.instanceLocation || "#"} fails ${unit.absoluteKeywordLocation.replace(/^.*?#/, "#")}`);
    }
  };
  walk(errors);
  return leaves.slice(0, 5).join("; ");
}

export async function createOpenApiValidator(document: Node): Promise<OpenApiValidator> {
  setShouldValidateFormat(true);
  // The dialect is chosen by the file name (…openapi.json), as @hyperjump/json-schema documents.
  const dir = mkdtempSync(join(tmpdir(), "openapi-validator-"));
  const file = join(dir, `${crypto.randomUUID()}.openapi.json`);
  writeFileSync(file, JSON.stringify(document));
  const base = pathToFileURL(file).href;
  const validators = new Map<string, Promise<Validator>>();

  const resolve = (node: Node, pointer: string): [Node, string] => {
    let current = node;
    let at = pointer;
    while (typeof current?.$ref === "string") {
      at = current.$ref;
      current = at
        .slice(2)
        .split("/")
        .reduce((parent: Node, segment) => parent?.[segment.replaceAll("~1", "/").replaceAll("~0", "~")], document);
    }
    return [current, at];
  };

  async function checkValue(pointer: string, value: unknown): Promise<string[]> {
    let compiled = validators.get(pointer);
    if (!compiled) {
      // A JSON Pointer in a URI fragment is percent-encoded ({id} in a path template, + in a media type).
      compiled = validate(`${base}#${pointer.slice(1).split("/").map(encodeURIComponent).join("/")}`);
      validators.set(pointer, compiled);
    }
    const output = (await compiled)(value as Json, "BASIC");
    return output.valid ? [] : [`${pointer}: ${describe(output.errors)}`];
  }

  function findOperation(method: string, path: string): [Node, string] | undefined {
    for (const [template, item] of Object.entries(document.paths ?? {}) as Array<[string, Node]>) {
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
      const operation = item[method.toLowerCase()];
      if (operation && pattern.test(path)) return [operation, `#/paths/${escapePointer(template)}/${method.toLowerCase()}`];
    }
    return undefined;
  }

  async function check(method: string, fullPath: string, response: TestResponse): Promise<string[]> {
    if (!METHODS.includes(method.toLowerCase())) return [`${method} is not an HTTP method of OpenAPI`];
    const path = fullPath.split("?")[0]!;
    const found = findOperation(method, path);
    if (!found) return [`${method} ${path}: no operation in the document`];
    const [operation, operationPointer] = found;
    const status = String(response.status);
    const key = [status, `${status[0]}XX`, "default"].find((candidate) => operation.responses?.[candidate]);
    if (!key) return [`${method} ${path}: status ${status} is not documented`];
    const [declared, responsePointer] = resolve(operation.responses[key], `${operationPointer}/responses/${key}`);
    const problems: string[] = [];
    const where = `${method} ${path} ${status}`;

    // Media types compared without their parameters (a key may carry them: text/plain; version=0.0.4).
    const bare = (mediaType: string) => mediaType.split(";")[0]!.trim().toLowerCase();
    const contentType = response.headers.get("content-type");
    const content: Node | undefined = declared.content;
    const mediaKey = content && contentType ? Object.keys(content).find((key) => bare(key) === bare(contentType)) : undefined;
    if (!content) {
      if (response.text !== "") problems.push(`${where}: a body where the document declares none`);
    } else if (!mediaKey) {
      problems.push(`${where}: media type ${contentType ?? "(none)"} is not one of ${Object.keys(content).join(", ")}`);
    } else if (/[/+]json$/.test(bare(mediaKey))) {
      let body: unknown;
      try {
        body = JSON.parse(response.text);
      } catch {
        problems.push(`${where}: the body is not JSON`);
      }
      if (body !== undefined) {
        const schemaPointer = `${responsePointer}/content/${escapePointer(mediaKey)}/schema`;
        problems.push(...(await checkValue(schemaPointer, body)).map((problem) => `${where}: ${problem}`));
      }
    }

    const headers: Record<string, Node> = declared.headers ?? {};
    const declaredNames = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    for (const [name, header] of Object.entries(headers)) {
      const [resolved, headerPointer] = resolve(header, `${responsePointer}/headers/${escapePointer(name)}`);
      const value = response.headers.get(name);
      if (value === null) {
        if (resolved.required) problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      if (resolved.schema) problems.push(...(await checkValue(`${headerPointer}/schema`, value)).map((problem) => `${where}: header ${name}: ${problem}`));
    }
    for (const name of HEADERS_CLIENTS_READ) {
      if (response.headers.has(name) && !declaredNames.has(name)) problems.push(`${where}: sends ${name}, which the document does not declare`);
    }
    return problems;
  }

  return { check, checkValue, document, close: () => rmSync(dir, { recursive: true, force: true }) };
}
