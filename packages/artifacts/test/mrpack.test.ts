import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildMrpack, packIndex, type PackSpec } from "@zlh/testing";
import { packEntryBytes, readPack, storedZip, zipDirectory } from "../src/index";

const text = (s: string) => new TextEncoder().encode(s);
const jar = (name: string) => text(`a jar standing for ${name}`);
const cdn = (name: string) => `https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/${name}`;

const good: PackSpec = {
  name: "Spec Pack",
  versionId: "2.0.0",
  files: [
    { path: "mods/lithium.jar", bytes: jar("lithium"), url: cdn("lithium.jar") },
    { path: "mods/sodium.jar", bytes: jar("sodium"), url: cdn("sodium.jar"), env: { client: "required", server: "unsupported" } },
    { path: "mods/optional.jar", bytes: jar("optional"), url: "https://github.com/o/r/releases/download/v1/optional.jar", env: { client: "optional", server: "optional" } },
    { path: "config/replaced.toml", bytes: text("from files[]"), url: "https://raw.githubusercontent.com/o/r/main/replaced.toml" },
  ],
  overrides: { "config/a.toml": "overrides a", "config/replaced.toml": "override wins", "config/both.toml": "overrides copy" },
  serverOverrides: { "config/both.toml": "server copy", "server.properties": "motd=pack" },
  clientOverrides: { "options.txt": "fov:90" },
};
const refusal = (spec: PackSpec) => () => readPack(buildMrpack(spec));

