import type { GuestFiles } from "../guest/guestFiles";
import { inServerDir, PLACED_RECORD, readRecord, SERVER_DIR } from "./placeServer";

/**
 * Makes a server directory ready to be placed again from scratch (a
 * reinstall): removes every file the platform placed (as its record lists
 * them) but the seeded ones (a pack's configs and worlds, the customer's to
 * edit: docs/modpacks.md#overrides), and the record, or, where seeded files
 * stay, every entry of it but theirs, so that placement writes the others
 * anew and judges the seeded ones as it always does (kept as they are when
 * the customer changed them); nothing else: the world and the customer's
 * own files stay. With `wipe`,
 * everything in the server directory goes (the customer asked for a fresh
 * server). Everything goes through the container boundary: a link (at `srv`
 * or anywhere below) is removed as a link or refused, never followed.
 * Returns how many entries were removed.
 */
export async function clearForReinstall(guest: GuestFiles, wipe: boolean): Promise<number> {
  const entries = await guest.list(SERVER_DIR);
  if (entries === null) return 0;
  if (wipe) {
    for (const name of entries) await guest.remove(`${SERVER_DIR}/${name}`, true);
    return entries.length;
  }
  const record = await readRecord(guest);
  let removed = 0;
  const seeded = (record?.files ?? []).filter((f) => "seeded" in f && f.seeded === true && !("pending" in f));
  for (const f of record?.files ?? []) {
    if (seeded.includes(f)) continue;
    let target: string;
    try {
      target = inServerDir(f.path);
    } catch {
      continue; // a record the customer edited: such a path was never placed
    }
    if ((await guest.stat(target).catch(() => null)) && (await guest.remove(target).catch(() => false))) removed++;
  }
  // The seeded files' entries stay (any JSON the record reads as; the placement after the clear writes the whole record again).
  if (record && seeded.length > 0) await guest.write(`${SERVER_DIR}/${PLACED_RECORD}`, JSON.stringify({ ...record, files: seeded }));
  else await guest.remove(`${SERVER_DIR}/${PLACED_RECORD}`);
  return removed;
}
