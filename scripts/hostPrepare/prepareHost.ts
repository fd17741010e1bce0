import { prepareBridge } from "./bridge";
import { prepareIdMaps } from "./idmap";
import { prepareLxcPath } from "./lxcPath";
import { preparePackages } from "./packages";
import type { Report } from "./report";
import { prepareTemplate } from "./template";

/**
 * Every check of a plain-LXC host, in order, each fixing what it finds
 * missing when `install` is set: the packages, root's subordinate ids, the
 * LXC path, the Debian 12 template and the local-only bridge. Shared by
 * `pnpm host:prepare` and `pnpm dev --runtime lxc` (which only checks).
 */
export async function prepareHost(report: Report, install: boolean): Promise<void> {
  if (process.platform !== "linux") throw new Error("a plain-LXC host must be Linux");
  if (install && process.getuid?.() !== 0) throw new Error("--install must run as root (it installs packages, edits /etc/subuid and creates a bridge)");
  await preparePackages(report, install);
  await prepareIdMaps(report, install);
  await prepareLxcPath(report, install);
  await prepareTemplate(report, install);
  await prepareBridge(report, install);
}
