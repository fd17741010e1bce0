import { afterAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, lockServer } from "../src/index";

// The hot path runs through drizzle's `execute`, which postgres.js would send
// unprepared (a Parse/Describe round trip before every Bind/Execute, and a
// fresh parse and plan each time) without patches/drizzle-orm@0.45.4.patch.
describe("statements through drizzle", () => {
  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const d of opened) await d.close();
  });

  it("are prepared once per connection and reused, in and out of transactions", async () => {
    const database = connectDatabase(await testDatabase(), { max: 1 });
    opened.push(database);
    const id = "00000000-0000-4000-8000-000000000000";
    const prepared = () =>
      database.db.execute<{ statement: string }>(sql`select statement from pg_prepared_statements where statement like '%for update%'`);

    await database.db.transaction(async (tx) => {
      expect(await lockServer(tx, id)).toBeNull();
      expect(await lockServer(tx, id)).toBeNull();
    });
    await lockServer(database.db, id);
    const rows = await prepared();
    // One prepared statement for the server lock, however many times and wherever it ran.
    expect(rows.filter((r) => r.statement.includes("from servers where id = $1 for update"))).toHaveLength(1);
  });
});
