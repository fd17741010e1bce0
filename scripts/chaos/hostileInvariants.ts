import { constants, createReadStream } from "node:fs";
import { lstat, open, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createGunzip } from "node:zlib";
import { ownedByGuest, type Canary } from "./canary";
import type { Cluster } from "./cluster";
import type { HeartbeatWatch } from "./heartbeatWatch";
import type { HostileGuest } from "./hostileGuest";
import type { Check } from "./invariants";

/**
 * The first link or non-directory among the leading components of `rel`
 * under `rootfs` (lstat: nothing followed), or null if every one is a real
 * directory. The harness runs as host root: it must not follow a customer's
 * link any more than the agent may.
 */
async function linkOnTheWay(rootfs: string, rel: string): Promise<string | null> {
  const parts = rel.split("/");
  for (let i = 1; i < parts.length; i++) {
    const p = parts.slice(0, i).join("/");
    const st = await lstat(join(rootfs, p)).catch(() => null);
    if (!st) return null; // missing: nothing to follow
    if (!st.isDirectory()) return `${p} is ${st.isSymbolicLink() ? "a link" : "not a directory"}`;
  }
  return null;
}

/** A regular file inside a container read as host root may read it: no link followed, no FIFO or device opened, at most 1 MiB; else null. */
export async function readGuestFile(rootfs: string, rel: string): Promise<string | null> {
  if (await linkOnTheWay(rootfs, rel)) return null;
  const fh = await open(join(rootfs, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (!fh) return null;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > 1 << 20) return null;
    return (await fh.readFile()).toString("utf8");
  } finally {
    await fh.close();
  }
}

const EXPECTED: [string, "dir" | "file"][] = [
  ["srv/minecraft", "dir"],
  ["srv/minecraft/world", "dir"],
  ["srv/minecraft/logs", "dir"],
  ["srv/minecraft/.zlh", "dir"],
  ["srv/minecraft/logs/latest.log", "file"],
  ["srv/minecraft/server.properties", "file"],
  ["srv/minecraft/eula.txt", "file"],
  ["srv/minecraft/.zlh/manifest.json", "file"],
];

/** What a hostile customer left in a server's tree (a link, FIFO or device where a directory or file belongs), or null. */
export async function hostileResidue(rootfs: string): Promise<string | null> {
  for (const [rel, want] of EXPECTED) {
    const on = await linkOnTheWay(rootfs, rel);
    if (on) return on;
    const st = await lstat(join(rootfs, rel)).catch(() => null);
    if (st && !(want === "dir" ? st.isDirectory() : st.isFile())) return `${rel} is ${st.isSymbolicLink() ? "a link" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a device" : `not a ${want}`}`;
  }
  return null;
}

/** Whether the gzipped archive at `path` contains `needle` anywhere in its bytes (streamed, any size). */
async function archiveContains(path: string, needle: string): Promise<boolean> {
  const want = Buffer.from(needle);
  let tail = Buffer.alloc(0);
  let found = false;
  const gunzip = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) {
      const buf = Buffer.concat([tail, chunk as Buffer]);
      if (buf.includes(want)) {
        found = true;
        break;
      }
      tail = buf.subarray(Math.max(0, buf.length - want.length + 1));
    }
  } catch {
    // a truncated archive (a backup cut short): what was readable was searched
  }
  gunzip.destroy();
  return found;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** (11) and (12): nothing outside a container changed, and everyone else kept being served. */
export async function checkHostileInvariants(
  cluster: Cluster,
  canary: Canary,
  canaryBefore: string[],
  hostile: HostileGuest,
  watch: HeartbeatWatch,
): Promise<Check[]> {
  const after = await canary.listing();
  const v11 = [
    ...canaryBefore.filter((l) => !after.includes(l)).map((l) => `canary changed: ${l} is gone or different`),
    ...after.filter((l) => !canaryBefore.includes(l)).map((l) => `canary changed: now ${l}`),
  ];
  let looked = after.length;
  // Files the container's root uid owns outside every container tree: in each host's harness directory
  // (sim root, state, backups) and in the canary.
  const asRoot = process.getuid?.() === 0;
  for (const dir of asRoot ? [...cluster.hosts.map((h) => dirname(h.simRoot)), canary.dir] : []) {
    const sims = cluster.hosts.map((h) => h.simRoot);
    const inContainer = (p: string) => sims.some((s) => p.startsWith(`${s}/`) && /^\d+\/rootfs$/.test(p.slice(s.length + 1)));
    const { found, seen } = await ownedByGuest(dir, inContainer);
    looked += seen;
    v11.push(...found.map((p) => `${p} is owned by the container's root, outside any container`));
  }
  for (const h of cluster.hosts) {
    for (const f of await filesUnder(h.backupDir)) {
      looked++;
      if (f.endsWith(".tar.gz") && (await archiveContains(f, canary.secret))) v11.push(`backup ${f} holds the host canary's secret`);
    }
  }
  const checks: Check[] = [{ name: "11 nothing outside a container changed (canary, files owned by the container's root, backups)", checked: looked, violations: v11 }];

  const beats = watch.judge(hostile.windows);
  checks.push({
    name: `12 the agents kept beating through hostile faults (${hostile.windows.length} windows, ${hostile.targeted.size} servers targeted; the others judged by 4, 8 and 9 unexcused)`,
    checked: beats.checked,
    violations: beats.violations,
  });
  return checks;
}
