import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, joinAsPlayer, varint } from "@zlh/testing";
import { rconCommand } from "../../apps/agent/src/rcon/rconCommand";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { buildStandinJar } from "../../scripts/standinGame/standinJar";

/**
 * The stand-in Minecraft server on the host's JVM, with real sockets and the
 * agent's own status-ping and RCON clients: it must behave like vanilla
 * where the agent looks, before it is trusted inside a container.
 */
let built: { jar: string; dir: string };
const started: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  built = await buildStandinJar();
});
afterEach(async () => {
  for (const child of started.splice(0)) await stopped(child, "SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  if (built) await rm(built.dir, { recursive: true, force: true });
});

async function serverDir(properties: string, eula = "eula=true\n"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-standin-run-"));
  dirs.push(dir);
  await writeFile(join(dir, "server.properties"), properties);
  if (eula !== "") await writeFile(join(dir, "eula.txt"), eula);
  return dir;
}

function launch(dir: string): ChildProcess {
  const child = spawn("java", ["-Xmx64M", "-jar", built.jar, "nogui"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.resume();
  child.stderr!.resume();
  started.push(child);
  return child;
}

/** Resolves with the exit code (or 128 + signal number) once the process has ended. */
function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : 15))));
}

async function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<number> {
  const done = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return done;
}

