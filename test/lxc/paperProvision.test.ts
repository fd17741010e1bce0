import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GAME_UNIT } from "../../apps/agent/src/container/gameUnit";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { pingServer } from "../../apps/agent/src/slp/ping";
import type { StandinPaperclip } from "../../scripts/standinGame/standinPaperclip";
import { createServer, serverStatus, type Api } from "../support/api";
import { waitFor } from "../support/processes";
import { startLxcAgentCluster, type LxcAgentCluster } from "./support/agentCluster";
import { paperMirror } from "./support/paperMirror";
import { waitProvisioned } from "./support/provisioned";

/**
 * A Paper server on a real container, the whole path: PaperMC's API (a
 * mirror directory, ZLH_ARTIFACT_SOURCE=mirror) lists one build whose jar
 * is the stand-in Paperclip (pinned by its sha256), the control plane
 * resolves it and checks Mojang's jar against its download context, the
 * agent places both (Mojang's at cache/mojang_<game>.jar), and the
 * container's systemd starts `java -jar paper.jar nogui`: the stand-in
 * java hands paper.jar to the stand-in Paperclip, which finds Mojang's jar
 * in its cache (no network: the container has none), patches the game into
 * versions/, extracts its libraries and starts the game, which answers the
 * status ping and RCON (the agent's readiness) on the bridge address.
 */
const GAME = "1.21.1";
const BUILD = 196;
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");
const rt = new LxcRuntime();
let cluster: LxcAgentCluster;
let call: Api;
let mirror: { dir: string; paperclip: StandinPaperclip };

beforeAll(async () => {
  mirror = await paperMirror(GAME, BUILD);
  const source = { ZLH_ARTIFACT_SOURCE: "mirror", ZLH_ARTIFACT_MIRROR: mirror.dir };
  cluster = await startLxcAgentCluster({ controlPlane: source, agent: source });
  call = cluster.c.call;
});
afterAll(async () => {
  await cluster?.close();
  if (mirror) await rm(mirror.dir, { recursive: true, force: true });
});

it("provisions a Paper server to running on a real container: Paperclip patches offline from the placed Mojang jar, then the game answers", async () => {
  const server = await createServer(call, { type: "paper", memoryMiB: 1024, serverProperties: { motd: "real paper" } });
  await waitProvisioned(call, server.id, cluster.logs);

  const shown = (await call("GET", `/v1/servers/${server.id}`)).body;
  expect(shown).toMatchObject({ type: "paper", minecraftVersion: GAME });
  const address = await rt.address(server.vmid);
  expect(await pingServer(address, server.ports.game, 3000)).toMatchObject({ version: { name: GAME }, description: { text: "real paper" } });

  // What the stand-in Paperclip set up inside the container, read through the container boundary.
  const inside = await rt.withGuest(server.vmid, async (guest) => ({
    unit: await guest.readText(`etc/systemd/system/${GAME_UNIT}`, 64 * 1024),
    patched: await guest.hash(`srv/minecraft/${mirror.paperclip.patched.path}`),
    library: await guest.hash(`srv/minecraft/${mirror.paperclip.library.path}`),
    log: await guest.readText("srv/minecraft/logs/latest.log", 256 * 1024),
  }));
  expect(inside.unit).toContain("ExecStart=/opt/zlh/java/21/bin/java -Xmx819M -jar paper.jar nogui\n");
  expect(inside.patched?.sha512).toBe(sha512(mirror.paperclip.patched.bytes));
  expect(inside.library?.sha512).toBe(sha512(mirror.paperclip.library.bytes));
  expect(inside.log).toContain(`Starting minecraft server version ${GAME}`);
  expect((await rt.unitState(server.vmid, GAME_UNIT))?.populated).toBe(true);

  expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  await waitFor(async () => (await serverStatus(call, server.id)) === "deleted", 120_000, "deleted");
  expect(await rt.inspect(server.vmid)).toBeNull();
});
