import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { spawnEmbeddedPostgres } from "../src/spawnEmbeddedPostgres";

/**
 * `pnpm dev` keeps its embedded Postgres under the checkout, and a fresh VM's
 * checkout is often `/root/zerolaghub`: a directory only root may enter. As
 * root, Postgres runs as the `postgres` user, which could not reach its data
 * there ("initdb: could not access directory ... Permission denied").
 */
describe("the embedded Postgres, with its data under a directory only its owner may enter", () => {
  let stop: (() => Promise<void>) | undefined;
  let privateDir: string | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await stop?.();
    for (const d of [privateDir, dataDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it("starts and answers, keeping its data where the postgres user can reach it", async () => {
    privateDir = await mkdtemp(join(tmpdir(), "zlh-private-"));
    await chmod(privateDir, 0o700); // as /root is
    const requested = join(privateDir, "checkout", ".data", "postgres");
    const pg = await spawnEmbeddedPostgres(requested);
    stop = pg.stop;
    const sql = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
    try {
      const [{ dir }] = await sql`select current_setting('data_directory') as dir`;
      dataDir = dir;
      if (userInfo().uid === 0) {
        expect(dir).toMatch(/^\/var\/lib\/zerolaghub\/postgres-[0-9a-f]{12}$/);
        expect(await readFile(join(requested, "WHERE-IS-THE-DATA.txt"), "utf8")).toContain(dir);
      } else {
        expect(dir).toBe(requested); // not root: Postgres runs as this user, who owns the directory
      }
    } finally {
      await sql.end();
    }
  }, 120_000);
});
