import { createHash } from "node:crypto";
import { zipSync } from "fflate";
import { HttpResponse } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { renderJavaManifest } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { ResolutionError } from "../src/fabric/errors";
import { checkPinnedBuild } from "../src/serverTypes/pinnedBuild";
import { resolvePurpur } from "../src/serverTypes/purpur";
import { recordedBody, recordedResolution, sample } from "./upstreamSamples";

/**
 * Purpur held against what api.purpurmc.org answers, derived from the
 * server that serves it, PurpurMC/papyrus (no public repository holds a
 * recorded answer; fixtures/upstream-samples/README.md names the source line
 * of each field): 1.20.4 lists 2174-2177 oldest first, 2177 failed (no jar,
 * `md5: null`), so papyrus's `latest` is 2176, not the newest listed; an
 * unknown version or build is papyrus's 404 with its `{"error": ...}` body.
 */
const API = "https://api.purpurmc.org/v2/purpur";
const GAME = "1.20.4";
const LISTING = `${API}/${GAME}`;
const BUILDS = ["2174", "2175", "2176", "2177"];

type BuildAnswer = { build: string; result: string; timestamp: number; md5: string | null };
const buildSample = (build: string) => JSON.parse(sample(`purpur/v2-purpur-${GAME}-${build}.json`)) as BuildAnswer;

/** The stand-in for every Purpur jar (the real ones are not recorded): a zip with no Paperclip download context. */
const standIn = zipSync({ "META-INF/MANIFEST.MF": new TextEncoder().encode(renderJavaManifest([["Main-Class", "io.papermc.paperclip.Main"]])), "stand-in.txt": new TextEncoder().encode("purpur") });
const standInMd5 = createHash("md5").update(standIn).digest("hex");

/** papyrus's download answer (BuildController.downloadBuild): the headers of the sample, the file named `<project>-<version>-<build>.<ext>`. */
const { headers: downloadHeaders } = JSON.parse(sample(`purpur/v2-purpur-${GAME}-2176-download.json`)) as { headers: Record<string, string> };
const download = (build: string) => () =>
  new HttpResponse(standIn, { headers: { ...downloadHeaders, "Content-Disposition": `attachment; filename="purpur-${GAME}-${build}.jar"`, "Content-Length": String(standIn.byteLength) } });

/** papyrus's 404s (exception/Advice.java): an unknown version, else an unknown build or a build with no jar to download. */
const notFound = (file: string) => () => new HttpResponse(sample(`purpur/${file}`), { status: 404, headers: { "content-type": "application/json" } });
const papyrusNotFound = (url: string) => {
  if (!url.startsWith(`${API}/`)) return undefined;
  return url.split("/")[5] === GAME ? notFound("error-build-not-found.json")() : notFound("error-version-not-found.json")();
};

const sampled = (): [string, () => Response][] => [
  [API, recordedBody("purpur/v2-purpur.json")],
  [LISTING, recordedBody(`purpur/v2-purpur-${GAME}.json`)],
  ...BUILDS.map((b): [string, () => Response] => [`${LISTING}/${b}`, recordedBody(`purpur/v2-purpur-${GAME}-${b}.json`)]),
  // A failed build has no jar: its download is papyrus's 404 (the fallback).
  ...BUILDS.filter((b) => buildSample(b).result === "SUCCESS").map((b): [string, () => Response] => [`${LISTING}/${b}/download`, download(b)]),
];
const routes = new Map(sampled());
/** This test's upstream answers `url` with `body` (as papyrus would, other data) instead of the sample. */
const answer = (url: string, body: object) => routes.set(url, () => HttpResponse.json(body));

