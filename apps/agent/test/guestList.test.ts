import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clearForReinstall, WIPE_BATCH } from "../src/placement/clearForReinstall";
import { atGuest, giveToGuest, guestRootfs } from "./support/guestRoot";
import { readOrder } from "./support/readOrder";
import { recordListings } from "./support/listingReplies";

/** `count` empty files named `prefix<i>` in `dir`, as a customer's root would fill it. */
async function fill(dir: string, count: number, prefix = "junk-"): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(dir, `${prefix}${i}`), "")));
}

/**
 * Listings of directories the customer can fill with any number of names:
 * read one entry at a time, at most a cap of them, said when there were
 * more; and the callers that must clear everything get there a batch at a
 * time.
 */
describe("the guest worker's bounded listing", () => {
  it("lists at most the cap of names (sorted, those read first), says there were more, and refuses a cap that is not one", async () => {
    const root = await guestRootfs();
    const dir = join(root, "srv/minecraft");
    await fill(dir, 300);
    await giveToGuest(root);
    const order = readOrder(dir);
    await atGuest(root, async (guest) => {
      expect(await guest.list("srv/minecraft", 100)).toEqual({ names: order.slice(0, 100).sort(), complete: false });
      expect(await guest.list("srv/minecraft", 300)).toEqual({ names: [...order].sort(), complete: true });
      expect(await guest.list("srv/none", 10)).toBeNull();
      for (const cap of [0, -1, 1.5, "10", undefined]) {
        await expect(guest.list("srv/minecraft", cap as number), String(cap)).rejects.toMatchObject({ code: "protocol", message: `maxEntries ${JSON.stringify(cap)} is not a positive integer` });
      }
    });
  });

  it("removes a directory of more names than it reads at a time, nested ones too", async () => {
    const root = await guestRootfs();
    await fill(join(root, "srv/minecraft/world"), 2500);
    await fill(join(root, "srv/minecraft/world/region"), 1200);
    await giveToGuest(root);
    await atGuest(root, async (guest) => {
      expect(await guest.remove("srv/minecraft/world", true)).toBe(true);
      expect(await guest.list("srv/minecraft", 10)).toEqual({ names: [], complete: true });
    });
  });

  it("a wipe removes every entry of a server directory holding more than a listing's batch, never listing more than a batch", { timeout: 60_000 }, async () => {
    const root = await guestRootfs();
    const dir = join(root, "srv/minecraft");
    await fill(dir, WIPE_BATCH * 2 + 500);
    await fill(join(dir, "world"), 10);
    await giveToGuest(root);
    const replies = await atGuest(root, async (guest) => {
      const recorded = recordListings(guest);
      expect(await clearForReinstall(recorded.guest, true)).toBe(WIPE_BATCH * 2 + 501);
      return recorded.replies;
    });
    expect(await readdir(dir)).toEqual([]);
    expect(replies.length).toBeGreaterThan(2);
    expect(Math.max(...replies.map((r) => r.names))).toBe(WIPE_BATCH);
  });

  it("a wipe past its bound of entries stops, retryable, and the next attempt goes on where it stopped", async () => {
    const root = await guestRootfs();
    const dir = join(root, "srv/minecraft");
    await fill(dir, 60);
    await giveToGuest(root);
    const bounds = { batch: 10, maxEntries: 25 };
    await atGuest(root, async (guest) => {
      await expect(clearForReinstall(guest, true, bounds)).rejects.toMatchObject({
        code: "too_many_entries",
        retryable: true,
        message: "srv/minecraft holds more than the 25 entries one wipe removes; removed 30, the next attempt goes on",
      });
      expect(await readdir(dir)).toHaveLength(30);
      expect(await clearForReinstall(guest, true, bounds)).toBe(30);
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
