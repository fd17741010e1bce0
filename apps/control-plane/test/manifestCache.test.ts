import { describe, expect, it } from "vitest";
import { fixtureManifest } from "@zlh/testing";
import { ManifestCache } from "../src/fabric/manifestCache";

describe("ManifestCache", () => {
  it("resolves a request once within the TTL, by content not object identity, and again after it", async () => {
    const manifest = await fixtureManifest();
    let calls = 0;
    const fresh = async () => (calls++, manifest);
    const cache = new ManifestCache(50);
    const req = () => ({ minecraftVersion: "1.21.1", loaderVersion: null, mods: [{ project: "lithium" }] });
    await cache.resolve(req(), fresh);
    expect(await cache.resolve(req(), fresh)).toBe(manifest);
    expect(calls).toBe(1);
    await cache.resolve({ ...req(), mods: [] }, fresh);
    expect(calls).toBe(2);
    await new Promise((r) => setTimeout(r, 60));
    await cache.resolve(req(), fresh);
    expect(calls).toBe(3);
  });

  it("keeps at most `max` entries, dropping the oldest", async () => {
    const manifest = await fixtureManifest();
    let calls = 0;
    const fresh = async () => (calls++, manifest);
    const cache = new ManifestCache(60_000, 2);
    for (const v of ["1", "2", "3", "1"]) await cache.resolve({ minecraftVersion: "1.21.1", loaderVersion: v, mods: [] }, fresh);
    expect(calls).toBe(4);
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
