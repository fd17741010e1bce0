import postgres from "postgres";

/**
 * The hardware baseline: concurrent single-row inserts, each its own
 * transaction (one commit, one WAL flush), into a scratch table.
 */
export async function measurePgInsertTps(url: string, clients = 16, seconds = 4): Promise<number> {
  const sql = postgres(url, { max: clients, onnotice: () => {} });
  await sql`create table if not exists bench_scratch (id bigserial primary key, payload text not null, at timestamptz not null default now())`;
  const deadline = Date.now() + seconds * 1000;
  let count = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        await sql`insert into bench_scratch (payload) values (${"x".repeat(32)})`;
        count++;
      }
    }),
  );
  const tps = count / ((Date.now() - started) / 1000);
  await sql`drop table bench_scratch`;
  await sql.end();
  return tps;
}
