import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimRuntime } from "@zlh/agent";
import { markerFor } from "@zlh/protocol";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, containerExists, waitStatus } from "../support/lifecycle";
import { killSimServers, tempDir, waitFor, type Proc } from "../support/processes";

type Drift = { kind: string; vmid: number; serverId?: string; hostId: string };

describe("reconciliation with a real agent", () => {
  let c: E2eCluster;
  let call: Api;
  let sql: postgres.Sql;
  let simRoot: string;
  let agent: Proc;

  beforeAll(async () => {
    c = await startE2eCluster("recon-host", { ZLH_LEASE_TTL_MS: "1500", ZLH_RECONCILE_INTERVAL_MS: "300" });
    ({ call, sql, simRoot } = c);
    agent = c.startAgent();
  });
  afterAll(() => c?.close());

  const drift = async (): Promise<Drift[]> => (await call("GET", "/v1/drift")).body.items;
  const events = async (id: string) => (await sql`select type from events where server_id = ${id} order by id`).map((e) => e.type as string);

  it("heals every crash of a server that should run, not just the first, counting them (self-heal)", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    const crash = async () => process.kill(Number(await readFile(join(simRoot, String(s.vmid), "pid"), "utf8")), "SIGKILL");
    const heals = async () => (await events(s.id)).filter((t) => t === "server.self_heal").length;
    // Regression: the second heal planned nothing (a start already existed at that generation).
    for (const n of [1, 2]) {
      await crash();
      await waitFor(async () => (await heals()) === n, 20_000, `self-heal ${n}`);
      // The second crash in a row waits out a 10 s backoff before its restart.
      await waitFor(async () => (await serverStatus(call, s.id)) === "running" && (await answersPing(s)), 30_000, `running again after crash ${n}`);
    }
    const got = (await call("GET", `/v1/servers/${s.id}`)).body;
    expect(got).toMatchObject({ restartCount: 2, crashLooping: false, nextRestartAt: null, desiredState: "running" });
    expect(Date.parse(got.lastCrashAt)).toBeGreaterThan(Date.parse(got.createdAt));
    const crashed = await sql`select data from events where server_id = ${s.id} and type = 'server.crashed' order by id`;
    expect(crashed.map((e) => e.data.crashStreak)).toEqual([1, 2]);
    await waitFor(async () => !(await drift()).some((d) => d.serverId === s.id), 10_000, "drift cleared");
  });

  it("fails a server whose container disappeared with container_missing, never re-creating it", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    await killSimServers(simRoot);
    await rm(join(simRoot, String(s.vmid)), { recursive: true, force: true });
    await waitFor(async () => (await drift()).some((d) => d.kind === "missing_container" && d.serverId === s.id), 10_000, "missing_container");
    await waitStatus(call, s.id, "failed");
    expect((await call("GET", `/v1/servers/${s.id}`)).body.failureReason).toBe("container_missing");
    await new Promise((r) => setTimeout(r, 1000));
    expect(await containerExists(simRoot, s.vmid)).toBe(false);
    const [{ n }] = await sql`select count(*)::int as n from operations where server_id = ${s.id} and kind = 'provision'`;
    expect(n).toBe(1);
  });

  it("reports an unmanaged container, never touches it, and keeps its VMID out of allocation", async () => {
    const unmanaged = 5010;
    await new SimRuntime({ root: simRoot }).create({ vmid: unmanaged, hostname: "by-hand", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: "made by an operator" });
    await waitFor(async () => (await drift()).some((d) => d.kind === "unmanaged_container" && d.vmid === unmanaged), 10_000, "unmanaged reported");
    await waitFor(async () => (await sql`select state from vmid_pool where vmid = ${unmanaged}`)[0].state === "excluded", 10_000, "excluded");
    await new Promise((r) => setTimeout(r, 1500));
    expect(await containerExists(simRoot, unmanaged)).toBe(true);
    const [{ ops }] = await sql`select count(*)::int as ops from operations where vmid = ${unmanaged}`;
    expect(ops).toBe(0);
    // Gone by hand: the item clears and the VMID is offered again.
    await rm(join(simRoot, String(unmanaged)), { recursive: true });
    await waitFor(async () => !(await drift()).some((d) => d.vmid === unmanaged), 10_000, "cleared");
    await waitFor(async () => (await sql`select state from vmid_pool where vmid = ${unmanaged}`)[0].state === "free", 10_000, "free again");
  });

  it("destroys an orphan that carries the marker of a deleted server", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    await call("DELETE", `/v1/servers/${s.id}`);
    await waitStatus(call, s.id, "deleted");
    const orphan = 5020;
    await new SimRuntime({ root: simRoot }).create({ vmid: orphan, hostname: "orphan", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(s.id) });
    await waitFor(async () => (await events(s.id)).includes("drift.orphan_destroy"), 15_000, "orphan destroy planned");
    await waitFor(async () => !(await containerExists(simRoot, orphan)), 15_000, "orphan destroyed");
    await waitFor(async () => !(await drift()).some((d) => d.vmid === orphan), 10_000, "cleared");
    expect(await serverStatus(call, s.id)).toBe("deleted");
  });

  it("shows a host whose agent is gone as disconnected and its servers as stale, keeping their last state", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    await agent.stop();
    await waitFor(async () => (await call("GET", "/v1/hosts")).body.items[0].connected === false, 10_000, "disconnected");
    await new Promise((r) => setTimeout(r, 1000)); // several reconcile passes without evidence
    const got = (await call("GET", `/v1/servers/${s.id}`)).body;
    expect(got).toMatchObject({ status: "running", stale: true });
    agent = c.startAgent({ stateDir: await tempDir("state") });
    await waitFor(async () => (await call("GET", `/v1/servers/${s.id}`)).body.stale === false, 10_000, "fresh again");
    expect(await serverStatus(call, s.id)).toBe("running");
  });
});
