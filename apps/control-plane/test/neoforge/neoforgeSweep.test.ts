import { createHash, randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, removeUnusedNeoforgeInstalls, renewNeoforgeInstall, type Db } from "@zlh/db";
import { resolveManifest } from "../../src/fabric/resolveManifest";
import { buildStandinNeoforge, mirroredMojangInner, neoforgeMavenFiles } from "../../../../scripts/standinGame/neoforgeInstaller";
import { standinInstallerJava } from "../../../../scripts/standinGame/installerJava";
import { enrollHost, serverBody, startTestPlane } from "../harness";

const GAME = "1.21.1";
const DAY_MS = 86_400_000;
const RETENTION_MS = 30 * DAY_MS;
/** 1.21.1 needs Java 21; the stand-in says it is that (this machine's may be 17). */
const SETTINGS = { neoforgeJava: standinInstallerJava(21) };
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");

describe("the NeoForge retention sweep", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  let db: Db;
  let serverId: string;
  beforeAll(async () => {
    t = await startTestPlane();
    const pool = connectDatabase(t.databaseUrl, { max: 4 });
    db = pool.db;
    afterAll(() => pool.close());
    await enrollHost(t.api, "neoforge-sweep-host");
    const created = await t.api("POST", "/v1/servers", serverBody(1, { type: "vanilla" }), { "idempotency-key": "neoforge-sweep-1" });
    expect(created.status).toBe(202);
    serverId = created.body.id;
  });

  /** An install of `version` listing one stored file of its own and `shared`, both unused for 40 days. */
  const storeInstall = async (version: string, shared: Uint8Array) => {
    const own = new Uint8Array(randomBytes(100));
    for (const b of [own, shared]) {
      await t.sql`insert into neoforge_files (sha512, size, data, used_at) values (${sha512(b)}, ${b.byteLength}, ${Buffer.from(b)}, now() - interval '40 days') on conflict do nothing`;
    }
    const files = [own, shared].map((b, i) => ({ path: `f${i}`, size: b.byteLength, sha512: sha512(b), sha1: "0".repeat(40) }));
    await t.sql`insert into neoforge_installs (game, neoforge_version, installer_sha512, files, used_at) values (${GAME}, ${version}, ${"a".repeat(128)}, ${t.sql.json(files)}, now() - interval '40 days')`;
    return { own: sha512(own), shared: sha512(shared) };
  };
  const installed = async (version: string) => (await t.sql`select 1 from neoforge_installs where neoforge_version = ${version}`).length === 1;
  const stored = async (hash: string) => (await t.sql`select 1 from neoforge_files where sha512 = ${hash}`).length === 1;

  it("removes an install no live server uses, unused past the retention, and the files only it listed; keeps one a server's manifest uses, and its files", async () => {
    const shared = new Uint8Array(randomBytes(64));
    const unused = await storeInstall("21.1.100", shared);
    const used = await storeInstall("21.1.101", shared);
    // The server could roll back to 21.1.101: its previous manifest names it.
    await t.sql`update servers set previous_manifest = ${t.sql.json({ type: "neoforge", game: GAME, loader: "21.1.101", files: [] })} where id = ${serverId}`;
    const removed = await removeUnusedNeoforgeInstalls(db, RETENTION_MS);
    expect(removed).toMatchObject({ installs: 1, files: 1 });
    expect(await installed("21.1.100")).toBe(false);
    expect(await stored(unused.own)).toBe(false);
    expect(await installed("21.1.101")).toBe(true);
    expect(await stored(used.own)).toBe(true);
    expect(await stored(unused.shared)).toBe(true); // 21.1.101 lists it too

    // Once the server is deleted, nothing holds it.
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id = ${serverId}`;
    expect(await removeUnusedNeoforgeInstalls(db, RETENTION_MS)).toMatchObject({ installs: 1, files: 2 });
    expect(await installed("21.1.101")).toBe(false);
    expect(await stored(used.shared)).toBe(false);
  });

  it("keeps an install a resolution renewed within the retention, and one renewed while the sweep waited on it", async () => {
    await storeInstall("21.1.102", new Uint8Array(randomBytes(64)));
    // A resolution renews it (uncommitted) as the sweep runs: the sweep's delete waits for it, then sees it renewed.
    let sweep: Promise<unknown> | undefined;
    await db.transaction(async (tx) => {
      expect(await renewNeoforgeInstall(tx, GAME, "21.1.102")).not.toBeNull();
      sweep = removeUnusedNeoforgeInstalls(db, RETENTION_MS);
      await new Promise((r) => setTimeout(r, 200)); // the sweep reaches the row while this holds it
    });
    expect(await sweep).toMatchObject({ installs: 0 });
    expect(await installed("21.1.102")).toBe(true);
    expect(await removeUnusedNeoforgeInstalls(db, RETENTION_MS)).toMatchObject({ installs: 0 });
  });

  it("keeps a file an install being written records again, though no committed install lists it when the sweep starts", async () => {
    const bytes = new Uint8Array(randomBytes(64));
    await t.sql`insert into neoforge_files (sha512, size, data, used_at) values (${sha512(bytes)}, ${bytes.byteLength}, ${Buffer.from(bytes)}, now() - interval '40 days')`;
    let sweep: Promise<{ files: number }> | undefined;
    await db.transaction(async (tx) => {
      // What install.ts does for a file another build already stored, then its install row.
      await tx.execute(sql`insert into neoforge_files (sha512, size, data) values (${sha512(bytes)}, ${bytes.byteLength}, ${Buffer.from(bytes)}) on conflict (sha512) do update set used_at = now()`);
      sweep = removeUnusedNeoforgeInstalls(db, RETENTION_MS);
      await new Promise((r) => setTimeout(r, 200));
      const files = [{ path: "f", size: bytes.byteLength, sha512: sha512(bytes), sha1: "0".repeat(40) }];
      await tx.execute(sql`insert into neoforge_installs (game, neoforge_version, installer_sha512, files) values (${GAME}, '21.1.103', ${"b".repeat(128)}, ${JSON.stringify(files)}::jsonb)`);
    });
    await sweep;
    expect(await stored(sha512(bytes))).toBe(true);
  });

  it("never leaves a resolution racing the sweep with a manifest pointing at swept files: an install swept after it was read is made again", async () => {
    const version = "21.1.77";
    const inner = await mirroredMojangInner(GAME);
    const build = await buildStandinNeoforge({ version, game: GAME, mojangInner: inner });
    const files = new Map(neoforgeMavenFiles([build], [version]));
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const source: ArtifactSource = {
      kind: "mirror",
      fetchBytes: async (url) => files.get(url) ?? mirror.fetchBytes(url),
      fetchJson: (url) => mirror.fetchJson(url),
    };
    const request = { type: "neoforge" as const, minecraftVersion: GAME, loaderVersion: version, mods: [] };
    await resolveManifest(db, source, request, SETTINGS); // installed once
    await t.sql`update neoforge_installs set used_at = now() - interval '40 days' where neoforge_version = ${version}`;
    await t.sql`update neoforge_files set used_at = now() - interval '40 days'`;
    // The sweep runs between the resolution's read of the install and its renewal.
    let swept = 0;
    const racing = new Proxy(db, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop !== "execute") return typeof value === "function" ? value.bind(target) : value;
        return async (query: Parameters<Db["execute"]>[0]) => {
          if (swept === 0 && JSON.stringify(query).includes("update neoforge_installs set used_at")) swept += (await removeUnusedNeoforgeInstalls(db, RETENTION_MS)).installs;
          return target.execute(query);
        };
      },
    });
    const manifest = await resolveManifest(racing, source, request, SETTINGS);
    expect(swept).toBe(1);
    const made = manifest.files.filter((f) => f.kind === "installed");
    expect(made.length).toBeGreaterThan(0);
    for (const f of made) expect(await stored(f.sha512)).toBe(true);
    expect(await installed(version)).toBe(true);
  });

  it("is scheduled when the worker starts", async () => {
    const [job] = await t.sql`select task_identifier from graphile_worker.jobs where key = 'neoforge-sweep'`;
    expect(job?.task_identifier).toBe("neoforge.sweep");
  });
});
