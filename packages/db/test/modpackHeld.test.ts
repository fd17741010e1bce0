import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, listModpackUploads, lockModpack, removeModpackUpload, storeModpackContents, storeModpackUpload, type Database } from "../src/index";
import { seedHost, seedServer, waitForLockWaiters } from "./support/seed";

const sha = (c: string) => c.repeat(128);
/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
const signal = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
const bytes = (n: number) => new Uint8Array(n).fill(1);

describe("a customer's uploads: the quota, the list, a delete", () => {
  let database: Database;
  let hostId: string;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 4 });
    hostId = await seedHost(database.sql, "packs-held");
  });
  afterAll(() => database.close());

  const upload = (sha512: string, customerId: string, size: number, quotaBytes = 10) =>
    storeModpackUpload(database.db, { sha512, data: bytes(size), summary: { name: sha512[0] }, contents: {}, callerId: "panel", customerId, quotaBytes });
  const rows = async (table: string, sha512: string) => (await database.sql`select 1 from ${database.sql(table)} where sha512 = ${sha512}`).length;

  it("refuses an upload past the customer's quota, writing nothing, and counts a pack uploaded again once", async () => {
    expect(await upload(sha("a"), "q1", 4)).toHaveProperty("upload");
    expect(await upload(sha("b"), "q1", 4)).toHaveProperty("upload");
    expect(await upload(sha("c"), "q1", 4)).toEqual({ overQuota: { heldBytes: 8 } });
    expect(await rows("modpack_uploads", sha("c"))).toBe(0);
    expect(await upload(sha("a"), "q1", 4)).toHaveProperty("upload"); // held already: 8 bytes, not 12
    expect(await upload(sha("c"), "q2", 4)).toHaveProperty("upload"); // another customer's quota is its own
    expect(await upload(sha("b"), "q2", 4)).toHaveProperty("upload"); // the same bytes count for each customer holding them
    expect(await upload(sha("a"), "q2", 4)).toEqual({ overQuota: { heldBytes: 8 } });
    expect((await database.sql`select count(*)::int as n from modpack_upload_owners where customer_id = 'q2'`)[0]!.n).toBe(2);
  });

  it("lets only one of two concurrent uploads of a customer through when both would pass the quota alone", async () => {
    const lockHeld = signal();
    const release = signal();
    // The customer's lock held elsewhere, so both uploads are surely waiting on it at once (a race set up, not hoped for).
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('zlh:modpack-customer:q3', 0))`);
      lockHeld.resolve();
      await release.promise;
    });
    await lockHeld.promise;
    const both = Promise.all([upload(sha("d"), "q3", 6), upload(sha("e"), "q3", 6)]);
    await waitForLockWaiters(database.sql, 2);
    release.resolve();
    await holder;
    const outcomes = await both;
    expect(outcomes.filter((o) => "upload" in o)).toHaveLength(1);
    expect(outcomes.filter((o) => "overQuota" in o)).toEqual([{ overQuota: { heldBytes: 6 } }]);
  });

  it("lists a customer's uploads newest first, a page at a time, saying which a live server of theirs uses", async () => {
    for (const c of ["1", "2", "3"]) expect(await upload(sha(c), "c", 1, 100)).toHaveProperty("upload");
    await upload(sha("1"), "someone-else", 1, 100);
    await database.sql`update modpack_upload_owners set created_at = now() - make_interval(mins => ${3}) where sha512 = ${sha("1")} and customer_id = 'c'`;
    await database.sql`update modpack_upload_owners set created_at = now() - make_interval(mins => ${2}) where sha512 = ${sha("2")} and customer_id = 'c'`;
    await seedServer(database, hostId, { manifest: { modpack: { sha512: sha("2") } } }); // customer "c"
    const first = await listModpackUploads(database.db, "c", { limit: 2 });
    expect(first.map((r) => [r.sha512[0], r.size, r.in_use])).toEqual([
      ["3", 1, false],
      ["2", 1, true],
    ]);
    const last = first.at(-1)!;
    const next = await listModpackUploads(database.db, "c", { after: { uploadedAt: last.uploaded_at, sha512: last.sha512 }, limit: 2 });
    expect(next.map((r) => [r.sha512[0], r.in_use])).toEqual([["1", false]]);
    expect(await listModpackUploads(database.db, "nobody", { limit: 5 })).toEqual([]);
  });

  it("deletes a customer's claim, and the bytes once nobody needs them; refuses while a live server of theirs uses it", async () => {
    await storeModpackContents(database.db, sha("3"), { name: "3" });
    expect(await removeModpackUpload(database.db, sha("2"), "c")).toBe("in_use");
    expect(await rows("modpack_uploads", sha("2"))).toBe(1);
    expect(await removeModpackUpload(database.db, sha("3"), "not-c")).toBe("not_found");
    expect(await removeModpackUpload(database.db, sha("3"), "c")).toBe("removed");
    expect([await rows("modpack_uploads", sha("3")), await rows("modpack_contents", sha("3"))]).toEqual([0, 0]);
    expect(await removeModpackUpload(database.db, sha("3"), "c")).toBe("not_found");
    // Another customer holds 1 too: c's claim goes, the bytes stay for them.
    expect(await removeModpackUpload(database.db, sha("1"), "c")).toBe("removed");
    expect(await rows("modpack_uploads", sha("1"))).toBe(1);
    expect((await listModpackUploads(database.db, "someone-else", { limit: 5 })).map((r) => r.sha512)).toEqual([sha("1")]);
  });

  it("a delete waits for the pack's lock, so it sees a create that pinned the pack meanwhile", async () => {
    expect(await upload(sha("4"), "c", 1, 100)).toHaveProperty("upload");
    const server = await seedServer(database, hostId);
    const pinned = signal();
    const commit = signal();
    // A create's transaction: it holds the pack's lock (holdOwnedModpackUpload) and writes a server pinning the pack.
    const create = database.db.transaction(async (tx) => {
      await lockModpack(tx, sha("4"));
      await tx.execute(sql`update servers set modpack = ${JSON.stringify({ sha512: sha("4") })}::jsonb where id = ${server.id}`);
      pinned.resolve();
      await commit.promise;
    });
    await pinned.promise;
    const removal = removeModpackUpload(database.db, sha("4"), "c");
    await waitForLockWaiters(database.sql, 1);
    commit.resolve();
    await create;
    expect(await removal).toBe("in_use");
    expect(await rows("modpack_uploads", sha("4"))).toBe(1);
  });

  it("stores modpack_uploads.data EXTERNAL: a zip does not compress, and the agent's slices read only their TOAST chunks", async () => {
    const [row] = await database.sql`select attstorage from pg_attribute where attrelid = 'modpack_uploads'::regclass and attname = 'data'`;
    expect(row!.attstorage).toBe("e");
  });
});
