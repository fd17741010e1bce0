import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";

/** Retries back off, and what failed can be retried by the panel without losing the server. */
describe("failed work, retried", () => {
  let c: E2eCluster;
  let call: Api;

  beforeAll(async () => {
    c = await startE2eCluster("retry-host", { ZLH_LEASE_TTL_MS: "1500" });
    call = c.call;
  });
  afterAll(() => c?.close());

  it("backs off between attempts, and a failed provision is provisioned again by a start, keeping id, VMID, ports and settings", async () => {
    // Every container start fails on this host (a broken template, say): the provision uses up its attempts.
    const broken = c.startAgent({ extra: { ZLH_SIM_FAULTS: "startFail=1,seed=1" } });
    const server = await createServer(call, { serverProperties: { motd: "kept" } });
    await waitFor(async () => (await serverStatus(call, server.id)) === "failed", 40_000, "failed after its attempts");
    const leased = await c.sql`select at from events where server_id = ${server.id} and type = 'op.leased' order by id`;
    expect(leased).toHaveLength(5);
    // Exponential backoff with jitter: at least 0.5 s, 1 s, 2 s, 4 s between the attempts (it was ~60 ms for all five).
    const gaps = leased.slice(1).map((e, i) => new Date(e.at).getTime() - new Date(leased[i]!.at).getTime());
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(500 * 2 ** i - 50);
    broken.signal("SIGTERM");
    await broken.exited;

    // The host is mended; the panel asks the failed server to start: it is provisioned, not just started.
    c.startAgent();
    const res = await call("POST", `/v1/servers/${server.id}/start`);
    expect(res.status).toBe(202);
    await waitStatus(call, server.id, "running", 20_000);
    const after = (await call("GET", `/v1/servers/${server.id}`)).body;
    expect({ id: after.id, vmid: after.vmid, ports: after.ports, serverProperties: after.serverProperties, failureReason: after.failureReason }).toEqual({
      id: server.id, vmid: server.vmid, ports: server.ports, serverProperties: { motd: "kept" }, failureReason: null,
    });
    expect(await answersPing(server)).toBe(true);
    const ops = await c.sql`select kind, status from operations where server_id = ${server.id} order by generation`;
    expect(ops.map((o) => `${o.kind}:${o.status}`)).toEqual(["provision:failed", "provision:succeeded"]);
  });

  it("a server whose manifest never resolved resolves again on start", async () => {
    const server = await createServer(call, { minecraftVersion: "1.21.99" });
    await waitStatus(call, server.id, "failed");
    await c.sql`update servers set minecraft_version = '1.21.1' where id = ${server.id}`; // as if meta now knew it
    expect((await call("POST", `/v1/servers/${server.id}/start`)).status).toBe(202);
    await waitStatus(call, server.id, "running", 20_000);
  });
});
