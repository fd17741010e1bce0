import { PATH_ID_KIND, PATH_ID_PATTERNS, type PathIdKind } from "@zlh/api";
import { codesWithStatus } from "./errorStatus";

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  parameters?: { in: string; name: string; schema?: Json; description?: string }[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: Json }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Json> } & Json;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };

/** What a real path id of `kind` looks like, for a client validating by the document (a UUID as its format). */
const documentedPathId = (kind: PathIdKind): Json => (kind === "uuid" ? { type: "string", format: "uuid" } : { type: "string", pattern: PATH_ID_PATTERNS[kind] });

/**
 * Every schema with a `title` (the typebox schemas of @zlh/api name theirs:
 * `Server`, `ServerStatus`, `Error`, ...) becomes components.schemas.<title>
 * and a `$ref` wherever it appeared, so a generator names its types. Two
 * different schemas under one title are a mistake, refused here.
 */
export function nameSchemas(doc: OpenApiDocument): OpenApiDocument {
  const named: Record<string, Json> = { ...(doc.components.schemas ?? {}) };
  const seen = new Map<string, string>();
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== "object") return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === "example" || k === "examples" ? v : visit(v);
    const title = out.title;
    if (typeof title !== "string" || !("type" in out || "anyOf" in out || "enum" in out || "oneOf" in out)) return out;
    const { title: _, ...schema } = out;
    const text = JSON.stringify(schema);
    const before = seen.get(title);
    if (before !== undefined && before !== text) throw new Error(`Two different schemas are titled ${title}: give one another title.`);
    seen.set(title, text);
    named[title] = schema;
    return { $ref: `#/components/schemas/${title}` };
  };
  const paths = visit(doc.paths) as OpenApiDocument["paths"];
  return { ...doc, paths, components: { ...doc.components, schemas: Object.fromEntries(Object.entries(named).sort(([a], [b]) => a.localeCompare(b))) } };
}

const ERROR_WHY: Record<string, string> = {
  "400": "The request is malformed: validation (every problem, each naming its field), JSON, a cursor or key",
  "401": "No bearer token, or one that is not known (or revoked)",
  "403": "The token's scope does not allow this route",
  "404": "Not found (an id that is not a UUID is not found either)",
  "405": "The path takes other methods (see the Allow header)",
  "409": "Refused in the resource's current state",
  "413": "The body is larger than 256 KiB",
  "415": "The body is not JSON",
  "422": "Understood but refused: an Idempotency-Key reused with another body, or settings that cannot hold",
  "429": "Over a budget (the client's or the address's requests, a customer's new NeoForge builds a day): wait for Retry-After",
  "502": "The host's answer was a failure",
  "503": "Not available now",
  "504": "The host did not answer in time",
};

function errorResponse(status: string) {
  const codes = codesWithStatus(Number(status));
  return {
    description: `${ERROR_WHY[status] ?? "Failed"}. \`error\` is one of: ${codes.join(", ")}.`,
    content: { "application/json": { schema: ERROR_REF } },
  };
}

/**
 * The error responses every route has, besides those it declares: 401, 403
 * and 429 behind authentication, 400 where it takes parameters or a body,
 * 415 where it takes a body. Each is the shared Error schema, with the
 * codes of that status. A stream (text/event-stream) is documented as one:
 * its 200 is the stream, its errors JSON.
 */
export function documentErrors(doc: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      const statuses = new Set(Object.keys(op.responses).filter((s) => /^[45]/.test(s)));
      // Health routes say `security: []`; every other route is behind the bearer token.
      const authenticated = !(Array.isArray(op.security) && op.security.length === 0);
      if (authenticated) for (const s of ["401", "403", "429"]) statuses.add(s);
      if (op.requestBody || op.parameters?.some((p) => p.in !== "path")) statuses.add("400");
      if (op.requestBody) statuses.add("415");
      const stream = Object.values(op.responses).some((r) => r.content?.["text/event-stream"]);
      for (const s of [...statuses].sort()) op.responses[s] = errorResponse(s);
      if (stream) {
        op.responses["200"] = {
          description: "A stream of server-sent events (`id:`, optional `event:`, `data:` lines); reconnect with Last-Event-ID to resume.",
          content: { "text/event-stream": { schema: { type: "string" } } },
        };
      }
      for (const p of op.parameters ?? []) {
        // A path id is validated for its length only (one of the wrong shape is not found, 404); the document states the shape a real
        // id has: its schema's kind (PathId: an upload's sha512), else a UUID.
        if (p.in === "path" && /(^id|Id)$/.test(p.name)) p.schema = documentedPathId((p.schema?.[PATH_ID_KIND] as PathIdKind | undefined) ?? "uuid");
      }
    }
  }
  return doc;
}
