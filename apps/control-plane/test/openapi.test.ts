import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES, EVENT_TYPES, SERVER_STATUSES } from "@zlh/domain";
import { startTestPlane } from "./harness";

type Json = Record<string, any>;

/**
 * The OpenAPI document as a generator reads it: valid OpenAPI 3.1, every
 * operation named, every error documented with the one error schema, numbers
 * as numbers, ids as UUIDs, streams as text/event-stream, the lists of
 * statuses, event types and error codes as enums from where they are defined.
 * Structural checks, not a snapshot: a new route passes when it is described
 * as well as the others, and fails when it is not.
 */
describe("the OpenAPI document", () => {
  let doc: Json;
  let operations: { method: string; path: string; op: Json }[];
  beforeAll(async () => {
    const t = await startTestPlane({}, { runWorker: false });
    const res = await fetch(`${t.plane.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    doc = (await res.json()) as Json;
    expect(await (await fetch(`${t.plane.url}/docs/json`)).json()).toEqual(doc);
    operations = Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => ({ method, path, op: op as Json })));
  });

  it("validates as OpenAPI 3.1 with a standard validator, and every $ref lands", async () => {
    expect(doc.openapi).toBe("3.1.0");
    await SwaggerParser.validate(structuredClone(doc) as never);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of new Set(refs)) {
      const name = /#\/components\/schemas\/([A-Za-z]+)"$/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
  });

  it("names every operation once, in camelCase, and summarises it", () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.filter((id) => typeof id !== "string" || !/^[a-z][A-Za-z]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations.filter((o) => !o.op.summary).map((o) => `${o.method} ${o.path}`)).toEqual([]);
    expect(ids).toEqual(expect.arrayContaining(["createServer", "listServers", "getServer", "changeServer", "streamEvents", "streamLogs", "createBackup"]));
  });

  it("documents the errors of every route with the one error schema: 401, 403, 429 behind a token, 400 and 415 where a body is taken", () => {
    const missing: string[] = [];
    for (const { method, path, op } of operations) {
      const statuses = Object.keys(op.responses);
      const want = op.security?.length === 0 ? [] : ["401", "403", "429"];
      if (op.requestBody) want.push("400", "415");
      for (const s of want) if (!statuses.includes(s)) missing.push(`${method} ${path} ${s}`);
      for (const s of statuses.filter((s) => /^[45]/.test(s))) {
        expect(op.responses[s].content, `${method} ${path} ${s}`).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/Error" } } });
      }
    }
    expect(missing).toEqual([]);
    const create = doc.paths["/v1/servers"].post.responses;
    expect(Object.keys(create)).toEqual(expect.arrayContaining(["409", "422"]));
    expect(create["422"].description).toMatch(/idempotency_key_reused/);
    expect(doc.components.schemas.Error.required).toEqual(["error", "message"]);
  });

  it("types query numbers as integers with bounds, path ids as UUIDs (an upload's id as its sha512)", () => {
    const param = (path: string, name: string) => doc.paths[path].get.parameters.find((p: Json) => p.name === name).schema;
    expect(param("/v1/servers", "limit")).toEqual({ type: "integer", minimum: 1, maximum: 500 });
    expect(param("/v1/events", "limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 });
    expect(param("/v1/servers/{id}/logs", "tail")).toEqual({ type: "integer", minimum: 0, maximum: 1000 });
    const ids = operations.flatMap(({ op }) => (op.parameters ?? []).filter((p: Json) => p.in === "path"));
    expect(ids.length).toBeGreaterThan(20);
    expect(ids.filter((p: Json) => p.schema.format !== "uuid")).toEqual([doc.paths["/v1/modpacks/{id}"].delete.parameters.find((p: Json) => p.in === "path")]);
    expect(doc.paths["/v1/modpacks/{id}"].delete.parameters.find((p: Json) => p.in === "path").schema).toMatchObject({ type: "string", pattern: "^[0-9a-f]{128}$" });
  });

  it("describes the streams as text/event-stream and their errors as JSON", () => {
    for (const path of ["/v1/events/stream", "/v1/servers/{id}/logs/stream"]) {
      const responses = doc.paths[path].get.responses;
      expect(Object.keys(responses["200"].content)).toEqual(["text/event-stream"]);
      expect(responses["429"].content["application/json"]).toBeDefined();
    }
  });

  it("gives statuses, event types and error codes as enums, from the lists where they are defined", () => {
    const s = doc.components.schemas;
    expect(s.ServerStatus.enum).toEqual([...SERVER_STATUSES]);
    expect(s.EventType.enum).toEqual([...EVENT_TYPES]);
    expect(s.ErrorCode.enum).toEqual([...ERROR_CODES]);
    expect(s.Server.properties.status).toEqual({ $ref: "#/components/schemas/ServerStatus" });
    expect(s.Event.properties.type).toEqual({ $ref: "#/components/schemas/EventType" });
    expect(doc.paths["/v1/servers"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CreateServerBody" });
    // Nothing titled was left inline: every named schema is a component.
    expect(JSON.stringify(doc.paths)).not.toMatch(/"title":/);
  });
});
