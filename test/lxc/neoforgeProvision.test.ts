import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { neoforgeArgFiles } from "@zlh/artifacts";
import { GAME_STDERR_FILE, GAME_UNIT } from "../../apps/agent/src/container/gameUnit";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { createServer, serverStatus, type Api } from "../support/api";
import { waitFor } from "../support/processes";
import { standinInstallerJava } from "../../scripts/standinGame/installerJava";
import { startLxcAgentCluster, type LxcAgentCluster } from "./support/agentCluster";
import { waitProvisioned } from "./support/provisioned";

/**
 * A NeoForge server on a real container, the whole path: NeoForge's Maven
 * (the offline mirror's, as `pnpm dev --runtime lxc` serves it) lists one
 * build of 1.21.1 whose installer is the stand-in (tools/standin-neoforge,
 * built by scripts/buildOfflineMirror.ts); the control plane runs
 * it once in its sandbox and pins the tree it made; the agent places the
 * libraries and the installer-made files (fetched from
 * /v1/agent/neoforge-file) through the container boundary; the container's
 * systemd starts `java -Xmx.. @user_jvm_args.txt @libraries/.../unix_args.txt
 * nogui` in /srv/minecraft as the game's user (after chowning the tree in
 * the guest's idmap); the stand-in java reads those args files as the JVM
 * does (each opens, BootstrapLauncher is in a module-path jar, every
 * library named is in place) and the stand-in game then answers the status
 * ping and RCON (the agent's readiness) on the bridge address.
 */
const GAME = "1.21.1";
const VERSION = "21.1.77";
const run = promisify(execFile);
const rt = new LxcRuntime();
let cluster: LxcAgentCluster;
let call: Api;

beforeAll(async () => {
  // Readiness bounded at 40 s: the heal of the refused game below must be reported long before it (game_exited, by its reason).
  // 1.21.1 needs Java 21 to install; the stand-in says it is that (this machine's java may be 17).
  cluster = await startLxcAgentCluster({ controlPlane: { ZLH_NEOFORGE_JAVA: standinInstallerJava(21) }, agent: { ZLH_READY_TIMEOUT_MS: "40000" } });
  call = cluster.c.call;
});
afterAll(() => cluster?.close());

