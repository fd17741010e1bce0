import { createHmac } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@zlh/testing";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";

const SECRET = "an-edge-secret-of-at-least-32-chars";

describe("edge publishing through a webhook", () => {
  let c: E2eCluster;
  let call: Api;
  let hook: Server;
  const calls: { action: string; serverId: string; valid: boolean; address?: string | null; server?: Record<string, unknown> }[] = [];
  let failNext = 1;

  beforeAll(async () => {
    const port = await freePort();
    hook = createHttpServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        // What a receiver does: the signature covers "<timestamp>.<body>", and a stale timestamp is refused.
        const timestamp = String(req.headers["x-zlh-timestamp"]);
        const expected = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex")}`;
        const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
        const msg = JSON.parse(body);
        if (failNext-- > 0) {
          res.writeHead(503).end(); // an edge that is down: the job retries, the server is unaffected
          return;
        }
        calls.push({ action: msg.action, serverId: msg.server?.serverId ?? msg.serverId, valid: fresh && req.headers["x-zlh-signature"] === expected, address: msg.server?.address, server: msg.server });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(port, "127.0.0.1", r));
    c = await startE2eCluster("edge-host", { ZLH_EDGE_ZONE: "play.test", ZLH_EDGE_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, ZLH_EDGE_WEBHOOK_SECRET: SECRET, ZLH_EDGE_PASS_INTERVAL_MS: "300" });
    call = c.call;
    c.startAgent();
  });
  afterAll(async () => {
    await c?.close();
    await new Promise((r) => hook.close(r));
  });

  it("publishes after running (retrying a failing edge without touching the status) and unpublishes on delete", async () => {
    // A static network on the host: the server's allocated address is what the edge is given (the sim agent
    // keeps its loopback address; the pct runtime puts this one on net0).
    const network = { bridge: "vmbr1", subnet: "10.60.0.0/24", gateway: "10.60.0.1", range: { first: "10.60.0.10", last: "10.60.0.20" } };
    expect((await call("PATCH", `/v1/hosts/${c.host.id}/network`, network)).status).toBe(200);
    const s = await createServer(call);
    expect((await call("GET", `/v1/servers/${s.id}`)).body.address).toBe("10.60.0.10");
    await waitStatus(call, s.id, "running");
    await waitFor(async () => calls.some((c) => c.action === "publish" && c.serverId === s.id), 30_000, "publish");
    expect(await serverStatus(call, s.id)).toBe("running");
    await call("DELETE", `/v1/servers/${s.id}`);
    await waitFor(async () => calls.some((c) => c.action === "unpublish" && c.serverId === s.id), 30_000, "unpublish");
    await waitStatus(call, s.id, "deleted");
    expect(calls.every((c) => c.valid)).toBe(true);
    expect(calls.find((c) => c.action === "publish" && c.serverId === s.id)?.address).toBe("10.60.0.10");
    // The documented fields: who the server is, and where its name routes a player.
    expect(calls.find((c) => c.action === "publish" && c.serverId === s.id)?.server).toMatchObject({
      serverId: s.id,
      name: expect.any(String),
      hostNode: expect.any(String),
      vmid: s.vmid,
      gamePort: s.ports.game,
      fqdn: `mc-fabric-${s.vmid}.play.test`,
      port: s.ports.game,
    });
    // The confirmed destroy gave the address back.
    const [{ held }] = await c.sql`select count(*)::int as held from host_addresses where server_id = ${s.id}`;
    expect(held).toBe(0);
    const types = (await call("GET", `/v1/servers/${s.id}/events`)).body.items.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(["edge.published", "edge.unpublished"]));
  });
});
