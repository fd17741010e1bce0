import { chown, lchown, lstat, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestFiles, type GuestIdentity } from "../../src/guest/guestFiles";

/** The container root's identity these tests use: an unprivileged container's when run as root, the tester's own otherwise. */
export const TEST_IDENTITY: GuestIdentity | null = process.getuid?.() === 0 ? { uid: 100_000, gid: 100_000 } : null;

/** A fresh directory standing for a container's root filesystem, owned by the container's root. */
export async function guestRootfs(prefix = "zlh-rootfs-"): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  if (TEST_IDENTITY) await chown(root, TEST_IDENTITY.uid, TEST_IDENTITY.gid);
  return root;
}

/** Runs `fn` through the container boundary rooted at `rootfs`, as the runtimes do. */
export function atGuest<T>(rootfs: string, fn: (guest: GuestFiles) => Promise<T>): Promise<T> {
  return GuestFiles.scope(rootfs, { identity: TEST_IDENTITY }, fn);
}

/**
 * What a test wrote into a container's tree as host root, given to the
 * container's root, as if the customer had written it (lchown: links are
 * planted by the customer and stay theirs; nothing is followed).
 */
export async function giveToGuest(path: string): Promise<void> {
  if (!TEST_IDENTITY) return;
  const st = await lstat(path);
  await lchown(path, TEST_IDENTITY.uid, TEST_IDENTITY.gid);
  if (st.isDirectory()) for (const name of await readdir(path)) await giveToGuest(join(path, name));
}
