/**
 * `pnpm host:prepare [--install]`: makes this machine a plain-LXC host for
 * the `lxc` runtime and the real-container suite (test:lxc). It checks, and
 * with --install (as root) fixes: the packages, root's subordinate ids, the
 * LXC path, the Debian 12 template (built once, cached) and the local-only
 * bridge. Every line says what it found or did; it exits 1 when something is
 * still missing. A second run only checks.
 */
import { prepareHost } from "./hostPrepare/prepareHost";
import { Report } from "./hostPrepare/report";

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--install");
if (unknown.length) {
  console.error(`host:prepare: unknown argument ${unknown.join(" ")}; usage: pnpm host:prepare [--install]`);
  process.exit(2);
}
const install = args.includes("--install");
const report = new Report();

try {
  await prepareHost(report, install);
} catch (err) {
  console.error(`host:prepare: cannot prepare this host: ${(err as Error).message}`);
  process.exit(1);
}
if (report.missing.length) {
  console.error(`host:prepare: this host is not ready: ${report.missing.length} thing(s) missing (see "missing" above).`);
  process.exit(1);
}
console.log("host:prepare: this host is ready for the lxc runtime.");
