import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { argFileTokens, neoforgeArgFiles, neoforgeLaunchDecision } from "@zlh/artifacts";
import { runInstaller } from "../../src/neoforge/runInstaller";
import { buildStandinNeoforge, standinServerMappings } from "../../../../scripts/standinGame/neoforgeInstaller";
import { mojangBundler } from "./mojangBundler";

const run = promisify(execFile);
const GAME = "1.21.1";
const VERSION = "21.1.77";
const ARGS = neoforgeArgFiles(VERSION);

/** What the machine's java says for `java @<files> nogui` in `dir` (its first two lines of stderr). */
async function javaSays(dir: string): Promise<string> {
  const out = await run("java", [...ARGS.map((f) => `@${f}`), "nogui"], { cwd: dir, timeout: 30_000 }).catch((e: { stdout: string; stderr: string }) => e);
  // Its WARNING lines (an --add-opens naming a module the stand-in has not) come before the refusal and are not one.
  return `${out.stderr}${out.stdout}`.trim().split("\n").filter((l) => !l.startsWith("WARNING:")).slice(0, 2).join("\n");
}

describe("a NeoForge server's launch: java @user_jvm_args.txt @libraries/net/neoforged/neoforge/<v>/unix_args.txt nogui", () => {
  let dir: string;
  beforeAll(async () => {
    const mojang = mojangBundler(GAME);
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner });
    const installed = await runInstaller({
      installer: neo.installer,
      installerName: `neoforge-${VERSION}-installer.jar`,
      preplaced: [...neo.libraries.map((l) => ({ path: `libraries/${l.path}`, bytes: l.bytes })), { path: `libraries/net/minecraft/server/${GAME}/server-${GAME}.jar`, bytes: mojang.bundler }],
      local: [{ path: `minecraft/${GAME}/server_mappings.txt`, bytes: standinServerMappings(GAME) }],
    });
    // A copy on the host: the run's tree lives on a tmpfs held by an fd, detached from every root, where a
    // process started in it (the machine's java below) cannot even tell its own working directory.
    dir = await mkdtemp(join(tmpdir(), "zlh-neoforge-launch-"));
    await run("cp", ["-R", `${installed.serverDir}/.`, dir]);
    await installed.dispose();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads args files as the java launcher does: white space, quotes, comments", () => {
    expect(argFileTokens('-Da=1  "-Db=two words"\n# a comment -Dc\n\'-Dd=x\'\tMain')).toEqual(["-Da=1", "-Db=two words", "-Dd=x", "Main"]);
  });

  it("launches what the installer left: both args files, BootstrapLauncher on the module path, every library in place", async () => {
    expect(await neoforgeLaunchDecision(dir, ARGS)).toEqual({ launches: true, jar: ARGS.map((f) => `@${f}`).join(" "), mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher" });
  });

  it("refuses a missing args file with the JVM's words", async () => {
    const saved = await readFile(join(dir, ARGS[0]!));
    await rm(join(dir, ARGS[0]!));
    try {
      const reason = "Error: could not open `user_jvm_args.txt'";
      expect(await neoforgeLaunchDecision(dir, ARGS)).toEqual({ launches: false, needsNetwork: false, reason });
      expect(await javaSays(dir)).toBe(reason);
    } finally {
      await writeFile(join(dir, ARGS[0]!), saved);
    }
  });

  it("refuses a launch whose main class is in no jar with the JVM's words", async () => {
    const path = join(dir, "libraries/cpw/mods/bootstraplauncher/2.0.2/bootstraplauncher-2.0.2.jar");
    const saved = await readFile(path);
    await rm(path);
    try {
      const decision = await neoforgeLaunchDecision(dir, ARGS);
      expect(decision.launches).toBe(false);
      const reason = (decision as { reason: string }).reason;
      expect(reason).toBe("Error: Could not find or load main class cpw.mods.bootstraplauncher.BootstrapLauncher\nCaused by: java.lang.ClassNotFoundException: cpw.mods.bootstraplauncher.BootstrapLauncher");
      expect(await javaSays(dir)).toBe(reason);
    } finally {
      await writeFile(path, saved);
    }
  });

  it("refuses a launch missing a library of the legacy class path (the installer's own unpacked game jar)", async () => {
    const path = join(dir, `libraries/net/minecraft/server/${GAME}/server-${GAME}-unpacked.jar`);
    const saved = await readFile(path);
    await rm(path);
    try {
      expect(await neoforgeLaunchDecision(dir, ARGS)).toEqual({ launches: false, needsNetwork: false, reason: `a library the launch names is missing: libraries/net/minecraft/server/${GAME}/server-${GAME}-unpacked.jar` });
    } finally {
      await writeFile(path, saved);
    }
  });
});
