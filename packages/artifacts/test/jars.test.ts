import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { zipSync } from "fflate";
import { buildLauncherJar, buildLaunchJar, parseJavaManifest, renderJavaManifest, sha512Hex, zipEntries, zipEntry } from "../src/index";

const recipe = {
  mainClass: "net.fabricmc.loader.impl.launch.server.FabricServerLauncher",
  launchMainClass: "net.fabricmc.loader.impl.launch.knot.KnotServer",
  classPath: Array.from({ length: 8 }, (_, i) => `../../libraries/org/ow2/asm/asm-${i}/9.6/asm-${i}-9.6.jar`),
};

describe("built jars", () => {
  it("writes the manifest as java.util.jar.Manifest does: 72-byte lines, continuation lines starting with a space", () => {
    const text = renderJavaManifest([["Main-Class", recipe.mainClass], ["Class-Path", recipe.classPath.join(" ")]]);
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("Manifest-Version: 1.0");
    expect(lines.every((l) => Buffer.byteLength(l) <= 72)).toBe(true);
    expect(lines.filter((l) => l.startsWith(" ")).length).toBeGreaterThan(3);
    expect(text.endsWith("\r\n\r\n")).toBe(true);
    expect(parseJavaManifest(text).get("Class-Path")).toBe(recipe.classPath.join(" "));
  });

  it("builds the launch jar reproducibly, whatever the time zone or the clock", () => {
    const a = buildLaunchJar(recipe);
    const tz = process.env.TZ;
    process.env.TZ = "Pacific/Kiritimati";
    const b = buildLaunchJar(recipe);
    process.env.TZ = tz;
    expect(sha512Hex(b)).toBe(sha512Hex(a));
    expect(new TextDecoder().decode(zipEntry(a, "fabric-server-launch.properties")!)).toBe(`launch.mainClass=${recipe.launchMainClass}\n`);
    expect(parseJavaManifest(new TextDecoder().decode(zipEntry(a, "META-INF/MANIFEST.MF")!)).get("Main-Class")).toBe(recipe.mainClass);
  });

  it("builds the launcher as meta does: the installer's entries, then install.properties naming loader and game", async () => {
    const installer = zipSync({ "META-INF/MANIFEST.MF": new TextEncoder().encode("Manifest-Version: 1.0\r\nMain-Class: net.fabricmc.installer.ServerLauncher\r\n\r\n"), "a/B.class": new Uint8Array([1, 2, 3]) });
    const launcher = buildLauncherJar(installer, "0.16.5", "1.21.1");
    expect(zipEntries(launcher).map((e) => e.name)).toEqual(["META-INF/MANIFEST.MF", "a/B.class", "install.properties"]);
    expect(new TextDecoder().decode(zipEntry(launcher, "install.properties")!)).toBe("fabric-loader-version=0.16.5\ngame-version=1.21.1");
    expect(sha512Hex(buildLauncherJar(installer, "0.16.5", "1.21.1"))).toBe(sha512Hex(launcher));
    // Info-ZIP, an implementation that is not ours, finds every CRC and size right.
    const path = join(await mkdtemp(join(tmpdir(), "zlh-jar-")), "launcher.jar");
    await writeFile(path, launcher);
    expect(execFileSync("python3", ["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip())", path], { encoding: "utf8" }).trim()).toBe("None");
  });
});
