import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildMrpack, packIndex, type PackSpec } from "@zlh/testing";
import { PACK_LIMITS, packEntryBytes, readEntryAsync, readPack, storedZip, zipDirectory } from "../src/index";

const text = (s: string) => new TextEncoder().encode(s);
const cdn = (name: string) => `https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/${name}`;
const base: PackSpec = { files: [{ path: "mods/a.jar", bytes: text("a"), url: cdn("a.jar") }], overrides: { "config/a.toml": "a = 1" } };

/** The pack's index with every file's declared size replaced (a pack may declare any fileSize; nothing is downloaded to read it). */
function declaring(count: number, fileSize: number): PackSpec {
  const files = Array.from({ length: count }, (_, i) => ({ path: `mods/m${i}.jar`, bytes: text(`m${i}`), url: cdn(`m${i}.jar`) }));
  const index = packIndex({ files });
  for (const f of index.files as { fileSize: number }[]) f.fileSize = fileSize;
  return { files, index: { files: index.files } };
}

/** `zip` with one more central directory record, a copy of `record` pointing at `offset`. */
function withExtraRecord(zip: Uint8Array, record: Buffer, offset: number): Uint8Array {
  const buf = Buffer.from(zip);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  const dirSize = buf.readUInt32LE(end + 12);
  const dirOffset = buf.readUInt32LE(end + 16);
  const extra = Buffer.from(record);
  extra.writeUInt32LE(offset, 42);
  const eocd = Buffer.from(buf.subarray(end, end + 22));
  eocd.writeUInt16LE(count + 1, 8);
  eocd.writeUInt16LE(count + 1, 10);
  eocd.writeUInt32LE(dirSize + extra.length, 12);
  return new Uint8Array(Buffer.concat([buf.subarray(0, dirOffset + dirSize), extra, eocd]));
}

/** The only central record of a one-entry zip, and its local part (header, name, data). */
function oneEntry(name: string, data: Uint8Array): { local: Buffer; record: Buffer } {
  const z = Buffer.from(storedZip([{ name, data }]));
  const end = z.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const dirOffset = z.readUInt32LE(end + 16);
  return { local: z.subarray(0, dirOffset), record: z.subarray(dirOffset, end) };
}

