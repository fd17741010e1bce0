import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, storeModpackUpload, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { neoforgeFileStream, uploadedPackStream } from "../src/gateway/packStream";

const read = async (stream: AsyncIterable<Uint8Array>) => {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.from(p));
  return parts;
};

describe("an uploaded pack streamed to an agent in slices", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  it("sends the stored bytes slice by slice, never the pack in one read, and ends short when the pack is removed meanwhile", async () => {
    const data = randomBytes(10_000 + 17);
    const sha512 = "e".repeat(128);
    await storeModpackUpload(database.db, { sha512, data, summary: {}, contents: {}, callerId: "t", customerId: "c", quotaBytes: 2 ** 40 });
    const parts = await read(uploadedPackStream(database.db, sha512, data.length, 1000));
    expect(parts.map((p) => p.length)).toEqual([...Array(10).fill(1000), 17]);
    expect(Buffer.concat(parts).equals(data)).toBe(true);

    const stream = uploadedPackStream(database.db, sha512, data.length, 1000);
    const it = stream[Symbol.asyncIterator]();
    expect(((await it.next()).value as Buffer).length).toBe(1000);
    await database.sql`delete from modpack_uploads where sha512 = ${sha512}`;
    await expect((async () => {
      for (;;) if ((await it.next()).done) return;
    })()).rejects.toThrow(`modpack ${sha512} is no longer stored`);
  });

  it("sends a NeoForge installer-made file the same way: slice by slice, byte for byte", async () => {
    const data = randomBytes(3_000 + 5);
    const sha512 = "d".repeat(128);
    await database.sql`insert into neoforge_files (sha512, size, data) values (${sha512}, ${data.length}, ${data})`;
    const parts = await read(neoforgeFileStream(database.db, sha512, data.length, 1000));
    expect(parts.map((p) => p.length)).toEqual([1000, 1000, 1000, 5]);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    await database.sql`delete from neoforge_files where sha512 = ${sha512}`;
    await expect(read(neoforgeFileStream(database.db, sha512, data.length, 1000))).rejects.toThrow(`NeoForge installer file ${sha512} is no longer stored`);
  });
});
