import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, paperclipLaunchDecision, storedZip, zipEntries, zipEntry } from "@zlh/artifacts";
import { freePort } from "@zlh/testing";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { standinPaperclipJar, type StandinPaperclip } from "../../scripts/standinGame/standinPaperclip";
import { buildStandinJar } from "../../scripts/standinGame/standinJar";
import { mojangServerJar } from "./support/paperMirror";

/**
 * The stand-in Paperclip (tools/standin-server/src/Paperclip.java) on the
 * host's JVM, started as the stand-in java starts it on a container
 * (`java -Dzlh.jar=paper.jar -jar standin-server.jar nogui`): it must make
 * Paperclip's decision (the TypeScript twin, paperclipLaunchDecision, says
 * the same on the same directory) and set up what Paperclip sets up before
 * the game starts.
 */
const GAME = "1.21.1";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let built: { jar: string; dir: string };
let mojang: { url: string; bytes: Uint8Array };
let paper: StandinPaperclip;
const started: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  built = await buildStandinJar();
  mojang = await mojangServerJar(GAME);
  paper = standinPaperclipJar(mojang, GAME, 196);
});
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  if (built) await rm(built.dir, { recursive: true, force: true });
});

/** A server directory as placement leaves a Paper server's: paper.jar, Mojang's jar at cache/ (unless `cache` is false), properties, eula. */
async function paperDir(opts: { cache?: Uint8Array | false; name?: string } = {}): Promise<{ dir: string; port: number }> {
  const parent = await mkdtemp(join(tmpdir(), "zlh-paperclip-"));
  dirs.push(parent);
  const dir = join(parent, opts.name ?? "server");
  await mkdir(join(dir, ".zlh"), { recursive: true });
  const port = await freePort();
  await writeFile(join(dir, "paper.jar"), paper.jar);
  if (opts.cache !== false) {
    await mkdir(join(dir, "cache"));
    await writeFile(join(dir, `cache/mojang_${GAME}.jar`), opts.cache ?? mojang.bytes);
  }
  await writeFile(join(dir, "server.properties"), `server-ip=127.0.0.1\nserver-port=${port}\nmotd=paper stand-in\n`);
  await writeFile(join(dir, "eula.txt"), "eula=true\n");
  await writeFile(join(dir, ".zlh/manifest.json"), JSON.stringify({ game: GAME }));
  return { dir, port };
}

function launch(dir: string): { child: ChildProcess; out: () => { stdout: string; stderr: string } } {
  const child = spawn("java", ["-Xmx64M", "-Dzlh.jar=paper.jar", "-jar", built.jar, "nogui"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  return { child, out: () => ({ stdout, stderr }) };
}

function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
}

async function pinged(port: number, child: ChildProcess, out: () => { stdout: string; stderr: string }) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the stand-in exited ${child.exitCode}: ${JSON.stringify(out())}`);
    const status = await pingServer("127.0.0.1", port, 500).catch(() => null);
    if (status) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no status ping answer: ${JSON.stringify(out())}`);
}

