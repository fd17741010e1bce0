import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, eventTypes, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, containerExists, waitStatus } from "../support/lifecycle";
import { killSimServers, waitFor, type Proc } from "../support/processes";

describe("termination", () => {
  let c: E2eCluster;
  let call: Api;
  let sql: postgres.Sql;
  let simRoot: string;
  let agent: Proc | null = null;

  const startAgent = (extra: Record<string, string> = {}) => (agent = c.startAgent({ extra }));
  const stopAgent = async () => {
    await agent?.stop();
    agent = null;
  };

  beforeAll(async () => {
    c = await startE2eCluster("term-host", { ZLH_LEASE_TTL_MS: "1500", ZLH_RECONCILE_INTERVAL_MS: "300" });
    ({ call, sql, simRoot } = c);
  });
  afterAll(() => c?.close());

  const held = async (id: string) =>
    (await sql`select
      (select count(*)::int from host_ports where server_id = ${id}) as ports,
      (select state from vmid_pool where vmid = (select vmid from servers where id = ${id})) as vmid_state`)[0];

  it("deletes a running server: container destroyed, process gone, resources released after the confirmed destroy", async () => {
    startAgent();
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    expect(await answersPing(s)).toBe(true);
    const before = (await call("GET", "/v1/hosts")).body.items[0].allocated.memoryMiB;

    const del = await call("DELETE", `/v1/servers/${s.id}`);
    expect(del.status).toBe(202);
    expect(del.body.status).toBe("deleting");
    expect(await held(s.id)).toMatchObject({ ports: 2 }); // nothing freed before the host confirms
    await waitStatus(call, s.id, "deleted");
    expect(await containerExists(simRoot, s.vmid)).toBe(false);
    expect(await answersPing(s)).toBe(false);
    expect((await held(s.id)).ports).toBe(0);
    expect((await call("GET", "/v1/hosts")).body.items[0].allocated.memoryMiB).toBe(before - 1024);
    // The VMID is free again only once an inventory shows it gone.
    await waitFor(async () => (await held(s.id)).vmid_state === "free", 10_000, "vmid confirmed free");
    const again = await call("DELETE", `/v1/servers/${s.id}`);
    expect(again).toMatchObject({ status: 202, body: { status: "deleted" } });
    const [{ destroys }] = await sql`select count(*)::int as destroys from operations where server_id = ${s.id} and kind = 'destroy'`;
    expect(destroys).toBe(1);
  });

  it("deletes twice in a row, and a container already gone is success", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    await killSimServers(simRoot);
    await rm(join(simRoot, String(s.vmid)), { recursive: true, force: true });
    const [a, b] = await Promise.all([call("DELETE", `/v1/servers/${s.id}`), call("DELETE", `/v1/servers/${s.id}`)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    await waitStatus(call, s.id, "deleted");
    const [op] = await sql`select count(*)::int as n, max(result->>'alreadyGone') as gone from operations where server_id = ${s.id} and kind = 'destroy'`;
    expect(op).toEqual({ n: 1, gone: "true" });
  });

  it("deletes while provisioning: the held lease finishes, then the destroy runs", async () => {
    await stopAgent();
    startAgent({ ZLH_SIM_OP_DELAY_MS: "800" });
    const s = await createServer(call);
    await waitStatus(call, s.id, "provisioning");
    await call("DELETE", `/v1/servers/${s.id}`);
    await waitStatus(call, s.id, "deleted", 30_000);
    expect(await containerExists(simRoot, s.vmid)).toBe(false);
    const kinds = (await sql`select kind, status from operations where server_id = ${s.id} order by created_at`).map((o) => `${o.kind}:${o.status}`);
    expect(kinds.at(-1)).toBe("destroy:succeeded");
  });

  it("deletes while pending and with the host offline: stays deleting until the host returns", async () => {
    await stopAgent();
    const s = await createServer(call);
    await call("DELETE", `/v1/servers/${s.id}`);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await serverStatus(call, s.id)).toBe("deleting");
    expect((await held(s.id)).ports).toBe(2);
    startAgent();
    await waitStatus(call, s.id, "deleted");
    expect((await held(s.id)).ports).toBe(0);
  });

  it("refuses to destroy a container whose marker names another server: stays deleting, nothing touched", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    const configPath = join(simRoot, String(s.vmid), "config.json");
    const { readFile } = await import("node:fs/promises");
    const config = JSON.parse(await readFile(configPath, "utf8"));
    await writeFile(configPath, JSON.stringify({ ...config, description: "zlh-server=11111111-2222-4333-8444-555555555555" }));
    await call("DELETE", `/v1/servers/${s.id}`);
    await waitFor(async () => (await sql`select status from operations where server_id = ${s.id} and kind = 'destroy'`)[0]?.status === "failed", 15_000, "destroy refused");
    expect(await serverStatus(call, s.id)).toBe("deleting");
    expect(await containerExists(simRoot, s.vmid)).toBe(true);
    expect(await answersPing(s)).toBe(true);
    const [op] = await sql`select error from operations where server_id = ${s.id} and kind = 'destroy'`;
    expect(op.error).toMatch(/^vmid_conflict/);
    // Reconciliation shows it as drift for an operator to resolve, and the server says why it is stuck.
    await waitFor(async () => (await call("GET", "/v1/drift")).body.items.some((d: { kind: string; serverId?: string }) => d.kind === "vmid_conflict" && d.serverId === s.id), 10_000, "vmid_conflict drift");
    expect((await call("GET", `/v1/servers/${s.id}`)).body.failureReason).toMatch(/^destroy_failed: vmid_conflict/);
    expect(await eventTypes(call, s.id)).toContain("server.destroy_failed");

    // Once the operator has put things right, a repeated DELETE plans a new destroy (regression: it did nothing).
    await writeFile(configPath, JSON.stringify(config));
    const again = await call("DELETE", `/v1/servers/${s.id}`);
    expect(again.status).toBe(202);
    await waitStatus(call, s.id, "deleted");
    expect(await containerExists(simRoot, s.vmid)).toBe(false);
    const destroys = await sql`select status from operations where server_id = ${s.id} and kind = 'destroy' order by generation`;
    expect(destroys.map((d) => d.status)).toEqual(["failed", "succeeded"]);
  });
});