it("provisions a NeoForge server to running on a real container: the installer's tree placed, the game started from its args files", async () => {
  const server = await createServer(call, { type: "neoforge", memoryMiB: 1024, serverProperties: { motd: "real neoforge" } });
  await waitProvisioned(call, server.id, cluster.logs);

  expect((await call("GET", `/v1/servers/${server.id}`)).body).toMatchObject({ type: "neoforge", minecraftVersion: GAME });
  const address = await rt.address(server.vmid);
  expect(await pingServer(address, server.ports.game, 3000)).toMatchObject({ version: { name: GAME }, description: { text: "real neoforge" } });

  const [userArgs, unixArgs] = neoforgeArgFiles(VERSION);
  const [row] = await cluster.c.sql`select manifest from servers where id = ${server.id}`;
  expect(row!.manifest).toMatchObject({ type: "neoforge", loader: VERSION, launch: { argFiles: [userArgs, unixArgs] } });
  const files = row!.manifest.files as { path: string; url: string; kind: string; sha512: string }[];
  const pinned = (path: string) => files.find((f) => f.path === path)!;
  const bootstrap = "libraries/cpw/mods/bootstraplauncher/2.0.2/bootstraplauncher-2.0.2.jar";
  const inside = await rt.withGuest(server.vmid, async (guest) => ({
    unit: await guest.readText(`etc/systemd/system/${GAME_UNIT}`, 64 * 1024),
    unixArgs: await guest.hash(`srv/minecraft/${unixArgs}`),
    library: await guest.hash(`srv/minecraft/${bootstrap}`),
    log: await guest.readText("srv/minecraft/logs/latest.log", 256 * 1024),
  }));
  expect(inside.unit).toContain(`ExecStart=/opt/zlh/java/21/bin/java -Xmx819M @${userArgs} @${unixArgs} nogui\n`);
  // In the guest as pinned: the args file is the installer's own (fetched from the control plane), the library NeoForge's Maven's.
  expect(pinned(unixArgs)).toMatchObject({ kind: "installed", url: expect.stringMatching(/^zlh:neoforge\/[0-9a-f]{128}$/) });
  expect(inside.unixArgs?.sha512).toBe(pinned(unixArgs).sha512);
  expect(pinned(bootstrap)).toMatchObject({ kind: "library", url: `https://maven.neoforged.net/releases/${bootstrap.slice("libraries/".length)}` });
  expect(inside.library?.sha512).toBe(pinned(bootstrap).sha512);
  expect(inside.log).toContain("Starting cpw.mods.bootstraplauncher.BootstrapLauncher (NeoForge)");
  // The stand-in java passed the unit's args files on, and the game runs as its own user.
  const pids = await rt.unitPids(server.vmid, GAME_UNIT);
  const { stdout } = await run("ps", ["-o", "uid=,args=", "-p", pids.join(",")], { timeout: 10_000 });
  expect(stdout).toMatch(new RegExp(`^\\s*100\\d{3} /opt/zlh/jre/bin/java -Xmx819M -Dzlh\\.jar= -Dzlh\\.argFiles=@${userArgs}@${unixArgs.replaceAll(".", "\\.")} -jar /opt/zlh/standin-server\\.jar nogui`, "m"));

  // A library the args files name gone (as a customer could remove it) and the game killed: the agent heals by
  // starting the unit again, and inside the container the stand-in refuses as the JVM's decision does, on the
  // unit's stderr, the crash evidence's file (which the unit's ExecStopPost used to empty: see gameUnit.ts).
  const loader = "libraries/net/neoforged/fancymodloader/loader/4.0.24/loader-4.0.24.jar";
  expect(pinned(loader)).toMatchObject({ kind: "library" });
  expect(await rt.withGuest(server.vmid, (guest) => guest.remove(`srv/minecraft/${loader}`))).toBe(true);
  for (const pid of pids) process.kill(pid, "SIGKILL");
  const refusal = `a library the launch names is missing: ${loader}\n`;
  const stderr = () => rt.withGuest(server.vmid, (guest) => guest.readText(GAME_STDERR_FILE.slice(1), 64 * 1024)).catch(() => null);
  await waitFor(async () => (await stderr()) === refusal, 120_000, "the stand-in's refusal on the unit's stderr").catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await stderr())}`);
  });
  // The healing start that met the refusal says so at once, as a crash carrying the refusal (the unit's
  // stderr) and how systemd saw the unit end, never `not_ready` after the 40 s readiness (the container stays
  // running when the game dies: only the game unit tells). Regression: it waited out the timeout, told nothing.
  const refused = await waitFor(async () => {
    const rows = await cluster.c.sql`select data from events where server_id = ${server.id} and type = 'server.crashed' order by id`;
    return rows.map((r) => r.data).find((d) => d.reason === "game_exited" && d.source === "start");
  }, 120_000, "the crash recorded by the start that met the refusal");
  expect(refused).toMatchObject({ evidence: { stderr: [refusal.trimEnd()], exit: { result: "exit-code", code: "exited" } } });
  const [failedStart] = await cluster.c.sql`select error from operations where server_id = ${server.id} and kind = 'start' and status = 'failed' order by created_at desc limit 1`;
  expect(failedStart!.error).toMatch(/^game_exited: the game ended before it answered/);
  expect((await call("GET", `/v1/servers/${server.id}`)).body.lastCrash).toMatchObject({ reason: "game_exited", evidence: { stderr: [refusal.trimEnd()] } });

  expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  await waitFor(async () => (await serverStatus(call, server.id)) === "deleted", 120_000, "deleted");
  expect(await rt.inspect(server.vmid)).toBeNull();
}, 420_000);
