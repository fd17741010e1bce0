/**
 * Which test files are `unit` (fast, no database, no process but the test's own: `pnpm test:unit`) and which are
 * `slow` (chaos, the release build, the dev loop). Paths, not globs, so vitest.config.ts can give every other
 * file to `database` or `e2e`; test/testProjects.test.ts checks every path still names a file.
 */
export const UNIT_TESTS = [
  "apps/agent/test/backupSaveOn.test.ts",
  "apps/agent/test/config.test.ts",
  "apps/agent/test/fabricFirstBoot.test.ts",
  "apps/agent/test/gameUnit.test.ts",
  "apps/agent/test/handlerName.test.ts",
  "apps/agent/test/heartbeatInventory.test.ts",
  "apps/agent/test/leases.test.ts",
  "apps/agent/test/ping.test.ts",
  "apps/agent/test/placement.test.ts",
  "apps/agent/test/prefetchManifest.test.ts",
  "apps/agent/test/rconCommand.test.ts",
  "apps/agent/test/sessionComponents.test.ts",
  "apps/agent/test/simAddress.test.ts",
  "apps/agent/test/simRcon.test.ts",
  "apps/agent/test/unitCgroup.test.ts",
  "apps/agent/test/watchdog.test.ts",
  "apps/control-plane/test/config.test.ts",
  "apps/control-plane/test/driftDiff.test.ts",
  "apps/control-plane/test/frameQueue.test.ts",
  "apps/control-plane/test/judgeHost.property.test.ts",
  "apps/control-plane/test/manifestCache.test.ts",
  "apps/control-plane/test/operationKinds.test.ts",
  "packages/artifacts/test/manifestJava.test.ts",
  "packages/artifacts/test/mirror.test.ts",
  "packages/db/test/migrationPolicy.test.ts",
  "packages/domain/test/crashLoop.test.ts",
  "packages/domain/test/eventTypes.test.ts",
  "packages/domain/test/hostNetwork.test.ts",
  "packages/domain/test/lifecycle.property.test.ts",
  "packages/domain/test/planner.test.ts",
  "packages/protocol/test/specNetwork.test.ts",
  "test/docs/configuration.test.ts",
  "test/docs/links.test.ts",
  "test/testProjects.test.ts",
] as const;

export const SLOW_TESTS = ["test/chaos/chaos.test.ts", "test/release/release.test.ts", "test/e2e/devLoop.test.ts"] as const;
