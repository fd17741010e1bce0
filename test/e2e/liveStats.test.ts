import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAddress } from "@zlh/agent";
import { joinAsPlayer } from "@zlh/testing";
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
    // Three players join the sim server (and stay until the test ends): the ping the agent sends counts them.
    const players = await Promise.all(["Alex", "Steve", "Noor"].map((name) => joinAsPlayer(simAddress(s.vmid), s.ports.game, name)));
    try {
      // The first figures come with the first heartbeat after the server runs (then every 30 s).
      await waitFor(async () => (await call("GET", `/v1/servers/${s.id}`)).body.stats !== null, 40_000, "stats on the server");
      const { stats } = (await call("GET", `/v1/servers/${s.id}`)).body;
      expect(stats.memoryBytes).toBeGreaterThan(1024 * 1024); // the perl server's RSS
      expect(Date.parse(stats.at)).toBeGreaterThan(Date.now() - 60_000);
      // The second sample, 30 s on: CPU is the rise between two, and the server answers its ping by then.
      await waitFor(async () => ((await call("GET", `/v1/servers/${s.id}`)).body.stats?.at ?? stats.at) !== stats.at, 75_000, "a second sample");
      const withPlayers = (await call("GET", `/v1/servers/${s.id}`)).body.stats;
      // The sim's server has the three online, of server.properties' max-players (20 by default).
      expect(withPlayers).toMatchObject({ playersOnline: 3, playersMax: 20 });
      // A number once two samples exist, in percent of one core: at most all of the server's cores.
      expect(typeof withPlayers.cpuPercent).toBe("number");
      expect(withPlayers.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(withPlayers.cpuPercent).toBeLessThanOrEqual(100 * (await call("GET", `/v1/servers/${s.id}`)).body.cpuCores);
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
      expect(text).toMatch(/^zlh_host_players_online\{host_id="[0-9a-f-]{36}"\} 3$/m);
      const disk = text.split("\n").find((l) => l.startsWith("zlh_host_server_disk_bytes{"));
      expect(Number(disk?.split(" ")[1])).toBe(withPlayers.diskBytes);
      expect(text).toMatch(/^zlh_host_servers_reporting\{host_id="[0-9a-f-]{36}"\} 1$/m);
    } finally {
      for (const p of players) p.leave();
    }
    // Two samples 30 s apart, the first up to 30 s after the server runs.
  }, 150_000);
});
