/**
 * vitest global setup: finds a Postgres (DATABASE_URL's server, else an
 * embedded one in a temporary directory), migrates a template database once,
 * and hands both to the test files, which clone the template per file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createMigratedDatabase, dropDatabase, uniqueName, withDatabase } from "./databases";
import { spawnEmbeddedPostgres } from "./spawnEmbeddedPostgres";

import "./provided";

export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = withDatabase(process.env.DATABASE_URL, "postgres");
  } else {
    const dir = await mkdtemp(join(tmpdir(), "zlh-test-pg-"));
    const { chmod } = await import("node:fs/promises");
    await chmod(dir, 0o777); // the embedded server may run as the `postgres` user
    const pg = await spawnEmbeddedPostgres(join(dir, "data"));
    adminUrl = pg.adminUrl;
    stopEmbedded = async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const template = uniqueName("zlh_tpl");
  await createMigratedDatabase(adminUrl, template);
  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgTemplate", template);

  return async () => {
    await dropDatabase(adminUrl, template);
    await stopEmbedded?.();
  };
}
