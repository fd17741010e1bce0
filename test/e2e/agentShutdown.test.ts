import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { tempDir, waitFor, type Proc } from "../support/processes";

describe("agent shutdown", () => {
  let c: E2eCluster;
  let call: Api;
  let sql: postgres.Sql;
  const procs: Proc[] = [];
  /** An agent with a state directory of its own. */
  const agent = async (extra: Record<string, string> = {}) => {
    const p = c.startAgent({ stateDir: await tempDir("state"), extra });
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    c = await startE2eCluster("shutdown-host", { ZLH_LEASE_TTL_MS: "60000" });
    ({ call, sql } = c);
  });
  // Each case stops its agents even when it fails, so a failure never spills into the next case.
  afterEach(() => Promise.all(procs.splice(0).map((p) => p.stop())));
  afterAll(() => c?.close());

  it("SIGTERM hands unfinished leases back at once (no waiting for expiry) and exits cleanly", async () => {
    const slow = await agent({ ZLH_SIM_OP_DELAY_MS: "5000", ZLH_SHUTDOWN_GRACE_MS: "300" });
    const server = await createServer(call);
    await waitFor(async () => (await sql`select 1 from events where server_id = ${server.id} and type = 'op.leased'`).length > 0, 15_000, "lease");
    slow.signal("SIGTERM");
    expect(await slow.exited).toBe(0);
    // Requeued by the hand-back itself: the 60 s lease never had to expire. The agent waits at most its
    // 300 ms grace for the hand-back's answer, so on a loaded machine the control plane may record it just
    // after the agent is gone: allowed 10 s, a sixth of the lease.
    await waitFor(async () => (await sql`select status from operations where server_id = ${server.id}`)[0]?.status === "queued", 10_000, "hand-back");
    const [op] = await sql`select status, attempt from operations where server_id = ${server.id}`;
    expect(op).toEqual({ status: "queued", attempt: 1 });
    await agent();
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 20_000, "running");
  });

  it("a second signal forces the exit", async () => {
    const slow = await agent({ ZLH_SIM_OP_DELAY_MS: "5000", ZLH_SHUTDOWN_GRACE_MS: "60000" });
    const server = await createServer(call);
    await waitFor(async () => (await sql`select 1 from events where server_id = ${server.id} and type = 'op.leased'`).length > 0, 15_000, "lease");
    slow.signal("SIGTERM");
    // The second signal only once the first was handled: two sent before the agent runs again are one
    // pending signal (they do not queue), and the agent would shut down gracefully.
    await waitFor(async () => slow.output.some((l) => l.includes('"shutting down"')), 15_000, "the first signal handled");
    slow.signal("SIGTERM");
    expect(await slow.exited).toBe(1);
  });
});
