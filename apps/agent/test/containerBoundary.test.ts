import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { backup } from "../src/ops/backup";
import { logs } from "../src/ops/logs";
import { reinstall } from "../src/ops/reinstall";
import { provision } from "../src/ops/provision";
import { restore } from "../src/ops/restore";
import { giveToGuest, GUEST_UID, simHost, tarListing } from "./support/opHarness";

/**
 * The container's root owns its tree: whatever it plants there (links to
 * host directories, FIFOs, absolute links in a world) must never make the
 * agent, which runs as host root, touch a host file or hang. Each case here
 * was reproduced against the agent before its files went through the
 * container boundary (guest/).
 */
const fifos: string[] = [];
afterEach(async () => {
  // A reader stuck on a FIFO (the old code) is released by a writer that closes at once.
  for (const f of fifos.splice(0)) await open(f, constants.O_WRONLY | constants.O_NONBLOCK).then((fh) => fh.close(), () => {});
});

async function hostDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-host-"));
  await writeFile(join(dir, "keep.txt"), "the host's file");
  return dir;
}

/** A stopped server's directory with a small world, written as the customer (the container's root). */
async function world(h: Awaited<ReturnType<typeof simHost>>, vmid: number, files: Record<string, string> = { "world/level.dat": "the world" }) {
  await h.create(vmid);
  for (const [p, text] of Object.entries(files)) {
    await mkdir(dirname(join(h.serverDir(vmid), p)), { recursive: true });
    await writeFile(join(h.serverDir(vmid), p), text);
  }
  await giveToGuest(h.rootfs(vmid));
}

async function takeBackup(h: Awaited<ReturnType<typeof simHost>>, vmid: number) {
  const backupId = randomUUID();
  const out = (await backup(h.ctx("backup", vmid, { backup: { backupId, start: false } }))) as { sha256: string };
  return { backupId, sha256: out.sha256, archive: join(h.backupDir, "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b", `${backupId}.tar.gz`) };
}

