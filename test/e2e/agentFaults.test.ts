import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverIdFromMarker } from "@zlh/protocol";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { tempDir, waitFor, type Proc } from "../support/processes";

const TTL = "1500";

/** Containers in a sim root whose marker names `serverId`. */
async function containersOf(simRoot: string, serverId: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir(simRoot).catch(() => [] as string[])) {
    const config = JSON.parse(await readFile(join(simRoot, name, "config.json"), "utf8").catch(() => "{}"));
    if (serverIdFromMarker(config.description) === serverId) found.push(Number(name));
  }
  return found;
}

describe("agent faults while holding a lease", () => {
  let c: E2eCluster;
  let call: Api;
  let sql: postgres.Sql;
  const procs: Proc[] = [];

  beforeAll(async () => {
    c = await startE2eCluster("fault-host", { ZLH_LEASE_TTL_MS: TTL });
    ({ call, sql } = c);
  });
  afterAll(() => c?.close());

  const agent = (simRoot: string, stateDir: string, extra: Record<string, string> = {}) => {
    const p = c.startAgent({ simRoot, stateDir, extra });
    procs.push(p);
    return p;
  };
  const leasedTokens = async (serverId: string) =>
    (await sql`select (data->>'token')::bigint as token from events where server_id = ${serverId} and type = 'op.leased' order by id`).map((r) => Number(r.token));

  it("SIGKILL while leased: the lease expires, a restarted agent finishes, one container results", async () => {
    const simRoot = await c.newSimRoot();
    const stateDir = await tempDir("state");
    const slow = agent(simRoot, stateDir, { ZLH_SIM_OP_DELAY_MS: "4000" });
    const server = await createServer(call);
    await waitFor(async () => (await leasedTokens(server.id)).length === 1, 15_000, "first lease");
    slow.signal("SIGKILL");
    await slow.exited;

    agent(simRoot, stateDir);
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 20_000, "running");
    const tokens = await leasedTokens(server.id);
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect([...tokens].sort((a, b) => a - b)).toEqual(tokens); // tokens only grow
    const [{ expired }] = await sql`select count(*)::int as expired from events where server_id = ${server.id} and type = 'op.lease_expired'`;
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await containersOf(simRoot, server.id)).toEqual([server.vmid]);
    const [{ ops }] = await sql`select count(*)::int as ops from operations where server_id = ${server.id}`;
    expect(ops).toBe(1);
    // The second attempt reused the stored manifest: resolved once.
    const [{ resolved }] = await sql`select count(*)::int as resolved from events where server_id = ${server.id} and type = 'server.manifest_resolved'`;
    expect(resolved).toBe(1);
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });

  it("SIGSTOP past the lease: another session finishes, the paused agent's stale execution is rejected or dropped and changes nothing", async () => {
    const simRoot = await c.newSimRoot();
    const paused = agent(simRoot, await tempDir("state"), { ZLH_SIM_OP_DELAY_MS: "2500" });
    const server = await createServer(call);
    await waitFor(async () => (await leasedTokens(server.id)).length === 1, 15_000, "first lease");
    const [staleToken] = await leasedTokens(server.id);
    paused.signal("SIGSTOP");

    const other = agent(simRoot, await tempDir("state"));
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 20_000, "running via the other session");
    const pidBefore = await readFile(join(simRoot, String(server.vmid), "pid"), "utf8");
    const [{ last }] = await sql`select max(id) as last from events where server_id = ${server.id}`;

    paused.signal("SIGCONT");
    // Woken, the agent either sends its result before it hears the lease is
    // gone (the control plane rejects it), or hears first and drops it (its
    // execution stops at the next step). Which comes first is a race between
    // its timers; both end with nothing changed.
    const droppedByAgent = () =>
      paused.output.some((line) => line.includes("operation stopped: its lease was lost") && line.includes(`"token":"${staleToken}"`));
    const rejected = async () =>
      (await sql`select 1 from events where server_id = ${server.id} and type = 'op.result_rejected' and data->>'token' = ${String(staleToken)}`).length > 0;
    await waitFor(async () => droppedByAgent() || (await rejected()), 20_000, "stale result rejected or dropped by the agent");
    expect(await serverStatus(call, server.id)).toBe("running");
    const later = await sql`select type from events where server_id = ${server.id} and id > ${last} order by id`;
    expect(later.map((e) => e.type).filter((t) => t !== "op.result_rejected")).toEqual([]);
    expect(await readFile(join(simRoot, String(server.vmid), "pid"), "utf8")).toBe(pidBefore);
    expect(await containersOf(simRoot, server.id)).toEqual([server.vmid]);
    await paused.stop();
    await other.stop();
  });
});
