import { describe, expect, it, vi } from "vitest";
import { fixtureManifest } from "@zlh/testing";
import { ManifestCache } from "../src/fabric/manifestCache";

describe("ManifestCache", () => {
  it("resolves a request once within the TTL, by content not object identity, and again after it", async () => {
    const manifest = await fixtureManifest();
    let calls = 0;
    const fresh = async () => (calls++, manifest);
    // The clock is the test's: "within the TTL" must not depend on how fast a loaded machine runs these lines.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const cache = new ManifestCache(50);
      const req = () => ({ minecraftVersion: "1.21.1", loaderVersion: null, mods: [{ project: "lithium" }] });
      await cache.resolve(req(), fresh);
      vi.setSystemTime(Date.now() + 49);
      expect(await cache.resolve(req(), fresh)).toBe(manifest);
      expect(calls).toBe(1);
      await cache.resolve({ ...req(), mods: [] }, fresh);
      expect(calls).toBe(2);
      vi.setSystemTime(Date.now() + 1);
      await cache.resolve(req(), fresh);
      expect(calls).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps at most `maxBytes` of manifests, dropping the oldest, and never caches one larger than that", async () => {
    const manifest = await fixtureManifest();
    const size = JSON.stringify(manifest).length;
    let calls = 0;
    const fresh = async () => (calls++, manifest);
    const cache = new ManifestCache(60_000, Math.floor(2.5 * size)); // room for two
    for (const v of ["1", "2", "3", "1"]) await cache.resolve({ minecraftVersion: "1.21.1", loaderVersion: v, mods: [] }, fresh);
    expect(calls).toBe(4);
    expect(cache.bytes).toBe(2 * size);
    await cache.resolve({ minecraftVersion: "1.21.1", loaderVersion: "3", mods: [] }, fresh);
    expect(calls).toBe(4); // 3 and 1 are the two kept
    // A modpack's manifest bigger than the whole budget: resolved every time, evicting nothing.
    const huge = { ...manifest, files: Array.from({ length: 200 }, () => manifest.files).flat() };
    const tiny = new ManifestCache(60_000, 3 * size);
    await tiny.resolve({ minecraftVersion: "1.21.1", loaderVersion: "a", mods: [] }, fresh);
    let hugeCalls = 0;
    for (let i = 0; i < 2; i++) await tiny.resolve({ minecraftVersion: "1.21.1", loaderVersion: "huge", mods: [] }, async () => (hugeCalls++, huge));
    expect(hugeCalls).toBe(2);
    expect(tiny.bytes).toBe(size);
  });
});

describe("ManifestCache and the Java runtime's architecture", () => {
  it("keeps manifests for different architectures apart (their Java differs), x64 being the default", async () => {
    const manifest = await fixtureManifest();
    let calls = 0;
    const fresh = async () => (calls++, manifest);
    const cache = new ManifestCache(60_000);
    const req = { minecraftVersion: "1.21.1", loaderVersion: null, mods: [] };
    await cache.resolve(req, fresh);
    await cache.resolve({ ...req, architecture: "x64" as const }, fresh);
    expect(calls).toBe(1);
    await cache.resolve({ ...req, architecture: "aarch64" as const }, fresh);
    expect(calls).toBe(2);
  });
});
