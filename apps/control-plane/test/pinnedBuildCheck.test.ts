import { describe, expect, it } from "vitest";
import type { ArtifactSource } from "@zlh/artifacts";
import { UnknownBuildError, UpstreamUnavailableError } from "@zlh/domain";
import { checkPinnedBuild } from "../src/serverTypes/pinnedBuild";

/** PaperMC's v3 builds listing (fill.papermc.io/v3/projects/paper/versions/<game>/builds), cut to what the lookup reads. */
const LISTING = [132, 131].map((id) => ({
  id,
  channel: "STABLE",
  downloads: { "server:default": { name: `paper-1.21.1-${id}.jar`, checksums: { sha256: "0".repeat(64) }, url: `https://fill-data.papermc.io/v1/objects/${"0".repeat(64)}/paper-1.21.1-${id}.jar` } },
}));

/** A source whose answers the test holds: `answer` decides each fetch; every URL asked is kept. */
function source(answer: (url: string) => Promise<unknown>): ArtifactSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    kind: "upstream",
    asked,
    fetchJson: async <T>(url: string) => {
      asked.push(url);
      return (await answer(url)) as T;
    },
    fetchBytes: async () => {
      throw new Error("no bytes are fetched to check a build");
    },
  };
}

describe("the pin check a create or change makes before it writes", () => {
  it("answers 503 unavailable within its deadline when the upstream keeps the request waiting", async () => {
    const hung = source(() => new Promise(() => {}));
    const started = Date.now();
    const err = await checkPinnedBuild(hung, { type: "paper", minecraftVersion: "1.21.1", loaderVersion: "131" }, 200).catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect(err.message).toBe("The paper builds of Minecraft 1.21.1 did not come within 0.2 s; try again.");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("asks the upstream once for concurrent and repeated checks of a listed build", async () => {
    const up = source(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return LISTING;
    });
    const check = () => checkPinnedBuild(up, { type: "paper", minecraftVersion: "1.21.1", loaderVersion: "132" });
    await Promise.all(Array.from({ length: 10 }, check));
    await check();
    expect(up.asked).toHaveLength(1);
  });

  it("asks again after a refusal or a failure: only a listed build is remembered", async () => {
    let down = true;
    const up = source(async () => {
      if (down) throw new Error("unreachable");
      return LISTING;
    });
    const pin = { type: "paper" as const, minecraftVersion: "1.21.1", loaderVersion: "999" };
    down = false;
    await expect(checkPinnedBuild(up, pin)).rejects.toBeInstanceOf(UnknownBuildError);
    await expect(checkPinnedBuild(up, pin)).rejects.toBeInstanceOf(UnknownBuildError);
    expect(up.asked).toHaveLength(2);
    down = true;
    await expect(checkPinnedBuild(up, { ...pin, loaderVersion: "131" })).rejects.toThrow("unreachable");
    down = false;
    await checkPinnedBuild(up, { ...pin, loaderVersion: "131" });
    expect(up.asked).toHaveLength(4);
  });
});
