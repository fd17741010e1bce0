import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/** `content-type: application/json` with no body is `{}` wherever a body is optional; a required one is still refused by its schema. */
describe("an empty JSON body", () => {
  let t: Plane;
  let serverId: string;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "host-1", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 });
    const created = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "empty-body-1" });
    expect(created.status).toBe(202);
    serverId = created.body.id;
  });

  const send = async (method: string, path: string, headers: Record<string, string>) => {
    const res = await fetch(`${t.plane.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
  };
  const empty = (method: string, path: string) => send(method, path, { "content-type": "application/json", "content-length": "0" });
  const bare = (method: string, path: string) => send(method, path, {});

  it("answers routes whose body is optional exactly as it answers no content-type at all", async () => {
    for (const [method, path] of [
      ["POST", `/v1/servers/${serverId}/stop`],
      ["POST", `/v1/servers/${serverId}/start`],
      ["POST", `/v1/servers/${serverId}/reinstall`],
      ["POST", `/v1/servers/${serverId}/backups`],
    ] as const) {
      const withHeader = await empty(method, path);
      expect(withHeader.body.error, `${method} ${path}`).not.toBe("invalid_json");
      const without = await bare(method, path);
      expect({ path, status: withHeader.status, error: withHeader.body.error }).toEqual({ path, status: without.status, error: without.body.error });
    }
  });

  it("takes `{}` for a route whose body is required, so its schema names what is missing", async () => {
    const res = await send("POST", "/v1/servers", { "content-type": "application/json", "content-length": "0", "idempotency-key": "empty-body-2" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.message).toMatch(/body.customerId is required/);
    expect((await t.sql`select count(*)::int as n from servers`)[0]!.n).toBe(1);
  });

  it("still refuses malformed JSON and a __proto__ key", async () => {
    for (const raw of ["{", '{"__proto__": {"x": 1}}', " "]) {
      const res = await fetch(`${t.plane.url}/v1/servers/${serverId}/reinstall`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: raw,
      });
      expect(res.status, JSON.stringify(raw)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("invalid_json");
    }
  });
});
