import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import {
  connectDatabase,
  holdOwnedModpackUpload,
  modpackUploadSizeForHost,
  ownedModpackUploadSize,
  readModpackContents,
  removeUnusedModpacks,
  storeModpackContents,
  storeModpackUpload,
  type Database,
} from "../src/index";
import { seedHost, seedServer } from "./support/seed";

const DAY = 86_400_000;
const sha = (c: string) => c.repeat(128);

describe("uploaded packs: per-customer claims, removal when unused", () => {
  let database: Database;
  let hostId: string;
  beforeAll(async () => {
    // Three: a create's transaction, the sweep waiting behind it, and the look at pg_stat_activity that sees it wait.
    database = connectDatabase(await testDatabase(), { max: 3 });
    hostId = await seedHost(database.sql, "packs-retention");
  });
  afterAll(() => database.close());

  const upload = async (sha512: string, customerId: string, contents: unknown = { name: "p" }) => {
    const r = await storeModpackUpload(database.db, { sha512, data: new Uint8Array([1, 2, 3]), summary: { name: "p" }, contents, callerId: "panel", customerId, quotaBytes: 2 ** 40 });
    if ("overQuota" in r) throw new Error("over the quota");
    return r.upload;
  };
  /** Makes a customer's claim (and the stored pack, and its contents) look `days` old. */
  const age = async (sha512: string, days: number) => {
    const at = new Date(Date.now() - days * DAY).toISOString();
    await database.sql`update modpack_upload_owners set created_at = ${at}::timestamptz where sha512 = ${sha512}`;
    await database.sql`update modpack_uploads set created_at = ${at}::timestamptz where sha512 = ${sha512}`;
    await database.sql`update modpack_contents set created_at = ${at}::timestamptz where sha512 = ${sha512}`;
  };
  /** Until a session of this database waits on a lock (the sweep behind a create's transaction): a bounded poll, not a guess at how long it takes to get there. */
  const waitForLockWaiter = async () => {
    for (let i = 0; i < 400; i++) {
      const waiting = await database.sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
      if (waiting.length > 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("the sweep never waited on the pack's lock");
  };
  const stored = async (sha512: string) => (await database.sql`select 1 from modpack_uploads where sha512 = ${sha512}`).length === 1;

  it("answers each customer its own upload time, and a pack only to the customers who uploaded it", async () => {
    const first = await upload(sha("a"), "cust-1");
    await database.sql`update modpack_upload_owners set created_at = now() - interval '1 hour' where sha512 = ${sha("a")}`;
    const again = await upload(sha("a"), "cust-1");
    const other = await upload(sha("a"), "cust-2");
    expect(new Date(again.created_at).getTime()).toBeGreaterThan(new Date(first.created_at).getTime()); // uploading again renews cust-1's claim
    expect(new Date(other.created_at).getTime()).toBeGreaterThan(new Date(again.created_at).getTime()); // cust-2 does not see cust-1's time
    expect(await ownedModpackUploadSize(database.db, sha("a"), "cust-1")).toBe(3);
    expect(await ownedModpackUploadSize(database.db, sha("a"), "cust-3")).toBeNull();
  });

  it("removes unused packs past the retention, keeping what a live server runs, asks for or could roll back to", async () => {
    for (const c of ["b", "c", "d", "e", "f"]) {
      await upload(sha(c), "c", { name: c }); // its read contents stored with it
      await age(sha(c), 8);
    }
    await upload(sha("1"), "c"); // recent: kept whatever uses it
    await storeModpackContents(database.db, sha("9"), { name: "from Modrinth" }); // contents of a Modrinth pack no one uses
    await age(sha("9"), 8);
    const running = await seedServer(database, hostId, { manifest: { modpack: { sha512: sha("b") } } });
    const rollback = await seedServer(database, hostId);
    await database.sql`update servers set previous_manifest = ${JSON.stringify({ modpack: { sha512: sha("c") } })}::jsonb where id = ${rollback.id}`;
    const deleted = await seedServer(database, hostId, { status: "deleted", desiredState: "deleted", manifest: { modpack: { sha512: sha("d") } } });
    await database.sql`update servers set modpack = ${JSON.stringify({ sha512: sha("e") })}::jsonb where id = ${running.id}`;

    // The agent route follows the same rule: a deleted server's pack is no longer served to its host.
    expect(await modpackUploadSizeForHost(database.db, hostId, sha("b"))).toBe(3);
    expect(await modpackUploadSizeForHost(database.db, hostId, sha("d"))).toBeNull();
    expect(deleted.id).toBeTruthy();

    const removed = await removeUnusedModpacks(database.db, 7 * DAY);
    expect(await stored(sha("b"))).toBe(true); // running
    expect(await stored(sha("c"))).toBe(true); // could be rolled back to
    expect(await stored(sha("e"))).toBe(true); // asked for
    expect(await stored(sha("d"))).toBe(false); // only a deleted server used it
    expect(await stored(sha("f"))).toBe(false); // unused
    expect(await stored(sha("1"))).toBe(true); // within the retention
    expect(await readModpackContents(database.db, sha("f"))).toBeNull();
    expect(await readModpackContents(database.db, sha("9"))).toBeNull();
    expect(await readModpackContents(database.db, sha("b"))).toEqual({ name: "b" });
    expect(removed).toEqual({ owners: 2, uploads: 2, contents: 3 });
    // The claim of a pack a server uses stays too: that customer can create another server from it.
    expect(await ownedModpackUploadSize(database.db, sha("b"), "c")).toBe(3);
    expect(await removeUnusedModpacks(database.db, 7 * DAY)).toEqual({ owners: 0, uploads: 0, contents: 0 });
  });

  it("keeps a pack uploaded again past the retention: the upload renews it", async () => {
    await upload(sha("7"), "c");
    await age(sha("7"), 8);
    await upload(sha("7"), "c"); // answered 201 again: the customer was told it is stored
    await removeUnusedModpacks(database.db, 7 * DAY);
    expect(await stored(sha("7"))).toBe(true);
    expect(await ownedModpackUploadSize(database.db, sha("7"), "c")).toBe(3);
  });

  it("never removes a pack under a create that holds it, and a create after the sweep finds it gone", async () => {
    await upload(sha("8"), "c");
    await age(sha("8"), 8);
    // A create's transaction holds the pack, then records its server; the sweep runs meanwhile.
    const made = await seedServer(database, hostId);
    let sweep: Promise<unknown> | null = null;
    await database.db.transaction(async (tx) => {
      expect(await holdOwnedModpackUpload(tx, sha("8"), "c")).toBe(true);
      sweep = removeUnusedModpacks(database.db, 7 * DAY);
      await waitForLockWaiter(); // the sweep is waiting on the pack's lock now
      await tx.execute(sql`update servers set modpack = ${JSON.stringify({ sha512: sha("8") })}::jsonb where id = ${made.id}`);
    });
    await sweep;
    expect(await stored(sha("8"))).toBe(true);
    expect(await ownedModpackUploadSize(database.db, sha("8"), "c")).toBe(3);

    // The other order: swept first, then a create's transaction is told the customer no longer has it.
    await upload(sha("6"), "c");
    await age(sha("6"), 8);
    await removeUnusedModpacks(database.db, 7 * DAY);
    expect(await database.db.transaction((tx) => holdOwnedModpackUpload(tx, sha("6"), "c"))).toBe(false);
  });
});
