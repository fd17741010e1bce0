import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { api, createServer, enroll, serverStatus, type Api } from "../support/api";
import { killSimServers, startAgentProcess, startControlPlaneProcess, tempDir, waitFor, type ControlPlaneProc, type Proc } from "../support/processes";

describe("agent shutdown", () => {
  let cp: ControlPlaneProc;
  let call: Api;
  let sql: postgres.Sql;
  let token: string;
  let simRoot: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    const url = await testDatabase();
    sql = postgres(url, { max: 2, onnotice: () => {} });
    cp = await startControlPlaneProcess(url, { ZLH_LEASE_TTL_MS: "60000" });
    call = api(cp.url);
    token = (await enroll(call, "shutdown-host")).agentToken;
    simRoot = await tempDir("sim");
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await cp?.stop();
    await killSimServers(simRoot);
    await sql?.end();
  });

  it("SIGTERM hands unfinished leases back at once (no waiting for expiry) and exits cleanly", async () => {
    const slow = startAgentProcess({ controlUrl: cp.url, token, simRoot, stateDir: await tempDir("state"), extra: { ZLH_SIM_OP_DELAY_MS: "5000", ZLH_SHUTDOWN_GRACE_MS: "300" } });
    procs.push(slow);
    const server = await createServer(call);
    await waitFor(async () => (await sql`select 1 from events where server_id = ${server.id} and type = 'op.leased'`).length > 0, 15_000, "lease");
    slow.signal("SIGTERM");
    expect(await slow.exited).toBe(0);
    // Requeued by the hand-back itself: the 60 s lease never had to expire.
    const [op] = await sql`select status, attempt from operations where server_id = ${server.id}`;
    expect(op).toEqual({ status: "queued", attempt: 1 });
    const next = startAgentProcess({ controlUrl: cp.url, token, simRoot, stateDir: await tempDir("state") });
    procs.push(next);
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 20_000, "running");
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });

  it("a second signal forces the exit", async () => {
    const slow = startAgentProcess({ controlUrl: cp.url, token, simRoot, stateDir: await tempDir("state"), extra: { ZLH_SIM_OP_DELAY_MS: "5000", ZLH_SHUTDOWN_GRACE_MS: "60000" } });
    procs.push(slow);
    const server = await createServer(call);
    await waitFor(async () => (await sql`select 1 from events where server_id = ${server.id} and type = 'op.leased'`).length > 0, 15_000, "lease");
    slow.signal("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    slow.signal("SIGTERM");
    expect(await slow.exited).toBe(1);
  });
});
