import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";

/**
 * A change to a server wanted stopped: applied on the host (resources and
 * files) without starting it, and the server stays `stopped`: no
 * `server.running`, no edge publish, no stop planned afterwards.
 */
describe("changing a stopped server", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("change-stopped-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  it("applies the change and leaves the server stopped", async () => {
    const server = await createServer(c.call);
    await waitStatus(c.call, server.id, "running", 30_000);
    expect((await c.call("POST", `/v1/servers/${server.id}/stop`)).status).toBe(202);
    await waitStatus(c.call, server.id, "stopped", 30_000);
    const [{ last }] = await c.sql`select max(id)::text as last from events where server_id = ${server.id}`;

    const asked = await c.call("PATCH", `/v1/servers/${server.id}`, { memoryMiB: 2048 }, { "idempotency-key": "change-stopped" });
    expect(asked.status).toBe(202);
    const after = await waitFor(async () => {
      const s = (await c.call("GET", `/v1/servers/${server.id}`)).body;
      if (s.change !== null) return null;
      // The ended change leaves the server; the history holds how it ended.
      const [last] = (await c.call("GET", `/v1/servers/${server.id}/changes?limit=1`)).body.items;
      return last?.generation === asked.body.generation ? { ...s, ended: last } : null;
    }, 40_000, "the change ended");
    expect(after).toMatchObject({ status: "stopped", memoryMiB: 2048, change: null, ended: { status: "applied" } });
    expect(JSON.parse(await readFile(join(c.simRoot, String(server.vmid), "config.json"), "utf8")).memoryMiB).toBe(2048);

    const since = await c.sql`select type, data from events where server_id = ${server.id} and id > ${last}::bigint order by id`;
    expect(since.map((e) => e.type)).not.toContain("server.running");
    const kinds = since.filter((e) => e.type === "op.queued").map((e) => e.data.kind);
    expect(kinds).toEqual(["provision"]);
  });
});