describe("Purpur resolution against papyrus's answers (derived from its source)", () => {
  const upstream = recordedResolution(routes, papyrusNotFound);
  const { requested } = upstream;
  afterEach(() => {
    routes.clear();
    for (const [url, route] of sampled()) routes.set(url, route);
  });
  const resolve = (minecraftVersion: string, loaderVersion?: string) =>
    resolvePurpur(
      upstream.input(
        { type: "purpur", minecraftVersion, loaderVersion, mods: [] },
        // Asked for only after the Purpur jar's md5 and Paperclip context are checked, which a stand-in never passes.
        () => Promise.reject(new Error("Mojang's jar was asked for before the Purpur jar was checked")),
      ),
    );
  const checkPin = (minecraftVersion: string, loaderVersion: string) => checkPinnedBuild(upstream.source, { type: "purpur", minecraftVersion, loaderVersion });

  it("the samples hold papyrus's semantics: builds listed oldest first, failed ones too, and `latest` the newest that succeeded", () => {
    const listing = JSON.parse(sample(`purpur/v2-purpur-${GAME}.json`)) as { builds: { latest: string | null; all: string[] } };
    const answers = listing.builds.all.map(buildSample);
    expect(answers.map((b) => b.timestamp)).toEqual([...answers.map((b) => b.timestamp)].sort((a, b) => a - b));
    expect(answers.at(-1)).toMatchObject({ build: "2177", result: "FAILURE", md5: null });
    expect(listing.builds.latest).toBe(answers.filter((b) => b.result === "SUCCESS").at(-1)!.build);
    expect(downloadHeaders["Content-Disposition"]).toBe(`attachment; filename="purpur-${GAME}-2176.jar"`);
  });

  it("pins papyrus's latest build (2176), passing over the newest listed, which failed, and checks its jar against the md5 Purpur publishes", async () => {
    await expect(resolve(GAME)).rejects.toThrow(`hash mismatch for ${LISTING}/2176/download: Purpur publishes md5 ${buildSample("2176").md5}, the file has ${standInMd5}`);
    expect(requested).toEqual([LISTING, `${LISTING}/2176`, `${LISTING}/2176/download`]);
  });

  it("takes a jar whose md5 is the published one on to its Paperclip check", async () => {
    answer(`${LISTING}/2176`, { ...buildSample("2176"), md5: standInMd5 });
    await expect(resolve(GAME)).rejects.toThrow(new ResolutionError("Purpur build 2176 names no Mojang jar to patch (no META-INF/download-context)."));
  });

  it("pins an older build that succeeded when asked for it, by its own md5", async () => {
    await expect(resolve(GAME, "2175")).rejects.toThrow(`hash mismatch for ${LISTING}/2175/download: Purpur publishes md5 ${buildSample("2175").md5}, the file has `);
  });

  it("refuses a pinned build that failed (it has no jar) before anything is downloaded, at the create as at resolution", async () => {
    const message = "Purpur build 2177 of Minecraft 1.20.4 did not succeed (its result: FAILURE), so it has no jar.";
    await expect(resolve(GAME, "2177")).rejects.toThrow(new ResolutionError(message));
    expect(requested).toEqual([LISTING, `${LISTING}/2177`]);
    await expect(checkPin(GAME, "2177")).rejects.toThrow(new UnknownBuildError(message));
  });

  it("refuses a build Purpur does not list, naming the newest it does, without asking for it", async () => {
    await expect(resolve(GAME, "9999")).rejects.toThrow(new ResolutionError("Purpur has no build 9999 of Minecraft 1.20.4; its newest: 2177, 2176, 2175, 2174."));
    expect(requested).toEqual([LISTING]);
  });

  it("refuses a game Purpur does not build (papyrus's 404 `version not found`)", async () => {
    await expect(resolve("1.20.3")).rejects.toThrow(new ResolutionError("Purpur does not build Minecraft 1.20.3 (Purpur answered 404)."));
    await expect(checkPin("1.20.3", "2176")).rejects.toThrow(new UnknownBuildError("Purpur does not build Minecraft 1.20.3 (Purpur answered 404). No build 2176 of it can be pinned."));
  });

  it("refuses a version none of whose builds succeeded: papyrus's `latest` is null", async () => {
    answer(LISTING, { project: "purpur", version: GAME, builds: { latest: null, all: ["2177"] } });
    await expect(resolve(GAME)).rejects.toThrow(new ResolutionError("Purpur has no successful build of Minecraft 1.20.4."));
    expect(requested).toEqual([LISTING]);
  });

  it("refuses a pinned build listed as a success with no jar (md5 null: its download is papyrus's 404), saying so", async () => {
    answer(`${LISTING}/2175`, { ...buildSample("2175"), md5: null });
    await expect(resolve(GAME, "2175")).rejects.toThrow(new ResolutionError("Purpur build 2175 of Minecraft 1.20.4 succeeded but has no jar (Purpur publishes no md5 for it)."));
    expect(requested).toEqual([LISTING, `${LISTING}/2175`]);
  });
});
