import { PackRefusedError, readEntry, zipDirectory } from "../mrpack/boundedZip";
import { INSTALLER_ZIP_LIMITS, InstallerRefusedError, type InstallerProcessor } from "./installProfile";

/** Where neoforged/LegacyInstaller's processor steps are compiled to, in its jar. */
const POST_PROCESSORS = "net/minecraftforge/installer/actions/PostProcessors.class";
/** What it logs when it finds the mappings locally and skips DOWNLOAD_MOJMAPS (commit 3df82a1, 2024-04-12, on): a string constant of that class. */
const MOJMAPS_SKIP = "Skipping mojmaps download due to local cache hit.";
/** PostProcessors is some KiB; more is not that class. */
const MAX_CLASS_BYTES = 1024 * 1024;

/** A server-side processor (readInstallProfile keeps only those) that is the installer's DOWNLOAD_MOJMAPS step: it fetches Mojang's server mappings. */
export function downloadsMojmaps(p: InstallerProcessor): boolean {
  const task = p.args.indexOf("--task");
  return task >= 0 && p.args[task + 1] === "DOWNLOAD_MOJMAPS";
}

/**
 * Whether the installer skips DOWNLOAD_MOJMAPS when it finds Mojang's
 * mappings in its local source, which an install with no network needs.
 * Older installers lack the skip (and would download them): found from
 * the jar itself, by the skip's log line, which javac stores as a
 * CONSTANT_Utf8 in PostProcessors' constant pool (tag 1, a big-endian
 * length, the bytes; ASCII is the same in Java's modified UTF-8), so one
 * bounded read of that entry answers it. No such class: no such skip.
 */
export function installerSkipsLocalMojmaps(installer: Uint8Array): boolean {
  let cls: Uint8Array;
  try {
    const entry = zipDirectory(installer, INSTALLER_ZIP_LIMITS).find((e) => e.name === POST_PROCESSORS);
    if (!entry) return false;
    if (entry.size > MAX_CLASS_BYTES) throw new InstallerRefusedError(`the NeoForge installer's ${POST_PROCESSORS} is ${entry.size} bytes; at most ${MAX_CLASS_BYTES} are read.`);
    cls = readEntry(installer, entry);
  } catch (err) {
    if (err instanceof PackRefusedError) throw new InstallerRefusedError(`the NeoForge installer is not a readable jar: ${err.message}`);
    throw err;
  }
  const line = new TextEncoder().encode(MOJMAPS_SKIP);
  const constant = Buffer.concat([Buffer.from([1, line.byteLength >> 8, line.byteLength & 0xff]), line]);
  return Buffer.from(cls.buffer, cls.byteOffset, cls.byteLength).includes(constant);
}
