import { Compile } from "typebox/compile";
import { describe, expect, it } from "vitest";
import { javaRuntimeDir, Manifest, manifestHash, type JavaRuntime } from "../src/index";

/** A manifest as the resolver stored them before Java was part of it (schema 2, no `java`). */
const stored = {
  schema: 2,
  game: "1.21.1",
  loader: "0.16.5",
  installer: "1.0.1",
  mods: [{ projectId: "P7dR8mSH", versionId: "VwBUsRBM", versionNumber: "0.102.1+1.21.1", reason: "requested" }],
  files: [
    { path: ".fabric/server/1.21.1-server.jar", url: "https://piston-data.mojang.com/v1/objects/aa/server.jar", size: 10, sha512: "a".repeat(128), sha1: "b".repeat(40), kind: "server" },
    { path: "mods/fabric-api.jar", url: "https://cdn.modrinth.com/data/P7dR8mSH/versions/VwBUsRBM/fabric-api.jar", size: 20, sha512: "c".repeat(128), sha1: "d".repeat(40), kind: "mod" },
  ],
} as const satisfies Manifest;

const java: JavaRuntime = {
  major: 21,
  release: "jdk-21.0.7+6",
  architecture: "x64",
  url: "https://github.com/adoptium/temurin21-binaries/releases/download/jdk-21.0.7%2B6/OpenJDK21U-jre_x64_linux_hotspot_21.0.7_6.tar.gz",
  size: 30,
  sha256: "e".repeat(64),
  sha512: "f".repeat(128),
  path: javaRuntimeDir(21),
};

describe("the manifest's Java runtime", () => {
  const check = Compile(Manifest);

  it("is optional: a manifest stored before it still validates and hashes exactly as it did", () => {
    expect(check.Check(stored)).toBe(true);
    // Recorded with the schema that had no `java`: servers' stored hashes must not change.
    expect(manifestHash(stored)).toBe("358cac2011b255f410e10aacb24dad1c668711c9653641984faad707be7247ac");
  });

  it("is part of the hash when present, and validated", () => {
    expect(check.Check({ ...stored, java })).toBe(true);
    expect(manifestHash({ ...stored, java })).not.toBe(manifestHash(stored));
    expect(check.Check({ ...stored, java: { ...java, sha256: "E".repeat(64) } })).toBe(false);
    expect(check.Check({ ...stored, java: { ...java, architecture: "ppc64le" } })).toBe(false);
  });
});
