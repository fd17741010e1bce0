import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { status as mcStatus } from "minecraft-server-util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAddress } from "@zlh/agent";
import { fabricLaunchDecision } from "@zlh/artifacts";
import { createServer, eventTypes, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { waitFor, type Proc } from "../support/processes";

describe("provision to running through a real agent", () => {
  let c: E2eCluster;
  let call: Api;
  let simRoot: string;
  let agent: Proc;

  beforeAll(async () => {
    c = await startE2eCluster("e2e-host");
    ({ call, simRoot } = c);
    agent = c.startAgent();
  });
  afterAll(() => c?.close());

  it("provisions a Fabric server with two mods: pending -> provisioning -> running, server.running once, a status ping answers", async () => {
    const server = await createServer(call, {
      mods: [{ project: "lithium" }, { project: "chunky" }],
      serverProperties: { motd: "e2e motd", "max-players": 7 },
    });
    await waitFor(async () => (await serverStatus(call, server.id)) === "running", 20_000, "running");
    const types = await eventTypes(call, server.id);
    expect(types.filter((t) => t === "server.running")).toHaveLength(1);
    const transitions = (await call("GET", `/v1/servers/${server.id}/events`)).body.items
      .filter((e: { type: string }) => e.type === "server.status_changed")
      .map((e: { data: { from: string; to: string } }) => `${e.data.from}->${e.data.to}`);
    expect(transitions).toEqual(["pending->provisioning", "provisioning->running"]);
    // Its agent reported each phase as it went, in order, the download with its file and byte counts; none is left once done.
    const progress = (await call("GET", `/v1/servers/${server.id}/events`)).body.items
      .filter((e: { type: string }) => e.type === "server.progress")
      .map((e: { data: Record<string, unknown> }) => e.data);
    expect(progress.map((d: { phase: string }) => d.phase)).toEqual(["creating", "downloading", "placing", "starting", "waiting"]);
    const download = progress[1] as { total: number; bytesTotal: number; done: number };
    expect(download.total).toBeGreaterThanOrEqual(5);
    expect(download.bytesTotal).toBeGreaterThan(0);
    expect(download.done).toBe(0);
    expect((await call("GET", `/v1/servers/${server.id}`)).body.progress).toBeNull();

    // An independent Minecraft status client sees the server on its direct address.
    const seen = await mcStatus(simAddress(server.vmid), server.ports.game, { timeout: 3000, enableSRV: false });
    expect(seen.version.name).toBe("1.21.1");
    expect(seen.players.max).toBe(7);
    expect(seen.motd.clean).toBe("e2e motd");
    // A host without a static network allocates no address: the one the game answered on is recorded, and shown.
    expect((await call("GET", `/v1/servers/${server.id}`)).body.address).toBe(simAddress(server.vmid));
    expect(types).toContain("server.address_observed");

    // The manifest was pinned (chunky pulled in fabric-api) and placed before the first boot,
    // complete: the Fabric launcher's own check finds nothing to fetch from the network.
    const dir = join(simRoot, String(server.vmid), "rootfs/srv/minecraft");
    expect((await readdir(join(dir, "mods"))).sort()).toEqual(["chunky-1.4.16.jar", "fabric-api-0.102.1+1.21.1.jar", "lithium-mc1.21.1-0.13.0.jar"]);
    expect((await readdir(join(dir, ".fabric/server"))).sort()).toEqual(["1.21.1-server.jar", "fabric-loader-server-0.19.3-minecraft-1.21.1.jar"]);
    expect(await fabricLaunchDecision(dir)).toMatchObject({ launches: true, loader: "0.19.3", game: "1.21.1" });
    expect(await readFile(join(dir, "logs/latest.log"), "utf8")).toContain("Loading Minecraft 1.21.1 with Fabric Loader 0.19.3");
    expect(await readFile(join(dir, "server.properties"), "utf8")).toContain(`server-port=${server.ports.game}\n`);
    const hosts = (await call("GET", "/v1/hosts")).body.items;
    expect(hosts[0]).toMatchObject({ connected: true });

    // The agent's log traces the work to its lease (fencing token in clear), and never shows its own secret.
    const lines = agent.output.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const finished = lines.find((l) => l.msg === "operation finished" && l.serverId === server.id);
    expect(finished).toMatchObject({ kind: "provision", outcome: "succeeded", token: expect.stringMatching(/^\d+$/) });
    expect(agent.output.join("\n")).not.toContain(c.host.agentToken);
  });

  it("fails a server whose mods cannot run on a server, with the reason, and provisions nothing", async () => {
    const server = await createServer(call, { mods: [{ project: "sodium" }] });
    await waitFor(async () => (await serverStatus(call, server.id)) === "failed", 20_000, "failed");
    const got = (await call("GET", `/v1/servers/${server.id}`)).body;
    expect(got.failureReason).toMatch(/^manifest_unresolvable: Mod "sodium" \(AANobbMI\) is client-only/);
    const types = (await call("GET", `/v1/servers/${server.id}/events`)).body.items.map((e: { type: string }) => e.type);
    expect(types).not.toContain("op.queued");
  });

  it("fails a server for a game Fabric meta refuses (400) within seconds, never retrying", async () => {
    const server = await createServer(call, { minecraftVersion: "1.21.99" });
    // A retried 400 would leave it pending across graphile-worker's growing backoff (10 attempts, hours).
    await waitFor(async () => (await serverStatus(call, server.id)) === "failed", 20_000, "failed");
    const got = (await call("GET", `/v1/servers/${server.id}`)).body;
    expect(got.failureReason).toBe("manifest_unresolvable: Fabric does not support Minecraft 1.21.99 (Fabric meta answered 400).");
  });
});
