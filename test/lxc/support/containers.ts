import { destroyContainers } from "../../../scripts/hostPrepare/destroyContainers";

/** VMIDs the real-container suite uses; nothing else on the host may use them. */
export const TEST_VMIDS = Array.from({ length: 20 }, (_, i) => 9900 + i);

/**
 * Stops (killing) and destroys every test container that exists, each
 * command with a deadline; used before a file (leftovers of a crashed run)
 * and after it, whether its tests passed or not. A file with VMIDs of its
 * own (the DHCP test's 9930-9939, the benchmark's 9940-9989) passes them.
 */
export async function destroyTestContainers(vmids: readonly number[] = TEST_VMIDS): Promise<void> {
  await destroyContainers(vmids);
}
