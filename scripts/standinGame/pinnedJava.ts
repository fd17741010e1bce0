import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { ensureMachineJre } from "../offlineMirror/machineJre";

/** A Java build as the manifest pins it: what placement's marker names. */
export interface PinnedJava {
  release: string;
  sha512: string;
}

/** The game versions the offline mirror holds, and the Java feature release each one's version JSON names. */
export const MIRROR_JAVA_MAJORS = [17, 21, 25] as const;

const version = (tag: string) => tag.match(/\d+/g)!.map(Number);
function newer(a: string, b: string): number {
  const [x, y] = [version(a), version(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * The build the resolver pins for `major` from the offline mirror (the newest
 * GA release there) and its archive's sha512. Java 17 is the machine's JRE,
 * made on first use (scripts/offlineMirror/machineJre.ts).
 */
export async function pinnedJava(major: number): Promise<PinnedJava> {
  if (major === 17) {
    const jre = ensureMachineJre();
    return { release: jre.release, sha512: jre.sha512 };
  }
  const base = join(OFFLINE_MIRROR_DIR, `github.com/adoptium/temurin${major}-binaries/releases/download`);
  const tag = (await readdir(base)).sort(newer).at(-1);
  if (!tag) throw new Error(`the offline mirror has no Temurin ${major} release under ${base}`);
  const [file] = (await readdir(join(base, tag))).filter((f) => f.endsWith(".tar.gz.body"));
  if (!file) throw new Error(`the offline mirror's Temurin ${decodeURIComponent(tag)} has no .tar.gz archive`);
  return { release: decodeURIComponent(tag), sha512: createHash("sha512").update(await readFile(join(base, tag, file))).digest("hex") };
}
