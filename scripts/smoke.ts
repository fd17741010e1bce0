/**
 * `pnpm smoke`: the release smoke test (scripts/release/smoke.ts) on dist/,
 * which `pnpm build` makes. Uses DATABASE_URL's server (a database of its own,
 * dropped after) or, unset, an embedded Postgres.
 */
import { resolve } from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnEmbeddedPostgres } from "@zlh/testing";
import { smokeRelease } from "./release/smoke";

const dist = resolve(import.meta.dirname, "../dist");
let stopPg: (() => Promise<void>) | null = null;
let adminUrl = process.env.DATABASE_URL;
let pgDir: string | null = null;
if (!adminUrl) {
  pgDir = await mkdtemp(join(tmpdir(), "zlh-smoke-pg-"));
  const pg = await spawnEmbeddedPostgres(pgDir);
  stopPg = () => pg.stop();
  adminUrl = pg.adminUrl;
}
try {
  for (const line of await smokeRelease(dist, adminUrl)) console.log(`smoke: ${line}`);
  console.log("smoke: the release works");
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await stopPg?.();
  if (pgDir) await rm(pgDir, { recursive: true, force: true });
}
