import { describe, expect, it } from "vitest";
import { ResolutionError } from "../src/fabric/errors";
import { chooseQuiltLoader, quiltLibrary } from "../src/serverTypes/quilt";
import { sample } from "./upstreamSamples";

/**
 * Quilt held against Quilt meta's real answers (recorded by
 * PrismLauncher/meta-upstream; fixtures/upstream-samples/README.md): meta v3's
 * loader list, 300 loaders, newest first, betas among them and no `stable`
 * flag; and loader 0.30.0's launcherMeta, whose libraries meta's server
 * profile lists (with the loader, hashed and intermediary). The list for one
 * game holds these same loader entries, each under `loader`.
 */
interface RecordedLoader {
  version: string;
  maven: string;
}
const loaders = () => JSON.parse(sample("quilt-meta/v3-versions-loader.json")) as RecordedLoader[];

describe("Quilt resolution against Quilt meta's recorded answers", () => {
  it("takes the newest loader with no `-` (0.30.0, under three 0.30.1 betas) as quilt-installer does; a pinned beta is taken", () => {
    const entries = loaders().map((loader) => ({ loader }));
    expect(entries.slice(0, 4).map((e) => e.loader.version)).toEqual(["0.30.1-beta.3", "0.30.1-beta.2", "0.30.1-beta.1", "0.30.0"]);
    expect(chooseQuiltLoader(entries)).toBe("0.30.0");
    expect(chooseQuiltLoader(entries, "0.30.1-beta.3")).toBe("0.30.1-beta.3");
    expect(() => chooseQuiltLoader(entries, "0.99.0")).toThrow(new ResolutionError("Quilt has no loader 0.99.0 (Specified loader version 0.99.0 was not found)."));
    // Only betas: refused, not installed.
    expect(() => chooseQuiltLoader(entries.filter((e) => e.loader.version.includes("-")))).toThrow(new ResolutionError("Quilt meta lists no stable loader (every loader is a beta)."));
  });

  it("places and fetches every library the real profile lists, from Quilt's and Fabric's Mavens", () => {
    const meta = JSON.parse(sample("quilt-meta/loader-0.30.0-launcherMeta.json")) as { libraries: Record<"common" | "server", { name: string; url: string }[]> };
    const chosen = loaders().find((l) => l.version === "0.30.0")!;
    const listed = [...meta.libraries.common, ...meta.libraries.server, { name: chosen.maven, url: "https://maven.quiltmc.org/repository/release/" }];
    const placed = listed.map((lib) => quiltLibrary("0.30.0", lib));
    expect(placed).toContainEqual({ path: "libraries/net/fabricmc/sponge-mixin/0.17.2+mixin.0.8.7/sponge-mixin-0.17.2+mixin.0.8.7.jar", url: "https://maven.fabricmc.net/net/fabricmc/sponge-mixin/0.17.2+mixin.0.8.7/sponge-mixin-0.17.2+mixin.0.8.7.jar" });
    expect(placed).toContainEqual({ path: "libraries/org/quiltmc/quilt-loader/0.30.0/quilt-loader-0.30.0.jar", url: "https://maven.quiltmc.org/repository/release/org/quiltmc/quilt-loader/0.30.0/quilt-loader-0.30.0.jar" });
    expect(placed).toHaveLength(9);
    // The same names from anywhere else are refused: meta's answer never chooses the host.
    expect(() => quiltLibrary("0.30.0", { ...meta.libraries.common[0]!, url: "https://maven.example.net/" })).toThrow(/which is not one of Quilt's Mavens/);
  });
});
