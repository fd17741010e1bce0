import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { Logger, runMigrations } from "graphile-worker";
import { connectDatabase } from "./client";

/**
 * The SQL migrations: the repository's drizzle/ folder, or, in the built
 * bundle (scripts/build.ts defines ZLH_BUNDLED), the copy next to it.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(
  process.env.ZLH_BUNDLED === "1" ? new URL("./drizzle", import.meta.url) : new URL("../../../drizzle", import.meta.url),
);

/** Arbitrary constant: serialises migrations of every process against one database. */
const MIGRATION_LOCK_KEY = 7_340_001;

/**
 * Applies our drizzle migrations and graphile-worker's own schema. Safe to run
 * from several processes at once: a session advisory lock lets one migrate
 * while the others wait, then find nothing to do.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const { db, sql, close } = connectDatabase(url, { max: 1, applicationName: "zlh-migrate" });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      await runMigrations({ connectionString: url, logger: silent });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await close();
  }
}

/** Number of migrations the code ships; /readyz compares it with what the database has applied. */
export async function expectedMigrationCount(): Promise<number> {
  const journal = JSON.parse(await readFile(`${MIGRATIONS_FOLDER}/meta/_journal.json`, "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

// graphile-worker logs every migration step at info; our caller logs "migrated" once.
const silent = new Logger(() => () => {});
