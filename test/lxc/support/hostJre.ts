import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { javaHome } from "../../../apps/agent/src/container/gameUnit";
import type { GuestFiles } from "../../../apps/agent/src/guest/guestFiles";
import { HOST_JRE } from "../../../scripts/standinGame/gameTemplate";


/**
 * Copies the host's JRE into a container as /opt/zlh/java/<major>, through
 * the container boundary (written by the container's root, as the agent
 * writes): links followed on the host side, dangling ones (lib/src.zip
 * without the JDK sources) skipped. What an image with Java would hold.
 */
export async function placeHostJre(guest: GuestFiles, major: number): Promise<void> {
  const home = javaHome(major).slice(1);
  for (const top of ["bin", "lib", "conf", "release"]) await copy(guest, join(HOST_JRE, top), `${home}/${top}`);
}

async function copy(guest: GuestFiles, from: string, to: string): Promise<void> {
  const st = await stat(from).catch(() => null);
  if (!st) return;
  if (st.isDirectory()) {
    await guest.mkdir(to);
    for (const name of await readdir(from)) await copy(guest, join(from, name), `${to}/${name}`);
  } else if (st.isFile()) {
    await guest.write(to, createReadStream(from), st.mode & 0o755);
  }
}