describe("the limits a pack is read within", () => {
  it("refuses a pack listing more files than are placed, or a file or files bigger than are downloaded", () => {
    expect(() => readPack(buildMrpack(declaring(PACK_LIMITS.maxFiles + 1, 10)))).toThrow(`The pack lists ${PACK_LIMITS.maxFiles + 1} files; at most ${PACK_LIMITS.maxFiles} are placed.`);
    expect(() => readPack(buildMrpack(declaring(1, PACK_LIMITS.maxFileBytes + 1)))).toThrow(`mods/m0.jar is ${PACK_LIMITS.maxFileBytes + 1} bytes; a pack file may be at most ${PACK_LIMITS.maxFileBytes}.`);
    expect(() => readPack(buildMrpack(declaring(9, PACK_LIMITS.maxFileBytes)))).toThrow(`The pack's files are ${9 * PACK_LIMITS.maxFileBytes} bytes together; at most ${PACK_LIMITS.maxDownloadBytes} are downloaded for one pack.`);
    expect(readPack(buildMrpack(declaring(8, PACK_LIMITS.maxFileBytes))).downloads).toHaveLength(8); // exactly 2 GiB is allowed
  });

  it("counts overrides with files[] against the file limit, and refuses a manifest too big to pin", () => {
    const overrides = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`config/c${i}.toml`, "x"]));
    const spec = declaring(PACK_LIMITS.maxFiles - 5, 10);
    expect(() => readPack(buildMrpack({ ...spec, overrides }))).toThrow(`The pack places ${PACK_LIMITS.maxFiles + 5} files (${PACK_LIMITS.maxFiles - 5} downloaded, 10 overrides); at most ${PACK_LIMITS.maxFiles} are placed.`);
    // 2000 files and 2500 overrides on long paths: within the file count, not within the manifest.
    const long = (i: number) => String(i).padStart(470, "p");
    const files = Array.from({ length: 2000 }, (_, i) => ({ path: `mods/${long(i)}.jar`, bytes: text(`l${i}`), url: cdn(`l${i}.jar`) }));
    const many = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`config/${long(i)}.toml`, "x"]));
    expect(() => readPack(buildMrpack({ files, overrides: many }))).toThrow(/The pack's files take \d+ bytes of manifest; at most 4194304 are pinned for one pack./);
  });

  it("refuses a path that is a file and another's folder, in files[] or the overrides, which could never be placed", () => {
    const fileThenInside = { files: [{ path: "config", bytes: text("c"), url: cdn("config") }], overrides: { "config/a.toml": "a = 1" } };
    expect(() => readPack(buildMrpack(fileThenInside))).toThrow('The pack places a file at "config" and another inside it, "config/a.toml"; a path cannot be both a file and a folder.');
    const jarAsFolder = { files: [{ path: "mods/a.jar", bytes: text("a"), url: cdn("a.jar") }], overrides: { "mods/a.jar/x": "x" } };
    expect(() => readPack(buildMrpack(jarAsFolder))).toThrow('The pack places a file at "mods/a.jar" and another inside it, "mods/a.jar/x"');
    // An override replacing a downloaded file on the same path is the format's rule, not a clash.
    expect(readPack(buildMrpack({ ...base, overrides: { "mods/a.jar": "replaced" } })).overrides.map((o) => o.path)).toEqual(["mods/a.jar"]);
  });

  it("refuses overrides bigger together than are placed from the archive", () => {
    // Random bytes do not compress, so no ratio check is what refuses them.
    const chunk = new Uint8Array(randomBytes(40 * 1024 * 1024));
    const entries = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`overrides/world/region${i}.mca`, [chunk, { level: 0 }] as [Uint8Array, { level: 0 }]]));
    expect(() => readPack(buildMrpack({ ...base, entries }))).toThrow(`The pack's overrides are ${7 * chunk.length + 5} bytes together; at most ${PACK_LIMITS.maxOverrideBytes} are placed from the archive.`);
  }, 60_000);

  it("refuses entries whose bytes overlap: one stream named twice cannot multiply past the ratio check", () => {
    const b = oneEntry("overrides/config/b.toml", text("b = 2"));
    // "a" is a stored entry whose data is b's whole local header and data: b's record then points into a's bytes.
    const zip = storedZip([{ name: "modrinth.index.json", data: text(JSON.stringify(packIndex(base))) }, { name: "overrides/config/a.bin", data: b.local }]);
    const a = zipDirectory(zip).find((e) => e.name === "overrides/config/a.bin")!;
    const overlapping = withExtraRecord(zip, b.record, a.dataOffset);
    expect(() => zipDirectory(overlapping)).toThrow(`The archive entries "overrides/config/a.bin" and "overrides/config/b.toml" overlap; refused.`);
  });

  it("refuses an entry whose local header disagrees with the central directory", () => {
    const zip = Buffer.from(storedZip([{ name: "modrinth.index.json", data: text("{}") }, { name: "overrides/x.txt", data: text("hello") }]));
    const at = zip.indexOf("overrides/x.txt") - 30; // the first copy of the name is the local header's
    zip.writeUInt32LE(4, at + 22); // the local header says 4 bytes, the central directory 5
    expect(() => zipDirectory(zip)).toThrow(`The archive entry "overrides/x.txt" has a local header that differs from the central directory; refused.`);
    const renamed = Buffer.from(storedZip([{ name: "modrinth.index.json", data: text("{}") }, { name: "overrides/x.txt", data: text("hello") }]));
    renamed.write("y", renamed.indexOf("overrides/x.txt") + "overrides/".length); // local name overrides/y.txt
    expect(() => zipDirectory(renamed)).toThrow(/has a local header that differs/);
  });

  it("judges the compression ratio of every entry over 64 KiB, and of the whole archive", () => {
    const zeros = (n: number) => new Uint8Array(n);
    // 200 KiB of zeros: under the old 1 MiB floor, it inflated ~1000 times unchecked.
    expect(() => readPack(buildMrpack({ ...base, entries: { "overrides/config/zeros.bin": zeros(200 * 1024) } }))).toThrow(/"overrides\/config\/zeros.bin" inflates \d+ times .*refused as a zip bomb/);
    // 400 entries of 60 KiB zeros each: every one under the floor, the archive as a whole a bomb.
    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`overrides/config/z${i}.bin`, zeros(60 * 1024)]));
    expect(() => readPack(buildMrpack({ ...base, entries: many }))).toThrow(/The archive inflates \d+ times its size .*refused as a zip bomb/);
  });

  it("inflates off the event loop to the same bytes, refusing the same lies", async () => {
    const bytes = buildMrpack({ ...base, overrides: { "config/big.txt": "line\n".repeat(10_000) } });
    const e = zipDirectory(bytes).find((x) => x.name === "overrides/config/big.txt")!;
    expect(Buffer.from(await readEntryAsync(bytes, e))).toEqual(Buffer.from(packEntryBytes(bytes, e.name)));
    // A record claiming fewer bytes than its stream inflates to: stopped at the claim, as the synchronous read is.
    await expect(readEntryAsync(bytes, { ...e, size: e.size - 1 })).rejects.toThrow(`does not inflate to its declared ${e.size - 1} bytes`);
  });

  it("keeps a file's further downloads as alternates, in order, and refuses more than five", () => {
    const index = packIndex(base);
    const file = (index.files as { downloads: string[] }[])[0]!;
    file.downloads = [cdn("a.jar"), "https://github.com/o/r/releases/download/v1/a.jar", "https://gitlab.com/o/r/-/raw/main/a.jar"];
    expect(readPack(buildMrpack({ ...base, index: { files: index.files } })).downloads[0]).toMatchObject({
      url: cdn("a.jar"),
      alternates: ["https://github.com/o/r/releases/download/v1/a.jar", "https://gitlab.com/o/r/-/raw/main/a.jar"],
    });
    file.downloads = Array.from({ length: 6 }, (_, i) => cdn(`a${i}.jar`));
    expect(() => readPack(buildMrpack({ ...base, index: { files: index.files } }))).toThrow("mods/a.jar has 6 downloads; at most 5 are tried.");
    file.downloads = [cdn("a.jar"), "https://evil.example.com/a.jar"];
    expect(() => readPack(buildMrpack({ ...base, index: { files: index.files } }))).toThrow(/evil.example.com, which the format does not allow/);
  });
});
