#!/usr/bin/env node
// Offline validation of the Kubernetes manifests in deploy/. No cluster, no network.
//
//   npm --prefix deploy ci                    # once: kubernetes-models, yaml, typescript (pinned in deploy/package.json)
//   node deploy/validate.mjs                  # the kustomize base (rendered with `kubectl kustomize deploy/`)
//                                             # plus deploy/secret.example.yaml
//   node deploy/validate.mjs DIR|FILE|- ...   # other kustomization dirs (e.g. an overlay), YAML files, or stdin
//
// Every object is checked three ways; any failure exits 1 (2: could not run at all):
//   1. schema   the Kubernetes OpenAPI schema of its apiVersion/kind, compiled to JSON-schema validators by
//               the `kubernetes-models` package (types, required fields, formats). Unknown kinds fail.
//   2. fields   unknown or misspelt fields (the OpenAPI schemas allow any extra field, so a typo such as
//               `readOnlyRootFileSystem` would pass 1 and be dropped silently by the API server): each object
//               is type-checked as an object literal against the same package's TypeScript interfaces.
//   3. links    cross-object consistency that no schema sees: selectors match pod template labels, the
//               Service and PodDisruptionBudget select the Deployment's pods and not the Job's, named
//               ports exist, the HPA target and referenced ConfigMaps exist, no duplicate objects.

import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const deployDir = dirname(fileURLToPath(import.meta.url));

async function load(name) {
  try {
    return await import(name);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    console.error(`validate: cannot load ${name}. Install the validator's dependencies first:\n  npm --prefix deploy ci`);
    process.exit(2);
  }
}
const { parseAllDocuments } = await load("yaml");
const ts = (await load("typescript")).default;

// ---- inputs --------------------------------------------------------------------------------------

function render(dir) {
  try {
    return execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    console.error(`validate: \`kubectl kustomize ${dir}\` failed:\n${error.stderr || error.message}`);
    process.exit(error.code === "ENOENT" ? 2 : 1);
  }
}

const args = process.argv.slice(2);
const inputs = args.length
  ? args.map((arg) => {
      if (arg === "-") return { source: "stdin", text: readFileSync(0, "utf8") };
      return statSync(arg).isDirectory()
        ? { source: `kubectl kustomize ${arg}`, text: render(resolve(arg)) }
        : { source: arg, text: readFileSync(arg, "utf8") };
    })
  : [
      { source: "kubectl kustomize deploy/", text: render(deployDir) },
      { source: "deploy/secret.example.yaml", text: readFileSync(join(deployDir, "secret.example.yaml"), "utf8") },
    ];

const problems = [];
const objects = [];
for (const { source, text } of inputs) {
  for (const doc of parseAllDocuments(text)) {
    for (const error of doc.errors) problems.push(`${source}: YAML: ${error.message}`);
    if (doc.errors.length) continue;
    const object = doc.toJS();
    if (object == null) continue;
    const label = `${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
    objects.push({ source, label, object });
  }
}
if (objects.length === 0) problems.push("no objects to validate");

// ---- 1. schema -----------------------------------------------------------------------------------

/** "apps/v1" + "Deployment" -> "kubernetes-models/apps/v1/Deployment"; core "v1" -> "kubernetes-models/v1/…" */
const modelModule = ({ apiVersion, kind }) => `kubernetes-models/${apiVersion}/${kind}`;

for (const entry of objects) {
  const { object, label } = entry;
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    problems.push(`${label}: apiVersion and kind are required`);
    continue;
  }
  if (!object.metadata?.name) problems.push(`${label}: metadata.name is required`);
  let Model;
  try {
    Model = (await import(modelModule(object)))[object.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== "function") {
    problems.push(`${label}: no schema for ${object.apiVersion} ${object.kind} (unknown or removed API)`);
    continue;
  }
  entry.typed = true;
  try {
    new Model(object).validate();
  } catch (error) {
    const details = error?.errors?.length
      ? error.errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : ""}`)
      : [String(error?.message ?? error)];
    for (const detail of details) problems.push(`${label}: schema: ${detail}`);
  }
}

// ---- 2. unknown fields ---------------------------------------------------------------------------

// One in-memory TypeScript file beside this script (so that `kubernetes-models` resolves from
// deploy/node_modules); each object becomes `const oN: IKind = { ...literal }`, and TypeScript's
// excess-property check names every field its interface does not have. Nothing is written to disk.
{
  const typed = objects.filter((entry) => entry.typed);
  const virtualFile = join(deployDir, "__validate_objects__.ts");
  const ranges = [];
  let code = "";
  typed.forEach((entry, index) => {
    const header = `import type { I${entry.object.kind} as T${index} } from "${modelModule(entry.object)}";\n`;
    const body = `export const o${index}: T${index} = ${JSON.stringify(entry.object, null, 2)};\n`;
    const start = code.length;
    code += header + body;
    ranges.push({ start, end: code.length, entry });
  });
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === virtualFile ? ts.createSourceFile(name, code, languageVersion) : getSourceFile.call(host, name, languageVersion, ...rest);
  host.fileExists = (name) => name === virtualFile || fileExists.call(host, name);
  host.readFile = (name) => (name === virtualFile ? code : readFile.call(host, name));
  const program = ts.createProgram([virtualFile], options, host);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const range = diagnostic.file?.fileName === virtualFile ? ranges.find((r) => diagnostic.start >= r.start && diagnostic.start < r.end) : undefined;
    if (!range) {
      problems.push(`fields: ${message}`);
      continue;
    }
    problems.push(`${range.entry.label}: fields: ${jsonPathAt(code, range.start, diagnostic.start)}: ${message.split("\n")[0]}`);
  }
}

