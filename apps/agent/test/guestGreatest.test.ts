import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { atGuest, giveToGuest, guestRootfs } from "./support/guestRoot";
import { readOrder } from "./support/readOrder";

const REPORT = /^crash-\d{4}-\d{2}-\d{2}_\d{2}\.\d{2}\.\d{2}-[a-z]{1,16}\.txt$/;

const greatestOf = (names: string[]) => names.filter((n) => REPORT.test(n)).sort().at(-1) ?? null;

/**
 * The newest crash report's name, from a directory the customer can fill
 * with any number of names: read one entry at a time, never all of them
 * listed or sorted, at most a cap of entries, and said when it stopped.
 */
describe("the guest worker's greatest matching name", () => {
  it("reads at most the cap of entries, answers for those it read, and says there were more", async () => {
    const root = await guestRootfs();
    const dir = join(root, "srv/minecraft/crash-reports");
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < 300; i++) {
      const day = String((i % 28) + 1).padStart(2, "0");
      const name = i % 3 === 0 ? `crash-2026-03-${day}_10.00.${String(i % 60).padStart(2, "0")}-server.txt` : `noise-${i}.txt`;
      await writeFile(join(dir, name), "");
    }
    await giveToGuest(root);
    const order = readOrder(dir);
    const greatest = greatestOf(order)!;
    // A cap just short of the greatest name: reading everything would find it, reading only the cap cannot.
    const cap = Math.max(1, order.indexOf(greatest));
    const bounded = await atGuest(root, (g) => g.greatest("srv/minecraft/crash-reports", REPORT, cap));
    expect(bounded).toEqual({ name: greatestOf(order.slice(0, cap)), complete: false });
    expect(await atGuest(root, (g) => g.greatest("srv/minecraft/crash-reports", REPORT, order.length))).toEqual({ name: greatest, complete: true });
    expect(await atGuest(root, (g) => g.greatest("srv/minecraft/none", REPORT, 10))).toEqual({ name: null, complete: true });
  });
});
