/**
 * Builds fixtures/offline-mirror: small stand-in artifacts for Minecraft
 * 1.21.1 with Fabric and a few mods, and the Fabric meta, Mojang piston-meta
 * and Modrinth API v2 responses that resolve them, shaped exactly like the
 * real ones and stored by URL path (see mirrorPath). `pnpm dev` provisions
 * from it with no network; tests serve it through msw as "upstream".
 * Deterministic: running it again produces the same files.
 *   pnpm tsx scripts/buildOfflineMirror.ts
 */
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { mirrorPath, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";

const files = new Map<string, Uint8Array>();
const put = (url: string, body: string | Uint8Array) => files.set(url, typeof body === "string" ? new TextEncoder().encode(body) : body);
const json = (url: string, value: unknown) => put(url, JSON.stringify(value, null, 2));
const hash = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");
/** A stand-in jar: a few hundred bytes that name what they stand for. */
const fakeJar = (name: string) => new TextEncoder().encode(`ZeroLagHub offline fixture, not a real jar: ${name}\n${"#".repeat(200)}\n`);

const GAME = "1.21.1";
const FABRIC_MAVEN = "https://maven.fabricmc.net/";
const mavenPath = (c: string) => {
  const [g, a, v] = c.split(":") as [string, string, string];
  return `${g.replaceAll(".", "/")}/${a}/${v}/${a}-${v}.jar`;
};

// ---- Fabric: libraries (with hashes, as newer meta publishes them), loaders, installer, launcher jars.
const libraries = ["net.fabricmc:sponge-mixin:0.15.3+mixin.0.8.7", "org.ow2.asm:asm:9.7.1", "org.ow2.asm:asm-tree:9.7.1"].map((name) => {
  const jar = fakeJar(name);
  put(`${FABRIC_MAVEN}${mavenPath(name)}`, jar);
  return { name, url: FABRIC_MAVEN, md5: hash("md5", jar), sha1: hash("sha1", jar), sha256: hash("sha256", jar), sha512: hash("sha512", jar), size: jar.byteLength };
});
const loaders = [
  { version: "0.16.6", stable: false, build: 6 },
  { version: "0.16.5", stable: true, build: 5 },
  { version: "0.16.4", stable: true, build: 4 },
];
const installers = [
  { version: "1.0.2", stable: false },
  { version: "1.0.1", stable: true },
];
json(
  `https://meta.fabricmc.net/v2/versions/installer`,
  installers.map((i) => ({ url: `${FABRIC_MAVEN}net/fabricmc/fabric-installer/${i.version}/fabric-installer-${i.version}.jar`, maven: `net.fabricmc:fabric-installer:${i.version}`, version: i.version, stable: i.stable })),
);
put(`${FABRIC_MAVEN}${mavenPath(`net.fabricmc:intermediary:${GAME}`)}`, fakeJar(`intermediary ${GAME}`));
json(
  `https://meta.fabricmc.net/v2/versions/loader/${GAME}`,
  loaders.map((l) => {
    put(`${FABRIC_MAVEN}${mavenPath(`net.fabricmc:fabric-loader:${l.version}`)}`, fakeJar(`fabric-loader ${l.version}`));
    for (const i of installers) put(`https://meta.fabricmc.net/v2/versions/loader/${GAME}/${l.version}/${i.version}/server/jar`, fakeJar(`fabric server launcher ${GAME} ${l.version} ${i.version}`));
    return {
      loader: { separator: ".", build: l.build, maven: `net.fabricmc:fabric-loader:${l.version}`, version: l.version, stable: l.stable },
      intermediary: { maven: `net.fabricmc:intermediary:${GAME}`, version: GAME, stable: true },
      launcherMeta: {
        version: 2,
        min_java_version: 8,
        libraries: { client: [], common: libraries, server: [], development: [] },
        mainClass: { client: "net.fabricmc.loader.impl.launch.knot.KnotClient", server: "net.fabricmc.loader.impl.launch.knot.KnotServer" },
      },
    };
  }),
);

// ---- Mojang: version manifest -> version JSON -> server jar (sha1 published).
const serverJar = fakeJar(`minecraft_server ${GAME}`);
const serverSha1 = hash("sha1", serverJar);
const serverUrl = `https://piston-data.mojang.com/v1/objects/${serverSha1}/server.jar`;
put(serverUrl, serverJar);
const versionJson = JSON.stringify({
  id: GAME,
  type: "release",
  mainClass: "net.minecraft.client.main.Main",
  javaVersion: { component: "java-runtime-delta", majorVersion: 21 },
  downloads: {
    client: { sha1: "0".repeat(40), size: 1, url: `https://piston-data.mojang.com/v1/objects/${"0".repeat(40)}/client.jar` },
    server: { sha1: serverSha1, size: serverJar.byteLength, url: serverUrl },
  },
});
const versionJsonSha1 = hash("sha1", new TextEncoder().encode(versionJson));
const versionUrl = `https://piston-meta.mojang.com/v1/packages/${versionJsonSha1}/${GAME}.json`;
put(versionUrl, versionJson);
json("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json", {
  latest: { release: GAME, snapshot: GAME },
  versions: [{ id: GAME, type: "release", url: versionUrl, time: "2024-08-08T12:24:45+00:00", releaseTime: "2024-08-08T12:24:45+00:00", sha1: versionJsonSha1, complianceLevel: 1 }],
});

// ---- Modrinth: projects (by slug and by id), version lists, versions, files.
interface FixtureVersion {
  id: string;
  number: string;
  type: "release" | "beta";
  date: string;
  deps?: { project_id: string; dependency_type: "required" | "optional" | "incompatible" }[];
}
const projects: { id: string; slug: string; title: string; server: string; client: string; versions: FixtureVersion[] }[] = [
  { id: "P7dR8mSH", slug: "fabric-api", title: "Fabric API", server: "required", client: "required", versions: [
    { id: "yGAe1owa", number: "0.103.0+1.21.1", type: "beta", date: "2024-09-01T10:00:00.000000Z" },
    { id: "VwBUsRBM", number: "0.102.1+1.21.1", type: "release", date: "2024-08-20T10:00:00.000000Z" },
    { id: "Kf2ZTlGz", number: "0.102.0+1.21.1", type: "release", date: "2024-08-10T10:00:00.000000Z" },
  ] },
  { id: "gvQqBUqZ", slug: "lithium", title: "Lithium", server: "optional", client: "optional", versions: [
    { id: "5szYtenV", number: "mc1.21.1-0.13.0", type: "release", date: "2024-08-15T10:00:00.000000Z" },
  ] },
  { id: "mOgUt4GM", slug: "modmenu", title: "Mod Menu", server: "optional", client: "required", versions: [
    { id: "YIfqIJ8q", number: "11.0.2", type: "release", date: "2024-08-25T10:00:00.000000Z", deps: [{ project_id: "P7dR8mSH", dependency_type: "required" }] },
  ] },
  { id: "AANobbMI", slug: "sodium", title: "Sodium", server: "unsupported", client: "required", versions: [
    { id: "u1OEbNKx", number: "mc1.21.1-0.6.0", type: "release", date: "2024-08-30T10:00:00.000000Z" },
  ] },
  { id: "Wb5oqrBJ", slug: "chunky", title: "Chunky", server: "required", client: "optional", versions: [
    { id: "dPliWter", number: "1.4.16", type: "release", date: "2024-08-12T10:00:00.000000Z", deps: [{ project_id: "gvQqBUqZ", dependency_type: "incompatible" }] },
  ] },
];
const API = "https://api.modrinth.com/v2";
for (const p of projects) {
  const project = {
    id: p.id, slug: p.slug, project_type: "mod", team: "fixture", title: p.title, description: `${p.title} (offline fixture)`,
    body: "", categories: [], client_side: p.client, server_side: p.server, status: "approved", license: { id: "MIT", name: "MIT License", url: null },
    downloads: 0, followers: 0, game_versions: [GAME], loaders: ["fabric"], versions: p.versions.map((v) => v.id),
    published: "2024-01-01T00:00:00.000000Z", updated: "2024-09-01T00:00:00.000000Z",
  };
  json(`${API}/project/${p.slug}`, project);
  json(`${API}/project/${p.id}`, project);
  const versions = p.versions.map((v) => {
    const filename = `${p.slug}-${v.number}.jar`;
    const jar = fakeJar(`${p.slug} ${v.number}`);
    const url = `https://cdn.modrinth.com/data/${p.id}/versions/${v.id}/${encodeURIComponent(filename)}`;
    put(url, jar);
    return {
      id: v.id, project_id: p.id, author_id: "fixture", featured: false, name: `${p.title} ${v.number}`, version_number: v.number,
      changelog: "", changelog_url: null, date_published: v.date, downloads: 0, version_type: v.type, status: "listed", requested_status: null,
      files: [{ hashes: { sha512: hash("sha512", jar), sha1: hash("sha1", jar) }, url, filename, primary: true, size: jar.byteLength, file_type: null }],
      dependencies: (v.deps ?? []).map((d) => ({ version_id: null, project_id: d.project_id, file_name: null, dependency_type: d.dependency_type })),
      game_versions: [GAME], loaders: ["fabric"],
    };
  });
  const newestFirst = [...versions].sort((a, b) => b.date_published.localeCompare(a.date_published));
  json(`${API}/project/${p.id}/version`, newestFirst);
  json(`${API}/project/${p.id}/version?${new URLSearchParams({ loaders: JSON.stringify(["fabric"]), game_versions: JSON.stringify([GAME]) })}`, newestFirst);
  for (const v of versions) json(`${API}/version/${v.id}`, v);
}

await rm(OFFLINE_MIRROR_DIR, { recursive: true, force: true });
for (const [url, body] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  const path = join(OFFLINE_MIRROR_DIR, mirrorPath(url));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}
await writeFile(join(OFFLINE_MIRROR_DIR, "README.md"), "Generated by scripts/buildOfflineMirror.ts: upstream responses and stand-in artifacts stored by URL path (`<host><path>[@<query>].body`).\n");
console.log(`offline mirror: ${files.size} files in ${OFFLINE_MIRROR_DIR}`);