describe("the container boundary", () => {
  it("restores through a server directory swapped for a link to a host directory without touching the host directory", async () => {
    const h = await simHost();
    await world(h, 9101);
    const b = await takeBackup(h, 9101);
    const host = await hostDir();
    await rm(h.serverDir(9101), { recursive: true });
    await symlink(host, h.serverDir(9101));
    await restore(h.ctx("restore", 9101, { backup: { ...b, start: false } }));
    expect(await readdir(host)).toEqual(["keep.txt"]);
    expect((await stat(host)).uid).toBe(0 === process.getuid!() ? 0 : process.getuid!());
    expect((await lstat(h.serverDir(9101))).isDirectory()).toBe(true);
    expect(await readFile(join(h.serverDir(9101), "world/level.dat"), "utf8")).toBe("the world");
  });

  it("clears for a reinstall through a link planted at srv without following it", async () => {
    const h = await simHost();
    await world(h, 9102);
    const host = await hostDir();
    await mkdir(join(host, "minecraft"));
    await writeFile(join(host, "minecraft", "precious"), "host data");
    await rm(join(h.rootfs(9102), "srv"), { recursive: true });
    await symlink(host, join(h.rootfs(9102), "srv"));
    await expect(reinstall(h.ctx("provision", 9102, { reinstall: { wipe: true } }))).rejects.toMatchObject({ code: "unsafe_path" });
    expect(await readFile(join(host, "minecraft", "precious"), "utf8")).toBe("host data");
  });

  it("refuses a FIFO as the console log within the deadline, and keeps serving another server meanwhile", { timeout: 20_000 }, async () => {
    const h = await simHost();
    await world(h, 9103, { "logs/.keep": "" });
    await world(h, 9104);
    const fifo = join(h.serverDir(9103), "logs/latest.log");
    execFileSync("mkfifo", [fifo]);
    fifos.push(fifo);
    // Enough reads to take every thread of libuv's pool, were they to block on the FIFO.
    const reads = Array.from({ length: 6 }, (_, i) => logs(h.ctx("logs", 9103, { logs: i % 2 ? { offset: 0 } : { tail: 10 } })));
    const other = takeBackup(h, 9104);
    for (const r of await Promise.allSettled(reads)) {
      expect(r).toMatchObject({ status: "rejected", reason: { code: "not_regular_file", message: expect.stringContaining("srv/minecraft/logs/latest.log is a FIFO") } });
    }
    expect((await other).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each(["server.properties", "eula.txt", ".zlh/manifest.json"])("refuses a FIFO at %s during placement with an error naming it", { timeout: 20_000 }, async (name) => {
    const h = await simHost();
    await world(h, 9105, { [join(dirname(name), ".keep")]: "" });
    const fifo = join(h.serverDir(9105), name);
    execFileSync("mkfifo", [fifo]);
    fifos.push(fifo);
    await expect(provision(h.ctx("provision", 9105))).rejects.toMatchObject({ code: "not_regular_file", message: expect.stringContaining(`srv/minecraft/${name} is a FIFO`) });
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it("backs up and restores a world holding an absolute symlink, the link kept as a link", async () => {
    const h = await simHost();
    await world(h, 9106);
    await symlink("/etc/passwd", join(h.serverDir(9106), "world/abs"));
    await giveToGuest(join(h.serverDir(9106), "world/abs"));
    const passwd = await readFile("/etc/passwd", "utf8");
    const b = await takeBackup(h, 9106);
    await writeFile(join(h.serverDir(9106), "world/level.dat"), "changed");
    await restore(h.ctx("restore", 9106, { backup: { ...b, start: false } }));
    expect(await readFile(join(h.serverDir(9106), "world/level.dat"), "utf8")).toBe("the world");
    expect(await readlink(join(h.serverDir(9106), "world/abs"))).toBe("/etc/passwd");
    expect(await readFile("/etc/passwd", "utf8")).toBe(passwd);
    // The restored tree is the container root's, entry by entry.
    for (const p of ["world", "world/level.dat", "world/abs", "server.properties"]) expect((await lstat(join(h.serverDir(9106), p))).uid, p).toBe(GUEST_UID);
    expect((await readdir(join(h.rootfs(9106), "srv"))).sort()).toEqual(["minecraft"]);
  });

  it("leaves the live world untouched when a backup cannot be extracted", async () => {
    const h = await simHost();
    await world(h, 9107);
    const b = await takeBackup(h, 9107);
    await writeFile(b.archive, "not a gzipped tar at all");
    const sha256 = execFileSync("sha256sum", [b.archive], { encoding: "utf8" }).split(" ")[0]!;
    await expect(restore(h.ctx("restore", 9107, { backup: { backupId: b.backupId, sha256, start: false } }))).rejects.toBeTruthy();
    expect(await readFile(join(h.serverDir(9107), "world/level.dat"), "utf8")).toBe("the world");
    expect((await readdir(join(h.rootfs(9107), "srv"))).sort()).toEqual(["minecraft"]);
  });

  it("writes archives 0600 in 0700 directories (they hold the RCON password), entries owned by the container's root", async () => {
    const h = await simHost();
    await world(h, 9108);
    const b = await takeBackup(h, 9108);
    expect((await stat(b.archive)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(b.archive))).mode & 0o777).toBe(0o700);
    expect((await stat(h.backupDir)).mode & 0o777).toBe(0o700);
    const level = tarListing(b.archive).find((l) => l.endsWith("world/level.dat"))!;
    expect(level.split(/\s+/)[1]).toBe(`${GUEST_UID}/${GUEST_UID}`);
  });

  it("backs up a sparse 4 GiB file as the holes it is", { timeout: 60_000 }, async () => {
    const h = await simHost();
    await world(h, 9109);
    execFileSync("truncate", ["-s", "4G", join(h.serverDir(9109), "world/huge.bin")]);
    await giveToGuest(join(h.serverDir(9109), "world/huge.bin"));
    const b = await takeBackup(h, 9109);
    expect((await stat(b.archive)).size).toBeLessThan(1024 * 1024);
    expect(tarListing(b.archive).find((l) => l.endsWith("world/huge.bin"))).toContain(" 4294967296 ");
  });

  it("follows the log by bytes: an invalid UTF-8 byte does not push the offset past the file", async () => {
    const h = await simHost();
    await world(h, 9110, { "logs/latest.log": "" });
    const log = join(h.serverDir(9110), "logs/latest.log");
    await writeFile(log, Buffer.from([...Buffer.from("ok\n"), 0xff, ...Buffer.from("bad\n")]));
    const first = (await logs(h.ctx("logs", 9110, { logs: { offset: 0 } }))) as { offset: number; lines: string[] };
    expect(first.offset).toBe(8);
    expect(first.lines).toEqual(["ok", "\ufffdbad"]);
    const next = await logs(h.ctx("logs", 9110, { logs: { offset: first.offset } }));
    expect(next).toEqual({ lines: [], offset: 8, rotated: false });
    const tail = (await logs(h.ctx("logs", 9110, { logs: { tail: 5 } }))) as { offset: number };
    expect(tail.offset).toBe(8);
  });
});


describe("a backup while the customer swaps directories for links", () => {
  it("never puts a host directory's files into the archive", { timeout: 120_000 }, async () => {
    const h = await simHost();
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`world/region/r.${i}.mca`] = "chunk";
    await world(h, 9111, files);
    // A host directory anyone may read: only not following links keeps it out.
    const host = await hostDir();
    await writeFile(join(host, "host-secret"), "host");
    await chmod(host, 0o755);
    await symlink(host, join(h.serverDir(9111), "link"));
    await giveToGuest(join(h.serverDir(9111), "link"));
    // As fast as it can: the real directory and the link trade places at world/region.
    const swap = 'while (1) { rename "world/region", "tmp"; rename "link", "world/region"; select(undef, undef, undef, 0.0005); rename "world/region", "link"; rename "tmp", "world/region"; select(undef, undef, undef, 0.0005) }';
    const swapper = spawn("perl", ["-e", swap], { cwd: h.serverDir(9111), stdio: "ignore" });
    let archived = 0;
    try {
      for (let i = 0; i < 15; i++) {
        const b = await takeBackup(h, 9111).catch(() => null); // a walk that meets a swap may fail: never copy
        if (!b) continue;
        archived++;
        expect(tarListing(b.archive).filter((l) => l.includes("host-secret") && !l.includes(" -> "))).toEqual([]);
      }
      expect(archived).toBeGreaterThan(0);
    } finally {
      swapper.kill("SIGKILL");
    }
  });
});
