import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, readPinnedModpackUpload, storeModpackUpload, type Database } from "../src/index";

/**
 * A TCP relay in front of Postgres that counts the bytes the client sends: what an upload costs on the wire, which
 * is its size with bytea sent in binary and twice that as `\x` hex text.
 */
async function countingRelay(target: URL): Promise<{ port: number; sent: () => number; close: () => Promise<void> }> {
  let sent = 0;
  const to = { host: target.hostname, port: Number(target.port || 5432) }; // read now: the caller points its URL here next
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(to);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.on("data", (chunk: Buffer) => void (sent += chunk.byteLength));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    sent: () => sent,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("an upload's bytes reach Postgres as bytes", () => {
  let database: Database;
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  beforeAll(async () => {
    const url = new URL(await testDatabase());
    relay = await countingRelay(url);
    url.hostname = "127.0.0.1";
    url.port = String(relay.port);
    database = connectDatabase(url.href, { max: 1 });
  });
  afterAll(async () => {
    await database?.close();
    await relay?.close();
  });

  it("stores a multi-MiB pack of every byte value exactly, sending it once its size (binary), not twice (hex text)", async () => {
    const size = 4 * 1024 * 1024 + 3; // not a multiple of 256: every value, and a ragged end
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    expect(new Set(data.subarray(0, 256)).size).toBe(256);
    const sha512 = "e".repeat(128);
    await database.sql`select 1`; // the connection's startup is not the upload's cost
    const before = relay.sent();
    const stored = await storeModpackUpload(database.db, { sha512, data, summary: {}, contents: {}, callerId: "panel", customerId: "bin", quotaBytes: 2 * size });
    const sent = relay.sent() - before;
    expect(stored).toHaveProperty("upload.size", size);
    // The statements and the other parameters are a few KiB; hex text would be more than 2 * size.
    expect(sent).toBeGreaterThan(size);
    expect(sent).toBeLessThan(size + 64 * 1024);

    const back = await readPinnedModpackUpload(database.db, sha512);
    expect(back?.byteLength).toBe(size);
    expect(Buffer.compare(Buffer.from(back!), Buffer.from(data))).toBe(0);
    // Postgres holds those bytes, not a text rendering of them.
    const [row] = await database.sql<{ n: number; head: string }[]>`select octet_length(data) as n, encode(substring(data from 1 for 4), 'hex') as head from modpack_uploads where sha512 = ${sha512}`;
    expect(row).toEqual({ n: size, head: Buffer.from(data.subarray(0, 4)).toString("hex") });
  });

  it("still sends text and binary parameters side by side, and an empty bytea", async () => {
    const [row] = await database.sql<{ t: string; b: Buffer; e: number; n: number }[]>`
      select ${"text ok"}::text as t, ${Buffer.from([0, 255, 92, 120])}::bytea as b, octet_length(${Buffer.alloc(0)}::bytea) as e, ${42}::int as n`;
    expect(row).toEqual({ t: "text ok", b: Buffer.from([0, 255, 92, 120]), e: 0, n: 42 });
  });
});
