import { createServer as createNetServer } from "node:net";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { createServer, type Server } from "node:net";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installerSkipsLocalMojmaps, readInstallProfile, storedZip } from "@zlh/artifacts";
import { INSTALLER_MAX_PROCESSES, InstallerFailedError, runInstaller } from "../../src/neoforge/runInstaller";
import { buildStandinNeoforge, type StandinNeoforge } from "../../../../scripts/standinGame/neoforgeInstaller";
import { mojangBundler } from "./mojangBundler";

const GAME = "1.21.1";
const VERSION = "21.1.77";
const SERVER_JAR = `libraries/net/minecraft/server/${GAME}/server-${GAME}.jar`;
/** Where the profile's {MOJMAPS} puts the server mappings (`[net.minecraft:server:<game>-<neoform>:mappings@txt]`). */
const MOJMAPS = `libraries/net/minecraft/server/${GAME}-20240808.144430/server-${GAME}-20240808.144430-mappings.txt`;
const MAPPINGS = new TextEncoder().encode("net.minecraft.server.Main -> net.minecraft.server.Main:\n");
const libs = (neo: StandinNeoforge) => neo.libraries.map((l) => ({ path: `libraries/${l.path}`, bytes: l.bytes }));
const run = promisify(execFile);
const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");

describe("the NeoForge installer, run once in a sandbox (stand-in installer, real java, real unshare)", () => {
  const mojang = mojangBundler(GAME);

  it("installs offline from pre-placed libraries: run scripts, user_jvm_args.txt, unix_args.txt and the processors' outputs", async () => {
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner });
    const profile = readInstallProfile(neo.installer);
    expect(profile.processors.map((p) => p.args[1])).toEqual(["EXTRACT_FILES", "BUNDLER_EXTRACT", "DOWNLOAD_MOJMAPS"]); // DOWNLOAD_MOJMAPS has no sides: servers run it too
    // The skip's line is a constant of its PostProcessors class, as in the real installer's jar: what install.ts reads.
    expect(installerSkipsLocalMojmaps(neo.installer)).toBe(true);
    const installed = await runInstaller({
      installer: neo.installer,
      installerName: `neoforge-${VERSION}-installer.jar`,
      preplaced: [...libs(neo), { path: SERVER_JAR, bytes: mojang.bundler }],
      local: [{ path: `minecraft/${GAME}/server_mappings.txt`, bytes: MAPPINGS }],
    });
    try {
      expect(installed.log).toContain("ENABLING OFFLINE MODE");
      expect(installed.log).toContain("The server installed successfully");
      const at = (p: string) => readFile(join(installed.serverDir, p));
      expect((await at(`libraries/net/neoforged/neoforge/${VERSION}/unix_args.txt`)).toString()).toBe(neo.unixArgs);
      expect((await at("run.sh")).toString()).toContain(`@libraries/net/neoforged/neoforge/${VERSION}/unix_args.txt`);
      expect((await at("user_jvm_args.txt")).toString()).toMatch(/^# Xmx/);
      expect(sha1(await at(`libraries/net/minecraft/server/${GAME}/server-${GAME}-unpacked.jar`))).toBe(sha1(mojang.inner));
      // Mojang's mappings came from the local source beside build/libs/ to {MOJMAPS}, and DOWNLOAD_MOJMAPS did not run.
      expect(await at(MOJMAPS)).toEqual(Buffer.from(MAPPINGS));
      expect(installed.log).toContain(`Downloaded file locally from /work/src/main/resources/maven/minecraft/${GAME}/server_mappings.txt, no checksum provided, assuming valid.`);
      expect(installed.log).toContain("Skipping mojmaps download due to local cache hit.");
      expect(installed.log).not.toContain("launchermeta");
      // NeoForge's own jar came out of the installer's maven/, not from a download.
      expect(installed.log).toContain(`Downloaded file locally from jar:/maven/net/neoforged/neoforge/${VERSION}/neoforge-${VERSION}-universal.jar, valid checksum.`);
    } finally {
      await installed.dispose();
    }
  });

  it("refuses, in the real installer's words, a library it would have downloaded", async () => {
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner, omitLibrary: true });
    const err = await runInstaller({ installer: neo.installer, installerName: "i.jar", preplaced: [...libs(neo), { path: SERVER_JAR, bytes: mojang.bundler }] }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.log).toMatch(/\tFound no cached library at \S+loader-4\.0\.24\.jar, expecting download from https:\/\/maven\.neoforged\.net\/releases\/net\/neoforged\/fancymodloader\/loader\/4\.0\.24\/loader-4\.0\.24\.jar, but running in offline mode\./);
    expect(err.message).toContain("These libraries failed to download. Try again.");
    expect(err.message).toContain("There was an error during installation");
  });

  it("installs a profile with no DOWNLOAD_MOJMAPS step with nothing in its local source", async () => {
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner, withoutMojmaps: true });
    const installed = await runInstaller({ installer: neo.installer, installerName: `neoforge-${VERSION}-installer.jar`, preplaced: [...libs(neo), { path: SERVER_JAR, bytes: mojang.bundler }] });
    try {
      expect(installed.log).toContain("The server installed successfully");
      expect(installed.log).not.toContain("mojmaps");
      await expect(readFile(join(installed.serverDir, MOJMAPS))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await installed.dispose();
    }
  });

  it("tells an installer from before the local-mappings skip by its PostProcessors class (a still-valid class without the line)", async () => {
    const old = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner, predatesOfflineMappings: true });
    expect(installerSkipsLocalMojmaps(old.installer)).toBe(false);
    // No such class at all (not LegacyInstaller's layout): no skip either.
    expect(installerSkipsLocalMojmaps(storedZip([{ name: "install_profile.json", data: MAPPINGS }]))).toBe(false);
  });

  it("fails without Mojang's mappings in its local source: DOWNLOAD_MOJMAPS runs on a server install and needs the network", async () => {
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner });
    const err = await runInstaller({ installer: neo.installer, installerName: "i.jar", preplaced: [...libs(neo), { path: SERVER_JAR, bytes: mojang.bundler }] }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.log).toContain(`Args: --task, DOWNLOAD_MOJMAPS, --version, 1.21.1, --side, server, --output, /server/${MOJMAPS}`);
    expect(err.log).toMatch(/Failed to run processor: java\.net\.\w+Exception:.*launchermeta\.mojang\.com/);
    expect(err.message).toContain("There was an error during installation");
  });

  it("refuses a missing Mojang jar: the real one would fetch Mojang's version manifest", async () => {
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner });
    const err = await runInstaller({ installer: neo.installer, installerName: "i.jar", preplaced: libs(neo) }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.log).toContain("\tLibrary not cached, expecting download from https://piston-meta.mojang.com/mc/game/version_manifest_v2.json, but running in offline mode.");
    expect(err.message).toContain("A problem installing was detected, install cannot continue");
  });
});

