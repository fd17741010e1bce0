import type { GuestFiles } from "../guest/guestFiles";
import { OpFailure } from "../ops/opFailure";
import { inServerDir, PLACED_RECORD, readRecord, SERVER_DIR } from "./placeServer";

/** Names a wipe lists at a time: the customer can fill the server directory with millions, never held or sent whole. */
export const WIPE_BATCH = 1000;

/**
 * Entries one wipe removes at most before it stops: with the server stopped nothing refills the directory, so
 * this is reached only by a directory that really holds more (or a process refilling it); the wipe then fails,
 * retryable, having removed that many, and the next attempt goes on where it stopped.
 */
const WIPE_MAX_ENTRIES = 1_000_000;

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
export async function clearForReinstall(guest: GuestFiles, wipe: boolean, bounds = { batch: WIPE_BATCH, maxEntries: WIPE_MAX_ENTRIES }): Promise<number> {
  if (wipe) return wipeServerDir(guest, bounds);
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

/** Everything in the server directory removed, a batch of names at a time until it lists empty. */
async function wipeServerDir(guest: GuestFiles, bounds: { batch: number; maxEntries: number }): Promise<number> {
  let removed = 0;
  for (;;) {
    const listing = await guest.list(SERVER_DIR, bounds.batch);
    if (listing === null || listing.names.length === 0) return removed;
    if (removed >= bounds.maxEntries) {
      throw new OpFailure("too_many_entries", `${SERVER_DIR} holds more than the ${bounds.maxEntries} entries one wipe removes; removed ${removed}, the next attempt goes on`, true);
    }
    for (const name of listing.names) if (await guest.remove(`${SERVER_DIR}/${name}`, true)) removed++;
  }
}
