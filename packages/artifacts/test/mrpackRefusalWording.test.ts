import { describe, expect, it } from "vitest";
import { buildMrpack, packIndex, type PackSpec } from "@zlh/testing";
import { readPack } from "../src/index";

const text = (s: string) => new TextEncoder().encode(s);
const pack: PackSpec = { files: [{ path: "mods/lithium.jar", bytes: text("a jar"), url: "https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/lithium.jar" }] };

/** The pack's one file with `change` applied to its index entry, read. */
function readWithFile(change: (f: Record<string, unknown>) => void) {
  const index = packIndex(pack);
  change((index.files as Record<string, unknown>[])[0]!);
  return () => readPack(buildMrpack({ ...pack, index: { files: index.files } }));
}

describe("a pack's refusals say what is wrong, not that something is missing", () => {
  it("a fileSize that is there but not a size says what it is", () => {
    expect(readWithFile((f) => (f.fileSize = -1))).toThrow(/^mods\/lithium.jar has fileSize -1; it must be a whole number of bytes, 0 or more\.$/);
    expect(readWithFile((f) => (f.fileSize = 1.5))).toThrow(/has fileSize 1.5; it must be a whole number/);
    expect(readWithFile((f) => (f.fileSize = "12"))).toThrow(/has fileSize "12"; it must be a whole number/);
    // Past every limit: the limit is the reason.
    expect(readWithFile((f) => (f.fileSize = 1e300))).toThrow(/^mods\/lithium.jar is 1e\+300 bytes; a pack file may be at most 268435456\.$/);
    expect(readWithFile((f) => delete f.fileSize)).toThrow(/^mods\/lithium.jar has no fileSize\.$/);
  });

  it("a malformed hash is called malformed, a missing one missing", () => {
    expect(readWithFile((f) => ((f.hashes as Record<string, unknown>).sha1 = "ABC"))).toThrow(/^mods\/lithium.jar has a malformed sha1 hash "ABC": it must be 40 lowercase hexadecimal digits\.$/);
    expect(readWithFile((f) => ((f.hashes as Record<string, unknown>).sha512 = 7))).toThrow(/has a malformed sha512 hash 7: it must be 128 lowercase hexadecimal digits/);
    expect(readWithFile((f) => delete (f.hashes as Record<string, unknown>).sha1)).toThrow(/has no sha1 hash \(the format requires sha1 and sha512\)/);
  });

  it("skips a pack's user_jvm_args.txt as it skips server.properties (the JVM's arguments are the platform's), and refuses a download of it", () => {
    const read = readPack(buildMrpack({ ...pack, overrides: { "user_jvm_args.txt": "-Xmx8G\n", "config/a.toml": "a" }, serverOverrides: { "user_jvm_args.txt": "-Xmx4G\n" } }));
    expect(read.overrides.map((o) => o.path)).toEqual(["config/a.toml"]);
    expect(read.skipped).toEqual(["overrides/user_jvm_args.txt", "server-overrides/user_jvm_args.txt"]);
    const download = { files: [{ path: "user_jvm_args.txt", bytes: text("-Xmx8G"), url: "https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/user_jvm_args.txt" }] };
    expect(() => readPack(buildMrpack(download))).toThrow(/^The pack downloads user_jvm_args.txt, whose JVM arguments are the platform's/);
  });
});