describe("the installer's sandbox (a stand-in java: a shell script)", () => {
  let dir: string;
  let listener: Server;
  let port: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-sandbox-test-"));
    await chmod(dir, 0o755); // the stand-in javas must be runnable by the installer's uid (nobody, as root); still not writable by it
    listener = createServer((s) => {
      s.on("error", () => {}); // the probe closes without reading: a reset is expected
      s.end("reached\n");
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => listener.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  const fakeJava = async (name: string, body: string) => {
    const p = join(dir, name);
    await writeFile(p, `#!/bin/bash\n${body}\n`);
    await chmod(p, 0o755);
    return p;
  };
  const opts = { installer: new Uint8Array([1]), installerName: "x.jar", preplaced: [] };

  it("has no network: a listener on the host's loopback cannot be reached", async () => {
    // Outside the sandbox the same script reaches it (so the check can fail).
    const java = await fakeJava("net.sh", `if exec 3<>/dev/tcp/127.0.0.1/${port}; then echo REACHED; else echo UNREACHABLE; fi`);
    expect((await run(java, [])).stdout).toContain("REACHED");
    const sandboxed = await runInstaller({ ...opts, java });
    await sandboxed.dispose();
    expect(sandboxed.log).toContain("UNREACHABLE");
    expect(sandboxed.log).not.toContain("REACHED\n");
  });

  it("is stopped at its time bound, with every process it started, even one that left its process group", async () => {
    // Marked by their arguments, found (or not) in the host's process table after.
    const mark = `${process.pid}${Date.now() % 100_000}`;
    const java = await fakeJava("slow.sh", `(exec sleep 3${mark}.1) & setsid sh -c 'exec sleep 3${mark}.2' </dev/null >/dev/null 2>&1 & sleep 30`);
    const started = Date.now();
    const err = await runInstaller({ ...opts, java, timeoutMs: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.message).toMatch(/did not finish within 1 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The PID namespace's teardown is the kernel's, just after: a bounded wait for it, then none of them may be left.
    const alive = async () => {
      const found: string[] = [];
      for (const pid of (await readdir("/proc")).filter((n) => /^\d+$/.test(n))) {
        const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        if (cmd.includes(`3${mark}.`)) found.push(cmd.replaceAll("\0", " "));
      }
      return found;
    };
    for (let i = 0; i < 50 && (await alive()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await alive()).toEqual([]);
  });

  it("is read after the sandbox is gone: a process the installer left behind cannot change the tree", async () => {
    const mark = `zlh-left-${process.pid}-${Date.now() % 100_000}`;
    const java = await fakeJava("leaves.sh", `setsid bash -c 'exec -a ${mark} bash -c "while :; do date +%N > ../server/changing; done"' </dev/null >/dev/null 2>&1 & sleep 0.3; echo left`);
    const installed = await runInstaller({ ...opts, java });
    try {
      const first = await readFile(join(installed.serverDir, "changing"), "utf8");
      await new Promise((r) => setTimeout(r, 300));
      expect(await readFile(join(installed.serverDir, "changing"), "utf8")).toBe(first);
      const alive: string[] = [];
      for (const pid of (await readdir("/proc")).filter((n) => /^\d+$/.test(n))) {
        if ((await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).startsWith(mark)) alive.push(pid);
      }
      expect(alive).toEqual([]);
    } finally {
      await installed.dispose();
    }
  });

  it("shows the installer nothing of the host but /usr, java's home and what that links to, read-only", async () => {
    const java = await fakeJava("look.sh", [
      "echo \"root=$(ls -A / | tr '\\n' ' ')\"",
      "echo \"etc=$(ls -A /etc)\"",
      "if touch /usr/zlh-planted 2>/dev/null; then echo USR-WRITTEN; else echo USR-REFUSED; fi",
      "touch /tmp/mine && echo TMP-OWN",
    ].join("\n"));
    const sandboxed = await runInstaller({ ...opts, java });
    await sandboxed.dispose();
    const shown = /root=(.*)/.exec(sandboxed.log)![1]!.trim().split(" ");
    // The host's root has more (home, root, var, opt, run, etc with the control plane's configuration): none of it is shown.
    expect(shown.filter((n) => !["bin", "sbin", "lib", "lib32", "lib64", "libx32"].includes(n))).toEqual(["dev", "etc", "proc", "server", "tmp", "usr", "work"]);
    // /etc holds only the linker's cache here (a stand-in java links nowhere).
    expect(sandboxed.log).toContain("etc=ld.so.cache\n");
    expect(sandboxed.log).toContain("USR-REFUSED");
    expect(sandboxed.log).toContain("TMP-OWN");
  });

  it("runs the installer as nobody when the control plane is root, able to write only its own directory", async () => {
    const java = await fakeJava("who.sh", `echo "uid=$(id -u)"; if touch ${join(dir, "written-by-installer")} 2>/dev/null; then echo WROTE; else echo REFUSED; fi; touch ./own-dir && echo OWN`);
    const sandboxed = await runInstaller({ ...opts, java });
    await sandboxed.dispose();
    if (process.getuid?.() === 0) expect(sandboxed.log).toContain("uid=65534");
    expect(sandboxed.log).toContain("REFUSED");
    expect(sandboxed.log).toContain("OWN");
  });

  it("sees no host socket under /run and no host process: a network namespace does not cover unix sockets", async () => {
    const socketPath = `/run/zlh-sandbox-test-${process.pid}.sock`;
    const listener = createNetServer().listen(socketPath);
    await new Promise((r) => listener.once("listening", r));
    try {
      const java = await fakeJava("peek.sh", `if [ -e ${socketPath} ]; then echo SOCKET-SEEN; else echo NO-SOCKET; fi; echo "procs=$(ls /proc | grep -c '^[0-9]')"`);
      const sandboxed = await runInstaller({ ...opts, java });
      await sandboxed.dispose();
      expect(sandboxed.log).toContain("NO-SOCKET");
      expect(Number(/procs=(\d+)/.exec(sandboxed.log)?.[1])).toBeLessThan(10);
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });

  it("cannot start processes without bound: a fork bomb is stopped at INSTALLER_MAX_PROCESSES, not at the host's pid table", async () => {
    // Every process (and JVM thread) it starts takes a host pid and memory for its whole run: without a bound one
    // installer could exhaust the host's pids for up to its time bound. It tries for more than the bound and counts.
    const tries = INSTALLER_MAX_PROCESSES + 100;
    // dash gives up at the first fork refused (bash would retry for a minute); the count is written with builtins only.
    const java = await fakeJava("forks.sh", `sh -c 'n=0; for i in $(seq ${tries}); do sleep 30 & n=$((n+1)); echo $n > /tmp/started; done'; read n < /tmp/started; echo "started=$n"`);
    const sandboxed = await runInstaller({ ...opts, java });
    await sandboxed.dispose();
    const started = Number(/started=(\d+)/.exec(sandboxed.log)?.[1]);
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThan(INSTALLER_MAX_PROCESSES);
  });

  it("shares no System V IPC with the host: a segment it makes does not outlast it", async () => {
    // A segment outlives its creator (until IPC_RMID or reboot): without an IPC namespace of its own an installer
    // could leave host memory taken after its run, and attach to what the host's processes share (Postgres's).
    const size = 40_961 + (process.pid % 1000);
    const host = () => readFile("/proc/sysvipc/shm", "utf8").then((t) => t.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/)));
    const java = await fakeJava("ipc.sh", `ipcmk -M ${size} -p 0600`);
    const sandboxed = await runInstaller({ ...opts, java });
    await sandboxed.dispose();
    const left = (await host()).filter((f) => f[3] === String(size));
    for (const f of left) await run("ipcrm", ["-m", f[1]!]); // the test leaves nothing behind, either way
    expect(sandboxed.log).toMatch(/Shared memory id: \d+/); // it could make one, in a namespace of its own
    expect(left).toEqual([]);
  });

  it("is stopped when its output passes the bound", async () => {
    const java = await fakeJava("flood.sh", "yes flood");
    const err = await runInstaller({ ...opts, java, maxLogBytes: 64 * 1024 }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.message).toContain(`wrote more than ${64 * 1024} bytes of output`);
  });

  it("gives the installer's exit status and last lines on failure", async () => {
    const java = await fakeJava("fail.sh", 'echo "line one"; echo "There was an error during installation"; exit 1');
    const err = await runInstaller({ ...opts, java }).catch((e) => e);
    expect(err.message).toContain("failed (exit 1)");
    expect(err.message).toContain("There was an error during installation");
  });
});
