import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // Real containers need root and a prepared host: `pnpm test:lxc` (vitest.lxc.config.ts) runs them.
    exclude: ["**/node_modules/**", "**/.git/**", "test/lxc/**"],
    globalSetup: ["packages/testing/src/globalSetup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
