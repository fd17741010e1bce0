import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import Type, { type Static } from "typebox";
import { SERVER_TYPES, type ServerType } from "@zlh/domain";
import { FABRIC_LAUNCHER_JAR } from "./fabric/layout";

const Sha512 = Type.String({ pattern: "^[0-9a-f]{128}$" });
const Sha1 = Type.String({ pattern: "^[0-9a-f]{40}$" });
const Sha256 = Type.String({ pattern: "^[0-9a-f]{64}$" });
/** Relative to the server directory; checked again by the agent before writing. */
const FilePath = Type.String({ minLength: 1, maxLength: 512 });

/** An upstream file, pinned by size and hash: what the agents' content-addressed cache fetches. */
export const DownloadedFile = Type.Object({
  path: FilePath,
  /** The upstream URL; mirrors hold the same file under the same URL path. */
  url: Type.String(),
  /** Other URLs of the same bytes (a modpack file's further `downloads`), tried in order when `url` fails. */
  alternates: Type.Optional(Type.Array(Type.String(), { maxItems: 4 })),
  size: Type.Integer({ minimum: 0 }),
  /** Always present: the key of the agents' content-addressed cache. */
  sha512: Sha512,
  /** Present where upstream publishes a sha1 (Mojang, Modrinth), checked too. */
  sha1: Type.Optional(Sha1),
  /** `pack`: a file a modpack's index lists (docs/modpacks.md); `installed`: one NeoForge's installer made (its url is `zlh:neoforge/<sha512>`). */
  kind: Type.Union([Type.Literal("server"), Type.Literal("library"), Type.Literal("mod"), Type.Literal("pack"), Type.Literal("installed")]),
});
export type DownloadedFile = Static<typeof DownloadedFile>;

/** An input of a built file: fetched through the cache like a downloaded file, but not placed itself. */
export const BuildInput = Type.Object({ url: Type.String(), size: Type.Integer({ minimum: 0 }), sha512: Sha512, sha1: Type.Optional(Sha1) });

/**
 * A file the agent builds from pinned inputs (packages/artifacts/src/fabric/jars.ts),
 * reproducible to the byte, so its size and sha512 are pinned and checked
 * like a download's:
 *  - `launcher`: fabric-server-launch.jar, the installer's Maven `-server` jar plus install.properties;
 *  - `launch`: the launch jar the Fabric launcher looks for before it would reinstall from the network;
 *  - `quiltLaunch`: quilt-server-launch.jar as Quilt's installer writes it (packages/artifacts/src/quilt/layout.ts);
 *  - `packFile`: one entry of a modpack's archive (its overrides), extracted from the pinned `.mrpack`.
 */
export const BuiltFile = Type.Union([
  Type.Object({
    path: FilePath,
    size: Type.Integer({ minimum: 0 }),
    sha512: Sha512,
    kind: Type.Literal("launcher"),
    build: Type.Object({ installer: BuildInput, loader: Type.String(), game: Type.String() }),
  }),
  Type.Object({
    path: FilePath,
    size: Type.Integer({ minimum: 0 }),
    sha512: Sha512,
    kind: Type.Literal("launch"),
    build: Type.Object({ mainClass: Type.String(), launchMainClass: Type.String(), classPath: Type.Array(Type.String()) }),
  }),
  Type.Object({
    path: FilePath,
    size: Type.Integer({ minimum: 0 }),
    sha512: Sha512,
    kind: Type.Literal("quiltLaunch"),
    build: Type.Object({ mainClass: Type.String(), classPath: Type.Array(Type.String()) }),
  }),
  Type.Object({
    path: FilePath,
    size: Type.Integer({ minimum: 0 }),
    sha512: Sha512,
    kind: Type.Literal("packFile"),
    build: Type.Object({ pack: BuildInput, entry: Type.String({ minLength: 1, maxLength: 600 }) }),
  }),
]);
export type BuiltFile = Static<typeof BuiltFile>;

/** A file the platform places in the server directory. */
export const ManifestFile = Type.Union([DownloadedFile, BuiltFile]);
export type ManifestFile = Static<typeof ManifestFile>;
export const isBuilt = (f: ManifestFile): f is BuiltFile => "build" in f;

/**
 * A file the platform seeds rather than keeps exact (docs/modpacks.md#overrides):
 * a pack's override (`packFile`) that is no jar and not in `mods/` (a config, a
 * world, a script). It is placed where absent and replaced or removed by a
 * pack update only while the customer has not changed it since it was placed;
 * everything else (the game, libraries, launchers, every mod) is made exact.
 */
export const isSeeded = (f: Pick<ManifestFile, "kind" | "path">): boolean => f.kind === "packFile" && !f.path.startsWith("mods/") && !f.path.endsWith(".jar");

export const ManifestMod = Type.Object({
  projectId: Type.String(),
  versionId: Type.String(),
  versionNumber: Type.String(),
  /** Why it is in the set: asked for, or required by another mod. */
  reason: Type.Union([Type.Literal("requested"), Type.Literal("dependency")]),
});

