import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource } from "@zlh/artifacts";
import { connectDatabase, readModpackContents, type Database } from "@zlh/db";
import { buildMrpack, packSha512, testDatabase } from "@zlh/testing";
import { inspectModpack } from "../src/modpacks/inspectModpack";
import { contentsOf } from "../src/modpacks/packContents";

describe("a pack is read once however many resolutions ask for it at once, and its download is bounded to the last byte", () => {
  let database: Database;
  const servers: Server[] = [];
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 4 });
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    await database.close();
  });

  it("makes a second concurrent read of the same new pack wait for the first's instead of fetching and inflating it again", async () => {
    const pack = buildMrpack({ name: "Once", overrides: { "config/a.toml": "a = 1\n" } });
    const sha512 = packSha512(pack);
    let fetched = 0;
    const bytes = async () => {
      fetched++;
      await new Promise((r) => setTimeout(r, 50)); // a download under way while the others ask
      return pack;
    };
    const all = await Promise.all(Array.from({ length: 4 }, () => contentsOf(database.db, sha512, bytes)));
    expect(fetched).toBe(1);
    expect(new Set(all.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(all[0]).toMatchObject({ name: "Once", overrides: [{ path: "config/a.toml" }] });
    expect(await readModpackContents(database.db, sha512)).toMatchObject({ name: "Once" });
    // Once recorded, later reads come from the row: no fetch at all.
    await contentsOf(database.db, sha512, bytes);
    expect(fetched).toBe(1);

    // A read that fails is not kept: the next one tries again.
    const broken = "f".repeat(128);
    await expect(contentsOf(database.db, broken, async () => new TextEncoder().encode("not a zip"))).rejects.toMatchObject({ code: "modpack_invalid" });
    await expect(contentsOf(database.db, broken, async () => pack)).resolves.toMatchObject({ name: "Once" });
  });

  it("ends a Modrinth pack download whose headers came but whose body trickles at the bound: 503, retryable, the connection closed", async () => {
    const pack = buildMrpack({ name: "Trickle" });
    const version = {
      id: "TRckl001",
      project_id: "TrickleP",
      version_number: "1.0.0",
      version_type: "release",
      date_published: "2024-01-01T00:00:00Z",
      files: [{ hashes: { sha1: "0".repeat(40), sha512: packSha512(pack) }, url: "https://cdn.modrinth.com/data/TrickleP/versions/TRckl001/t.mrpack", filename: "t.mrpack", primary: true, size: pack.byteLength }],
    };
    let hungUp!: () => void;
    const closed = new Promise<void>((r) => (hungUp = r));
    // An HTTP mirror: Modrinth's API answers at once, the CDN sends a byte every 50 ms for ever.
    const server = createServer((req, res) => {
      if (req.url!.includes("api.modrinth.com")) return res.end(JSON.stringify(version));
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const tick = setInterval(() => res.write("x"), 50);
      res.on("close", () => (clearInterval(tick), hungUp()));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    const source = mirrorSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const err = await inspectModpack({ db: database.db, source, maxBytes: 1024 * 1024, customerId: "c", downloadTimeoutMs: 1500 }, { version: "TRckl001" }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: "unavailable", message: expect.stringContaining("did not finish within 2 s") });
    await closed;
    expect(await readModpackContents(database.db, packSha512(pack))).toBeNull();
  });
});
