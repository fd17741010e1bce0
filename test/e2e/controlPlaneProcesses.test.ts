import { readdir } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { api, createServer, enroll, serverStatus } from "../support/api";
import { killSimServers, startAgentProcess, startControlPlaneProcess, tempDir, waitFor, type Proc } from "../support/processes";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function counts(sql: postgres.Sql, ids: string[]) {
  const [row] = await sql`
    select
      (select count(*)::int from operations where server_id = any(${ids})) as ops,
      (select count(*)::int from events where server_id = any(${ids}) and type = 'server.running') as running_events,
      (select count(*)::int from events where server_id = any(${ids}) and type = 'op.completed') as completed`;
  return row;
}

describe("control-plane processes", () => {
  it("a control-plane restart during a provision: the result waits on disk, is resent, and the work completes once", async () => {
    const url = await testDatabase();
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const env = { ZLH_LEASE_TTL_MS: "3000" };
    let cp = await startControlPlaneProcess(url, env);
    const port = cp.port;
    const call = api(cp.url);
    const host = await enroll(call, "restart-host");
    const simRoot = await tempDir("sim");
    const stateDir = await tempDir("state");
    const agent = startAgentProcess({ controlUrl: cp.url, token: host.agentToken, simRoot, stateDir, extra: { ZLH_SIM_OP_DELAY_MS: "700" } });
    cleanups.push(async () => {
      await agent.stop();
      await killSimServers(simRoot);
    });
    const server = await createServer(call);
    await waitFor(async () => (await sql`select 1 from events where server_id = ${server.id} and type = 'op.leased'`).length > 0, 15_000, "lease");
    cp.signal("SIGKILL");
    await cp.exited;
    // The agent finishes while no control plane is up: its result must wait on disk.
    const outbox = join(stateDir, "results");
    await waitFor(async () => (await readdir(outbox).catch(() => [])).length === 1, 30_000, "result kept on disk");
    cp = await startControlPlaneProcess(url, env, port);
    cleanups.push(() => cp.stop());
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 25_000, "running after restart");
    expect(await counts(sql, [server.id])).toEqual({ ops: 1, running_events: 1, completed: 1 });
    await waitFor(async () => (await readdir(outbox)).length === 0, 5000, "outbox emptied by the acknowledgement");
  });

  it("two control-plane processes with agents spread across them: all work completes once", async () => {
    const url = await testDatabase();
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const a = await startControlPlaneProcess(url);
    const b = await startControlPlaneProcess(url);
    cleanups.push(() => a.stop(), () => b.stop());
    const agents: Proc[] = [];
    for (let i = 0; i < 4; i++) {
      const host = await enroll(api(a.url), `spread-${i}`);
      const simRoot = await tempDir("sim");
      const p = startAgentProcess({ controlUrl: (i % 2 ? b : a).url, token: host.agentToken, simRoot, stateDir: await tempDir("state") });
      agents.push(p);
      cleanups.push(async () => {
        await p.stop();
        await killSimServers(simRoot);
      });
    }
    await waitFor(async () => (await api(b.url)("GET", "/v1/hosts")).body.items.every((h: { connected: boolean }) => h.connected), 15_000, "agents connected");
    // Creates alternate between the two processes; each host's agent is on one of them.
    const servers = await Promise.all(Array.from({ length: 16 }, (_, i) => createServer(api(i % 2 ? a.url : b.url))));
    const ids = servers.map((s) => s.id);
    await waitFor(async () => {
      const [{ n }] = await sql`select count(*)::int as n from servers where id = any(${ids}) and status = 'running'`;
      return n === ids.length;
    }, 40_000, "all running");
    expect(await counts(sql, ids)).toEqual({ ops: 16, running_events: 16, completed: 16 });
    expect(new Set(servers.map((s) => s.hostId)).size).toBeGreaterThan(1);
  });
});
