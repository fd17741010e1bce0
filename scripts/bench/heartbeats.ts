import postgres from "postgres";
import type { InventoryItem } from "@zlh/protocol";
import { enroll } from "../../test/support/api";
import { BenchAgent } from "./benchAgent";
import { cpuSeconds, cpuSecondsByName, sleep } from "./stats";
import type { BenchSystem } from "./system";

export interface HeartbeatCost {
  agents: number;
  containers: number;
  /** The control-plane process's CPU, % of one core. */
  cpuPct: number;
  /** Postgres's CPU (every postgres process on the machine), % of one core. */
  pgCpuPct: number;
  /** Tuples inserted, updated or deleted per second, from pg_stat_user_tables. */
  rowsWrittenPerSec: number;
  /** WAL written per second (pg_current_wal_lsn), KiB. */
  walKiBPerSec: number;
}

/** The system's hosts plus as many more as needed to make `agents`, enrolled through the API. */
export async function enrollAgents(sys: BenchSystem, agents: number): Promise<{ id: string; agentToken: string }[]> {
  const hosts = [...sys.hosts];
  for (let i = hosts.length; i < agents; i++) hosts.push(await enroll(sys.call, `hb-${i}`));
  return hosts;
}

/**
 * `agents` concurrent sessions on one control-plane process, each
 * heartbeating every TTL/3 (5 s at the default 15 s TTL) and asking for
 * work every TTL (as the agent polls) with `containers`
 * unmanaged containers in its inventory, sent as the agent sends it
 * (`digest`: the list once, then its digest) or in full every time; the
 * steady state's cost over `seconds`.
 */
export async function measureHeartbeatCost(sys: BenchSystem, agents: number, containers: number, digest: boolean, seconds = 15): Promise<HeartbeatCost> {
  const hosts = await enrollAgents(sys, agents);
  return withAgents(sys, hosts.map((h) => ({ token: h.agentToken, inventory: containers })), digest, (agents) => measureSteadyState(sys, agents, seconds));
}

/** Protocol-level agents connected (50 at a time), their hellos' reconciliation drained, then `measure`; closed after. */
export async function withAgents<T>(
  sys: BenchSystem,
  hosts: { token: string; inventory: number | InventoryItem[] }[],
  digest: boolean,
  measure: (connected: BenchAgent[]) => Promise<T>,
): Promise<T> {
  const connected: BenchAgent[] = [];
  const sql = postgres(sys.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < hosts.length; i += 50) {
      connected.push(
        ...(await Promise.all(hosts.slice(i, i + 50).map((h) => BenchAgent.connect(sys.cp.url, h.token, { autoLease: false, heartbeatMs: 5000, pollMs: 15_000, inventory: h.inventory, digest })))),
      );
    }
    await drainJobs(sql); // every hello queued a reconciliation of its host: not what is measured
    await sleep(1000);
    return await measure(connected);
  } finally {
    for (const a of connected) a.close();
    await sql.end();
  }
}

/** The control plane's and Postgres's cost over `seconds` of whatever the connected agents do. */
export async function measureSteadyState(sys: BenchSystem, connected: BenchAgent[], seconds: number): Promise<HeartbeatCost> {
  const sql = postgres(sys.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const pid = sys.cp.child.pid!;
    const sample = async () => {
      const [w] = await sql`select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint::text as rows, pg_current_wal_lsn()::text as lsn from pg_stat_user_tables`;
      return { cp: await cpuSeconds(pid), pg: await cpuSecondsByName("postgres"), rows: Number(w!.rows), lsn: w!.lsn as string, t: performance.now() };
    };
    const before = await sample();
    await sleep(seconds * 1000);
    // pg_stat_user_tables is updated when a backend reports; give the stats a moment to arrive.
    await sql`select pg_stat_force_next_flush()`.catch(() => {});
    await sleep(600);
    const after = await sample();
    const [wal] = await sql`select pg_wal_lsn_diff(${after.lsn}, ${before.lsn})::float8 as bytes`;
    const secs = (after.t - before.t) / 1000;
    return {
      agents: connected.length,
      containers: 0,
      cpuPct: ((after.cp - before.cp) / secs) * 100,
      pgCpuPct: ((after.pg - before.pg) / secs) * 100,
      rowsWrittenPerSec: (after.rows - before.rows) / secs,
      walKiBPerSec: Number(wal!.bytes) / 1024 / secs,
    };
  } finally {
    await sql.end();
  }
}

/**
 * Waits until graphile-worker has no job due (bounded to five minutes). The
 * recurring reconcile.all job is always scheduled ahead: counting every job
 * made this wait its whole bound.
 */
export async function drainJobs(sql: postgres.Sql): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    const [row] = await sql`select count(*)::int as n from graphile_worker._private_jobs where run_at <= now()`;
    if (row!.n === 0) return;
    await sleep(100);
  }
}
