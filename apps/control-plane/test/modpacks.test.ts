import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestHash, mirrorPath, neoforgeArgFiles, OFFLINE_MIRROR_DIR, type Manifest } from "@zlh/artifacts";
import { buildMrpack, mirroredPackFile, MIRRORED_MODS, packSha512, type PackSpec } from "@zlh/testing";
import { buildStandinNeoforge, mirroredMojangInner, neoforgeMavenFiles } from "../../../scripts/standinGame/neoforgeInstaller";
import { enrollHost, serverBody, startTestPlane } from "./harness";
import { standinInstallerJava } from "../../../scripts/standinGame/installerJava";

const PROJECT = "TstPack1";
const V1 = "TPver001";
const V2 = "TPver002";
const cdnUrl = (version: string) => `https://cdn.modrinth.com/data/${PROJECT}/versions/${version}/test-pack-${version}.mrpack`;
/** A Modrinth modpack version as API v2 documents it (GET /v2/version/{id}): its primary file is the .mrpack. */
const packVersion = (id: string, number: string, pack: Uint8Array, date: string) => ({
  id,
  project_id: PROJECT,
  name: `Test Pack ${number}`,
  version_number: number,
  version_type: "release",
  date_published: date,
  game_versions: ["1.21.1"],
  loaders: ["fabric"],
  status: "listed",
  dependencies: [],
  files: [
    {
      hashes: { sha1: hash("sha1", pack), sha512: packSha512(pack) },
      url: cdnUrl(id),
      filename: `test-pack-${id}.mrpack`,
      primary: true,
      size: pack.byteLength,
      file_type: null,
    },
  ],
});
const hash = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");

async function spec(versionId: string): Promise<PackSpec> {
  return {
    name: "Test Pack",
    versionId,
    files: [
      await mirroredPackFile("mods/lithium.jar", MIRRORED_MODS.lithium),
      await mirroredPackFile("mods/sodium.jar", MIRRORED_MODS.sodium, { client: "required", server: "unsupported" }),
    ],
    overrides: { "config/pack.toml": `version = "${versionId}"\n` },
    serverOverrides: { "config/server-only.toml": "server = true\n" },
    clientOverrides: { "options.txt": "fov:90\n" },
  };
}

