import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import Type, { type Static } from "typebox";

/** A file the platform places in the server directory, pinned by size and hash. */
export const ManifestFile = Type.Object({
  /** Relative to the server directory; checked again by the agent before writing. */
  path: Type.String({ minLength: 1, maxLength: 512 }),
  /** The upstream URL; mirrors hold the same file under the same URL path. */
  url: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  /** Always present: the key of the agents' content-addressed cache. */
  sha512: Type.String({ pattern: "^[0-9a-f]{128}$" }),
  /** Present where upstream publishes a sha1 (Mojang, Modrinth), checked too. */
  sha1: Type.Optional(Type.String({ pattern: "^[0-9a-f]{40}$" })),
  kind: Type.Union([Type.Literal("launcher"), Type.Literal("server"), Type.Literal("library"), Type.Literal("mod")]),
});
export type ManifestFile = Static<typeof ManifestFile>;

export const ManifestMod = Type.Object({
  projectId: Type.String(),
  versionId: Type.String(),
  versionNumber: Type.String(),
  /** Why it is in the set: asked for, or required by another mod. */
  reason: Type.Union([Type.Literal("requested"), Type.Literal("dependency")]),
});

/**
 * Everything a first boot needs, pinned: the game, loader and installer
 * versions and every file with its hash. Resolved once per server by the
 * control plane and stored with it; a re-provision reuses it.
 */
export const Manifest = Type.Object({
  schema: Type.Literal(1),
  game: Type.String(),
  loader: Type.String(),
  installer: Type.String(),
  mods: Type.Array(ManifestMod),
  files: Type.Array(ManifestFile),
});
export type Manifest = Static<typeof Manifest>;

/** Identical manifests hash identically (canonical JSON, files in path order). */
export function manifestHash(m: Manifest): string {
  return createHash("sha256").update(stringify(m) ?? "").digest("hex");
}
