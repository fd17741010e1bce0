import type postgres from "postgres";
import { insertPlacedServer, type Database, type ServerRow } from "../../src/index";

/** A host with room to spare (or as given). */
export async function seedHost(sql: postgres.Sql, name: string, capacity = { memory: 8192, cpu: 16, disk: 200 }): Promise<string> {
  const [{ id }] = await sql`
    insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib)
    values (${name}, 'pve1', ${`token-${name}`}, ${capacity.memory}, ${capacity.cpu}, ${capacity.disk}) returning id`;
  return id as string;
}

let n = 0;

/**
 * A server placed on the host as a create places it (its allocation taken,
 * its ports held), in the given status.
 */
export async function seedServer(
  database: Database,
  hostId: string,
  opts: { memoryMiB?: number; status?: string; desiredState?: string; manifest?: unknown } = {},
): Promise<ServerRow> {
  n++;
  const id = crypto.randomUUID();
  const memoryMiB = opts.memoryMiB ?? 1024;
  await database.sql`update hosts set allocated_memory_mib = allocated_memory_mib + ${memoryMiB}, allocated_cpu_cores = allocated_cpu_cores + 1, allocated_disk_gib = allocated_disk_gib + 10 where id = ${hostId}`;
  const row = await insertPlacedServer(
    database.db,
    {
      id, callerId: "seed", idempotencyKey: `seed-${n}-${id}`, requestHash: "h", customerId: "c", name: `s${n}`,
      type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB, cpuCores: 1, diskGiB: 10,
      vmid: 5000 + n,
    },
    hostId,
    { first: 40000, last: 49999 },
    false,
  );
  await database.sql`
    update servers set status = ${opts.status ?? "running"}, desired_state = ${opts.desiredState ?? "running"},
      manifest = ${JSON.stringify(opts.manifest ?? { game: "1.21.1" })}::jsonb
    where id = ${id}`;
  return { ...row!, status: (opts.status ?? "running") as ServerRow["status"] };
}

/** Resolves once `count` backends are waiting on a lock (so a race is set up, not hoped for). */
export async function waitForLockWaiters(sql: postgres.Sql, count: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const [{ n: waiting }] = await sql`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    if (waiting >= count) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`fewer than ${count} backends ever waited on a lock`);
}