describe("modpacks (.mrpack): upload, Modrinth ids, create, resolution", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  const packs: Record<string, Uint8Array> = {};
  const count = async (table: string) => (await t.sql`select count(*)::int as n from ${t.sql(table)}`)[0]!.n as number;
  /** serverBody(n)'s customer is `cust-${n % 7}`: packs are uploaded for cust-1 unless a test says otherwise. */
  const upload = (body: Uint8Array, type = "application/x-modrinth-modpack+zip", customer = "cust-1") =>
    t.api("POST", `/v1/modpacks?customerId=${customer}`, Buffer.from(body), { "content-type": type });
  const manifestOf = async (id: string, tries = 200) => {
    for (let i = 0; i < tries; i++) {
      const [row] = await t.sql`select manifest from servers where id = ${id}`;
      if (row?.manifest) return row.manifest as Manifest;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("no manifest");
  };

  let mirror = "";
  let host: { id: string; agentToken: string };
  afterAll(() => rm(mirror, { recursive: true, force: true }));
  beforeAll(async () => {
    // A mirror of the real services: the offline one plus a modpack project with two versions on Modrinth.
    mirror = await mkdtemp(join(tmpdir(), "zlh-packs-"));
    await cp(OFFLINE_MIRROR_DIR, mirror, { recursive: true });
    packs.v1 = buildMrpack(await spec("1.0.0"));
    packs.v2 = buildMrpack(await spec("2.0.0"));
    const put = async (url: string, body: string | Uint8Array) => {
      const path = join(mirror, mirrorPath(url));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body);
    };
    const v1 = packVersion(V1, "1.0.0", packs.v1, "2024-09-01T00:00:00Z");
    const v2 = packVersion(V2, "2.0.0", packs.v2, "2024-10-01T00:00:00Z");
    await put(`https://api.modrinth.com/v2/version/${V1}`, JSON.stringify(v1));
    await put(`https://api.modrinth.com/v2/version/${V2}`, JSON.stringify(v2));
    await put("https://api.modrinth.com/v2/project/test-pack/version", JSON.stringify([v2, v1]));
    await put(cdnUrl(V1), packs.v1);
    await put(cdnUrl(V2), packs.v2);
    // NeoForge's Maven listing 21.1.9 and 21.1.77, with the stand-in installer of 21.1.9 (the one a NeoForge pack below pins).
    const neo = await buildStandinNeoforge({ version: "21.1.9", game: "1.21.1", mojangInner: await mirroredMojangInner("1.21.1") });
    for (const [url, body] of neoforgeMavenFiles([neo], ["21.1.9", "21.1.77"])) await put(url, body);
    t = await startTestPlane({
      ZLH_ARTIFACT_SOURCE: "mirror",
      ZLH_ARTIFACT_MIRROR: mirror,
      ZLH_MODPACK_MAX_BYTES: String(1024 * 1024),
      ZLH_NEOFORGE_NEW_BUILDS_PER_DAY: "1",
      // The mirror's NeoForge builds are for 1.21.1, whose Java is 21: the installer's java must say so.
      ZLH_NEOFORGE_JAVA: standinInstallerJava(21),
    });
    host = await enrollHost(t.api, "packs-host");
  });

  it("refuses bad uploads with the reason, storing nothing", async () => {
    const refused = async (body: Uint8Array, status: number, error: string, message: RegExp) => {
      const r = await upload(body);
      expect({ status: r.status, error: r.body.error }).toEqual({ status, error });
      expect(r.body.message).toMatch(message);
    };
    await refused(new TextEncoder().encode("PK but not really"), 422, "modpack_invalid", /not a zip archive/);
    await refused(buildMrpack({ index: { formatVersion: 2 } }), 422, "modpack_invalid", /Unknown formatVersion 2/);
    await refused(buildMrpack({ files: [{ path: "mods/x.jar", bytes: new Uint8Array(3), url: "https://example.com/x.jar" }] }), 422, "modpack_invalid", /example.com, which the format does not allow/);
    await refused(buildMrpack({ overrides: { "../../root/.ssh/authorized_keys": "ssh-ed25519 AAAA" } }), 422, "modpack_invalid", /escapes the server directory/);
    await refused(
      buildMrpack({ dependencies: { minecraft: "1.21.1", forge: "52.0.1" } }),
      422,
      "modpack_loader_unsupported",
      /^The pack needs forge 52.0.1: Forge servers are not offered here \(NeoForge is: a pack built for NeoForge runs\), so a Forge pack cannot be provisioned; packs for fabric-loader, quilt-loader, neoforge can be provisioned.$/,
    );
    // NeoForge's version names its game: a pack pairing one with another game could never install.
    await refused(buildMrpack({ dependencies: { minecraft: "1.21.1", neoforge: "20.4.237" } }), 422, "modpack_invalid", /NeoForge 20.4.237, which is built for Minecraft 1.20.4, with Minecraft 1.21.1/);
    await refused(buildMrpack({ dependencies: { minecraft: "1.20.1", neoforge: "47.1.100" } }), 422, "modpack_invalid", /"47.1.100" is not a NeoForge version/);
    // A file where the type's launcher or libraries go could never resolve: refused when it is read, not when a server fails.
    const launcherClash = /^The pack places "fabric-server-launch.jar", which the platform places itself on a fabric server \(the pinned loader's launcher and libraries\); remove it from the pack\.$/;
    await refused(buildMrpack({ overrides: { "fabric-server-launch.jar": "not the launcher" } }), 422, "modpack_invalid", launcherClash);
    await refused(buildMrpack({ overrides: { libraries: "not a folder" } }), 422, "modpack_invalid", /"libraries", a file where the platform needs the folder libraries\/ on a fabric server/);
    await refused(buildMrpack({ overrides: { ".fabric/server/1.21.1-server.jar": "not Mojang's" } }), 422, "modpack_invalid", /inside \.fabric\/server\/, which the platform fills itself on a fabric server/);
    await refused(buildMrpack({ overrides: { "server.jar": "x" }, dependencies: { minecraft: "1.21.1", "quilt-loader": "0.26.4" } }), 422, "modpack_invalid", /"server.jar", which the platform places itself on a quilt server/);
    await refused(buildMrpack({ overrides: { "run.sh": "#!/bin/sh" }, dependencies: { minecraft: "1.21.1", neoforge: "21.1.9" } }), 422, "modpack_invalid", /"run.sh", which the platform places itself on a neoforge server/);
    const library = { path: "libraries/org/ow2/asm/asm/9.7/asm-9.7.jar", bytes: new Uint8Array(3), url: "https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/asm.jar" };
    await refused(buildMrpack({ files: [library] }), 422, "modpack_invalid", /"libraries\/org\/ow2\/asm\/asm\/9.7\/asm-9.7.jar", inside libraries\/, which the platform fills itself/);
    const big = await upload(buildMrpack({ entries: { "overrides/noise.bin": [new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24), { level: 0 }] } }));
    expect({ status: big.status, error: big.body.error }).toEqual({ status: 413, error: "payload_too_large" });
    const wrongType = await upload(packs.v1!, "text/plain");
    expect({ status: wrongType.status, error: wrongType.body.error }).toEqual({ status: 415, error: "unsupported_media_type" });
    expect(wrongType.body.message).toMatch(/must be the .mrpack file \(Content-Type: application\/x-modrinth-modpack\+zip/);
    // JSON is parsed by the API's own parser, yet it is not a pack's media type: 415 naming all three, as for text/plain.
    const json = await t.api("POST", "/v1/modpacks?customerId=cust-1", { not: "a pack" });
    expect({ status: json.status, error: json.body.error }).toEqual({ status: 415, error: "unsupported_media_type" });
    expect(json.body.message).toBe('The body must be the .mrpack file (Content-Type: application/x-modrinth-modpack+zip, application/zip, application/octet-stream), not "application/json".');
    const none = await t.api("POST", "/v1/modpacks?customerId=cust-1");
    expect({ status: none.status, error: none.body.error, message: none.body.message }).toEqual({ status: 400, error: "invalid_request", message: expect.stringMatching(/none was sent\.$/) });
    expect(await count("modpack_uploads")).toBe(0);
  });

  it("stores a good upload by sha512 once, and creates a server from it that runs the pack's game and loader", async () => {
    const first = await upload(packs.v1!);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      sha512: packSha512(packs.v1!),
      name: "Test Pack",
      version: "1.0.0",
      minecraftVersion: "1.21.1",
      loader: { name: "fabric-loader", version: "0.16.5" },
      files: 1,
      overrides: 2,
      skipped: ["client-overrides/options.txt", "mods/sodium.jar"],
    });
    expect((await upload(packs.v1!, "application/zip")).body.sha512).toBe(first.body.sha512);
    expect(await count("modpack_uploads")).toBe(1);
    // Over the API's JSON body limit (256 KiB), under ZLH_MODPACK_MAX_BYTES: the upload route has its own.
    const noise = new Uint8Array(600 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    const large = await upload(buildMrpack({ entries: { "overrides/noise.bin": [noise, { level: 0 }] } }), "application/octet-stream");
    expect({ status: large.status, overrides: large.body.overrides }).toEqual({ status: 201, overrides: 1 });

    const body = serverBody(1, { minecraftVersion: undefined, modpack: { upload: first.body.sha512 } });
    const created = await t.api("POST", "/v1/servers", body, { "idempotency-key": "pack-1" });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ minecraftVersion: "1.21.1", loaderVersion: "0.16.5", mods: [], modpack: { source: "upload", name: "Test Pack", version: "1.0.0", sha512: first.body.sha512 } });
    const m = await manifestOf(created.body.id);
    expect(m.modpack).toMatchObject({ source: "upload", url: `zlh:modpack/${first.body.sha512}`, size: packs.v1!.byteLength });
    expect(m).toMatchObject({ game: "1.21.1", loader: "0.16.5" });
    const lithium = (await mirroredPackFile("mods/lithium.jar", MIRRORED_MODS.lithium)).bytes;
    expect(m.files.find((f) => f.path === "mods/lithium.jar")).toEqual({ path: "mods/lithium.jar", url: MIRRORED_MODS.lithium, kind: "pack", size: lithium.byteLength, sha512: hash("sha512", lithium), sha1: hash("sha1", lithium) });
    expect(m.files.find((f) => f.path === "config/server-only.toml")).toEqual({
      path: "config/server-only.toml",
      kind: "packFile",
      size: 14,
      sha512: hash("sha512", new TextEncoder().encode("server = true\n")),
      build: { pack: { url: `zlh:modpack/${first.body.sha512}`, size: packs.v1!.byteLength, sha512: first.body.sha512 }, entry: "server-overrides/config/server-only.toml" },
    });
    expect(m.files.some((f) => f.path === "mods/sodium.jar" || f.path === "options.txt")).toBe(false);
    expect(m.files.some((f) => f.path === "fabric-server-launch.jar")).toBe(true);

    // The same pack again: the same manifest, to the hash.
    const again = await t.api("POST", "/v1/servers", serverBody(8, { minecraftVersion: undefined, modpack: { upload: first.body.sha512 } }), { "idempotency-key": "pack-2" });
    expect(manifestHash(await manifestOf(again.body.id))).toBe(manifestHash(m));
  });

  it("creates a Quilt server from a quilt-loader pack: the quilt type, the pack's loader, Quilt's launch jar beside the pack's files", async () => {
    const quiltPack = buildMrpack({ ...(await spec("q-1.0.0")), dependencies: { minecraft: "1.21.1", "quilt-loader": "0.26.3" } });
    // Uploaded for the customer the servers below are made for (serverBody(6) and (13): cust-6).
    const uploaded = await upload(quiltPack, undefined, "cust-6");
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ loader: { name: "quilt-loader", version: "0.26.3" } });
    const created = await t.api("POST", "/v1/servers", serverBody(6, { minecraftVersion: undefined, modpack: { upload: uploaded.body.sha512 } }), { "idempotency-key": "pack-quilt" });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ type: "quilt", loaderVersion: "0.26.3", mods: [] });
    const m = await manifestOf(created.body.id);
    expect(m).toMatchObject({ type: "quilt", loader: "0.26.3", launch: { jar: "quilt-server-launch.jar" } });
    expect(m.files.filter((f) => ["mods/lithium.jar", "config/pack.toml", "quilt-server-launch.jar", "server.jar"].includes(f.path)).map((f) => f.kind)).toEqual(["packFile", "pack", "quiltLaunch", "server"]);
    const refused = await t.api("POST", "/v1/servers", serverBody(13, { type: "fabric", modpack: { upload: uploaded.body.sha512 } }), { "idempotency-key": "pack-quilt-as-fabric" });
    expect([refused.status, refused.body.message]).toEqual([422, "The pack's loader (quilt-loader) runs on the quilt type; the request asks for fabric. Leave type out to take the pack's."]);
  });

  it("creates a NeoForge server from a neoforge pack: the neoforge type, the pack's NeoForge build pinned (installed, counted against the customer's day), the pack's files beside NeoForge's tree", async () => {
    // NeoForge packs often ship user_jvm_args.txt: skipped, as server.properties is (the JVM's arguments are the platform's), so the pack still resolves.
    const neoPack = buildMrpack({ ...(await spec("n-1.0.0")), name: "Neo Pack", dependencies: { minecraft: "1.21.1", neoforge: "21.1.9" }, entries: { "overrides/user_jvm_args.txt": new TextEncoder().encode("-Xmx8G\n") } });
    const uploaded = await upload(neoPack, undefined, "cust-5"); // serverBody(5) and (12): cust-5
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.skipped).toContain("overrides/user_jvm_args.txt");
    expect(uploaded.body).toMatchObject({ name: "Neo Pack", minecraftVersion: "1.21.1", loader: { name: "neoforge", version: "21.1.9" } });
    const created = await t.api("POST", "/v1/servers", serverBody(12, { minecraftVersion: undefined, modpack: { upload: uploaded.body.sha512 } }), { "idempotency-key": "pack-neoforge" });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ type: "neoforge", minecraftVersion: "1.21.1", loaderVersion: "21.1.9", mods: [], modpack: { source: "upload", name: "Neo Pack", version: "n-1.0.0" } });
    // The pack's build is not installed yet: the create claimed it for the customer, as a pinned loaderVersion does.
    expect((await t.sql`select neoforge_version from neoforge_build_claims where customer_id = 'cust-5'`).map((r) => r.neoforge_version)).toEqual(["21.1.9"]);
    const m = await manifestOf(created.body.id, 1200); // the installer runs once first, in its sandbox
    // 21.1.9, not the newest (21.1.77): the pack's build, installed by the installer run and started from its args files.
    expect(m).toMatchObject({ type: "neoforge", game: "1.21.1", loader: "21.1.9", launch: { argFiles: neoforgeArgFiles("21.1.9") }, modpack: { sha512: uploaded.body.sha512 } });
    const kind = (path: string) => m.files.find((f) => f.path === path)?.kind;
    expect(["mods/lithium.jar", "config/pack.toml", "config/server-only.toml", "libraries/net/neoforged/neoforge/21.1.9/unix_args.txt"].map(kind)).toEqual(["pack", "packFile", "packFile", "installed"]);
    expect(m.files.some((f) => f.path === "mods/sodium.jar" || f.path === "fabric-server-launch.jar")).toBe(false);
    const [install] = await t.sql`select count(*)::int as n from neoforge_installs where neoforge_version = '21.1.9'`;
    expect(install!.n).toBe(1);
    // A second new build the same day is past the customer's bound (1 here): 429, the pack's own way out named, nothing written.
    const newer = await upload(buildMrpack({ ...(await spec("n-2.0.0")), name: "Neo Pack", dependencies: { minecraft: "1.21.1", neoforge: "21.1.77" } }), undefined, "cust-5");
    const before = await count("servers");
    const over = await t.api("POST", "/v1/servers", serverBody(26, { modpack: { upload: newer.body.sha512 } }), { "idempotency-key": "pack-neoforge-over" });
    expect([over.status, over.body.error]).toEqual([429, "rate_limited"]);
    expect(over.body.message).toMatch(/^NeoForge 21\.1\.77 for Minecraft 1\.21\.1 is not installed yet, and this customer has asked for 1 new NeoForge builds .*; retry in \d+ s, or choose a pack whose NeoForge build is installed already\.$/);
    expect(await count("servers")).toBe(before);
    const asQuilt = await t.api("POST", "/v1/servers", serverBody(19, { type: "quilt", modpack: { upload: uploaded.body.sha512 } }), { "idempotency-key": "pack-neoforge-as-quilt" });
    expect([asQuilt.status, asQuilt.body.message]).toEqual([422, "The pack's loader (neoforge) runs on the neoforge type; the request asks for quilt. Leave type out to take the pack's."]);
  });

  it("creates servers from a Modrinth version id and from a project's newest release, pinning the .mrpack by Modrinth's hashes", async () => {
    const byId = await t.api("POST", "/v1/servers", serverBody(3, { minecraftVersion: "1.21.1", modpack: { version: V1 } }), { "idempotency-key": "pack-3" });
    expect(byId.status).toBe(202);
    expect(byId.body.modpack).toEqual({ source: "modrinth", name: "Test Pack", version: "1.0.0", projectId: PROJECT, versionId: V1, sha512: packSha512(packs.v1!) });
    const m = await manifestOf(byId.body.id);
    expect(m.files.find((f) => f.path === "config/pack.toml")).toMatchObject({ kind: "packFile", build: { pack: { url: cdnUrl(V1), sha512: packSha512(packs.v1!) } } });
    const newest = await t.api("POST", "/v1/servers", serverBody(4, { modpack: { project: "test-pack" } }), { "idempotency-key": "pack-4" });
    expect(newest.body.modpack).toMatchObject({ versionId: V2, version: "2.0.0" });
    const pinned = await t.api("POST", "/v1/servers", serverBody(5, { modpack: { project: "test-pack", version: "1.0.0" } }), { "idempotency-key": "pack-5" });
    expect(pinned.body.modpack).toMatchObject({ versionId: V1 });
  });

  it("refuses a create the pack contradicts, or that names no pack that exists, writing nothing", async () => {
    const before = await count("servers");
    const refused = async (overrides: Record<string, unknown>, status: number, error: string, message: RegExp) => {
      const r = await t.api("POST", "/v1/servers", serverBody(9, overrides), { "idempotency-key": `refused-${Math.random()}` });
      expect({ status: r.status, error: r.body.error }).toEqual({ status, error });
      expect(r.body.message).toMatch(message);
    };
    await refused({ minecraftVersion: "1.20.1", modpack: { version: V1 } }, 422, "modpack_invalid", /The pack is for Minecraft 1.21.1; the request asks for 1.20.1/);
    await refused({ loaderVersion: "0.19.3", modpack: { version: V1 } }, 422, "modpack_invalid", /needs fabric-loader 0.16.5/);
    await refused({ mods: [{ project: "lithium" }], modpack: { version: V1 } }, 400, "invalid_request", /mods cannot be given with a modpack/);
    await refused({ modpack: { upload: "0".repeat(128) } }, 404, "modpack_not_found", /This customer has no uploaded modpack/);
    await refused({ modpack: { version: "Kf2ZTlGz" } }, 422, "modpack_invalid", /has no .mrpack file; it is not a modpack/);
    await refused({ modpack: { version: "Nope0000" } }, 404, "modpack_not_found", /Modrinth has no version "Nope0000"/);
    await refused({ minecraftVersion: undefined }, 400, "invalid_request", /minecraftVersion is required/);
    expect(await count("servers")).toBe(before);
  });

  it("serves an uploaded pack to the agent of a host that runs it, and to no one else", async () => {
    const sha = packSha512(packs.v1!);
    const get = (token: string | null, hash = sha) => fetch(`${t.plane.url}/v1/agent/modpack?sha512=${hash}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const ok = await get(host.agentToken);
    expect(ok.status).toBe(200);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(packs.v1);
    expect((await get(null)).status).toBe(401);
    expect((await get("not-a-host-token")).status).toBe(401);
    const other = await enrollHost(t.api, "packs-other-host");
    const refused = await get(other.agentToken);
    expect({ status: refused.status, error: ((await refused.json()) as { error: string }).error }).toEqual({ status: 404, error: "modpack_not_found" });
    expect((await get(host.agentToken, packSha512(packs.v2!))).status).toBe(404); // on Modrinth, never uploaded
    // Deleted servers still on the host (their rows are kept) are not a reason to serve the pack.
    const users = await t.sql`select id, status from servers where host_id = ${host.id} and status <> 'deleted' and ${sha} in (modpack->>'sha512', manifest->'modpack'->>'sha512')`;
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id in ${t.sql(users.map((u) => u.id as string))}`;
    expect((await get(host.agentToken)).status).toBe(404);
    for (const u of users) await t.sql`update servers set status = ${u.status as string}, desired_state = 'running' where id = ${u.id as string}`;
    expect((await get(host.agentToken)).status).toBe(200);
  });

  it("scopes an upload to its customer: another customer's servers cannot use it, nor learn when it was uploaded", async () => {
    const pack = buildMrpack({ ...(await spec("3.0.0")), name: "Scoped Pack" });
    const mine = await upload(pack, undefined, "cust-1");
    expect(mine.status).toBe(201);
    const before = await count("servers");
    // cust-2 knows the sha512 but never uploaded it: as unknown as a pack that does not exist.
    const theirs = await t.api("POST", "/v1/servers", serverBody(2, { minecraftVersion: undefined, modpack: { upload: mine.body.sha512 } }), { "idempotency-key": "scoped-2" });
    expect({ status: theirs.status, error: theirs.body.error }).toEqual({ status: 404, error: "modpack_not_found" });
    expect(await count("servers")).toBe(before);
    await new Promise((r) => setTimeout(r, 20));
    const second = await upload(pack, undefined, "cust-2");
    expect(second.body.sha512).toBe(mine.body.sha512);
    expect(second.body.uploadedAt).not.toBe(mine.body.uploadedAt); // cust-2's own upload, not cust-1's
    // Uploading again renews cust-1's own time (its retention counts from it), never to cust-2's.
    const again = (await upload(pack, undefined, "cust-1")).body.uploadedAt;
    expect(Date.parse(again)).toBeGreaterThan(Date.parse(mine.body.uploadedAt));
    expect(again).not.toBe(second.body.uploadedAt);
    expect(await count("modpack_uploads")).toBeGreaterThan(0);
    const now = await t.api("POST", "/v1/servers", serverBody(2, { minecraftVersion: undefined, modpack: { upload: mine.body.sha512 } }), { "idempotency-key": "scoped-2b" });
    expect(now.status).toBe(202);
    const noCustomer = await t.api("POST", "/v1/modpacks", Buffer.from(pack), { "content-type": "application/zip" });
    expect({ status: noCustomer.status, error: noCustomer.body.error }).toEqual({ status: 400, error: "invalid_request" });
  });

  it("reads a pack once: later resolutions use the recorded files and digests, neither the stored bytes nor Modrinth's download", async () => {
    const pack = buildMrpack({ ...(await spec("4.0.0")), name: "Read Once" });
    const up = await upload(pack);
    const first = await t.api("POST", "/v1/servers", serverBody(15, { minecraftVersion: undefined, modpack: { upload: up.body.sha512 } }), { "idempotency-key": "once-1" });
    const m = await manifestOf(first.body.id);
    // The stored bytes made unreadable (same size): a resolution that read them again would refuse the pack.
    await t.sql`update modpack_uploads set data = ${Buffer.alloc(pack.byteLength)} where sha512 = ${up.body.sha512}`;
    const second = await t.api("POST", "/v1/servers", serverBody(22, { minecraftVersion: undefined, modpack: { upload: up.body.sha512 } }), { "idempotency-key": "once-2" });
    expect(second.status).toBe(202);
    expect(manifestHash(await manifestOf(second.body.id))).toBe(manifestHash(m));
    // A Modrinth pack read before (V1, by the test above) is not downloaded again: its file gone from the mirror, it still creates.
    await rm(join(mirror, mirrorPath(cdnUrl(V1))));
    const byId = await t.api("POST", "/v1/servers", serverBody(29, { minecraftVersion: "1.21.1", modpack: { version: V1 } }), { "idempotency-key": "once-3" });
    expect(byId.status).toBe(202);
    expect((await manifestOf(byId.body.id)).modpack).toMatchObject({ versionId: V1 });
  });

  it("answers a retried create from its Idempotency-Key before reading the pack again", async () => {
    const body = serverBody(36, { modpack: { version: V2 } });
    const first = await t.api("POST", "/v1/servers", body, { "idempotency-key": "replay-pack" });
    expect(first.status).toBe(202);
    // Modrinth no longer knows the version: reading the pack now would be a 404.
    await rm(join(mirror, mirrorPath(`https://api.modrinth.com/v2/version/${V2}`)));
    const retried = await t.api("POST", "/v1/servers", body, { "idempotency-key": "replay-pack" });
    expect({ status: retried.status, id: retried.body.id }).toEqual({ status: 202, id: first.body.id });
    const other = await t.api("POST", "/v1/servers", { ...body, name: "another" }, { "idempotency-key": "replay-pack" });
    expect(other.body.error).toBe("idempotency_key_reused");
  });

  it("answers a retried change from its Idempotency-Key before reading the pack again", async () => {
    const created = await t.api("POST", "/v1/servers", serverBody(43, { modpack: { version: V1 } }), { "idempotency-key": "change-base" });
    await manifestOf(created.body.id);
    await t.sql`update servers set status = 'running' where id = ${created.body.id}`; // provisioned, as an agent would report
    const target = await upload(buildMrpack({ ...(await spec("5.0.0")), name: "Change Target" }));
    const patch = () => t.api("PATCH", `/v1/servers/${created.body.id}`, { modpack: { upload: target.body.sha512 } }, { "idempotency-key": "change-replay" });
    const first = await patch();
    expect(first.status).toBe(202);
    // The customer's claim removed (as the sweep would, later): reading the pack now would be a 404.
    await t.sql`delete from modpack_upload_owners where sha512 = ${target.body.sha512}`;
    const retried = await patch();
    expect({ status: retried.status, id: retried.body.id }).toEqual({ status: 202, id: created.body.id });
  });

  it("schedules the sweep of unused uploads when the worker starts", async () => {
    const [job] = await t.sql`select task_identifier from graphile_worker.jobs where key = 'modpack-sweep'`;
    expect(job?.task_identifier).toBe("modpacks.sweep");
  });

  it("fails a server whose pack only resolution can refuse, with the reason", async () => {
    const failure = async (spec: PackSpec, reason: RegExp) => {
      const up = await upload(buildMrpack(spec), undefined, "cust-6");
      expect(up.status).toBe(201);
      const created = await t.api("POST", "/v1/servers", serverBody(20, { modpack: { upload: up.body.sha512 } }), { "idempotency-key": `late-${up.body.sha512.slice(0, 12)}` });
      expect(created.status).toBe(202);
      for (let i = 0; i < 200; i++) {
        const s = (await t.api("GET", `/v1/servers/${created.body.id}`)).body;
        if (s.status === "failed") return expect(s.failureReason).toMatch(reason);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the server did not fail");
    };
    await failure({ dependencies: { minecraft: "1.21.1", "fabric-loader": "0.11.7" } }, /^manifest_unresolvable: .*0\.11\.7/);
  });
});
