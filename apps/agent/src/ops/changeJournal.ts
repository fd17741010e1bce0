import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { manifestHash, type Manifest } from "@zlh/artifacts";

/**
 * The manifests of changes begun on a container and not known to have ended
 * in one manifest or the other, in the agent's own state
 * (`<state>/changes/<vmid>.json`). An attempt that dies part-way through
 * placing a change leaves that manifest's files on disk in no record; if the
 * change is then superseded (a stop, a delete, another change) the control
 * plane never sends that manifest again, so the agent keeps it here until a
 * placement has removed what it left (see placeRemovingAbandoned).
 */
interface JournalEntry {
  serverId: string;
  manifests: Manifest[];
}

const pathOf = (dir: string, vmid: number) => join(dir, `${vmid}.json`);

/** The abandoned manifests noted for this container and server, except `keep` (those about to be placed anyway). */
export async function abandonedManifests(dir: string | undefined, vmid: number, serverId: string, keep: Manifest[]): Promise<Manifest[]> {
  if (!dir) return [];
  const text = await readFile(pathOf(dir, vmid), "utf8").catch(() => null);
  if (text === null) return [];
  let entry: JournalEntry;
  try {
    entry = JSON.parse(text) as JournalEntry;
  } catch {
    return [];
  }
  // A VMID reused by another server after a destroy: what the old one left went with its container.
  if (entry.serverId !== serverId || !Array.isArray(entry.manifests)) return [];
  const kept = new Set(keep.map(manifestHash));
  return entry.manifests.filter((m) => !kept.has(manifestHash(m)));
}

/** Notes that `manifests` may have files on this container that no record lists; written before the first of them is. */
export async function noteAbandonable(dir: string | undefined, vmid: number, serverId: string, manifests: Manifest[]): Promise<void> {
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  const tmp = `${pathOf(dir, vmid)}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ serverId, manifests } satisfies JournalEntry));
  await rename(tmp, pathOf(dir, vmid));
}

/**
 * The container is in one manifest, which its record lists: nothing is left
 * to remove. Never fails the operation that got it there: a note left
 * behind only makes a later placement look for files that are not there.
 */
export async function clearAbandoned(dir: string | undefined, vmid: number): Promise<void> {
  if (dir) await rm(pathOf(dir, vmid), { force: true }).catch(() => undefined);
}
