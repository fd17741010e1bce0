import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { neoforgeLaunchDecision, quiltLaunchDecision, renderJavaManifest, storedZip } from "@zlh/artifacts";
import { buildStandinJar } from "../../scripts/standinGame/standinJar";

/**
 * The stand-in server's launch decisions for NeoForge (args files, as the
 * stand-in java passes them: -Dzlh.argFiles) and Quilt (its launch jar:
 * -Dzlh.jar=quilt-server-launch.jar), on the host JVM, held to the
 * TypeScript decisions (packages/artifacts, themselves held to the
 * machine's java and the launchers' source) over the same directories:
 * the same refusal, word for word, where either refuses, and a started
 * game where both launch. Real containers run these (neoforgeProvision,
 * agentProvision); a refusal there would only show as a failed provision.
 */
let built: { jar: string; dir: string };
const started: ChildProcess[] = [];
const dirs: string[] = [];
const text = (s: string) => new TextEncoder().encode(s);
const BOOTSTRAP = "cpw.mods.bootstraplauncher.BootstrapLauncher";
const QUILT_MAIN = "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher";

beforeAll(async () => {
  built = await buildStandinJar();
});
afterEach(async () => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  if (built) await rm(built.dir, { recursive: true, force: true });
});

/** A server directory with `files` (path -> bytes) and the EULA agreed. */
async function serverDir(files: Record<string, Uint8Array | string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-standin-launch-"));
  dirs.push(dir);
  for (const [path, body] of Object.entries({ "eula.txt": "eula=true\n", "server.properties": "server-ip=127.0.0.1\nserver-port=0\n", ...files })) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return dir;
}

