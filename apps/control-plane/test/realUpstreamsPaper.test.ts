import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { ResolutionError } from "../src/fabric/errors";
import { resolvePaper } from "../src/serverTypes/paper";
import { recordedResolution, sample, standInJar } from "./upstreamSamples";

/**
 * Paper held against PaperMC's real downloads API v3 ("Fill") answers
 * (builds recorded by itzg/mc-image-helper; fixtures/upstream-samples/README.md):
 * 1.21.6's build 46 and 1.21.8's build 60 (STABLE), 1.21.9's build 49 and
 * 1.21.9-rc1's build 36 (ALPHA). v3's builds endpoint answers a JSON array
 * of exactly these build objects (PaperMC/fill's Api3MetaController.getBuilds
 * maps each build as getBuild does), so each game's listing here is the
 * array of its recorded builds, each verbatim. An unknown game is v3's 404
 * with its error body (PaperMC/fill's ErrorResponse, VersionNotFoundException).
 */
const VERSIONS = "https://fill.papermc.io/v3/projects/paper/versions";
const recordedBuilds = (...files: string[]) => () => new HttpResponse(`[${files.map((f) => sample(`papermc/${f}`)).join(",")}]`, { headers: { "content-type": "application/json" } });
const routes = new Map<string, () => Response>([
  [`${VERSIONS}/1.21.6/builds`, recordedBuilds("v3-paper-1.21.6-build-46.json")],
  [`${VERSIONS}/1.21.8/builds`, recordedBuilds("v3-paper-1.21.8-build-60.json")],
  [`${VERSIONS}/1.21.9/builds`, recordedBuilds("v3-paper-1.21.9-build-49.json")],
  [`${VERSIONS}/1.21.9-rc1/builds`, recordedBuilds("v3-paper-1.21.9-rc1-build-36.json")],
  [`${VERSIONS}/1.21.99/builds`, () => new HttpResponse(sample("papermc/v3-error-version_not_found.json"), { status: 404, headers: { "content-type": "application/json" } })],
]);
const serverDownload = (file: string) => (JSON.parse(sample(`papermc/${file}`)) as { downloads: Record<string, { url: string; checksums: { sha256: string } }> }).downloads["server:default"]!;

describe("Paper resolution against PaperMC's recorded v3 answers", () => {
  // Every build's jar is a stand-in: the sha256 PaperMC publishes for it cannot match.
  const upstream = recordedResolution(routes, (url) => (/^https:\/\/fill-data\.papermc\.io\/v1\/objects\/[0-9a-f]{64}\/paper-[\w.-]+\.jar$/.test(url) ? standInJar(url, "io.papermc.paperclip.Main")() : undefined));
  const { requested } = upstream;
  const resolve = (minecraftVersion: string, loaderVersion?: string) =>
    resolvePaper(
      upstream.input(
        { type: "paper", minecraftVersion, loaderVersion, mods: [] },
        // Asked for only after the Paper jar's sha256 is checked, which a stand-in never passes.
        () => Promise.reject(new Error("Mojang's jar was asked for before the Paper jar's hash was checked")),
      ),
    );

  it("pins the newest STABLE build and checks its jar, at the URL v3 gives, against the sha256 v3 publishes", async () => {
    const jar = serverDownload("v3-paper-1.21.8-build-60.json");
    expect(jar.url).toBe("https://fill-data.papermc.io/v1/objects/8de7c52c3b02403503d16fac58003f1efef7dd7a0256786843927fa92ee57f1e/paper-1.21.8-60.jar");
    await expect(resolve("1.21.8")).rejects.toThrow(`hash mismatch for ${jar.url}: PaperMC publishes sha256 ${jar.checksums.sha256}, the file has `);
    expect(requested).toEqual([`${VERSIONS}/1.21.8/builds`, jar.url]);
  });

  it("passes over ALPHA builds: a game whose builds are all ALPHA is refused without downloading any", async () => {
    await expect(resolve("1.21.9")).rejects.toThrow(new ResolutionError("Paper has no stable (STABLE or RECOMMENDED channel) build of Minecraft 1.21.9."));
    await expect(resolve("1.21.9-rc1")).rejects.toThrow(new ResolutionError("Paper has no stable (STABLE or RECOMMENDED channel) build of Minecraft 1.21.9-rc1."));
    expect(requested).toEqual([`${VERSIONS}/1.21.9/builds`, `${VERSIONS}/1.21.9-rc1/builds`]);
  });

  it("pins an ALPHA build only when asked for it, by the hash its own entry publishes", async () => {
    const jar = serverDownload("v3-paper-1.21.9-build-49.json");
    await expect(resolve("1.21.9", "49")).rejects.toThrow(`hash mismatch for ${jar.url}: PaperMC publishes sha256 4cac1132df2c0998cdcd150a7b201acfea55ebe60b3325d388597934aa2bb1c7, the file has `);
  });

  it("refuses a build the listing does not hold, naming the ones it does", async () => {
    await expect(resolve("1.21.6", "40")).rejects.toThrow(new ResolutionError("Paper has no build 40 of Minecraft 1.21.6; its newest: 46."));
    expect(requested).toEqual([`${VERSIONS}/1.21.6/builds`]);
  });

  it("refuses a game PaperMC does not build, with the error v3 names in its 404", async () => {
    await expect(resolve("1.21.99")).rejects.toThrow(new ResolutionError("Paper does not build Minecraft 1.21.99 (PaperMC answered 404: version_not_found)."));
    expect(requested).toEqual([`${VERSIONS}/1.21.99/builds`]);
  });
});