/** The JSON path of the property at `offset` in the pretty-printed literal that starts at `from`. */
function jsonPathAt(text, from, offset) {
  const end = text.indexOf("\n", offset);
  const lines = text.slice(from, end < 0 ? undefined : end).split("\n").slice(2); // skip the import and `export const … =` lines
  const path = [];
  for (const line of lines) {
    const indent = line.search(/\S/);
    if (indent < 0) continue;
    const depth = indent / 2;
    const key = /^\s*"([^"]+)":/.exec(line)?.[1];
    path.length = Math.max(depth - 1, 0);
    if (key) path[depth - 1] = key;
  }
  return path.filter(Boolean).join(".") || "/";
}

// ---- 3. links ------------------------------------------------------------------------------------

const byKind = (kind) => objects.filter((e) => e.object.kind === kind).map((e) => e.object);
const matches = (selector, labels) =>
  selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const podTemplates = [...byKind("Deployment"), ...byKind("StatefulSet"), ...byKind("DaemonSet"), ...byKind("Job")].map((o) => ({
  owner: `${o.kind}/${o.metadata?.name}`,
  kind: o.kind,
  labels: o.spec?.template?.metadata?.labels ?? {},
  spec: o.spec?.template?.spec ?? {},
}));

const seen = new Set();
for (const { label, object } of objects) {
  const key = `${object.apiVersion} ${label} ${object.metadata?.namespace ?? ""}`;
  if (seen.has(key)) problems.push(`${label}: links: defined twice`);
  seen.add(key);
}

for (const o of [...byKind("Deployment"), ...byKind("StatefulSet"), ...byKind("DaemonSet")]) {
  const selector = o.spec?.selector?.matchLabels;
  if (!matches(selector, o.spec?.template?.metadata?.labels))
    problems.push(`${o.kind}/${o.metadata?.name}: links: spec.selector.matchLabels does not match the pod template's labels`);
}

const configMaps = new Set(byKind("ConfigMap").map((o) => o.metadata?.name));
for (const template of podTemplates) {
  const containers = [...(template.spec.initContainers ?? []), ...(template.spec.containers ?? [])];
  const volumes = new Set((template.spec.volumes ?? []).map((v) => v.name));
  for (const c of containers) {
    const portNames = new Set((c.ports ?? []).map((p) => p.name).filter(Boolean));
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (typeof port === "string" && !portNames.has(port))
        problems.push(`${template.owner}: links: ${c.name}.${probe} uses port "${port}", which the container does not name`);
    }
    for (const m of c.volumeMounts ?? [])
      if (!volumes.has(m.name)) problems.push(`${template.owner}: links: ${c.name} mounts volume "${m.name}", which the pod does not define`);
    const refs = [
      ...(c.envFrom ?? []).map((e) => e.configMapRef?.name),
      ...(c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name),
    ].filter(Boolean);
    for (const name of refs)
      if (!configMaps.has(name)) problems.push(`${template.owner}: links: ${c.name} reads ConfigMap "${name}", which is not in the manifests`);
  }
}

for (const o of byKind("Service")) {
  const selector = o.spec?.selector;
  if (!selector) continue; // a Service without selector (external endpoints) is legitimate
  const selected = podTemplates.filter((t) => matches(selector, t.labels));
  if (!selected.some((t) => t.kind !== "Job")) problems.push(`Service/${o.metadata?.name}: links: its selector matches no workload's pods`);
  for (const t of selected.filter((t) => t.kind === "Job")) problems.push(`Service/${o.metadata?.name}: links: its selector also matches ${t.owner}'s pods`);
  for (const port of o.spec?.ports ?? []) {
    if (typeof port.targetPort !== "string") continue;
    for (const t of selected.filter((t) => t.kind !== "Job")) {
      const names = (t.spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name));
      if (!names.includes(port.targetPort))
        problems.push(`Service/${o.metadata?.name}: links: targetPort "${port.targetPort}" is not a named port of ${t.owner}`);
    }
  }
}

for (const o of byKind("PodDisruptionBudget")) {
  const selector = o.spec?.selector?.matchLabels;
  const selected = podTemplates.filter((t) => matches(selector, t.labels));
  if (!selected.some((t) => t.kind !== "Job")) problems.push(`PodDisruptionBudget/${o.metadata?.name}: links: its selector matches no workload's pods`);
  for (const t of selected.filter((t) => t.kind === "Job"))
    problems.push(`PodDisruptionBudget/${o.metadata?.name}: links: its selector also matches ${t.owner}'s pods`);
}

for (const o of byKind("HorizontalPodAutoscaler")) {
  const target = o.spec?.scaleTargetRef ?? {};
  if (!objects.some((e) => e.object.kind === target.kind && e.object.metadata?.name === target.name))
    problems.push(`HorizontalPodAutoscaler/${o.metadata?.name}: links: scaleTargetRef ${target.kind}/${target.name} is not in the manifests`);
  if ((o.spec?.minReplicas ?? 1) > o.spec?.maxReplicas)
    problems.push(`HorizontalPodAutoscaler/${o.metadata?.name}: links: minReplicas exceeds maxReplicas`);
}

// ---- report --------------------------------------------------------------------------------------

for (const { source, label } of objects) console.log(`checked  ${label.padEnd(42)} (${source})`);
const version = (name) => JSON.parse(readFileSync(join(deployDir, "node_modules", name, "package.json"), "utf8")).version;
console.log(
  `\n${objects.length} objects; schema: kubernetes-models ${version("kubernetes-models")}, fields: typescript ${version("typescript")}`,
);
if (problems.length) {
  console.error(`\n${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log("all valid");
