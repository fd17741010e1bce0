import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";

const run = promisify(execFile);

/**
 * Kills and destroys the plain-LXC containers of `vmids` that exist, each
 * command with a deadline, whatever state they are in: one whose config LXC
 * cannot load (lxc-destroy refuses it) goes with its directory. For what a
 * run left behind (the real-container suite before and after a file, `pnpm
 * dev --runtime lxc` after its servers' deletion), never for the agent's
 * own work: the runtime destroys its containers itself.
 */
export async function destroyContainers(vmids: readonly number[]): Promise<void> {
  for (const vmid of vmids) {
    const opts = { timeout: 60_000 };
    await run("lxc-stop", ["-P", LXC_PATH, "-n", String(vmid), "-k"], opts).catch(() => {});
    await run("lxc-destroy", ["-P", LXC_PATH, "-n", String(vmid)], opts).catch(() => {});
    await run("rm", ["-rf", "--one-file-system", `${LXC_PATH}/${vmid}`], opts).catch(() => {});
  }
}
