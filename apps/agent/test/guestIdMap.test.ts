import { chown, mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GuestFiles, type GuestIdentity } from "../src/guest/guestFiles";

/**
 * The pct and lxc runtimes' worker is the container's root as the container
 * sees it (a user namespace mapped like the container), so it manages the
 * files of every id of the container (the game's user owns the server
 * directory once the unit has chowned it) and none of the host's.
 */
const MAPPED: GuestIdentity = { uid: 100_000, gid: 100_000, mapCount: 65_536 };
const GAME_UID = MAPPED.uid + 999; // `minecraft` inside the container

describe("the guest worker with the container's id map", () => {
  if (process.getuid?.() !== 0) throw new Error("this file needs root: the id map is an unprivileged container's");

  it("replaces and removes the game user's files in the game user's directory, as the container's root can", async () => {
    const root = await mkdtemp(join(tmpdir(), "zlh-idmap-"));
    await chown(root, MAPPED.uid, MAPPED.gid);
    const dir = join(root, "srv/minecraft");
    await mkdir(join(dir, ".zlh"), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, ".zlh/manifest.json"), "{}", { mode: 0o644 });
    for (const p of ["srv", "srv/minecraft", "srv/minecraft/.zlh", "srv/minecraft/.zlh/manifest.json"]) await chown(join(root, p), p === "srv" ? MAPPED.uid : GAME_UID, p === "srv" ? MAPPED.gid : GAME_UID);
    await GuestFiles.scope(root, { identity: MAPPED }, async (guest) => {
      expect(await guest.remove("srv/minecraft/.zlh/manifest.json")).toBe(true);
      await guest.write("srv/minecraft/.zlh/manifest.json", "{\"placed\":true}");
      expect(await guest.remove("srv/minecraft", true)).toBe(true);
    });
    await expect(stat(dir)).rejects.toThrow();
  });

  it("writes as the container's root (the host sees the mapped id), and cannot read a file the host's root owns", async () => {
    const root = await mkdtemp(join(tmpdir(), "zlh-idmap-"));
    await chown(root, MAPPED.uid, MAPPED.gid);
    await writeFile(join(root, "host-owned"), "host", { mode: 0o600 }); // root:root, as a file a host process planted
    await GuestFiles.scope(root, { identity: MAPPED }, async (guest) => {
      await guest.write("new.txt", "x");
      await expect(guest.read("host-owned", 0, 100)).rejects.toThrow(/EACCES|permission/i);
    });
    expect((await stat(join(root, "new.txt"))).uid).toBe(MAPPED.uid);
    expect(await readFile(join(root, "host-owned"), "utf8")).toBe("host");
  });

  it("refuses an identity that is not one (host root's ids are no container's)", async () => {
    await expect(GuestFiles.scope("/nonexistent", { identity: { uid: 0, gid: 0, mapCount: 65_536 } }, async () => {})).rejects.toThrow(/invalid container identity/);
  });
});