/** Runs the stand-in in `dir` until it refuses (exit code, stderr) or logs "Done (" (then its log). */
async function standin(dir: string, props: string[]): Promise<{ code: number | null; stderr: string; log: string }> {
  const child = spawn("java", ["-Xmx64M", ...props, "-jar", built.jar, "nogui"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  started.push(child);
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const ended = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 128)));
  const log = () => readFile(join(dir, "logs/latest.log"), "utf8").catch(() => "");
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) return { code: await ended, stderr: stderr.trim(), log: await log() };
    if ((await log()).includes("Done (")) return { code: null, stderr: stderr.trim(), log: await log() };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the stand-in neither refused nor started: ${stderr}`);
}

describe("NeoForge's args files (-Dzlh.argFiles)", () => {
  const V = "21.1.77";
  const unixArgs = `libraries/net/neoforged/neoforge/${V}/unix_args.txt`;
  const bootstrap = storedZip([{ name: "cpw/mods/bootstraplauncher/BootstrapLauncher.class", data: text("stand-in") }]);
  const loader = storedZip([{ name: "loader.txt", data: text("loader") }]);
  const args = [
    "-p libraries/boot.jar:libraries/loader.jar",
    "--add-modules ALL-MODULE-PATH",
    "-DlegacyClassPath=libraries/universal.jar",
    "# a comment the JVM skips",
    `"${BOOTSTRAP}"`,
    "--launchTarget forgeserver",
    "",
  ].join("\n");
  const complete = () => ({
    "user_jvm_args.txt": "# Xmx and Xms set the maximum and minimum RAM usage, respectively.\n",
    [unixArgs]: args,
    "libraries/boot.jar": bootstrap,
    "libraries/loader.jar": loader,
    "libraries/universal.jar": loader,
  });
  const cases: [string, Record<string, Uint8Array | string | null>][] = [
    ["an args file missing", { "user_jvm_args.txt": null }],
    ["the main class in no jar of the paths", { "libraries/boot.jar": loader }],
    ["the main class's jar not a zip", { "libraries/boot.jar": "not a zip" }],
    ["a legacy class path library missing", { "libraries/universal.jar": null }],
    ["no main class at all", { [unixArgs]: "-p libraries/boot.jar\n" }],
  ];

  it.each(cases)("refuses as the JVM's decision does: %s", async (_, change) => {
    const files = Object.fromEntries(Object.entries({ ...complete(), ...change }).filter(([, v]) => v !== null)) as Record<string, Uint8Array | string>;
    const dir = await serverDir(files);
    const decided = await neoforgeLaunchDecision(dir, ["user_jvm_args.txt", unixArgs]);
    expect(decided.launches).toBe(false);
    const ran = await standin(dir, [`-Dzlh.argFiles=@user_jvm_args.txt@${unixArgs}`]);
    expect(ran).toMatchObject({ code: 1, stderr: decided.launches ? "" : decided.reason });
  });

  it("starts the game when every file the args name is in place, logging the main class", async () => {
    const dir = await serverDir(complete());
    expect(await neoforgeLaunchDecision(dir, ["user_jvm_args.txt", unixArgs])).toMatchObject({ launches: true, mainClass: BOOTSTRAP });
    const ran = await standin(dir, [`-Dzlh.argFiles=@user_jvm_args.txt@${unixArgs}`]);
    expect(ran.code).toBeNull();
    expect(ran.log).toContain(`Starting ${BOOTSTRAP} (NeoForge)`);
  });
});

describe("Quilt's launch jar (-Dzlh.jar=quilt-server-launch.jar)", () => {
  const loaderPath = "libraries/org/quiltmc/quilt-loader/0.26.4/quilt-loader-0.26.4.jar";
  const launchJar = (classPath: string) => storedZip([{ name: "META-INF/MANIFEST.MF", data: text(renderJavaManifest([["Main-Class", QUILT_MAIN], ["Class-Path", classPath]])) }]);
  const withMain = storedZip([{ name: `${QUILT_MAIN.replaceAll(".", "/")}.class`, data: text("stand-in") }]);
  const complete = () => ({
    "quilt-server-launch.jar": launchJar(`${loaderPath} libraries/net/fabricmc/intermediary/1.21.1/intermediary-1.21.1.jar`),
    [loaderPath]: withMain,
    "libraries/net/fabricmc/intermediary/1.21.1/intermediary-1.21.1.jar": storedZip([{ name: "a.txt", data: text("a") }]),
    "server.jar": storedZip([{ name: "b.txt", data: text("b") }]),
  });
  const cases: [string, Record<string, Uint8Array | string | null>][] = [
    ["the main class on no Class-Path entry", { [loaderPath]: null }],
    ["the server jar missing", { "server.jar": null }],
    ["the server jar the properties name missing", { "quilt-server-launcher.properties": "serverJar=vanilla/server.jar\n" }],
    ["the server jar named outside the directory", { "quilt-server-launcher.properties": "serverJar=../server.jar\n" }],
    ["a library missing", { "libraries/net/fabricmc/intermediary/1.21.1/intermediary-1.21.1.jar": null }],
  ];

  it.each(cases)("refuses as Quilt's launcher decision does: %s", async (_, change) => {
    const files = Object.fromEntries(Object.entries({ ...complete(), ...change }).filter(([, v]) => v !== null)) as Record<string, Uint8Array | string>;
    const dir = await serverDir(files);
    const decided = await quiltLaunchDecision(dir);
    expect(decided.launches).toBe(false);
    const ran = await standin(dir, ["-Dzlh.jar=quilt-server-launch.jar"]);
    expect(ran).toMatchObject({ code: 1, stderr: decided.launches ? "" : decided.reason });
  });

  it("starts the game when the install is complete, logging the loader the Class-Path names", async () => {
    const dir = await serverDir(complete());
    expect(await quiltLaunchDecision(dir)).toMatchObject({ launches: true, loader: "0.26.4" });
    const ran = await standin(dir, ["-Dzlh.jar=quilt-server-launch.jar"]);
    expect(ran.code).toBeNull();
    expect(ran.log).toContain("with Quilt Loader 0.26.4");
  });
});