describe("reading .mrpack files to Modrinth's modpack format", () => {
  it("takes game, loader, server files and overrides; skips client-only files and client-overrides; server-overrides win", () => {
    const pack = readPack(buildMrpack(good));
    expect(pack).toMatchObject({ name: "Spec Pack", versionId: "2.0.0", game: "1.21.1", loader: { name: "fabric-loader", version: "0.16.5" } });
    expect(pack.downloads.map((d) => d.path)).toEqual(["mods/lithium.jar", "mods/optional.jar"]); // optional kept; files[] copy of an override dropped
    expect(pack.downloads[0]).toMatchObject({ url: cdn("lithium.jar"), size: jar("lithium").byteLength, sha1: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(pack.overrides.map((o) => [o.path, o.entry])).toEqual([
      ["config/a.toml", "overrides/config/a.toml"],
      ["config/both.toml", "server-overrides/config/both.toml"],
      ["config/replaced.toml", "overrides/config/replaced.toml"],
    ]);
    expect(pack.skipped).toEqual(["client-overrides/options.txt", "mods/sodium.jar", "server-overrides/server.properties"]);
    const bytes = buildMrpack(good);
    expect(new TextDecoder().decode(packEntryBytes(bytes, "server-overrides/config/both.toml"))).toBe("server copy");
    expect(readPack(bytes)).toEqual(readPack(buildMrpack(good))); // deterministic
  });

  it("cleans the pack's name and versionId as a game's log is: no escapes, control, tab or bidi characters, at most 256 characters", () => {
    const read = (name: string, versionId = "1.0.0") => readPack(buildMrpack({ ...good, name, versionId }));
    // An ESC sequence removed; BEL, newline, tab, C1 and the bidi overrides each shown as U+FFFD.
    expect(read("Evil\x1b[31m Pack\x07\nline2\ttab\u0085\u202egnp.exe\u2066x").name).toBe("Evil Pack\ufffd\ufffdline2\ufffdtab\ufffd\ufffdgnp.exe\ufffdx");
    expect(read("ok", "2.0\u202e1-\x00").versionId).toBe("2.0\ufffd1-\ufffd");
    // A lone surrogate (the JSON escape of one) is no character; a pair is kept.
    expect(read("a\ud800b \ud83d\ude00").name).toBe("a\ufffdb \ud83d\ude00");
    expect(read("n".repeat(256)).name).toBe("n".repeat(256));
    const long = read("x".repeat(254) + "\ud83d\ude00".repeat(1000)).name;
    expect([long.length, long.endsWith("x…"), long.slice(0, 254)]).toEqual([255, true, "x".repeat(254)]); // not half an emoji
    expect(read("v".repeat(300)).name).toBe(`${"v".repeat(255)}…`);
    expect(refusal({ ...good, name: " \t " })).toThrow(/has no name \(a non-empty string\)/);
    expect(refusal({ ...good, versionId: "" })).toThrow(/has no versionId/);
  });

  it("refuses what the format does not allow, each with its reason", () => {
    expect(() => readPack(text("not a zip at all"))).toThrow(/not a zip archive/);
    expect(() => readPack(storedZip([{ name: "readme.txt", data: text("hi") }]))).toThrow(/no modrinth.index.json/);
    const index = text(JSON.stringify(packIndex(good)));
    expect(() => readPack(storedZip([{ name: "modrinth.index.json", data: index }, { name: "modrinth.index.json", data: index }]))).toThrow(/modrinth.index.json 2 times/);
    expect(refusal({ ...good, index: { formatVersion: 2 } })).toThrow(/Unknown formatVersion 2; this platform reads formatVersion 1/);
    expect(refusal({ ...good, index: { game: "terraria" } })).toThrow(/game "terraria"; only "minecraft"/);
    const noSha1 = packIndex(good);
    (noSha1.files as { hashes: Record<string, string> }[])[0]!.hashes = { sha512: "a".repeat(128) };
    expect(refusal({ ...good, index: { files: noSha1.files } })).toThrow(/mods\/lithium.jar has no sha1 hash/);
    const noSha512 = packIndex(good);
    (noSha512.files as { hashes: Record<string, string> }[])[1]!.hashes = { sha1: "a".repeat(40) };
    expect(refusal({ ...good, index: { files: noSha512.files } })).toThrow(/mods\/sodium.jar has no sha512 hash/);
    const withPath = (path: string) => ({ files: [{ path, bytes: jar("x"), url: cdn("x.jar") }] });
    expect(refusal(withPath("../outside.jar"))).toThrow(/escapes the server directory/);
    expect(refusal(withPath("mods/../../etc/passwd"))).toThrow(/escapes the server directory/);
    expect(refusal(withPath("/etc/cron.d/x"))).toThrow(/is absolute/);
    expect(refusal(withPath("mods\\evil.jar"))).toThrow(/backslash/);
    expect(refusal(withPath("C:/Windows/evil.jar"))).toThrow(/drive letter/);
    expect(refusal(withPath(".zlh/manifest.json"))).toThrow(/\.zlh directory/);
    expect(refusal({ overrides: { "../escape.txt": "x" } })).toThrow(/escapes the server directory/);
    expect(refusal({ files: [good.files![0]!, good.files![0]!] })).toThrow(/lists "mods\/lithium.jar" twice/);
    expect(refusal({ files: [{ path: "mods/x.jar", bytes: jar("x"), url: "https://evil.example.com/x.jar" }] })).toThrow(/downloads from https:\/\/evil.example.com, which the format does not allow/);
    expect(refusal({ files: [{ path: "mods/x.jar", bytes: jar("x"), url: "http://cdn.modrinth.com/x.jar" }] })).toThrow(/which the format does not allow/);
    expect(refusal({ dependencies: { minecraft: "1.21.1" } })).toThrow(/exactly one loader/);
    expect(refusal({ dependencies: { minecraft: "1.21.1", "fabric-loader": "0.16.5", forge: "47.1.0" } })).toThrow(/exactly one loader/);
    expect(refusal({ dependencies: { "fabric-loader": "0.16.5" } })).toThrow(/does not name the minecraft version/);
    expect(refusal({ dependencies: { minecraft: "1.21.1", "liteloader": "1" } })).toThrow(/names "liteloader"/);
  });

  it("refuses symbolic links and zip bombs from the central directory, before inflating anything", () => {
    const link = buildMrpack({ ...good, entries: { "overrides/config/link": [text("/etc/shadow"), { os: 3, attrs: (0o120777 << 16) >>> 0 }] } });
    expect(() => readPack(link)).toThrow(/"overrides\/config\/link" is a symbolic link/);
    // 16 MiB of zeros deflates to ~16 KiB: a ratio a real pack never has.
    const bomb = buildMrpack({ ...good, entries: { "overrides/world/zeros.bin": new Uint8Array(16 * 1024 * 1024) } });
    expect(bomb.byteLength).toBeLessThan(1024 * 1024);
    expect(() => readPack(bomb)).toThrow(/inflates \d+ times .*refused as a zip bomb/);
  });

  it("inflates an entry no further than its declared size: a header that lies is refused", () => {
    const data = text("x".repeat(5000));
    const pack = storedZip([{ name: "modrinth.index.json", data: text("{}") }]);
    const dir = zipDirectory(pack);
    expect(dir).toHaveLength(1);
    // A deflated entry claiming 10 bytes whose stream inflates to 5000.
    const raw = deflateRawSync(data);
    const lying = lyingDeflatedZip("overrides/big.txt", raw, 10);
    expect(() => packEntryBytes(lying, "overrides/big.txt")).toThrow(/does not inflate to its declared 10 bytes/);
  });
});

/** A one-entry zip whose headers declare `declared` uncompressed bytes for a deflate stream of any length. */
function lyingDeflatedZip(name: string, raw: Uint8Array, declared: number): Uint8Array {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(raw.byteLength, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(raw.byteLength, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(n.length, 28);
  const body = Buffer.concat([local, n, raw]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(body.length, 16);
  return new Uint8Array(Buffer.concat([body, central, n, end]));
}
