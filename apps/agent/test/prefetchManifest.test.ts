import { describe, expect, it } from "vitest";
import type { Manifest } from "@zlh/artifacts";
import { fixtureManifest } from "@zlh/testing";
import type { ArtifactCache } from "../src/placement/cache";
import { prefetchManifest } from "../src/ops/changeFiles";

describe("prefetchManifest", () => {
  it("fetches the Java runtime too, so a change whose runtime cannot be had fails before the server is touched", async () => {
    const base = await fixtureManifest();
    const java = { major: 21, release: "jdk-21.0.7+6", architecture: "x64", url: "https://github.com/adoptium/temurin21-binaries/releases/download/jdk-21.0.7%2B6/OpenJDK21U-jre_x64_linux_hotspot_21.0.7_6.tar.gz", size: 1, sha256: "0".repeat(64), sha512: "1".repeat(128), path: "/opt/zlh/java/21" } as const;
    const manifest = { ...base, java } as Manifest;
    const asked: string[] = [];
    const cache = { ensure: async (f: { sha512: string }) => (asked.push(f.sha512), "/nowhere") } as unknown as ArtifactCache;
    await prefetchManifest(cache, manifest, new AbortController().signal);
    expect(asked).toContain(java.sha512);
  });
});
