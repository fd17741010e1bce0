import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GAME_UNIT } from "../../apps/agent/src/container/gameUnit";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { createServer, serverStatus, type Api } from "../support/api";
import { waitFor } from "../support/processes";
import { startLxcAgentCluster, type LxcAgentCluster } from "./support/agentCluster";
import { waitProvisioned } from "./support/provisioned";

/**
 * The real agent (ZLH_RUNTIME=lxc) with a real control plane: a server is
 * provisioned to `running` on a real container (created from a template
 * that holds the game's java: see scripts/standinGame/gameTemplate.ts), with the game
 * started by the container's systemd from the unit the agent installed, and
 * readiness proven by the status ping and RCON on the container's bridge
 * address; then deleted, and its container with it.
 */
const run = promisify(execFile);
const rt = new LxcRuntime();
let cluster: LxcAgentCluster;
let call: Api;

beforeAll(async () => {
  cluster = await startLxcAgentCluster();
  call = cluster.c.call;
});
afterAll(() => cluster?.close());

it("provisions a server to running on a real container, the game started by its systemd, then deletes it", async () => {
  const server = await createServer(call, { memoryMiB: 1024, serverProperties: { motd: "real lxc", "max-players": 3 } });
  expect(server.vmid).toBeGreaterThanOrEqual(9916);
  await waitProvisioned(call, server.id);

  const address = await rt.address(server.vmid);
  const status = await pingServer(address, server.ports.game, 3000);
  expect(status).toMatchObject({ version: { name: "1.21.1" }, players: { max: 3 }, description: { text: "real lxc" } });
  expect((await rt.unitState(server.vmid, GAME_UNIT))?.populated).toBe(true);
  // The unit's heap follows the memory (1024 / 1.25), and the game runs as its own user.
  const pids = await rt.unitPids(server.vmid, GAME_UNIT);
  const { stdout } = await run("ps", ["-o", "uid=,args=", "-p", pids.join(",")], { timeout: 10_000 });
  expect(stdout).toMatch(/^\s*100\d{3} \/opt\/zlh\/jre\/bin\/java -Xmx819M -Dzlh\.jar=fabric-server-launch\.jar -Dzlh\.argFiles= -jar \/opt\/zlh\/standin-server\.jar nogui/m);

  expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  await waitFor(async () => (await serverStatus(call, server.id)) === "deleted", 120_000, "deleted");
  expect(await rt.inspect(server.vmid)).toBeNull();
});

it("provisions a vanilla server to running on a real container: its unit starts Mojang's jar, which the stand-in java checks as java would", async () => {
  const server = await createServer(call, { type: "vanilla", memoryMiB: 1024, serverProperties: { motd: "real vanilla" } });
  await waitProvisioned(call, server.id);
  const status = await pingServer(await rt.address(server.vmid), server.ports.game, 3000);
  expect(status).toMatchObject({ version: { name: "1.21.1" }, description: { text: "real vanilla" } });
  const unit = await rt.withGuest(server.vmid, (guest) => guest.readText(`etc/systemd/system/${GAME_UNIT}`, 64 * 1024));
  expect(unit).toContain("ExecStart=/opt/zlh/java/21/bin/java -Xmx819M -jar server.jar nogui\n");
  const pids = await rt.unitPids(server.vmid, GAME_UNIT);
  const { stdout } = await run("ps", ["-o", "args=", "-p", pids.join(",")], { timeout: 10_000 });
  expect(stdout).toMatch(/-Dzlh\.jar=server\.jar -Dzlh\.argFiles= -jar \/opt\/zlh\/standin-server\.jar nogui/);


  expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  await waitFor(async () => (await serverStatus(call, server.id)) === "deleted", 120_000, "deleted");
});

// Quilt shares the container's whole path with Fabric (one launch jar, `-jar <jar> nogui`); what differs is
// the launch jar, which the agent builds from the manifest's recipe (a manifest with Main-Class and Class-Path
// only), and Quilt's launcher decision over it: so this proves those inside a real container, no more.
it("provisions a Quilt server to running on a real container: the agent-built launch jar passes Quilt's launcher decision there", async () => {
  const server = await createServer(call, { type: "quilt", memoryMiB: 1024, serverProperties: { motd: "real quilt" } });
  await waitProvisioned(call, server.id);
  const status = await pingServer(await rt.address(server.vmid), server.ports.game, 3000);
  expect(status).toMatchObject({ version: { name: "1.21.1" }, description: { text: "real quilt" } });
  const inside = await rt.withGuest(server.vmid, async (guest) => ({
    unit: await guest.readText(`etc/systemd/system/${GAME_UNIT}`, 64 * 1024),
    log: await guest.readText("srv/minecraft/logs/latest.log", 256 * 1024),
  }));
  expect(inside.unit).toContain("ExecStart=/opt/zlh/java/21/bin/java -Xmx819M -jar quilt-server-launch.jar nogui\n");
  // Only QuiltLaunch logs this, after finding QuiltServerLauncher on the Class-Path, server.jar and every library.
  expect(inside.log).toContain("Loading Minecraft 1.21.1 with Quilt Loader 0.26.4");

  expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  await waitFor(async () => (await serverStatus(call, server.id)) === "deleted", 120_000, "deleted");
});
