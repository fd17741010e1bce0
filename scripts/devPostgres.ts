/**
 * Holds the embedded Postgres of `pnpm dev` in its own process group.
 *
 * Why a separate, detached process: Ctrl-C sends SIGINT to the whole
 * foreground process group, and Postgres answers SIGINT with a fast shutdown
 * that kills every session at once. Started directly by `pnpm dev` it would
 * die before the control plane could finish its requests and jobs. Detached,
 * it only stops when `pnpm dev` says so, last, or when `pnpm dev` is gone
 * (the IPC channel closes), so it never outlives its parent.
 */
import { startEmbeddedPostgres } from "@zlh/testing";

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error("usage: spawned by scripts/dev.ts with an IPC channel and a data directory");
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
process.on("message", (m) => m === "stop" && void stop());
process.on("disconnect", () => void stop());
process.send({ adminUrl: pg.adminUrl });