/**
 * The modpack a server runs (docs/modpacks.md): the `.mrpack` by hash, where
 * it came from, and the pack's name and version as its index gives them.
 */
export const ManifestModpack = Type.Object({
  source: Type.Union([Type.Literal("modrinth"), Type.Literal("upload")]),
  name: Type.String(),
  /** The pack's own version (`versionId` of modrinth.index.json). */
  version: Type.String(),
  /** Modrinth's project and version ids (a pack from Modrinth). */
  projectId: Type.Optional(Type.String()),
  versionId: Type.Optional(Type.String()),
  url: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  sha512: Sha512,
});
export type ManifestModpack = Static<typeof ManifestModpack>;

/** Where a Java runtime of a feature release lives inside the container. */
export const javaRuntimeDir = (major: number) => `/opt/zlh/java/${major}`;

/**
 * The Java runtime the game needs (Mojang's `javaVersion.majorVersion`),
 * pinned to one build: a gzipped tar with one top directory (Adoptium's
 * layout), extracted without that directory into `path` inside the container.
 */
export const JavaRuntime = Type.Object({
  /** The feature release (17, 21, 25): the game's `javaVersion.majorVersion`. */
  major: Type.Integer({ minimum: 8, maximum: 999 }),
  /** The build's release name as Adoptium names it, e.g. `jdk-21.0.5+11`. */
  release: Type.String({ minLength: 1, maxLength: 128 }),
  architecture: Type.Union([Type.Literal("x64"), Type.Literal("aarch64")]),
  url: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  /** What Adoptium publishes (`package.checksum`), checked by the resolver and by the agents. */
  sha256: Sha256,
  /** The key of the agents' content-addressed cache, computed by the resolver from the one download it checks. */
  sha512: Sha512,
  /** Always `javaRuntimeDir(major)`; agents refuse anything else. */
  path: Type.String(),
});
export type JavaRuntime = Static<typeof JavaRuntime>;

/** An args file the JVM reads (`@<file>`): a relative path of plain segments, checked again by the unit. */
const ArgFile = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]*(/[A-Za-z0-9][A-Za-z0-9._+-]*)*\\.txt$", maxLength: 256 });

/**
 * How the game is started, in the server directory (the agent's game unit,
 * and the sim, read it from here; neither guesses): `java -jar <jar> nogui`
 * (a plain file name, no path: the unit refuses anything else), or, for a
 * type whose installer writes args files instead (NeoForge),
 * `java @<argFiles[0]> @<argFiles[1]>... nogui`. Exactly one of the two.
 */
export const ManifestLaunch = Type.Union([
  Type.Object({ jar: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*\\.jar$", maxLength: 128 }) }, { additionalProperties: false }),
  Type.Object({ argFiles: Type.Array(ArgFile, { minItems: 1, maxItems: 4 }) }, { additionalProperties: false }),
]);
export type ManifestLaunch = Static<typeof ManifestLaunch>;

/**
 * Everything a first boot needs, pinned, so that it needs no network (see the
 * docs/design/manifests.md): the game, loader and installer
 * versions and every file with its hash. Resolved once per server by the
 * control plane and stored with it; a re-provision reuses it.
 */
export const Manifest = Type.Object({
  /** 2: the launcher and the launch jar are built files (schema 1 relied on meta's launcher and a first-boot install). */
  schema: Type.Literal(2),
  /** What it runs (docs/server-types.md). Absent in manifests resolved before types existed: those are Fabric. */
  type: Type.Optional(Type.Enum(SERVER_TYPES)),
  /** Absent in manifests resolved before types existed: Fabric's launcher. */
  launch: Type.Optional(ManifestLaunch),
  game: Type.String(),
  /** The loader and installer versions, for a type that has them (fabric); "" for one that has none (vanilla). */
  loader: Type.String(),
  installer: Type.String(),
  mods: Type.Array(ManifestMod),
  files: Type.Array(ManifestFile),
  /** Absent in manifests resolved before Java was part of them (they hash as they always did). */
  java: Type.Optional(JavaRuntime),
  /** Only on a modpack server's manifest (others hash as they always did). */
  modpack: Type.Optional(ManifestModpack),
});
export type Manifest = Static<typeof Manifest>;

/** Identical manifests hash identically (canonical JSON, files in path order). */
export function manifestHash(m: Manifest): string {
  return createHash("sha256").update(stringify(m) ?? "").digest("hex");
}

/** How a placed server starts: a jar (`-jar`), or args files (`@file`, NeoForge). */
export type LaunchOf = { type: ServerType; jar: string; argFiles?: undefined } | { type: ServerType; jar?: undefined; argFiles: string[] };

/** The type a manifest is for and what starts it; a manifest from before types existed is Fabric's. */
export function manifestLaunch(m: Pick<Manifest, "type" | "launch">): LaunchOf {
  const type = m.type ?? "fabric";
  if (m.launch && "argFiles" in m.launch) return { type, argFiles: [...m.launch.argFiles] };
  return { type, jar: m.launch?.jar ?? FABRIC_LAUNCHER_JAR };
}
