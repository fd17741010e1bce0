import { defineConfig } from "vitest/config";
import { SLOW_TESTS, UNIT_TESTS } from "./vitest.projects";

/**
 * `pnpm test` runs every project; `pnpm test:unit` only `unit` (no Postgres is started for it). Every test file is in
 * exactly one project: `unit` and `slow` are lists of files (vitest.projects.ts), `e2e` is the rest of test/, and
 * `database` the rest of apps/ and packages/, so a new file lands in `database` or `e2e`, never nowhere.
 */
const shared = { pool: "forks", testTimeout: 60_000, hookTimeout: 120_000 } as const;
// Real containers need root and a prepared host: `pnpm test:lxc` (vitest.lxc.config.ts) runs them.
const always = ["**/node_modules/**", "**/.git/**", "test/lxc/**"];
const leakGuard = "test/support/leakGuard.ts";

export default defineConfig({
  test: {
    // Once for every project (its provide() reaches them all); it starts nothing when only `unit` runs.
    // The console's build too, when stale (test/support/consoleBuild.ts): the browser test and pnpm dev serve it.
    globalSetup: ["packages/testing/src/globalSetup.ts", "test/support/consoleBuild.ts"],
    projects: [
      { test: { ...shared, name: "unit", include: [...UNIT_TESTS], exclude: always } },
      {
        test: {
          ...shared,
          name: "database",
          include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
          exclude: [...always, ...UNIT_TESTS, ...SLOW_TESTS],
        },
      },
      // Processes launched through test/support fail their file if they outlive it (leakGuard.ts).
      { test: { ...shared, name: "e2e", include: ["test/**/*.test.ts"], exclude: [...always, ...UNIT_TESTS, ...SLOW_TESTS], setupFiles: [leakGuard] } },
      { test: { ...shared, name: "slow", include: [...SLOW_TESTS], exclude: always, setupFiles: [leakGuard] } },
    ],
  },
});
