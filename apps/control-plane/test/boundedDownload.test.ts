import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { fetchPinned } from "../src/fabric/digest";

/**
 * The control plane downloads a Modrinth pack (and other files whose size is
 * published) to read it: a source that sends more than the published size,
 * here without end, is cut off at that size instead of being read into memory.
 */
describe("downloads with a published size", () => {
  let database: Database;
  let base = "";
  let sent = 0;
  let closed: Promise<void>;
  const server = createServer((_req, res) => {
    closed = new Promise((r) => res.on("close", () => r()));
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
    };
    res.on("drain", pump);
    pump();
  });
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await database.close();
    await new Promise((r) => server.close(r));
  });

  it("stops at the published size and refuses, recording nothing", async () => {
    const url = "https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/endless.mrpack";
    await expect(fetchPinned(database.db, mirrorSource(base), url, { size: 1024 * 1024 })).rejects.toThrow(
      `size mismatch for ${url}: upstream publishes 1048576 bytes, the file has more (the download was stopped there)`,
    );
    await closed;
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(await database.sql`select 1 from artifact_digests where url = ${url}`).toHaveLength(0);
  });
});
