import pino from "pino";
import postgres from "postgres";
import { manifestHash, type Manifest } from "@zlh/artifacts";
import { connectDatabase } from "@zlh/db";
import type { InventoryItem } from "@zlh/protocol";
import { reconcilePass } from "../../apps/control-plane/src/reconcile/pass";
import { enrollAgents, measureSteadyState, withAgents, type HeartbeatCost } from "./heartbeats";
import { percentile, sleep } from "./stats";
import { createBody, type BenchSystem } from "./system";

export interface FleetResult {
  hosts: number;
  servers: number;
  steady: HeartbeatCost;
  /** One pass judging every host (as after a restart, or on a recheck of the whole fleet). */
  reconcilePassMs?: number;
  /** One pass as the job runs it in the steady state: only hosts whose verdict may be stale. */
  reconcileQuietPassMs?: number;
  reconcileQuietPassHosts?: number;
  listServersP50Ms?: number;
  listServersP99Ms?: number;
}

/** Customers in the seeded fleet: a page of 100 servers each. */
const CUSTOMERS_PER_1000_SERVERS = 10;

/**
 * A fleet as the database holds it: `hosts` enrolled hosts with `perHost`
 * running servers each (rows written directly, with the manifest of one
 * server created through the API, so that rows are as large as real ones),
 * their agents connected at the protocol level reporting exactly those
 * containers. Measures the heartbeats' steady state over `seconds`, then
 * (with `passes`) reconciliation passes and the listing of one customer's
 * page while the agents keep heartbeating.
 */
export async function measureFleet(sys: BenchSystem, hosts: number, perHost: number, digest: boolean, seconds: number, passes: boolean): Promise<FleetResult> {
  const enrolled = await enrollAgents(sys, hosts);
  const sql = postgres(sys.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const servers = await seedFleet(sys, sql, perHost);
    const inventories = new Map<string, InventoryItem[]>();
    for (const r of await sql`select host_id, vmid, id from servers order by host_id, vmid`) {
      const item: InventoryItem = { vmid: r.vmid, state: "running", serverId: r.id };
      const list = inventories.get(r.host_id);
      if (list) list.push(item);
      else inventories.set(r.host_id, [item]);
    }
    const customers = Math.max(1, Math.round((servers / 1000) * CUSTOMERS_PER_1000_SERVERS));
    return await withAgents(sys, enrolled.map((h) => ({ token: h.agentToken, inventory: inventories.get(h.id) ?? [] })), digest, async (connected) => {
      const steady = await measureSteadyState(sys, connected, seconds);
      const result: FleetResult = { hosts: connected.length, servers, steady };
      if (passes) {
        Object.assign(result, await timeReconcilePasses(sys));
        Object.assign(result, await timeListing(sys, customers, 300));
      }
      return result;
    });
  } finally {
    await sql.end();
  }
}

export async function seedFleet(sys: BenchSystem, sql: postgres.Sql, perHost: number): Promise<number> {
  // One server through the API: its manifest (resolved from the offline mirror) is every seeded row's.
  const first = await sys.call("POST", "/v1/servers", createBody(), { "idempotency-key": "fleet-manifest" });
  if (first.status !== 202) throw new Error(`create: ${first.status} ${JSON.stringify(first.body)}`);
  let row: { manifest: unknown; rcon_password_enc: string } | undefined;
  for (let i = 0; i < 600 && !row; i++) {
    [row] = await sql<{ manifest: unknown; rcon_password_enc: string }[]>`select manifest, rcon_password_enc from servers where id = ${first.body.id} and manifest is not null`;
    if (!row) await sleep(50);
  }
  if (!row) throw new Error("the first server's manifest was never stored");
  // It joins the fleet as a running server too (its provision, which no agent will lease, cancelled).
  await sql`update operations set status = 'cancelled', updated_at = now() where server_id = ${first.body.id} and status in ('queued', 'leased')`;
  await sql`update servers set status = 'running', desired_state = 'running', status_changed_at = now() - interval '1 hour' where id = ${first.body.id}`;
  const hostCount = (await sql`select count(*)::int as n from hosts`)[0]!.n as number;
  const customers = Math.max(1, Math.round(((hostCount * perHost) / 1000) * CUSTOMERS_PER_1000_SERVERS));
  await sql`
    with h as (select id, (row_number() over (order by id))::int - 1 as hi from hosts where revoked_at is null),
    s as (
      insert into servers (id, caller_id, idempotency_key, request_hash, customer_id, name, minecraft_version, memory_mib, cpu_cores, disk_gib,
        host_id, vmid, game_port, rcon_port, status, desired_state, manifest, manifest_hash, rcon_password_enc, status_changed_at)
      select gen_random_uuid(), 'bench-fleet', 'fleet-' || h.hi || '-' || k, 'seeded', 'fleet-cust-' || ((h.hi * ${perHost} + k) % ${customers}),
        'fleet-' || h.hi || '-' || k, '1.21.1', 1024, 1, 2, h.id, 300000 + h.hi * ${perHost} + k, 20000 + 2 * k, 20001 + 2 * k,
        'running', 'running', ${sql.json(row.manifest as never)}, ${manifestHash(row.manifest as Manifest)}, ${row.rcon_password_enc}, now() - interval '1 hour'
      from h, generate_series(0, ${perHost - 1}) k
      returning id, host_id, game_port, rcon_port
    )
    insert into host_ports (host_id, port, server_id) select host_id, unnest(array[game_port, rcon_port]), id from s`;
  await sql`analyze`;
  return (await sql`select count(*)::int as n from servers`)[0]!.n as number;
}

/** Reconciliation passes run from here, over the system's database, as the control plane's job runs them. */
async function timeReconcilePasses(sys: BenchSystem): Promise<Partial<FleetResult>> {
  const database = connectDatabase(sys.databaseUrl, { max: 10 });
  const deps = { db: database.db, log: pino({ level: "silent" }), leaseTtlMs: 15_000, proxmox: null, schedule: { recheckMs: 300_000, clockMarginMs: 10_000 } };
  try {
    let t = performance.now();
    const full = await reconcilePass(deps, { force: true });
    const reconcilePassMs = performance.now() - t;
    if (full.failed > 0 || full.written > 0) throw new Error(`a full pass over a fleet without drift wrote or failed: ${JSON.stringify(full)}`);
    t = performance.now();
    const quiet = await reconcilePass(deps);
    return { reconcilePassMs, reconcileQuietPassMs: performance.now() - t, reconcileQuietPassHosts: quiet.judged };
  } finally {
    await database.close();
  }
}

/** `GET /v1/servers?customerId=...&limit=100`, one customer after another, sequentially. */
async function timeListing(sys: BenchSystem, customers: number, requests: number): Promise<Partial<FleetResult>> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    const res = await sys.call("GET", `/v1/servers?customerId=fleet-cust-${i % customers}&limit=100`);
    times.push(performance.now() - t);
    if (res.status !== 200 || res.body.items.length === 0) throw new Error(`list: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  }
  return { listServersP50Ms: percentile(times, 50), listServersP99Ms: percentile(times, 99) };
}