/** Waits (bounded) until the log holds `text`, or fails with what the log holds. */
async function logShows(dir: string, text: string, child: ChildProcess): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const log = await readFile(join(dir, "logs/latest.log"), "utf8").catch(() => "");
    if (log.includes(text)) return log;
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before logging ${JSON.stringify(text)}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the log never showed ${JSON.stringify(text)}`);
}

async function running(port: number, rconPort: number, extra = ""): Promise<{ dir: string; child: ChildProcess }> {
  const dir = await serverDir(
    `server-ip=127.0.0.1\nserver-port=${port}\nenable-rcon=true\nrcon.port=${rconPort}\nrcon.password=s3cret\nmax-players=7\n${extra}`,
  );
  const child = launch(dir);
  await logShows(dir, "Done (", child);
  return { dir, child };
}

/** An offline-mode server's id for `name`, as Java's UUID.nameUUIDFromBytes makes it (an MD5, version 3). */
function offlineId(name: string): string {
  const b = createHash("md5").update(`OfflinePlayer:${name}`).digest();
  b[6] = (b[6]! & 0x0f) | 0x30;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The bytes a server answers a 1.21 login of `name` with, until it has sent a first whole packet (bounded). */
function loginReply(port: number, name: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16BE(port);
      const handshake = Buffer.concat([Buffer.from([0x00]), varint(767), varint(9), Buffer.from("127.0.0.1"), portBytes, Buffer.from([0x02])]);
      const start = Buffer.concat([Buffer.from([0x00]), varint(name.length), Buffer.from(name), Buffer.alloc(16)]);
      s.write(Buffer.concat([varint(handshake.length), handshake, varint(start.length), start]));
    });
    let got = Buffer.alloc(0);
    const deadline = setTimeout(() => (s.destroy(), reject(new Error(`no whole reply: ${got.toString("hex")}`))), 5000);
    s.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length > 0 && got.length >= 1 + got[0]!) {
        clearTimeout(deadline);
        s.destroy();
        resolve(got);
      }
    });
    s.on("error", (err) => (clearTimeout(deadline), reject(err)));
  });
}

describe("stand-in server on the host JVM", () => {
  it("refuses to start without eula=true, as vanilla: logs the EULA sentence, writes eula=false if the file is absent, and exits", async () => {
    const port = await freePort();
    const absent = await serverDir(`server-ip=127.0.0.1\nserver-port=${port}\n`, "");
    expect(await exited(launch(absent))).toBe(0);
    expect(await readFile(join(absent, "logs/latest.log"), "utf8")).toMatch(
      /\[\d\d:\d\d:\d\d\] \[main\/INFO\]: You need to agree to the EULA in order to run the server\. Go to eula\.txt for more info\./,
    );
    expect(await readFile(join(absent, "eula.txt"), "utf8")).toMatch(/^eula=false$/m);

    const declined = await serverDir(`server-ip=127.0.0.1\nserver-port=${port}\n`, "eula=false\n");
    expect(await exited(launch(declined))).toBe(0);
    await expect(pingServer("127.0.0.1", port, 500)).rejects.toThrow();
  });

  it("answers the status ping with server.properties' motd and max-players, read as java.util.Properties reads them", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    // A continued line, a ':' separator and a \u escape: Properties.load semantics, not line splitting.
    const { dir } = await running(port, rconPort, "motd = Hello \\u00e9 \\\n    world\n");
    await mkdir(join(dir, ".zlh"));
    await writeFile(join(dir, ".zlh/manifest.json"), JSON.stringify({ game: "1.20.1" }));
    const status = await pingServer("127.0.0.1", port, 5000);
    expect(status.description).toEqual({ text: "Hello é world" });
    expect(status.players).toMatchObject({ max: 7, online: 0 });
    expect(status.version.name).toBe("1.20.1");
  });

  it("answers RCON as vanilla does: login, list, say, save-all, save-off/on twice, an unknown command; a wrong password is refused", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    const { dir, child } = await running(port, rconPort);
    const rcon = (cmd: string) => rconCommand("127.0.0.1", rconPort, "s3cret", cmd, 5000);
    expect(await rcon("list")).toBe("There are 0 of a max of 7 players online: ");
    expect(await rcon("say hello there")).toBe("");
    expect(await rcon("save-all")).toBe("Saving the game (this may take a moment!)Saved the game");
    expect(await rcon("save-off")).toBe("Automatic saving is now disabled");
    expect(await rcon("save-off")).toBe("Saving is already turned off");
    expect(await rcon("save-on")).toBe("Automatic saving is now enabled");
    expect(await rcon("save-on")).toBe("Saving is already turned on");
    expect(await rcon("frobnicate now")).toBe("Unknown or incomplete command, see below for errorfrobnicate now<--[HERE]");
    await expect(rconCommand("127.0.0.1", rconPort, "wrong", "list", 5000)).rejects.toThrow(/wrong password/);
    expect(await logShows(dir, "[Server thread/INFO]: [Rcon] hello there", child)).toContain("RCON running on 127.0.0.1:");
  });

  it("counts the players logged in and still connected, in the status ping (with a sample) and in list; refuses one past max-players", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    const { dir, child } = await running(port, rconPort, "online-mode=false\nmax-players=2\n");
    const players = async () => (await pingServer("127.0.0.1", port, 5000)).players;
    const list = () => rconCommand("127.0.0.1", rconPort, "s3cret", "list", 5000);
    expect(await players()).toEqual({ max: 2, online: 0, sample: [] });
    const alex = await joinAsPlayer("127.0.0.1", port, "Alex");
    const steve = await joinAsPlayer("127.0.0.1", port, "Steve");
    expect(await players()).toEqual({ max: 2, online: 2, sample: [{ name: "Alex", id: offlineId("Alex") }, { name: "Steve", id: offlineId("Steve") }] });
    expect(await list()).toBe("There are 2 of a max of 2 players online: Alex, Steve");
    // Full: refused with vanilla's Login Disconnect (packet 0), before compression is set up.
    await expect(joinAsPlayer("127.0.0.1", port, "Notch")).rejects.toThrow("Notch was answered packet 0, not Login Success");
    alex.leave();
    // The server sees the close when its read of Alex's connection ends: asked until it has (bounded).
    for (let i = 0; i < 100 && (await players()).online !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await players()).toEqual({ max: 2, online: 1, sample: [{ name: "Steve", id: offlineId("Steve") }] });
    expect(await list()).toBe("There are 1 of a max of 2 players online: Steve");
    steve.leave();
    await expect(joinAsPlayer("127.0.0.1", port, "bad name!")).rejects.toThrow(/closed bad name!'s connection/);
    const log = await logShows(dir, "Alex left the game", child);
    expect(log).toMatch(/\[Server thread\/INFO\]: Alex joined the game/);
  });

  it("answers a login as vanilla's online mode does without a session server to ask, and without compression when its threshold is negative", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    await running(port, rconPort); // online-mode unset: vanilla's default, true
    await expect(joinAsPlayer("127.0.0.1", port, "Alex")).rejects.toThrow("Alex was answered packet 0, not Login Success");
    const [plainPort, plainRcon] = [await freePort(), await freePort()];
    await running(plainPort, plainRcon, "online-mode=false\nnetwork-compression-threshold=-1\n");
    const raw = await loginReply(plainPort, "Alex");
    // Login Success for 1.21 (767), uncompressed: the name's offline id, the name, no properties, strict error handling off.
    const body = Buffer.concat([Buffer.from([0x02]), Buffer.from(offlineId("Alex").replaceAll("-", ""), "hex"), Buffer.from([4]), Buffer.from("Alex"), Buffer.from([0, 0])]);
    expect(raw).toEqual(Buffer.concat([Buffer.from([body.length]), body]));
  });

  it("saves the world in a shutdown hook on SIGTERM and exits 143", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    const { dir, child } = await running(port, rconPort);
    await expect(stat(join(dir, "world/level.dat"))).rejects.toThrow(); // nothing saved at start
    expect(await stopped(child, "SIGTERM")).toBe(143);
    const nbt = gunzipSync(await readFile(join(dir, "world/level.dat")));
    expect(nbt.includes(Buffer.from("LevelName"))).toBe(true);
    expect(await readFile(join(dir, "logs/latest.log"), "utf8")).toContain("[Server Shutdown Thread/INFO]: Saving worlds");
  });

  it("stops on RCON stop: replies, saves, exits 0", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    const { dir, child } = await running(port, rconPort);
    expect(await rconCommand("127.0.0.1", rconPort, "s3cret", "stop", 5000)).toBe("Stopping the server");
    expect(await exited(child)).toBe(0);
    expect((await stat(join(dir, "world/level.dat"))).size).toBeGreaterThan(0);
  });

  it("logs FAILED TO BIND TO PORT and exits when the game port is taken", async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(port, "127.0.0.1", r));
    try {
      const dir = await serverDir(`server-ip=127.0.0.1\nserver-port=${port}\n`);
      expect(await exited(launch(dir))).toBe(1);
      const log = await readFile(join(dir, "logs/latest.log"), "utf8");
      expect(log).toContain("[Server thread/WARN]: **** FAILED TO BIND TO PORT!");
      expect(log).toContain("Perhaps a server is already running on that port?");
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("drops a client announcing an oversized packet and keeps answering others", async () => {
    const [port, rconPort] = [await freePort(), await freePort()];
    await running(port, rconPort);
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => s.write(Buffer.from([0xff, 0xff, 0xff, 0x7f])));
      const deadline = setTimeout(() => (s.destroy(), resolve(false)), 5000);
      s.on("close", () => (clearTimeout(deadline), resolve(true)));
      s.on("error", () => {});
    });
    expect(closed).toBe(true);
    expect((await pingServer("127.0.0.1", port, 5000)).players.max).toBe(7);
  });
});

describe("the jar the unit names (the stand-in java passes it as -Dzlh.jar)", () => {
  /** Runs `java <args>` in `dir` to its end: its exit code and stderr. */
  async function java(dir: string, args: string[]): Promise<{ code: number; stderr: string }> {
    const child = spawn("java", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    started.push(child);
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = await exited(child);
    return { code, stderr };
  }

  it("refuses a missing, a corrupt and a jar without Main-Class word for word as the machine's own java does", async () => {
    const dir = await serverDir("server-port=0\n");
    await writeFile(join(dir, "corrupt.jar"), "not a zip");
    // A jar with a manifest and no Main-Class: the stand-in's own jar, its manifest rewritten.
    await spawnDone("jar", ["--create", "--file", join(dir, "nomain.jar"), "-C", dir, "server.properties"]);
    for (const jar of ["server.jar", "corrupt.jar", "nomain.jar"]) {
      const real = await java(dir, ["-jar", jar, "nogui"]);
      const standin = await java(dir, ["-Xmx64M", `-Dzlh.jar=${jar}`, "-jar", built.jar, "nogui"]);
      expect(real.code, jar).toBe(1);
      expect(standin, jar).toEqual({ code: 1, stderr: real.stderr });
    }
  });

  it("starts the game when the named jar is an executable jar", async () => {
    const dir = await serverDir(`server-port=${await freePort()}\n`);
    await spawnDone("cp", [built.jar, join(dir, "server.jar")]);
    const child = spawn("java", ["-Xmx64M", "-Dzlh.jar=server.jar", "-jar", built.jar, "nogui"], { cwd: dir, stdio: ["ignore", "ignore", "ignore"] });
    started.push(child);
    const log = async () => readFile(join(dir, "logs/latest.log"), "utf8").catch(() => "");
    for (const deadline = Date.now() + 30_000; !(await log()).includes("Done (") && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    expect(await log()).toContain("Done (");
  });
});

async function spawnDone(cmd: string, args: string[]): Promise<void> {
  const child = spawn(cmd, args, { stdio: "ignore" });
  if ((await exited(child)) !== 0) throw new Error(`${cmd} failed`);
}
