/**
 * `pnpm host:prepare [--install]`: makes this machine a plain-LXC host for
 * the `lxc` runtime and the real-container suite (test:lxc). It checks, and
 * with --install (as root) fixes: the packages, root's subordinate ids, the
 * LXC path, the Debian 12 template (built once, cached) and the local-only
 * bridge. Every line says what it found or did; it exits 1 when something is
 * still missing. A second run only checks.
 */
import { mkdir, stat, chmod } from "node:fs/promises";
import { LXC_PATH } from "../apps/agent/src/runtime/lxc/hostLayout";
import { prepareBridge } from "./hostPrepare/bridge";
import { prepareIdMaps } from "./hostPrepare/idmap";
import { preparePackages } from "./hostPrepare/packages";
import { Report } from "./hostPrepare/report";
import { prepareTemplate } from "./hostPrepare/template";

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--install");
if (unknown.length) {
  console.error(`host:prepare: unknown argument ${unknown.join(" ")}; usage: pnpm host:prepare [--install]`);
  process.exit(2);
}
const install = args.includes("--install");
const report = new Report();

async function prepareLxcPath(): Promise<void> {
  const found = await stat(LXC_PATH).catch(() => null);
  if (found && (found.mode & 0o711) === 0o711) return report.ok(`LXC path ${LXC_PATH} exists and is traversable (0711)`);
  if (!install) return report.lack(`LXC path ${LXC_PATH} ${found ? "is not traversable (needs 0711)" : "does not exist"} (run with --install)`);
  await mkdir(LXC_PATH, { recursive: true });
  await chmod("/var/lib/zlh", 0o711);
  await chmod(LXC_PATH, 0o711);
  report.did(`made LXC path ${LXC_PATH} (0711: an unprivileged container's root must traverse it)`);
}

try {
  if (process.platform !== "linux") throw new Error("a plain-LXC host must be Linux");
  if (install && process.getuid?.() !== 0) throw new Error("--install must run as root (it installs packages, edits /etc/subuid and creates a bridge)");
  await preparePackages(report, install);
  await prepareIdMaps(report, install);
  await prepareLxcPath();
  await prepareTemplate(report, install);
  await prepareBridge(report, install);
} catch (err) {
  console.error(`host:prepare: cannot prepare this host: ${(err as Error).message}`);
  process.exit(1);
}
if (report.missing.length) {
  console.error(`host:prepare: this host is not ready: ${report.missing.length} thing(s) missing (see "missing" above).`);
  process.exit(1);
}
console.log("host:prepare: this host is ready for the lxc runtime.");
