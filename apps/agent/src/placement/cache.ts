import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { sha1Hex, sha512Hex, type ArtifactSource } from "@zlh/artifacts";
import { OpFailure } from "../ops/opFailure";
import { writeFileAtomic } from "./atomicWrite";

/**
 * The host's content-addressed artifact cache (`<state>/cache/sha512/<hash>`):
 * each file is downloaded once per host and shared by every server. A file
 * enters the cache only after its size and hashes match the manifest, and an
 * entry is re-verified before use (once per change of its mtime), so a
 * corrupted entry is detected, dropped and fetched again.
 */
export class ArtifactCache {
  readonly #dir: string;
  readonly #verified = new Map<string, number>();

  constructor(
    stateDir: string,
    private readonly source: ArtifactSource,
    /** Told when a file is stored or dropped (the metrics' cache size). */
    private readonly onChange: () => void = () => {},
  ) {
    this.#dir = join(stateDir, "cache", "sha512");
  }

  pathOf(sha512: string): string {
    return join(this.#dir, sha512.slice(0, 2), sha512);
  }

  /** The cached file for `file`, fetched and verified if needed. */
  async ensure(file: Pinned): Promise<string> {
    const path = this.pathOf(file.sha512);
    const st = await stat(path).catch(() => null);
    if (st && this.#verified.get(path) === st.mtimeMs) return path;
    if (st) {
      if (st.size === file.size && sha512Hex(await readFile(path)) === file.sha512) {
        this.#verified.set(path, st.mtimeMs);
        return path;
      }
      await rm(path, { force: true }); // corrupted: never served, fetched again below
      this.onChange();
    }
    const bytes = await this.source.fetchBytes(file.url);
    verify(file, bytes);
    await mkdir(join(this.#dir, file.sha512.slice(0, 2)), { recursive: true });
    await writeFileAtomic(path, bytes);
    this.onChange();
    this.#verified.set(path, (await stat(path)).mtimeMs);
    return path;
  }
}

/** An upstream file pinned by size and hashes: a downloaded manifest file, the input of a built one, or a Java runtime (sha256: what Adoptium publishes). */
type Pinned = { url: string; size: number; sha512: string; sha1?: string; sha256?: string };

function verify(file: Pinned, bytes: Uint8Array): void {
  const problems: string[] = [];
  if (bytes.byteLength !== file.size) problems.push(`size ${bytes.byteLength} instead of ${file.size}`);
  else if (sha512Hex(bytes) !== file.sha512) problems.push("sha512 differs");
  else if (file.sha1 && sha1Hex(bytes) !== file.sha1) problems.push("sha1 differs");
  else if (file.sha256 && createHash("sha256").update(bytes).digest("hex") !== file.sha256) problems.push("sha256 differs");
  if (problems.length) throw new OpFailure("artifact_mismatch", `${file.url}: ${problems.join(", ")}; refused`, true);
}

