import postgres from "postgres";
import { inject, describe, expect, it, afterAll } from "vitest";
import { migrateDatabase } from "@zlh/db";
import { dropDatabase, uniqueName, withDatabase } from "@zlh/testing";

/** Every table, column, constraint and index, as text, to compare schemas. */
async function schemaFingerprint(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`
      select 'col ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable as d
        from information_schema.columns where table_schema in ('public', 'graphile_worker', 'drizzle')
      union all
      select 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        from pg_constraint where connamespace in ('public'::regnamespace, 'graphile_worker'::regnamespace)
      union all
      select 'idx ' || schemaname || ' ' || indexdef from pg_indexes where schemaname in ('public', 'graphile_worker')
      union all
      select 'mig ' || count(*) from drizzle.__drizzle_migrations
      order by 1`;
    return rows.map((r) => r.d as string);
  } finally {
    await sql.end();
  }
}

describe("migrations", () => {
  const adminUrl = inject("pgAdminUrl");
  const name = uniqueName("zlh_mig");
  afterAll(() => dropDatabase(adminUrl, name));

  it("apply to an empty database, and a second run changes nothing", async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    const url = withDatabase(adminUrl, name);

    await migrateDatabase(url);
    const first = await schemaFingerprint(url);
    expect(first).toContain("con servers servers_status_valid CHECK ((status = ANY (ARRAY['pending'::text, 'provisioning'::text, 'running'::text, 'stopping'::text, 'stopped'::text, 'starting'::text, 'deleting'::text, 'deleted'::text, 'failed'::text])))");
    expect(first.some((d) => d.includes("servers_live_vmid_key") && d.includes("WHERE (status <> 'deleted'::text)"))).toBe(true);
    expect(first.some((d) => d.startsWith("col graphile_worker._private_jobs"))).toBe(true);

    // Twice in a row, and concurrently from several processes' worth of callers.
    await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    expect(await schemaFingerprint(url)).toEqual(first);
  });
});