describe("the stand-in Paperclip", () => {
  it("with Mojang's jar in its cache: patches the game into versions/, extracts the libraries, starts the main class, and the game answers; a second start patches nothing", async () => {
    const { dir, port } = await paperDir();
    expect(await paperclipLaunchDecision(dir, "paper.jar")).toMatchObject({ launches: true, mainClass: "io.papermc.paper.PaperBootstrap" });
    const first = launch(dir);
    const status = await pinged(port, first.child, first.out);
    expect(status).toMatchObject({ version: { name: GAME }, description: { text: "paper stand-in" } });
    expect(first.out().stdout).toMatch(/^Applying patches\nStarting io\.papermc\.paper\.PaperBootstrap\n/);
    expect(sha256(await readFile(join(dir, paper.patched.path)))).toBe(sha256(paper.patched.bytes));
    expect(sha256(await readFile(join(dir, paper.library.path)))).toBe(sha256(paper.library.bytes));
    expect(sha256(await readFile(join(dir, `cache/mojang_${GAME}.jar`)))).toBe(sha256(mojang.bytes)); // kept, not fetched again
    first.child.kill("SIGKILL");
    await exited(first.child);

    // A library tampered with is extracted again, as Paperclip does; the applied patch is kept.
    await writeFile(join(dir, paper.library.path), "tampered");
    const second = launch(dir);
    await pinged(port, second.child, second.out);
    expect(second.out().stdout).not.toContain("Applying patches");
    expect(second.out().stdout).toContain("Starting io.papermc.paper.PaperBootstrap");
    expect(sha256(await readFile(join(dir, paper.library.path)))).toBe(sha256(paper.library.bytes));
  });

  it("without Mojang's jar, or with another in its place: prints Paperclip's Downloading line and fails as its download would, exit 1, starting nothing", async () => {
    for (const cache of [false, new TextEncoder().encode("not mojang's jar")] as const) {
      const { dir, port } = await paperDir({ cache });
      const decision = await paperclipLaunchDecision(dir, "paper.jar");
      expect(decision).toMatchObject({ launches: false, needsNetwork: true });
      const run = launch(dir);
      expect(await exited(run.child)).toBe(1);
      expect(run.out().stdout).toBe(`Downloading mojang_${GAME}.jar\n`);
      expect(run.out().stderr).toMatch(new RegExp(`^Failed to download mojang_${GAME}\\.jar\\n`));
      // Paperclip deletes what was there before it downloads.
      await expect(stat(join(dir, `cache/mojang_${GAME}.jar`))).rejects.toThrow();
      await expect(stat(join(dir, "versions"))).rejects.toThrow();
      await expect(pingServer("127.0.0.1", port, 300)).rejects.toThrow();
    }
  });

  it("sets up the offline mirror's Paper and Purpur jars too (what `pnpm dev --runtime lxc` serves): each listed file in place with its hash", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const paperBuilds = await mirror.fetchJson<{ id: number; downloads: { "server:default": { url: string } } }[]>(`https://fill.papermc.io/v3/projects/paper/versions/${GAME}/builds`);
    const jars = {
      "paper 132": await mirror.fetchBytes(paperBuilds.find((b) => b.id === 132)!.downloads["server:default"].url),
      "purpur 2328": await mirror.fetchBytes(`https://api.purpurmc.org/v2/purpur/${GAME}/2328/download`),
    };
    for (const [what, jar] of Object.entries(jars)) {
      const { dir, port } = await paperDir();
      await writeFile(join(dir, "paper.jar"), jar);
      const run = launch(dir);
      await pinged(port, run.child, run.out);
      for (const list of ["versions", "libraries"]) {
        for (const line of new TextDecoder().decode(zipEntry(jar, `META-INF/${list}.list`) ?? new Uint8Array()).split("\n").filter(Boolean)) {
          const [hash, , path] = line.split("\t");
          expect(sha256(await readFile(join(dir, list, path!))), `${what}: ${list}/${path}`).toBe(hash);
        }
      }
      run.child.kill("SIGKILL");
      await exited(run.child);
    }
  });

  /** The stand-in's jar with some entries replaced (or removed: null), laid out again as a stored zip. */
  const rewritten = (edit: Record<string, string | Uint8Array | null>): Uint8Array => {
    const entries = zipEntries(paper.jar).filter((e) => !(e.name in edit) || edit[e.name] !== null);
    const out = entries.map((e) => (e.name in edit ? { name: e.name, data: typeof edit[e.name] === "string" ? new TextEncoder().encode(edit[e.name] as string) : (edit[e.name] as Uint8Array) } : e));
    return storedZip(out);
  };
  const entryText = (name: string) => new TextDecoder().decode(zipEntry(paper.jar, name)!);

  it("refuses a broken jar where Paperclip does, with its exception's message, the same sentence the TypeScript twin gives", async () => {
    const patches = entryText("META-INF/patches.list").split("\t");
    const libraries = entryText("META-INF/libraries.list");
    const cases: [string, Uint8Array][] = [
      ["another patch input", rewritten({ "META-INF/patches.list": [patches[0], "ab".repeat(32), ...patches.slice(2)].join("\t") })],
      ["another patch file", rewritten({ "META-INF/patches.list": [...patches.slice(0, 2), "cd".repeat(32), ...patches.slice(3)].join("\t") })],
      ["a library in neither jar", rewritten({ [`META-INF/${paper.library.path}`]: null })],
      ["a library with another hash", rewritten({ "META-INF/libraries.list": `${"ef".repeat(32)}${libraries.slice(64)}` })],
      ["patches without a download context", rewritten({ "META-INF/download-context": null })],
    ];
    for (const [what, jar] of cases) {
      const { dir } = await paperDir();
      await writeFile(join(dir, "paper.jar"), jar);
      const decision = await paperclipLaunchDecision(dir, "paper.jar");
      expect(decision, what).toMatchObject({ launches: false, needsNetwork: false });
      const run = launch(dir);
      expect(await exited(run.child), what).toBe(1);
      const thrown = run.out().stderr.match(/^Exception in thread "main" java\.lang\.Illegal(?:State|Argument)Exception: (.*)$/m);
      expect(thrown?.[1], `${what}: ${run.out().stderr}`).toBe((decision as { reason: string }).reason.replace(join(dir, "libraries/"), "libraries/"));
    }
  });

  it("fails a patch that does not apply as Paperclip fails a corrupt bsdiff: Failed to patch <input>, exit 1", async () => {
    const patches = entryText("META-INF/patches.list").split("\t");
    const garbage = new TextEncoder().encode("BSDIFF40 but not a patch");
    const sha = sha256(garbage);
    const { dir } = await paperDir();
    await writeFile(join(dir, "paper.jar"), rewritten({ [`META-INF/versions/${GAME}/paper-${GAME}.jar.patch`]: garbage, "META-INF/patches.list": [...patches.slice(0, 2), sha, ...patches.slice(3)].join("\t") }));
    const run = launch(dir);
    expect(await exited(run.child)).toBe(1);
    expect(run.out().stdout).toBe("Applying patches\n");
    expect(run.out().stderr.split("\n")[0]).toBe(`Failed to patch /META-INF/versions/${GAME}/server-${GAME}.jar`);
  });

  it("refuses a working directory containing '!' with Paperclip's sentence, which the TypeScript twin gives too", async () => {
    const { dir } = await paperDir({ name: "bang!dir" });
    const decision = await paperclipLaunchDecision(dir, "paper.jar");
    expect(decision.launches).toBe(false);
    const run = launch(dir);
    expect(await exited(run.child)).toBe(1);
    expect(run.out().stderr).toBe(`${(decision as { reason: string }).reason}\n`);
  });
});
