import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GuestFiles } from "../src/guest/guestFiles";
import { atGuest, giveToGuest, guestRootfs, TEST_IDENTITY } from "./support/guestRoot";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes(marker) && !l.includes("ps -eo")).map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe("the guest worker", () => {
  it("refuses a FIFO, a socket, a device and a symlink where a regular file is expected, naming the path and its type", async () => {
    const root = await guestRootfs();
    const dir = join(root, "srv/minecraft");
    await mkdir(dir, { recursive: true });
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const sock = createServer();
    await new Promise<void>((r) => sock.listen(join(dir, "socket"), r));
    await symlink("/etc/passwd", join(dir, "link"));
    const kinds: [string, string][] = [["fifo", "FIFO"], ["socket", "socket"], ["link", "symlink"]];
    if (process.getuid?.() === 0) {
      execFileSync("mknod", [join(dir, "device"), "c", "1", "3"]);
      kinds.push(["device", "character device"]);
    }
    await giveToGuest(root);
    try {
      await atGuest(root, async (guest) => {
        for (const [name, type] of kinds) {
          for (const attempt of [() => guest.read(`srv/minecraft/${name}`, 0, 10), () => guest.hash(`srv/minecraft/${name}`), () => guest.readText(`srv/minecraft/${name}`, 10)]) {
            await expect(attempt(), name).rejects.toMatchObject({ code: "not_regular_file", message: `srv/minecraft/${name} is a ${type}, not a regular file; refused` });
          }
        }
        // The worker still serves after the refusals.
        expect(await guest.write("srv/minecraft/ok.txt", "fine")).toMatchObject({ size: 4 });
      });
    } finally {
      sock.close();
    }
  });

  it("never walks through a link in a directory component, wherever it is, and never removes through one", async () => {
    const root = await guestRootfs();
    const host = await mkdtemp(join(tmpdir(), "zlh-host-"));
    await writeFile(join(host, "secret"), "host");
    await mkdir(join(root, "srv"), { recursive: true });
    await symlink(host, join(root, "srv/minecraft"));
    await giveToGuest(root);
    await atGuest(root, async (guest) => {
      await expect(guest.read("srv/minecraft/secret", 0, 10)).rejects.toMatchObject({ code: "unsafe_path", message: "srv/minecraft is a symlink, not a directory; refused" });
      await expect(guest.write("srv/minecraft/x", "y")).rejects.toMatchObject({ code: "unsafe_path" });
      await expect(guest.list("srv/minecraft", 10)).rejects.toMatchObject({ code: "unsafe_path" });
      expect(await guest.remove("srv", true)).toBe(true); // the link itself goes, not what it points to
    });
    expect(await readFile(join(host, "secret"), "utf8")).toBe("host");
  });

  it("refuses paths that could leave the tree", async () => {
    const root = await guestRootfs();
    await atGuest(root, async (guest) => {
      for (const p of ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\u0000b", ""]) {
        await expect(guest.read(p, 0, 1), JSON.stringify(p)).rejects.toMatchObject({ code: "unsafe_path" });
      }
    });
  });

  it("kills a worker that misses its deadline, with everything it started, and fails with guest_timeout", async () => {
    const root = await guestRootfs();
    const marker = `zlh-hung-worker-${process.pid}-${Date.now()}`;
    // A worker that starts a child of its own and then never answers.
    const hung = `import { spawn } from "node:child_process"; spawn("sleep", ["300", "${marker}"], { stdio: "ignore" }); process.stdin.resume();`;
    let pid = 0;
    await expect(
      GuestFiles.scope(root, { identity: TEST_IDENTITY, timeoutMs: 300, workerSource: hung }, async (guest) => {
        // Its child runs once the worker has started (slow on a loaded machine): waited for, not assumed after a delay.
        for (let i = 0; i < 200 && pid === 0; i++) {
          pid = processesWith(marker)[0] ?? 0;
          if (pid === 0) await new Promise((r) => setTimeout(r, 25));
        }
        return guest.stat("anything");
      }),
    ).rejects.toMatchObject({ code: "guest_timeout", message: expect.stringContaining("within 300 ms; it was killed") });
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(processesWith(marker)).toEqual([]);
  });

  it("stops the worker when the operation is aborted", async () => {
    const root = await guestRootfs();
    const ac = new AbortController();
    const hung = `process.stdin.resume();`;
    const pending = GuestFiles.scope(root, { identity: TEST_IDENTITY, signal: ac.signal, workerSource: hung }, (guest) => guest.stat("x"));
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: "lease_lost" });
  });

  it("writes as the container's root, replaces a planted link instead of writing through it, and removes trees without following links", async () => {
    const root = await guestRootfs();
    const host = await mkdtemp(join(tmpdir(), "zlh-host-"));
    await writeFile(join(host, "keep"), "host");
    await mkdir(join(root, "srv/minecraft/world"), { recursive: true });
    await symlink(join(host, "keep"), join(root, "srv/minecraft/server.properties"));
    await symlink(host, join(root, "srv/minecraft/world/escape"));
    await giveToGuest(root);
    await atGuest(root, async (guest) => {
      await guest.write("srv/minecraft/server.properties", "motd=x\n");
      expect(await guest.stat("srv/minecraft/server.properties")).toMatchObject({ type: "file", size: 7 });
      expect(await guest.remove("srv/minecraft/world", true)).toBe(true);
    });
    expect(await readFile(join(host, "keep"), "utf8")).toBe("host");
    const st = await lstat(join(root, "srv/minecraft/server.properties"));
    expect(st.uid).toBe(TEST_IDENTITY ? 100_000 : process.getuid!());
  });

  it("refuses a directory swapped for a link between its check and the walk (seen as a changed directory or a link)", async () => {
    const root = await guestRootfs();
    const host = await mkdtemp(join(tmpdir(), "zlh-host-"));
    await writeFile(join(host, "level.dat"), "host");
    await mkdir(join(root, "w/world"), { recursive: true });
    await writeFile(join(root, "w/world/level.dat"), "guest");
    await symlink(host, join(root, "w/link"));
    await giveToGuest(root);
    // The customer swaps world and the link as fast as it can while the agent reads through it.
    const swapper = execFileSync("sh", ["-c", `cd ${root}/w && (while :; do mv world tmp; mv link world; mv world link; mv tmp world; done) >/dev/null 2>&1 & echo $!`], { encoding: "utf8" });
    try {
      await atGuest(root, async (guest) => {
        for (let i = 0; i < 300; i++) {
          const r = await guest.read("w/world/level.dat", 0, 100).catch((err: { code: string }) => err.code);
          if (typeof r === "string") expect(["unsafe_path", "guest_io"]).toContain(r);
          else if (r.exists) expect(r.data.toString()).toBe("guest");
        }
      });
    } finally {
      process.kill(Number(swapper.trim()), "SIGKILL");
    }
    await rm(root, { recursive: true, force: true });
  });

  it("refuses to extract into a running container (its processes could race tar through a link), before reading the archive", async () => {
    const root = await guestRootfs();
    let read = false;
    async function* archive() {
      read = true;
      yield new Uint8Array(0);
    }
    await expect(
      GuestFiles.scope(root, { identity: TEST_IDENTITY, live: true }, (guest) => guest.extract("opt/zlh/java/.staging", archive())),
    ).rejects.toMatchObject({ code: "container_running", retryable: false });
    expect(read).toBe(false);
  });

  it("fails a worker that announces a frame over the bound, at once, instead of buffering it", async () => {
    const root = await guestRootfs();
    // A header announcing 1 GiB, then a trickle: the agent must not wait for (or hold) the rest.
    const liar = `const h = Buffer.alloc(5); h.writeUInt32BE(1 << 30, 0); h[4] = 1; process.stdin.once("data", () => { process.stdout.write(h); process.stdout.write(Buffer.alloc(1024)); }); process.stdin.resume();`;
    // Refused on the header (guest_protocol), not at the request's deadline (guest_timeout).
    await expect(
      GuestFiles.scope(root, { identity: TEST_IDENTITY, timeoutMs: 20_000, workerSource: liar }, (guest) => guest.stat("x")),
    ).rejects.toMatchObject({ code: "guest_protocol" });
  });
});
