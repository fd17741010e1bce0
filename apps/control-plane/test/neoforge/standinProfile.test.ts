import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildStandinNeoforge } from "../../../../scripts/standinGame/neoforgeInstaller";
import { mojangBundler } from "./mojangBundler";

interface Processor {
  sides?: string[];
  jar: string;
  args: string[];
}
interface Profile {
  minecraft: string;
  data: Record<string, { client: string; server: string }>;
  processors: Processor[];
}

const recorded = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../../../fixtures/upstream-samples/neoforge/21.1.226-install_profile.json"), "utf8")) as Profile;
const mojmaps = (p: Profile) => p.processors.find((proc) => proc.args.includes("DOWNLOAD_MOJMAPS"))!;

describe("the stand-in installer's profile, held to NeoForge 21.1.226's recorded one", () => {
  it("runs DOWNLOAD_MOJMAPS as the real profile does: on every side, with the same arguments, into {MOJMAPS}", async () => {
    const game = "1.20.1"; // another game than the recording's: only the versions may differ
    const neo = await buildStandinNeoforge({ version: "20.1.5", game, mojangInner: mojangBundler(game).inner });
    const standin = JSON.parse(new TextDecoder().decode(unzipSync(neo.installer)["install_profile.json"])) as Profile;
    const real = mojmaps(recorded);
    const ours = mojmaps(standin);
    expect(real.jar).toBe("net.neoforged.installertools:installertools:2.1.2");
    expect(ours.jar).toBe(real.jar);
    expect(real.sides).toBeUndefined();
    expect(ours.sides).toBeUndefined();
    const versionless = (p: Profile, args: string[]) => args.map((a) => a.replaceAll(p.minecraft, "<game>"));
    expect(versionless(standin, ours.args)).toEqual(versionless(recorded, real.args));
    expect(versionless(recorded, real.args)).toEqual(["--task", "DOWNLOAD_MOJMAPS", "--version", "<game>", "--side", "{SIDE}", "--output", "{MOJMAPS}"]);
    // {MOJMAPS} is a library path of the same shape: net.minecraft:<side>:<game>-<NeoForm build>:mappings@txt.
    const shape = (p: Profile) => Object.values(p.data.MOJMAPS!).map((v) => v.replace(p.minecraft, "<game>").replace(/-\d{8}\.\d{6}:/, "-<neoform>:"));
    expect(shape(standin)).toEqual(shape(recorded));
  });
});
