import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withDatabase } from "./databases";
import { spawnEmbeddedPostgres } from "./spawnEmbeddedPostgres";

export interface PostgresServer {
  /** URL of the server's `postgres` database, for creating and dropping databases. */
  adminUrl: string;
  stop(): Promise<void>;
  /** A full restart (down for `downMs`), only where this process runs the server itself (the embedded one). */
  restart?(downMs: number): Promise<void>;
}

/**
 * The Postgres server that tests, the benchmark and the chaos harness use:
 * DATABASE_URL's server when it is set, else an embedded one in a temporary
 * directory (removed on stop).
 */
export async function postgresServer(): Promise<PostgresServer> {
  if (process.env.DATABASE_URL) return { adminUrl: withDatabase(process.env.DATABASE_URL, "postgres"), stop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), "zlh-pg-"));
  await chmod(dir, 0o777); // the embedded server may run as the `postgres` user
  const pg = await spawnEmbeddedPostgres(join(dir, "data"));
  return {
    adminUrl: pg.adminUrl,
    restart: (downMs) => pg.restart(downMs),
    async stop() {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
