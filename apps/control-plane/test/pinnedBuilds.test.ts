import { createServer as listen } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import { seedHost, seedServer } from "../../../packages/db/test/support/seed";
import { enrollHost, serverBody, startTestPlane } from "./harness";

/**
 * A caller-pinned Paper or Purpur build (`loaderVersion`: a build number on
 * these types) is asked of its upstream (here the offline mirror: PaperMC
 * 131 and 132 default, 133 experimental; Purpur 2327 and 2328 SUCCESS, 2329
 * FAILURE) before anything is written: an unknown one is 422 unknown_build
 * on a create and on a change, leaving no server, job, event or change.
 */
describe("pinned Paper and Purpur builds", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  let database: Database;
  let n = 0;
  const create = (body: Record<string, unknown>) => t.api("POST", "/v1/servers", serverBody(n, body), { "idempotency-key": `pin-create-${n++}` });
  const change = (id: string, body: Record<string, unknown>) => t.api("PATCH", `/v1/servers/${id}`, body, { "idempotency-key": `pin-change-${n++}` });
  const counts = async () =>
    (
      await t.sql`select (select count(*)::int from servers) as servers, (select count(*)::int from events) as events,
        (select count(*)::int from graphile_worker.jobs) as jobs, (select count(*)::int from server_changes) as changes`
    )[0];

  beforeAll(async () => {
    // VMIDs of its own: the seeded servers take 5001 up.
    t = await startTestPlane({ ZLH_VMID_RANGE: "6000-6099" });
    await enrollHost(t.api, "pin-host");
    database = connectDatabase(t.databaseUrl, { max: 2 });
    return () => database.close();
  });

  it("creates a Paper server at the build asked for (an experimental one too: the caller chose it) and resolves that build", async () => {
    for (const build of ["131", "133"]) {
      const res = await create({ type: "paper", loaderVersion: build });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ type: "paper", loaderVersion: build });
      for (let i = 0; i < 200; i++) {
        const [row] = await t.sql`select manifest from servers where id = ${res.body.id}`;
        if (row?.manifest) {
          expect(row.manifest).toMatchObject({ type: "paper", loader: build });
          break;
        }
        if (i === 199) throw new Error("the manifest was never resolved");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  it("refuses an unknown build with 422 unknown_build naming the builds there are, and writes nothing", async () => {
    const before = await counts();
    const paper = await create({ type: "paper", loaderVersion: "999" });
    expect([paper.status, paper.body]).toEqual([422, { error: "unknown_build", message: "Paper has no build 999 of Minecraft 1.21.1; its newest: 133, 132, 131." }]);
    const failed = await create({ type: "purpur", loaderVersion: "2329" });
    expect([failed.status, failed.body]).toEqual([422, { error: "unknown_build", message: "Purpur build 2329 of Minecraft 1.21.1 did not succeed (its result: FAILURE), so it has no jar." }]);
    const unlisted = await create({ type: "purpur", loaderVersion: "1" });
    expect(unlisted.body).toEqual({ error: "unknown_build", message: "Purpur has no build 1 of Minecraft 1.21.1; its newest: 2329, 2328, 2327." });
    const otherGame = await create({ type: "paper", minecraftVersion: "26.1", loaderVersion: "132" });
    expect(otherGame.body).toEqual({ error: "unknown_build", message: "Paper does not build Minecraft 26.1 (PaperMC answered 404). No build 132 of it can be pinned." });
    // The wrong kind of loader version for the type is refused before any upstream is asked.
    expect((await create({ type: "paper", loaderVersion: "0.16.5" })).body.error).toBe("not_supported_by_type");
    expect((await create({ type: "fabric", loaderVersion: "132" })).body).toEqual({
      error: "not_supported_by_type",
      message: 'A fabric server\'s loaderVersion is a loader version (e.g. "0.16.5"), not a build number.',
    });
    expect((await create({ type: "paper", loaderVersion: "0132" })).body.error).toBe("invalid_request");
    expect(await counts()).toEqual(before);
  });

  it("changes a Paper server's pinned build; an unknown one is 422 with no change recorded; a game change drops the pin", async () => {
    const hostId = await seedHost(database.sql, "pin-seed");
    const seeded = await seedServer(database, hostId, { manifest: { game: "1.21.1", type: "paper", loader: "132" } });
    await t.sql`update servers set server_type = 'paper' where id = ${seeded.id}`;

    const before = await counts();
    const unknown = await change(seeded.id, { loaderVersion: "140" });
    expect([unknown.status, unknown.body]).toEqual([422, { error: "unknown_build", message: "Paper has no build 140 of Minecraft 1.21.1; its newest: 133, 132, 131." }]);
    expect(await counts()).toEqual(before);
    const [{ generation: unchanged }] = await t.sql`select generation from servers where id = ${seeded.id}`;
    expect(unchanged).toBe(seeded.generation);

    const pinned = await change(seeded.id, { loaderVersion: "131" });
    expect(pinned.status).toBe(202);
    const [recorded] = await t.sql`select changes from server_changes where server_id = ${seeded.id} order by generation desc limit 1`;
    expect(recorded!.changes).toEqual({ loaderVersion: { from: null, to: "131" } });
    // A change to another type that names a build is checked against that type's upstream.
    const fabric = await seedServer(database, hostId);
    const toPurpur = await change(fabric.id, { type: "purpur", loaderVersion: "2329" });
    expect([toPurpur.status, toPurpur.body.error]).toEqual([422, "unknown_build"]);
  });

  it("a game change of a pinned server goes back to the newest build: builds are numbered per game", async () => {
    const hostId = await seedHost(database.sql, "pin-seed-2");
    const seeded = await seedServer(database, hostId, { manifest: { game: "1.21.1", type: "paper", loader: "131" } });
    await t.sql`update servers set server_type = 'paper', loader_version = '131' where id = ${seeded.id}`;
    const res = await change(seeded.id, { minecraftVersion: "26.1" });
    expect(res.status).toBe(202);
    const [recorded] = await t.sql`select changes from server_changes where server_id = ${seeded.id} order by generation desc limit 1`;
    expect(recorded!.changes).toMatchObject({ minecraftVersion: { from: "1.21.1", to: "26.1" }, loaderVersion: { from: "131", to: null } });
  });
});

describe("pinned NeoForge versions: one game each", () => {
  it("refuses at once a version of another game, and drops the pin on a game change", async () => {
    const t = await startTestPlane({ ZLH_VMID_RANGE: "6100-6199" });
    await enrollHost(t.api, "neo-pin-host");
    const before = (await t.sql`select count(*)::int as n from servers`)[0]!.n;
    const other = await t.api("POST", "/v1/servers", serverBody(1, { type: "neoforge", loaderVersion: "21.1.77", minecraftVersion: "1.21.4" }), { "idempotency-key": "neo-other-game" });
    expect([other.status, other.body]).toEqual([
      422,
      { error: "unknown_build", message: "NeoForge 21.1.77 is built for Minecraft 1.21.1, not 1.21.4; pin a NeoForge version of 1.21.4, or leave loaderVersion out for its newest." },
    ]);
    const notOne = await t.api("POST", "/v1/servers", serverBody(2, { type: "neoforge", loaderVersion: "0.16.5" }), { "idempotency-key": "neo-not-a-version" });
    expect([notOne.status, notOne.body.error]).toEqual([422, "unknown_build"]);
    expect((await t.sql`select count(*)::int as n from servers`)[0]!.n).toBe(before);

    const database = connectDatabase(t.databaseUrl, { max: 2 });
    try {
      const hostId = await seedHost(database.sql, "neo-pin-seed");
      const seeded = await seedServer(database, hostId, { manifest: { game: "1.21.1", type: "neoforge", loader: "21.1.77" } });
      await t.sql`update servers set server_type = 'neoforge', loader_version = '21.1.77' where id = ${seeded.id}`;
      const res = await t.api("PATCH", `/v1/servers/${seeded.id}`, { minecraftVersion: "1.21.4" }, { "idempotency-key": "neo-game-change" });
      expect(res.status).toBe(202);
      const [recorded] = await t.sql`select changes from server_changes where server_id = ${seeded.id} order by generation desc limit 1`;
      expect(recorded!.changes).toMatchObject({ minecraftVersion: { from: "1.21.1", to: "1.21.4" }, loaderVersion: { from: "21.1.77", to: null } });
    } finally {
      await database.close();
    }
  });
});

describe("pinned builds with the upstream unreachable", () => {
  it("answers 503 unavailable and writes nothing", async () => {
    // A port nothing listens on: the mirror's fetch fails as an unreachable upstream does.
    const closed = await new Promise<number>((resolve) => {
      const s = listen().listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const t = await startTestPlane({ ZLH_ARTIFACT_SOURCE: "mirror", ZLH_ARTIFACT_MIRROR: `http://127.0.0.1:${closed}` });
    await enrollHost(t.api, "pin-offline");
    const res = await t.api("POST", "/v1/servers", serverBody(1, { type: "paper", loaderVersion: "132" }), { "idempotency-key": "pin-offline" });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: "unavailable", message: expect.stringMatching(/^The paper builds of Minecraft 1\.21\.1 could not be asked for now \(could not fetch .*\); try again\.$/) });
    expect(res.headers["retry-after"]).toBe("5");
    const [{ servers }] = await t.sql`select count(*)::int as servers from servers`;
    expect(servers).toBe(0);

    // What the server alone decides is answered without asking the upstream: a retry of a create already
    // made replays (here its key was used for another request: 422, not 503), a deleting server is 409
    // whatever build is named, and repeating the pin a server has is no question for the upstream.
    const { client } = (await t.api("GET", "/v1/whoami")).body;
    const database = connectDatabase(t.databaseUrl, { max: 2 });
    try {
      const hostId = await seedHost(database.sql, "pin-offline-seed");
      const made = await seedServer(database, hostId, { manifest: { game: "1.21.1", type: "paper", loader: "131" } });
      await t.sql`update servers set server_type = 'paper', loader_version = '131', caller_id = ${client}, idempotency_key = 'pin-made' where id = ${made.id}`;
      const replay = await t.api("POST", "/v1/servers", serverBody(2, { type: "paper", loaderVersion: "132" }), { "idempotency-key": "pin-made" });
      expect([replay.status, replay.body.error]).toEqual([422, "idempotency_key_reused"]);
      const same = await t.api("PATCH", `/v1/servers/${made.id}`, { loaderVersion: "131" }, { "idempotency-key": "pin-same" });
      expect(same.status).not.toBe(503);
      const other = await t.api("PATCH", `/v1/servers/${made.id}`, { loaderVersion: "132" }, { "idempotency-key": "pin-other" });
      expect([other.status, other.body.error, other.headers["retry-after"]]).toEqual([503, "unavailable", "5"]);
      const deleting = await seedServer(database, hostId, { manifest: { game: "1.21.1", type: "paper", loader: "131" }, desiredState: "deleted", status: "deleting" });
      await t.sql`update servers set server_type = 'paper' where id = ${deleting.id}`;
      for (const build of ["131", "999"]) {
        const res = await t.api("PATCH", `/v1/servers/${deleting.id}`, { loaderVersion: build }, { "idempotency-key": `pin-deleting-${build}` });
        expect([res.status, res.body.error], build).toEqual([409, "invalid_transition"]);
      }
    } finally {
      await database.close();
    }
  });
});
