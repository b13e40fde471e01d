// Validates Argo CD and External Secrets documents for `groundwork check`: reads a JSON array of documents on stdin, prints a JSON
// array with one entry per document: {"known": false} when no model exists for its apiVersion/kind, else
// {"known": true, "errors": ["path: message", ...]}.
//
// The @kubernetes-models packages check types, enums and required fields but let unknown fields through. To catch
// those, each document is handed to the validator wrapped in proxies that record which keys the validator
// reads. The generated validator reads every property its schema declares (present or not) and enumerates the
// keys of maps (labels, annotations, ...). So a key the validator never read, in an object whose schema
// declares properties, is unknown to the schema. Objects whose schema declares no properties at all (free-form
// values such as helm.valuesObject) are neither read nor enumerated, and are left alone with everything below.
import * as argoCd from "@kubernetes-models/argo-cd";
import * as externalSecrets from "@kubernetes-models/external-secrets";

const MAX_ERRORS = 5;
// The packages' code generator strips every `description` key from the schemas, including properties named
// `description` (AppProject spec, roles, sync windows): the validator never reads them, yet they exist.
const STRIPPED_BY_CODEGEN = new Set(["description"]);

// Each package exports its API groups and versions as nested namespaces; collect every model class in them.
const byType = new Map();
function collect(namespace, depth) {
  for (const value of Object.values(namespace)) {
    if (typeof value === "function" && value.apiVersion && value.kind) {
      byType.set(`${value.apiVersion}|${value.kind}`, value);
    } else if (value && typeof value === "object" && depth < 4) {
      collect(value, depth + 1);
    }
  }
}
collect(argoCd, 0);
collect(externalSecrets, 0);

function track(value, path, nodes, parent) {
  if (Array.isArray(value)) return value.map((item, i) => track(item, `${path}/${i}`, nodes, parent));
  if (value === null || typeof value !== "object") return value;
  const node = { path, keys: Object.keys(value), read: new Set(), enumerated: false, parent };
  nodes.push(node); // pre-order: a parent is always listed before its children
  const target = {};
  for (const key of node.keys) target[key] = track(value[key], `${path}/${key}`, nodes, node);
  const note = (key) => {
    if (typeof key === "string") node.read.add(key);
  };
  return new Proxy(target, {
    get(t, key, receiver) {
      note(key);
      return Reflect.get(t, key, receiver);
    },
    has(t, key) {
      note(key);
      return Reflect.has(t, key);
    },
    getOwnPropertyDescriptor(t, key) {
      note(key);
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    ownKeys(t) {
      node.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
}

function unknownFields(nodes) {
  const found = [];
  const freeForm = new Set();
  for (const node of nodes) {
    if (node.parent && freeForm.has(node.parent)) {
      freeForm.add(node);
      continue;
    }
    if (node.enumerated) continue;
    if (node.read.size === 0) {
      freeForm.add(node);
      continue;
    }
    const where = dotted(node.path);
    for (const key of node.keys) {
      if (!node.read.has(key) && !STRIPPED_BY_CODEGEN.has(key)) found.push(`${where ? `${where}.` : ""}${key}: unknown field (not in the schema)`);
    }
  }
  return found;
}

function dotted(path) {
  return path.split("/").filter(Boolean).join(".");
}

function judge(doc) {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return { known: false };
  const model = byType.get(`${doc.apiVersion}|${doc.kind}`);
  if (!model) return { known: false };
  const nodes = [];
  const proxied = track(doc, "", nodes, undefined);
  let errors = [];
  try {
    model.prototype.validate.call(proxied);
  } catch (error) {
    const items = Array.isArray(error.errors) ? error.errors : [];
    errors = items.length
      ? items.map((e) => `${dotted(e.instancePath || "") || "(document)"}: ${e.message}`)
      : [String(error.message || error)];
  }
  errors.push(...unknownFields(nodes));
  return { known: true, errors: [...new Set(errors)].slice(0, MAX_ERRORS) };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  const docs = JSON.parse(input);
  process.stdout.write(JSON.stringify(docs.map(judge)));
});
