/**
 * vitest global setup: the operator console built once before any test file
 * when its build is missing or stale, so neither the browser test nor a
 * `pnpm dev` under test spends its own time on it (and no two build at
 * once). Nothing when only `unit` runs.
 */
import type { TestProject } from "vitest/node";
import { ensureConsoleBuilt } from "../../scripts/console/buildConsole";

export default async function setup(project: TestProject) {
  if (project.vitest.projects.every((p) => p.name === "unit")) return;
  await ensureConsoleBuilt();
}
