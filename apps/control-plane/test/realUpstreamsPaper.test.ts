import { describe, expect, it } from "vitest";
import { ResolutionError } from "../src/fabric/errors";
import { resolvePaper } from "../src/serverTypes/paper";
import { recordedBody, recordedResolution, sample, standInJar } from "./upstreamSamples";

/**
 * Paper held against PaperMC's real downloads API v2 answers (recorded by
 * itzg/mc-image-helper; fixtures/upstream-samples/README.md): 1.20.6's
 * builds, experimental 23-114 then default 115-140 (63 and 87 never
 * published), and 1.20.5's, every one experimental.
 */
const BUILDS = "https://api.papermc.io/v2/projects/paper/versions";
const routes = new Map<string, () => Response>([
  [`${BUILDS}/1.20.6/builds`, recordedBody("papermc/v2-paper-1.20.6-builds.json")],
  [`${BUILDS}/1.20.5/builds`, recordedBody("papermc/v2-paper-1.20.5-builds.json")],
]);

describe("Paper resolution against PaperMC's recorded v2 answers", () => {
  // Every build's jar is a stand-in: the sha256 PaperMC publishes for it cannot match.
  const upstream = recordedResolution(routes, (url) => (/\/builds\/\d+\/downloads\/paper-[\d.]+-\d+\.jar$/.test(url) ? standInJar(url, "io.papermc.paperclip.Main")() : undefined));
  const { requested } = upstream;
  const resolve = (minecraftVersion: string, loaderVersion?: string) =>
    resolvePaper(
      upstream.input(
        { type: "paper", minecraftVersion, loaderVersion, mods: [] },
        // Asked for only after the Paper jar's sha256 is checked, which a stand-in never passes.
        () => Promise.reject(new Error("Mojang's jar was asked for before the Paper jar's hash was checked")),
      ),
    );

  it("pins the newest default-channel build and checks its jar against the sha256 PaperMC publishes", async () => {
    const listing = JSON.parse(sample("papermc/v2-paper-1.20.6-builds.json")) as { builds: { build: number; channel: string; downloads: { application: { sha256: string } } }[] };
    const newest = listing.builds.filter((b) => b.channel === "default").at(-1)!;
    expect(newest.build).toBe(140);
    await expect(resolve("1.20.6")).rejects.toThrow(
      `hash mismatch for ${BUILDS}/1.20.6/builds/140/downloads/paper-1.20.6-140.jar: PaperMC publishes sha256 ${newest.downloads.application.sha256}, the file has `,
    );
    expect(requested).toEqual([`${BUILDS}/1.20.6/builds`, `${BUILDS}/1.20.6/builds/140/downloads/paper-1.20.6-140.jar`]);
  });

  it("pins an experimental build only when asked for it, by the hash its own entry publishes", async () => {
    await expect(resolve("1.20.6", "114")).rejects.toThrow(
      `hash mismatch for ${BUILDS}/1.20.6/builds/114/downloads/paper-1.20.6-114.jar: PaperMC publishes sha256 92b827fe3d6c20c25e5b9758705a72bdee98fbf10d2b9de4b4ad9b64aa1d69a8, the file has `,
    );
  });

  it("refuses a build PaperMC never published (a gap in its numbering), naming the newest it lists", async () => {
    await expect(resolve("1.20.6", "87")).rejects.toThrow(new ResolutionError("Paper has no build 87 of Minecraft 1.20.6; its newest: 140, 139, 138, 137, 136, 135, 134, 133, 132, 131."));
    expect(requested).toEqual([`${BUILDS}/1.20.6/builds`]);
  });

  it("refuses a version whose builds are all experimental, without downloading any", async () => {
    await expect(resolve("1.20.5")).rejects.toThrow(new ResolutionError("Paper has no stable (default channel) build of Minecraft 1.20.5."));
    expect(requested).toEqual([`${BUILDS}/1.20.5/builds`]);
  });
});
