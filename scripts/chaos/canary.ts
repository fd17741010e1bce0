import { createHash } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The uid a container's root has on the host (an unprivileged container's, as the sim runtime makes them when run as root). */
export const GUEST_UID = 100_000;

/**
 * Host files a hostile customer aims its links at: a directory the harness
 * creates outside every container, readable by the container's root as most
 * of a host is (/etc, a backup tree), with a world-writable sticky `tmp/` and
 * a world-writable file as /tmp and some host logs are. Nothing may change it,
 * and its secret must never reach a backup: the agent and the customer's own
 * server (the sim confines it) resolve the customer's links inside the
 * container or refuse them.
 */
export class Canary {
  private constructor(
    readonly dir: string,
    readonly secret: string,
  ) {}

  static async create(seed: number): Promise<Canary> {
    const dir = await mkdtemp(join(tmpdir(), "zlh-chaos-canary-"));
    await chmod(dir, 0o755); // reachable by the container's root, as a host path would be
    const secret = `ZLH-CANARY-SECRET-${seed}-${createHash("sha256").update(dir).digest("hex").slice(0, 16)}`;
    const files: [string, string, number][] = [
      ["secret.txt", `${secret}\n`, 0o644],
      ["server.properties", `server-port=1\nmotd=${secret}\n`, 0o644],
      ["eula.txt", "eula=true\n", 0o644],
      ["world/level.dat", secret, 0o644],
      ["world/region/r.0.0.mca", secret.repeat(64), 0o644],
      ["logs/latest.log", `[00:00:00] [main/INFO]: ${secret}\n`, 0o644],
      [".zlh/manifest.json", JSON.stringify({ manifestHash: secret, files: [] }), 0o644],
      ["shared.log", "a world-writable host file\n", 0o666],
    ];
    for (const [path, text, mode] of files) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), text);
      await chmod(join(dir, path), mode);
    }
    await mkdir(join(dir, "tmp"));
    await chmod(join(dir, "tmp"), 0o1777);
    // Not root: the customer's root is the harness's own user, whom no mode stops; everything read-only
    // at least keeps the customer's server (unconfined then) from writing through a link.
    if (process.getuid?.() !== 0) for (const p of ["tmp", "world/region", "world", "logs", ".zlh", ""]) await chmod(join(dir, p), 0o555);
    if (process.getuid?.() !== 0) for (const [path] of files) await chmod(join(dir, path), 0o444);
    return new Canary(dir, secret);
  }

  /** Paths a link may point at: the directory, its subdirectories and its files. */
  targets(): string[] {
    return ["", "world", "logs", "tmp", ".zlh", "secret.txt", "server.properties", "eula.txt", "shared.log", "logs/latest.log", ".zlh/manifest.json"].map((p) => join(this.dir, p));
  }

  /** Every entry (name, type, size, mode, owner, mtime, sha256 of a file's bytes), sorted: compared whole at the end. */
  async listing(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string) => {
      const st = await lstat(join(this.dir, rel));
      const type = st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "link" : "other";
      const sum = st.isFile() ? createHash("sha256").update(await readFile(join(this.dir, rel))).digest("hex") : "-";
      out.push(`${rel || "."} ${type} size=${st.size} mode=${st.mode.toString(8)} owner=${st.uid}:${st.gid} mtime=${st.mtimeMs} sha256=${sum}`);
      if (st.isDirectory()) for (const n of (await readdir(join(this.dir, rel))).sort()) await walk(rel ? join(rel, n) : n);
    };
    await walk("");
    return out;
  }
}

/**
 * Entries under `dir` owned by the container's root uid, not following
 * links and not descending into `skip` (a sim root's container trees, which
 * are the customer's). Bounded: at most `limit` entries are looked at.
 */
export async function ownedByGuest(dir: string, skip: (path: string) => boolean, limit = 200_000): Promise<{ found: string[]; seen: number }> {
  const found: string[] = [];
  let seen = 0;
  const walk = async (path: string) => {
    if (seen++ >= limit || skip(path)) return;
    const st = await lstat(path).catch(() => null);
    if (!st) return;
    if (st.uid === GUEST_UID || st.gid === GUEST_UID) found.push(path);
    if (st.isDirectory()) for (const n of await readdir(path).catch(() => [] as string[])) await walk(join(path, n));
  };
  await walk(dir);
  return { found, seen };
}
