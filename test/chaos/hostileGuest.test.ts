import { spawn } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { markerFor } from "@zlh/protocol";
import { Canary, GUEST_UID } from "../../scripts/chaos/canary";
import type { HostSlot } from "../../scripts/chaos/cluster";
import { HostileGuest } from "../../scripts/chaos/hostileGuest";
import { hostileResidue, readGuestFile } from "../../scripts/chaos/hostileInvariants";

const SERVER = "3d9a8b7c-6e5f-4a3b-9c2d-1e0f9a8b7c6d";
const asRoot = process.getuid?.() === 0;

/** A sim host with one placed-looking container (5001), and a HostileGuest whose draws are given. */
async function setup(draws: number[]) {
  const dir = await mkdtemp(join(tmpdir(), "zlh-hostile-"));
  const simRoot = join(dir, "sim");
  const srv = join(simRoot, "5001/rootfs/srv/minecraft");
  await mkdir(join(srv, "logs"), { recursive: true });
  await mkdir(join(srv, ".zlh"), { recursive: true });
  await writeFile(join(simRoot, "5001/config.json"), JSON.stringify({ description: markerFor(SERVER) }));
  for (const [f, text] of [["server.properties", "server-port=25565\n"], ["eula.txt", "eula=true\n"], ["logs/latest.log", "[00:00:00] started\n"], [".zlh/manifest.json", "{}"]]) {
    await writeFile(join(srv, f!), text!);
  }
  if (asRoot) await new Promise((r) => spawn("chown", ["-R", `${GUEST_UID}:${GUEST_UID}`, join(simRoot, "5001/rootfs")]).once("close", r));
  const later: (() => Promise<void> | void)[] = [];
  const counts: Record<string, number> = {};
  let i = 0;
  const asked: string[] = [];
  const kit = {
    random: () => draws[i++] ?? 0.99,
    count: (k: string) => (counts[k] = (counts[k] ?? 0) + 1),
    later: (_ms: number, fn: () => Promise<void> | void) => void later.push(fn),
    ask: async (method: string, path: string) => (asked.push(`${method} ${path}`), { status: 202, body: {} }),
  };
  // The two queries a target is chosen with: nothing in flight, one live server at 5001.
  const sql = ((strings: TemplateStringsArray) => Promise.resolve(strings.join("").includes("from operations") ? [] : [{ vmid: 5001 }])) as never;
  const canary = await Canary.create(1);
  const guest = new HostileGuest(kit, sql, canary);
  const host = { id: "h1", simRoot } as HostSlot;
  return { srv, rootfs: join(simRoot, "5001/rootfs"), guest, host, later, counts, canary, asked };
}

describe("hostile guest faults", () => {
  it("a FIFO where server.properties was: planted as the container's root, then a reader blocked on it gets the file, and the file is back", async () => {
    // Draws: the container (the only one); kind 0.5 (FIFO); undo delay; FILES[1] = server.properties;
    // then the customer asks for a backup of that tree.
    const { srv, rootfs, guest, host, later, counts, asked } = await setup([0, 0.5, 0.5, 0.3, 0.1, 0.1]);
    await guest.inject(host);
    expect(counts).toEqual({ hostile_fifo: 1, hostile_asked_backup: 1 });
    expect(asked).toEqual([`POST /v1/servers/${SERVER}/backups`]);
    expect(guest.targeted).toEqual(new Set([SERVER]));
    const st = await lstat(join(srv, "server.properties"));
    expect(st.isFIFO()).toBe(true);
    if (asRoot) expect(st.uid).toBe(GUEST_UID);
    expect(await hostileResidue(rootfs)).toBe("srv/minecraft/server.properties is a FIFO");
    // The harness's own reads never block on it.
    expect(await readGuestFile(rootfs, "srv/minecraft/server.properties")).toBeNull();
    // A customer's server opening it blocks until the undo feeds it what it hid.
    const reader = spawn("cat", [join(srv, "server.properties")], { stdio: ["ignore", "pipe", "ignore"] });
    let read = "";
    reader.stdout.on("data", (d: Buffer) => (read += d.toString()));
    const done = new Promise((r) => reader.once("close", r));
    await new Promise((r) => setTimeout(r, 100));
    for (const undo of later) await undo();
    await done;
    expect(read).toBe("server-port=25565\n");
    expect(await readFile(join(srv, "server.properties"), "utf8")).toBe("server-port=25565\n");
    expect(await hostileResidue(rootfs)).toBeNull();
  });

  it("logs/ swapped for a link to the canary: undone, the real directory back; left alone if the agent replaced the link", async () => {
    // Draws: the container; kind 0.1 (directory link); undo delay; DIRS[2] = logs; the canary itself; absolute.
    const first = await setup([0, 0.1, 0.5, 0.9, 0.0, 0.2]);
    await first.guest.inject(first.host);
    expect(first.counts).toEqual({ hostile_dir_link: 1 });
    expect(await readlink(join(first.srv, "logs"))).toBe(first.canary.dir);
    expect(await readGuestFile(first.rootfs, "srv/minecraft/logs/latest.log")).toBeNull(); // not followed
    for (const undo of first.later) await undo();
    expect(await readFile(join(first.srv, "logs/latest.log"), "utf8")).toBe("[00:00:00] started\n");

    const second = await setup([0, 0.1, 0.5, 0.9, 0.0, 0.2]);
    await second.guest.inject(second.host);
    // A restore swapped a tree in meanwhile (the link moved aside by the agent): the undo must not touch it.
    const { rename, rm } = await import("node:fs/promises");
    await rename(join(second.srv, "logs"), join(second.srv, "logs.agent-old"));
    await mkdir(join(second.srv, "logs"));
    await writeFile(join(second.srv, "logs/latest.log"), "restored\n");
    for (const undo of second.later) await undo();
    expect(await readFile(join(second.srv, "logs/latest.log"), "utf8")).toBe("restored\n");
    await rm(join(second.srv, "logs.agent-old"));
  });

  it("the canary's listing sees a file created and removed in its world-writable tmp/, and a changed mode", async () => {
    const canary = await Canary.create(2);
    const before = await canary.listing();
    expect(await canary.listing()).toEqual(before);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(canary.dir, "tmp/x"), "");
    const { chmod, rm } = await import("node:fs/promises");
    await rm(join(canary.dir, "tmp/x"));
    expect(await canary.listing()).not.toEqual(before);
    const again = await canary.listing();
    await chmod(join(canary.dir, "secret.txt"), 0o600);
    expect(await canary.listing()).not.toEqual(again);
  });

  it("a link on the way is never followed by the harness's own reads", async () => {
    const { srv, rootfs, canary } = await setup([]);
    const { rename } = await import("node:fs/promises");
    await rename(join(srv, ".zlh"), join(srv, ".zlh-mine"));
    await symlink(canary.dir, join(srv, ".zlh"));
    expect(await readGuestFile(rootfs, "srv/minecraft/.zlh/manifest.json")).toBeNull();
    expect(await hostileResidue(rootfs)).toBe("srv/minecraft/.zlh is a link");
    expect(await readGuestFile(rootfs, "srv/minecraft/eula.txt")).toBe("eula=true\n");
  });
});
