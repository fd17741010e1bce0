import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LXC_PATH } from "../../../apps/agent/src/runtime/lxc/hostLayout";

const run = promisify(execFile);

/** VMIDs the real-container suite uses; nothing else on the host may use them. */
export const TEST_VMIDS = Array.from({ length: 20 }, (_, i) => 9900 + i);

/**
 * Stops (killing) and destroys every test container that exists, each
 * command with a deadline; used before a file (leftovers of a crashed run)
 * and after it, whether its tests passed or not. A file with VMIDs of its
 * own (the DHCP test's 9930-9939, the benchmark's 9940-9989) passes them.
 */
export async function destroyTestContainers(vmids: readonly number[] = TEST_VMIDS): Promise<void> {
  for (const vmid of vmids) {
    const opts = { timeout: 60_000 };
    await run("lxc-stop", ["-P", LXC_PATH, "-n", String(vmid), "-k"], opts).catch(() => {});
    await run("lxc-destroy", ["-P", LXC_PATH, "-n", String(vmid)], opts).catch(() => {});
    await run("rm", ["-rf", "--one-file-system", `${LXC_PATH}/${vmid}`], opts).catch(() => {});
  }
}
