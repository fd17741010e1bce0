import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { openExecutableJar, refuseJar, type JarLaunchDecision } from "../jvmJar";
import { zipEntry } from "../zip";
import { paperclipCachePath, readDownloadContext, readFileEntries, readMainClass, readPatches, type PatchEntry } from "./paperclipJar";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const network = (reason: string): JarLaunchDecision => ({ launches: false, needsNetwork: true, reason });

/**
 * What `java -jar paper.jar nogui` decides in `dir` before the game runs,
 * step by step as PaperMC/Paperclip's Paperclip.setupClasspath does it:
 *  - the JVM's checks of the jar (openExecutableJar); a working directory
 *    containing `!` is refused;
 *  - META-INF/patches.list without META-INF/download-context is refused;
 *  - the download context names the original (Mojang's) jar: unless
 *    `cache/<file>` exists with its sha256, Paperclip DOWNLOADS it: the one
 *    step that needs the network, so a first boot is offline only when the
 *    manifest pre-placed that jar;
 *  - every versions.list and libraries.list entry comes from a patch, is in
 *    place with its hash, or is extracted from Paperclip's own jar or the
 *    original one (checked against its hash); every patch's input (in the
 *    original jar) and patch file (in Paperclip's) must exist with their
 *    hashes. Extraction and patching are local;
 *  - META-INF/main-class names the game's main class.
 * The simulated server (apps/agent/src/sim/mcServer.pl) makes the same decision.
 */
export async function paperclipLaunchDecision(dir: string, jar: string): Promise<JarLaunchDecision> {
  const opened = await openExecutableJar(dir, jar);
  if ("launches" in opened) return opened;
  if (dir.includes("!")) return refuseJar("Paperclip may not run in a directory containing '!'. Please rename the affected folder.");
  const ours = opened.bytes;
  let original: Uint8Array | null = null;
  try {
    const patches = readPatches(ours);
    const context = readDownloadContext(ours);
    if (patches.length > 0 && !context) return refuseJar("patches.list file found without a corresponding original-url file");
    if (context) {
      original = await readFile(join(dir, paperclipCachePath(context))).catch(() => null);
      if (!original || sha256(original) !== context.sha256) return network(`Downloading ${context.fileName}: ${paperclipCachePath(context)} is missing or its sha256 differs`);
    }
    for (const list of ["versions", "libraries"] as const) {
      for (const entry of readFileEntries(ours, list) ?? []) {
        if (patches.some((p) => p.location === list && p.outputPath === entry.path)) continue;
        const placed = await readFile(join(dir, list, entry.path)).catch(() => null);
        if (placed && sha256(placed) === entry.sha256) continue;
        const inside = zipEntry(ours, `META-INF/${list}/${entry.path}`) ?? (original ? zipEntry(original, `META-INF/${list}/${entry.path}`) : null);
        if (!inside) return refuseJar(`${entry.path} not found in our jar or in the original jar`);
        if (sha256(inside) !== entry.sha256) return refuseJar(`Hash check failed for extract filed ${join(dir, list, entry.path)}`);
      }
    }
    for (const patch of patches) {
      const refusal = await patchRefusal(dir, ours, original!, patch);
      if (refusal) return refuseJar(refusal);
    }
  } catch (err) {
    return refuseJar((err as Error).message);
  }
  const mainClass = readMainClass(ours)?.trim();
  if (!mainClass) return refuseJar("Failed to read main-class file");
  return { launches: true, jar, mainClass };
}

/** PatchEntry.applyPatch's checks before it patches: already applied, or its input and patch are there with their hashes. */
async function patchRefusal(dir: string, ours: Uint8Array, original: Uint8Array, p: PatchEntry): Promise<string | null> {
  const output = await readFile(join(dir, p.location, p.outputPath)).catch(() => null);
  if (output && sha256(output) === p.outputHash) return null;
  const input = zipEntry(original, `META-INF/${p.location}/${p.originalPath}`);
  if (!input) return `Input file not found: /META-INF/${p.location}/${p.originalPath}`;
  if (sha256(input) !== p.originalHash) return `Hash check of input file failed for /META-INF/${p.location}/${p.originalPath}`;
  const patch = zipEntry(ours, `META-INF/${p.location}/${p.patchPath}`);
  if (!patch) return `Patch file not found: /META-INF/${p.location}/${p.patchPath}`;
  if (sha256(patch) !== p.patchHash) return `Hash check of patch file failed for /META-INF/${p.location}/${p.patchPath}`;
  return null;
}
