import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, pruneResolvedDriftStatement, type Database } from "../src/index";
import { seedHost } from "./support/seed";

const DAY = 86_400_000;

describe("retention's plans: the sweep walks an index, not the whole table", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  /** The plan of `statement`, as EXPLAIN's text lines, with sequential scans priced out (so any usable index is taken). */
  async function plan(statement: ReturnType<typeof pruneResolvedDriftStatement>): Promise<string> {
    return database.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const rows = await tx.execute(sql`explain ${statement}`);
      return rows.map((r) => String((r as Record<string, unknown>)["QUERY PLAN"])).join("\n");
    });
  }

  it("deletes resolved drift items in drift_items_resolved_idx's order", async () => {
    const host = await seedHost(database.sql, "retention-plan");
    // History piles up resolved items; the few open ones are what a pass judges.
    await database.sql`
      insert into drift_items (kind, host_id, vmid, detail, detected_at, seen_at, resolved_at)
      select 'state_mismatch', ${host}, g, '{}'::jsonb, now() - make_interval(days => 200 + g % 100), now() - make_interval(days => 200),
        case when g % 50 = 0 then null else now() - make_interval(days => 100 + g % 100) end
      from generate_series(1, 3000) g`;
    await database.sql`analyze drift_items`;
    const text = await plan(pruneResolvedDriftStatement(90 * DAY, 500));
    // Without the index it is the priced-out sequential scan and a sort of every resolved item.
    expect(text).toMatch(/Index (Only )?Scan using drift_items_resolved_idx on drift_items/);
    // The batch comes off the index in order: no sort of every resolved item to find the oldest.
    expect(text).not.toMatch(/Sort Key: drift_items\.resolved_at/);
  });
});
