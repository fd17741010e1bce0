import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LXC_PATH } from "../../../apps/agent/src/runtime/lxc/hostLayout";

const run = promisify(execFile);

/** VMIDs the real-container suite uses; nothing else on the host may use them. */
export const TEST_VMIDS = Array.from({ length: 20 }, (_, i) => 9900 + i);

/**
 * Stops (killing) and destroys every test container that exists, each
 * command with a deadline; used before a file (leftovers of a crashed run)
 * and after it, whether its tests passed or not.
 */
export async function destroyTestContainers(): Promise<void> {
  for (const vmid of TEST_VMIDS) {
    const opts = { timeout: 60_000 };
    await run("lxc-stop", ["-P", LXC_PATH, "-n", String(vmid), "-k"], opts).catch(() => {});
    await run("lxc-destroy", ["-P", LXC_PATH, "-n", String(vmid)], opts).catch(() => {});
    await run("rm", ["-rf", "--one-file-system", `${LXC_PATH}/${vmid}`], opts).catch(() => {});
  }
}
