import { defineConfig } from "vitest/config";

/**
 * `pnpm test:lxc`: the real-container suite (test/lxc). It needs root, a host
 * prepared by `pnpm host:prepare --install`, and Java 17; it builds the
 * stand-in server and boots real LXC containers (and, for agentProvision,
 * a control plane on Postgres: DATABASE_URL's server, else an embedded one), so it is kept out of
 * `pnpm test`. Files run one at a time: containers share the bridge and the
 * machine has two cores.
 */
export default defineConfig({
  test: {
    include: ["test/lxc/**/*.test.ts"],
    // Postgres for the agent's end-to-end file (a control plane of its own), as `pnpm test` provides it.
    globalSetup: ["packages/testing/src/globalSetup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
