import { mkdir, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TEMPLATE_DIR, TEMPLATE_FILE } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { has, sh, type Report } from "./report";

/**
 * What goes into the template besides Debian's minimal base: systemd as
 * init (the game is a systemd unit), D-Bus for systemctl, and the network
 * and process tools a Proxmox `debian-12-standard` container also has.
 */
const INCLUDE = ["systemd", "systemd-sysv", "dbus", "iproute2", "ifupdown", "procps"];
const MIRROR = process.env.ZLH_DEBIAN_MIRROR?.trim() || "http://deb.debian.org/debian";

export function templatePath(): string {
  return join(TEMPLATE_DIR, TEMPLATE_FILE);
}

/**
 * A Debian 12 rootfs with systemd, packed like Proxmox's
 * `debian-12-standard_*.tar.zst` (a tarball of `/`, numeric owners, no
 * device nodes: LXC provides /dev). Built once and kept: a second run finds
 * it and builds nothing.
 */
export async function prepareTemplate(report: Report, install: boolean): Promise<void> {
  const path = templatePath();
  const found = await stat(path).catch(() => null);
  if (found) return report.ok(`template ${path} (${Math.round(found.size / 1048576)} MiB) is present`);
  if (!install) return report.lack(`template ${path} does not exist (run with --install as root to build it)`);
  for (const cmd of ["debootstrap", "zstd", "tar"]) {
    if (!(await has(cmd))) return report.lack(`cannot build the template: ${cmd} is not installed`);
  }
  await mkdir(TEMPLATE_DIR, { recursive: true });
  const build = join(TEMPLATE_DIR, `build.${process.pid}`);
  const rootfs = join(build, "rootfs");
  await rm(build, { recursive: true, force: true });
  await mkdir(build, { recursive: true });
  try {
    console.log(`...      debootstrap bookworm from ${MIRROR} (about a minute)`);
    await sh("debootstrap", ["--variant=minbase", `--include=${INCLUDE.join(",")}`, "bookworm", rootfs, MIRROR], 20 * 60_000);
    await customize(rootfs);
    const tmp = `${path}.${process.pid}.tmp`;
    await sh("tar", ["--numeric-owner", "-C", rootfs, "--exclude=./dev/*", "-I", "zstd -T0 -3", "-cpf", tmp, "."], 10 * 60_000);
    await rename(tmp, path);
    report.did(`built template ${path} (${Math.round((await stat(path)).size / 1048576)} MiB)`);
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}

async function customize(rootfs: string): Promise<void> {
  const init = await stat(join(rootfs, "lib/systemd/systemd")).catch(() => null);
  if (!init) throw new Error("debootstrap finished but the rootfs has no /lib/systemd/systemd");
  await writeFile(join(rootfs, "etc/hostname"), "localhost\n");
  // eth0's address is set by LXC before init runs (lxc.net.0.ipv4.address);
  // ifupdown must leave it alone, so only lo is declared.
  await writeFile(join(rootfs, "etc/network/interfaces"), "auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n");
  // Empty, so each container's systemd makes its own id at first boot.
  await truncate(join(rootfs, "etc/machine-id"), 0);
  await rm(join(rootfs, "var/lib/dbus/machine-id"), { force: true });
  // The package cache and lists are the build's, not the template's.
  await sh("sh", ["-c", `rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_*`, "sh", rootfs], 60_000);
}
