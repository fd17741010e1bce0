import { createHash } from "node:crypto";
import { renderJavaManifest, storedZip, zipEntry } from "@zlh/artifacts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const text = (s: string) => new TextEncoder().encode(s);

/** The header of a stand-in patch (tools/standin-server/src/Paperclip.java, STANDIN_PATCH); the rest is the patched jar. */
const STANDIN_PATCH = "ZLH-STANDIN-BSDIFF\n";

/** A stand-in patch whose output is `patched`: what the stand-in Paperclip applies where the real one applies a bsdiff. */
export const standinPatch = (patched: Uint8Array): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from(STANDIN_PATCH, "ascii"), patched]));
/** io.papermc.paperclip.Main: the Main-Class of every Paperclip jar, which the stand-in server recognises. */
const PAPERCLIP_MAIN = "io.papermc.paperclip.Main";

export interface StandinPaperclip {
  /** The jar, as PaperMC would serve it for v3's `downloads["server:default"]`. */
  jar: Uint8Array;
  /** What its patch makes, at versions/<game>/paper-<game>.jar. */
  patched: { path: string; bytes: Uint8Array };
  /** The one library it carries, extracted to libraries/<path>. */
  library: { path: string; bytes: Uint8Array };
}

/**
 * A Paper jar for the stand-in Paperclip (tools/standin-server/src/Paperclip.java),
 * laid out as PaperMC's paperclip task lays one out: a download context
 * naming Mojang's jar (its sha256, URL, `mojang_<game>.jar`); a patch from
 * the game's jar inside Mojang's bundler (META-INF/versions/<game>/server-<game>.jar)
 * to versions/<game>/paper-<game>.jar, in the stand-in patch format, with
 * every hash the real patches.list carries; versions.list naming the patched
 * jar; a library inside it listed in libraries.list; and META-INF/main-class.
 * Built at test time from the Mojang jar the manifest places, so the hashes
 * are that jar's: the same Paperclip checks pass or refuse as with PaperMC's.
 */
export function standinPaperclipJar(mojang: { url: string; bytes: Uint8Array }, game: string, build: number): StandinPaperclip {
  const input = zipEntry(mojang.bytes, `META-INF/versions/${game}/server-${game}.jar`);
  if (!input) throw new Error(`Mojang's ${game} jar is not a bundler (no META-INF/versions/${game}/server-${game}.jar)`);
  const patched = storedZip([
    { name: "META-INF/MANIFEST.MF", data: text(renderJavaManifest([["Main-Class", "net.minecraft.server.Main"]])) },
    { name: "zerolaghub-standin.txt", data: text(`paper ${game} build ${build}, patched by the stand-in Paperclip (not the game)\n`) },
  ]);
  const patch = standinPatch(patched);
  const library = { path: "io/papermc/standin/standin-library/1.0/standin-library-1.0.jar", bytes: storedZip([{ name: "standin-library.txt", data: text("a library Paperclip extracts\n") }]) };
  const jar = storedZip([
    { name: "META-INF/MANIFEST.MF", data: text(renderJavaManifest([["Main-Class", PAPERCLIP_MAIN]])) },
    { name: "META-INF/download-context", data: text(`${sha256(mojang.bytes)}\t${mojang.url}\tmojang_${game}.jar`) },
    {
      name: "META-INF/patches.list",
      data: text(`versions\t${sha256(input)}\t${sha256(patch)}\t${sha256(patched)}\t${game}/server-${game}.jar\t${game}/paper-${game}.jar.patch\t${game}/paper-${game}.jar\n`),
    },
    { name: `META-INF/versions/${game}/paper-${game}.jar.patch`, data: patch },
    { name: "META-INF/versions.list", data: text(`${sha256(patched)}\tpaper-${game}\t${game}/paper-${game}.jar\n`) },
    { name: "META-INF/libraries.list", data: text(`${sha256(library.bytes)}\tio.papermc.standin:standin-library:1.0\t${library.path}\n`) },
    { name: `META-INF/libraries/${library.path}`, data: library.bytes },
    { name: "META-INF/main-class", data: text("io.papermc.paper.PaperBootstrap") },
  ]);
  return { jar, patched: { path: `versions/${game}/paper-${game}.jar`, bytes: patched }, library: { path: `libraries/${library.path}`, bytes: library.bytes } };
}
