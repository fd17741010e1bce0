import { defineConfig } from "vitest/config";

/**
 * `pnpm test:lxc`: the real-container suite (test/lxc). It needs root, a host
 * prepared by `pnpm host:prepare --install`, and Java 17; it builds the
 * stand-in server and boots real LXC containers, so it is kept out of
 * `pnpm test`. Files run one at a time: containers share the bridge and the
 * machine has two cores.
 */
export default defineConfig({
  test: {
    include: ["test/lxc/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
