import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { OFFLINE_MIRROR_DIR } from "@zlh/artifacts";

/** The build the resolver pins for `major` from the offline mirror (the newest GA release there) and its archive's sha512. */
export async function mirrorJava(major: number): Promise<{ release: string; sha512: string }> {
  const base = join(OFFLINE_MIRROR_DIR, `github.com/adoptium/temurin${major}-binaries/releases/download`);
  const version = (tag: string) => tag.match(/\d+/g)!.map(Number);
  const newer = (a: string, b: string) => { const [x, y] = [version(a), version(b)]; for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0); return 0; };
  const tag = (await readdir(base)).sort(newer).at(-1)!;
  const [file] = (await readdir(join(base, tag))).filter((f) => f.endsWith(".tar.gz.body"));
  return { release: decodeURIComponent(tag), sha512: createHash("sha512").update(await readFile(join(base, tag, file!))).digest("hex") };
}
