import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitStatus } from "../support/lifecycle";
import { ADMIN_TOKEN, killSimServers, waitFor } from "../support/processes";

/**
 * Live figures through the real agent and control plane (docs/live-stats.md):
 * the sim server's own process use, carried by a heartbeat, shown on the
 * server, in its history, and summed per host in /metrics.
 */
describe("live figures with a real agent", () => {
  let c: E2eCluster;
  let call: Api;

  beforeAll(async () => {
    c = await startE2eCluster("stats-host", { ZLH_LEASE_TTL_MS: "1500" });
    call = c.call;
    c.startAgent();
  });
  afterAll(async () => {
    await c?.close();
    if (c) await killSimServers(c.simRoot);
  });

  it("a running server's memory, CPU, players and disk use appear on it, in its history and in /metrics; bad windows are refused", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    // The first figures come with the first heartbeat after the server runs (then every 30 s).
    await waitFor(async () => (await call("GET", `/v1/servers/${s.id}`)).body.stats !== null, 40_000, "stats on the server");
    const { stats } = (await call("GET", `/v1/servers/${s.id}`)).body;
    expect(stats.memoryBytes).toBeGreaterThan(1024 * 1024); // the perl server's RSS
    expect(Date.parse(stats.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(stats.cpuPercent === null || stats.cpuPercent >= 0).toBe(true);
    // A sample read while the server was still starting has no players (its ping had no answer): the next one, 30 s on, has.
    await waitFor(async () => (await call("GET", `/v1/servers/${s.id}`)).body.stats?.playersMax != null, 75_000, "players on the server");
    const withPlayers = (await call("GET", `/v1/servers/${s.id}`)).body.stats;
    // The sim's stand-in answers the ping with no one online and server.properties' max-players (20 by default).
    expect(withPlayers).toMatchObject({ playersOnline: 0, playersMax: 20 });
    // Its rootfs holds at least the server jar placed there; the walk counts allocated blocks, so whole 512-byte units.
    expect(withPlayers.diskBytes).toBeGreaterThan(0);
    expect(withPlayers.diskBytes % 512).toBe(0);
    const history = (await call("GET", `/v1/servers/${s.id}/stats?window=600`)).body;
    expect(history.items.at(-1)).toEqual(withPlayers);
    expect(history.items.at(0)).toEqual(stats);
    expect((await call("GET", `/v1/servers/${s.id}/stats?window=5`)).body).toMatchObject({ error: "invalid_request" });
    expect((await call("GET", "/v1/servers/00000000-0000-4000-8000-000000000000/stats")).status).toBe(404);
    const text = await (await fetch(`${c.cp.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const memory = text.split("\n").find((l) => l.startsWith("zlh_host_server_memory_bytes{"));
    expect(memory).toMatch(/^zlh_host_server_memory_bytes\{host_id="[0-9a-f-]{36}"\} \d+/);
    expect(Number(memory!.split(" ")[1])).toBeGreaterThanOrEqual(withPlayers.memoryBytes);
    expect(text).toMatch(/^zlh_host_players_online\{host_id="[0-9a-f-]{36}"\} 0$/m);
    const disk = text.split("\n").find((l) => l.startsWith("zlh_host_server_disk_bytes{"));
    expect(Number(disk?.split(" ")[1])).toBe(withPlayers.diskBytes);
    expect(text).toMatch(/^zlh_host_servers_reporting\{host_id="[0-9a-f-]{36}"\} 1$/m);
  });
});
