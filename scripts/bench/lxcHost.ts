import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BRIDGE, LXC_PATH, TEMPLATE_DIR, TEMPLATE_FILE } from "../../apps/agent/src/runtime/lxc/hostLayout";

const run = promisify(execFile);

/** The real-container phase's VMIDs: nothing else on the host may use them (the test suite's are 9900-9939). */
export const BENCH_VMIDS = Array.from({ length: 50 }, (_, i) => 9940 + i);

/**
 * Why this machine cannot run real containers for the benchmark, or null
 * when it can: root, LXC's tools, the template and bridge `pnpm host:prepare
 * --install` makes, and a JDK to build the stand-in server.
 */
export function lxcUnusable(): string | null {
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return "not root (real unprivileged containers need root on the host)";
  for (const tool of ["lxc-create", "lxc-copy", "lxc-start", "lxc-info", "rsync", "javac", "strace"]) {
    try {
      execFileSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (pnpm host:prepare --install)`;
    }
  }
  if (!existsSync(join(TEMPLATE_DIR, TEMPLATE_FILE))) return `no template at ${join(TEMPLATE_DIR, TEMPLATE_FILE)} (pnpm host:prepare --install)`;
  if (!existsSync(`/sys/class/net/${BRIDGE}`)) return `no bridge ${BRIDGE} (pnpm host:prepare --install)`;
  if (!existsSync("/usr/share/lxc/config/debian.common.conf")) return "no /usr/share/lxc/config/debian.common.conf (lxc-templates)";
  return null;
}

/** Stops (killing) and destroys the benchmark's containers, newest first (overlay copies before their base). */
export async function destroyBenchContainers(): Promise<void> {
  for (const vmid of [...BENCH_VMIDS].reverse()) {
    if (!existsSync(join(LXC_PATH, String(vmid)))) continue;
    const opts = { timeout: 60_000 };
    await run("lxc-stop", ["-P", LXC_PATH, "-n", String(vmid), "-k"], opts).catch(() => {});
    await run("lxc-destroy", ["-P", LXC_PATH, "-n", String(vmid)], opts).catch(() => {});
    await run("rm", ["-rf", "--one-file-system", join(LXC_PATH, String(vmid))], opts).catch(() => {});
  }
}

/** lxc-* with the runtime's LXC path. */
export async function lxc(tool: string, vmid: number, args: string[] = [], timeoutMs = 120_000): Promise<string> {
  return (await run(tool, ["-P", LXC_PATH, "-n", String(vmid), ...args], { timeout: timeoutMs })).stdout;
}
