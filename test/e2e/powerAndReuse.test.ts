import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";

describe("start/stop/restart and VMID reuse", () => {
  let c: E2eCluster;
  let call: Api;
  let sql: postgres.Sql;
  let simRoot: string;

  beforeAll(async () => {
    // One VMID only, to make reuse observable.
    c = await startE2eCluster("power-host", { ZLH_LEASE_TTL_MS: "1500", ZLH_VMID_RANGE: "6000-6000" });
    ({ call, sql, simRoot } = c);
    c.startAgent({ extra: { ZLH_SIM_OP_DELAY_MS: "150" } });
  });
  afterAll(() => c?.close());

  const liveOps = async (id: string) =>
    (await sql`select count(*)::int as n from operations where server_id = ${id} and status in ('queued', 'leased')`)[0].n;
  const pid = (vmid: number) => readFile(join(simRoot, String(vmid), "pid"), "utf8").catch(() => null);
  let server: Awaited<ReturnType<typeof createServer>>;

  it("stops, starts and restarts a server, each reaching its state on the host", async () => {
    server = await createServer(call);
    await waitStatus(call, server.id, "running");
    expect((await call("POST", `/v1/servers/${server.id}/stop`)).status).toBe(202);
    await waitStatus(call, server.id, "stopped");
    expect(await answersPing(server)).toBe(false);
    await call("POST", `/v1/servers/${server.id}/start`);
    await waitStatus(call, server.id, "running");
    expect(await answersPing(server)).toBe(true);
    const before = await pid(server.vmid);
    const restart = await call("POST", `/v1/servers/${server.id}/restart`);
    expect(restart.body.desiredState).toBe("running");
    await waitFor(async () => (await pid(server.vmid)) !== before && (await serverStatus(call, server.id)) === "running" && (await liveOps(server.id)) === 0, 20_000, "restarted");
    expect(await answersPing(server)).toBe(true);
  });

  it("resolves conflicting intents by generation: the latest wins, nothing is left in flight", async () => {
    for (const action of ["stop", "start", "stop", "start", "stop"]) await call("POST", `/v1/servers/${server.id}/${action}`);
    await waitFor(async () => (await liveOps(server.id)) === 0 && (await serverStatus(call, server.id)) === "stopped", 30_000, "settled stopped");
    expect(await answersPing(server)).toBe(false);
    for (const action of ["start", "stop", "restart"]) await call("POST", `/v1/servers/${server.id}/${action}`);
    await waitFor(async () => (await liveOps(server.id)) === 0 && (await serverStatus(call, server.id)) === "running", 30_000, "settled running");
    expect(await answersPing(server)).toBe(true);
    // Work is only ever planned for the newest generation: generations never go backwards.
    const gens = (await sql`select generation from operations where server_id = ${server.id} order by created_at, id`).map((r) => r.generation);
    expect([...gens].sort((a, b) => a - b)).toEqual(gens);
  });

  it("does not hand a released VMID out again before the host confirms it gone", async () => {
    await call("DELETE", `/v1/servers/${server.id}`);
    // Until the destroy is confirmed and the inventory shows the VMID gone, a create must be refused.
    const refusals: number[] = [];
    let created: Awaited<ReturnType<typeof createServer>> | null = null;
    await waitFor(async () => {
      const res = await call("POST", "/v1/servers", { customerId: "c", name: "reuse", minecraftVersion: "1.21.1", memoryMiB: 1024, cpuCores: 1, diskGiB: 1 }, { "idempotency-key": `reuse-${refusals.length}` });
      if (res.status === 409) {
        refusals.push(res.status);
        const [row] = await sql`select status from servers where id = ${server.id}`;
        const [pool] = await sql`select state from vmid_pool where vmid = 6000`;
        // Refused exactly while the old server holds it or the release is unconfirmed.
        expect(row.status === "deleting" || pool.state === "releasing" || pool.state === "taken").toBe(true);
        return false;
      }
      expect(res.status).toBe(202);
      created = res.body;
      return true;
    }, 20_000, "create after confirmed release");
    expect(refusals.length).toBeGreaterThan(0);
    expect(await serverStatus(call, server.id)).toBe("deleted");
    expect(created!.vmid).toBe(6000);
    const [{ live }] = await sql`select count(*)::int as live from servers where vmid = 6000 and status <> 'deleted'`;
    expect(live).toBe(1);
    await waitStatus(call, created!.id, "running");
  });
});
