import type { ArtifactSource, DownloadedFile, JavaArchitecture, ManifestFile, ManifestLaunch, ManifestMod, ManifestModpack } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import type { ServerType } from "@zlh/domain";
import type { Static } from "typebox";
import type { MojangDownload } from "../fabric/mojang";
import type { ModRequest } from "../fabric/modrinth";

export interface ManifestRequest {
  /** Absent: fabric (requests from before types existed). */
  type?: ServerType;
  minecraftVersion: string;
  loaderVersion?: string | null;
  mods: ModRequest[];
  /** The architecture of the Java runtime to pin (the hosts'); x64 when not given. */
  architecture?: JavaArchitecture;
  /** A modpack server's pack (its game and loader are then the pack's, and its files are the mods). */
  modpack?: ManifestModpack | null;
}

/** How this control plane resolves, from its configuration: the same for every request. */
export interface ResolveSettings {
  /** ZLH_NEOFORGE_JAVA; `java` (on PATH) when not given. */
  neoforgeJava?: string;
  /** ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES (0: no bound but the heap's); INSTALLER_MEMORY_BYTES when not given. */
  neoforgeInstallerMemoryBytes?: number;
}

/** What a type's resolver is given: the request, and what every type shares, resolved once when first asked for. */
export interface TypeInput {
  db: Db;
  source: ArtifactSource;
  request: ManifestRequest;
  /** Mojang's server jar, pinned; its `path` is the Fabric launcher's, re-pathed by a type that wants it elsewhere. */
  mojangServer: () => Promise<DownloadedFile>;
  /** Where Mojang publishes the server's mappings (`downloads.server_mappings`), null for a game without them (before 1.14.4). */
  mojangServerMappings: () => Promise<MojangDownload | null>;
  /** The Java major version the game needs (Mojang's javaVersion.majorVersion). */
  javaMajor: () => Promise<number>;
  settings: ResolveSettings;
}

/** A type's part of a manifest: its files (the Mojang jar among them, where the type places it) and how to start it. */
export interface TypeResolution {
  loader: string;
  installer: string;
  mods: Static<typeof ManifestMod>[];
  files: ManifestFile[];
  launch: ManifestLaunch;
}

/** One resolver per server type (apps/control-plane/src/serverTypes/<type>.ts), side by side behind this. */
export type TypeResolver = (input: TypeInput) => Promise<TypeResolution>;
