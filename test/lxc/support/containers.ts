import { destroyContainers } from "../../../scripts/hostPrepare/destroyContainers";

/** VMIDs the real-container suite uses; nothing else on the host may use them. */
export const TEST_VMIDS = Array.from({ length: 20 }, (_, i) => 9900 + i);

/**
 * Stops (killing) and destroys every test container that exists; used
 * before a file (leftovers of a crashed run) and after it, whether its tests
 * passed or not.
 */
export async function destroyTestContainers(): Promise<void> {
  await destroyContainers(TEST_VMIDS);
}
