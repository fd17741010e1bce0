import { describe, expect, it } from "vitest";
import { InstallerRefusedError, readInstallProfile, storedZip } from "../src/index";

const text = (s: string) => new TextEncoder().encode(s);
const SHA1 = "a".repeat(40);
const lib = (name: string, path: string, url = `https://maven.neoforged.net/releases/${path}`) => ({ name, downloads: { artifact: { path, url, sha1: SHA1, size: 3 } } });
const PROFILE = {
  spec: 1,
  version: "neoforge-21.1.77",
  minecraft: "1.21.1",
  json: "/version.json",
  serverJarPath: "{LIBRARY_DIR}/net/minecraft/server/{MINECRAFT_VERSION}/server-{MINECRAFT_VERSION}.jar",
  data: { MC_UNPACKED: { client: "[x:y:1:c]", server: "[x:y:1:s]" } },
  processors: [
    { sides: ["server"], jar: "net.neoforged.installertools:installertools:2.1.2", args: ["--task", "EXTRACT_FILES"] },
    { sides: ["client"], jar: "net.neoforged.installertools:installertools:2.1.2", args: ["--task", "DOWNLOAD_MOJMAPS"] },
    { jar: "net.neoforged:binarypatcher:2.0.1:fatjar", args: ["--clean", "{MINECRAFT_JAR}"] },
  ],
  libraries: [lib("net.neoforged.installertools:installertools:2.1.2", "net/neoforged/installertools/installertools/2.1.2/installertools-2.1.2.jar")],
};
const VERSION = { mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher", libraries: [lib("org.ow2.asm:asm:9.7", "org/ow2/asm/asm/9.7/asm-9.7.jar", "https://libraries.minecraft.net/org/ow2/asm/asm/9.7/asm-9.7.jar")] };
const installer = (profile: unknown = PROFILE, version: unknown = VERSION) =>
  storedZip([
    { name: "install_profile.json", data: text(JSON.stringify(profile)) },
    { name: "version.json", data: text(JSON.stringify(version)) },
  ]);

describe("a NeoForge installer's install_profile.json and version.json, read within bounds", () => {
  it("gives the version, game, server jar path, every library once and only the server's processors", () => {
    const p = readInstallProfile(installer());
    expect(p).toMatchObject({ version: "21.1.77", minecraft: "1.21.1", mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher" });
    expect(p.libraries.map((l) => l.path)).toEqual(["net/neoforged/installertools/installertools/2.1.2/installertools-2.1.2.jar", "org/ow2/asm/asm/9.7/asm-9.7.jar"]);
    expect(p.processors.map((x) => x.args[1] ?? x.args[0])).toEqual(["EXTRACT_FILES", "{MINECRAFT_JAR}"]);
    expect(p.data).toEqual({ MC_UNPACKED: "[x:y:1:s]" });
  });

  it.each([
    ["a library path escaping libraries/", { ...PROFILE, libraries: [lib("a:b:1", "../../etc/passwd")] }, /unsafe path/],
    ["a library from another host", { ...PROFILE, libraries: [lib("a:b:1", "a/b/1/b-1.jar", "https://evil.example/a.jar")] }, /evil\.example, which is not NeoForge's or Mojang's/],
    ["a plain-http library", { ...PROFILE, libraries: [lib("a:b:1", "a/b/1/b-1.jar", "http://maven.neoforged.net/a.jar")] }, /unusable url/],
    ["a library without a sha1", { ...PROFILE, libraries: [{ name: "a:b:1", downloads: { artifact: { path: "a/b/1/b-1.jar", url: "", size: 1 } } }] }, /no usable sha1|sha1 is missing/],
    ["a server jar outside {LIBRARY_DIR}", { ...PROFILE, serverJarPath: "/etc/server.jar" }, /not under \{LIBRARY_DIR\}/],
    ["a server jar climbing out", { ...PROFILE, serverJarPath: "{LIBRARY_DIR}/../../x.jar" }, /not under \{LIBRARY_DIR\}/],
    ["a version file elsewhere", { ...PROFILE, json: "/../x.json" }, /unusable version file/],
    ["a processor jar that is not a coordinate", { ...PROFILE, processors: [{ jar: "../x", args: [] }] }, /unusable Maven coordinate/],
    ["too many libraries", { ...PROFILE, libraries: Array.from({ length: 1001 }, () => PROFILE.libraries[0]) }, /at most 1000 are read/],
  ])("refuses %s", (_what, profile, message) => {
    expect(() => readInstallProfile(installer(profile))).toThrow(message);
  });

  it("refuses what is not an installer: not a zip, no profile, a profile that is not JSON", () => {
    expect(() => readInstallProfile(text("not a zip"))).toThrow(InstallerRefusedError);
    expect(() => readInstallProfile(storedZip([{ name: "x", data: text("1") }]))).toThrow("the NeoForge installer has no install_profile.json.");
    expect(() => readInstallProfile(storedZip([{ name: "install_profile.json", data: text("{nope") }]))).toThrow(/is not a JSON object/);
  });

  it("refuses a profile past its size bound before reading it", () => {
    const big = storedZip([{ name: "install_profile.json", data: text(`{"pad":"${"x".repeat(4 * 1024 * 1024)}"}`) }]);
    expect(() => readInstallProfile(big)).toThrow(/at most 4194304 are read/);
  });
});
