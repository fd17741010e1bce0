import { describe, expect, it } from "vitest";
import { chooseNeoforge, metadataVersions, NeoforgeVersionError, parseNeoforgeVersion } from "../src/index";

/** maven-metadata.xml in Maven's shape, as maven.neoforged.net serves it: oldest first, betas among releases. */
const METADATA = `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>net.neoforged</groupId>
  <artifactId>neoforge</artifactId>
  <versioning>
    <latest>26.1.0.3-beta</latest>
    <release>26.1.0.3-beta</release>
    <versions>
      <version>20.2.3-beta</version>
      <version>20.2.93</version>
      <version>21.0.167</version>
      <version>21.1.1-beta</version>
      <version>21.1.9</version>
      <version>21.1.77</version>
      <version>21.1.100</version>
      <version>21.2.1-beta</version>
      <version>26.1.0.3-beta</version>
      <version>not-a-version</version>
    </versions>
    <lastUpdated>20261201000000</lastUpdated>
  </versioning>
</metadata>`;

describe("NeoForge versions (maven-metadata.xml, NeoForge's versioning)", () => {
  it("maps a NeoForge version to its game: X.Y.build is 1.X.Y, X.0 is 1.X, four parts are a year-based game", () => {
    expect(parseNeoforgeVersion("21.1.77")?.game).toBe("1.21.1");
    expect(parseNeoforgeVersion("21.0.167")?.game).toBe("1.21");
    expect(parseNeoforgeVersion("20.2.3-beta")).toMatchObject({ game: "1.20.2", beta: true });
    expect(parseNeoforgeVersion("26.1.0.3-beta")).toMatchObject({ game: "26.1", beta: true });
    expect(parseNeoforgeVersion("26.1.1.4")?.game).toBe("26.1.1");
    for (const bad of ["47.1.3", "21.1", "21.1.77-rc", "x.1.2", "21.1.77.1", "26.1.3", ""]) expect(parseNeoforgeVersion(bad)).toBeNull();
  });

  it("reads every listed version, and what is not a version is skipped, not interpreted", () => {
    expect(metadataVersions(METADATA)).toContain("21.1.100");
    expect(metadataVersions(METADATA)).toHaveLength(10);
    expect(() => metadataVersions("<metadata></metadata>")).toThrow(NeoforgeVersionError);
    expect(() => metadataVersions(`<versions>${" ".repeat(3 * 1024 * 1024)}</versions>`)).toThrow(/over/);
  });

  it("chooses the newest release by number, not by listing order or string order, and never a beta unpinned", () => {
    const listed = metadataVersions(METADATA);
    expect(chooseNeoforge(listed, "1.21.1").version).toBe("21.1.100"); // "21.1.77" > "21.1.100" as strings
    expect(chooseNeoforge([...listed].reverse(), "1.21.1").version).toBe("21.1.100");
    expect(chooseNeoforge(listed, "1.21").version).toBe("21.0.167");
    expect(() => chooseNeoforge(listed, "1.21.2")).toThrow("NeoForge has only beta builds for Minecraft 1.21.2; pin one with loaderVersion to run it.");
    expect(() => chooseNeoforge(listed, "1.19.2")).toThrow("NeoForge has no build for Minecraft 1.19.2.");
  });

  it("takes a pin only when it is listed and for the requested game", () => {
    const listed = metadataVersions(METADATA);
    expect(chooseNeoforge(listed, "1.21.1", "21.1.77").version).toBe("21.1.77");
    expect(chooseNeoforge(listed, "1.21.2", "21.2.1-beta").beta).toBe(true);
    expect(() => chooseNeoforge(listed, "1.21.1", "21.1.78")).toThrow("NeoForge has no build 21.1.78.");
    expect(() => chooseNeoforge(listed, "1.21.1", "21.0.167")).toThrow("NeoForge 21.0.167 is built for Minecraft 1.21, not 1.21.1.");
    expect(() => chooseNeoforge(listed, "1.21.1", "../../x")).toThrow(/is not a NeoForge version/);
  });
});
