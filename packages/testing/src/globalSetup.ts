/**
 * vitest global setup: finds a Postgres (DATABASE_URL's server, else an
 * embedded one), migrates a template database once, and hands both to the
 * test files, which clone the template per file.
 */
import type { TestProject } from "vitest/node";
import { createMigratedDatabase, dropDatabase, uniqueName } from "./databases";
import { postgresServer } from "./postgresServer";
import "./provided";

export default async function setup(project: TestProject) {
  // `pnpm test:unit` runs only the `unit` project (vitest.config.ts), whose files need no database.
  if (project.vitest.projects.every((p) => p.name === "unit")) return;
  const pg = await postgresServer();
  const template = uniqueName("zlh_tpl");
  await createMigratedDatabase(pg.adminUrl, template);
  project.provide("pgAdminUrl", pg.adminUrl);
  project.provide("pgTemplate", template);

  return async () => {
    await dropDatabase(pg.adminUrl, template);
    await pg.stop();
  };
}
