import postgres from "postgres";
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

/**
 * `agents` concurrent sessions on one control-plane process, each
 * heartbeating every TTL/3 (5 s at the default 15 s TTL) with `containers`
 * containers in its inventory, sent as the agent sends it (`digest`: the
 * list once, then its digest) or in full every time; the steady state's
 * cost over `seconds`.
 */
export async function measureHeartbeatCost(sys: BenchSystem, agents: number, containers: number, digest: boolean, seconds = 15): Promise<HeartbeatCost> {
  const tokens: string[] = sys.hosts.map((h) => h.agentToken);
  for (let i = tokens.length; i < agents; i++) tokens.push((await enroll(sys.call, `hb-${i}`)).agentToken);
  const connected: BenchAgent[] = [];
  const sql = postgres(sys.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < tokens.length; i += 50) {
      connected.push(...(await Promise.all(tokens.slice(i, i + 50).map((t) => BenchAgent.connect(sys.cp.url, t, { autoLease: false, heartbeatMs: 5000, inventory: containers, digest })))));
    }
    await drainJobs(sql); // every hello queued a reconciliation of its host: not what is measured
    await sleep(1000);
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
      containers,
      cpuPct: ((after.cp - before.cp) / secs) * 100,
      pgCpuPct: ((after.pg - before.pg) / secs) * 100,
      rowsWrittenPerSec: (after.rows - before.rows) / secs,
      walKiBPerSec: Number(wal!.bytes) / 1024 / secs,
    };
  } finally {
    for (const a of connected) a.close();
    await sql.end();
  }
}

/**
 * Waits until graphile-worker has no job due (bounded to five minutes). The
 * recurring reconcile.all job is always scheduled ahead: counting every job
 * made this wait its whole bound.
 */
async function drainJobs(sql: postgres.Sql): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    const [row] = await sql`select count(*)::int as n from graphile_worker._private_jobs where run_at <= now()`;
    if (row!.n === 0) return;
    await sleep(100);
  }
}
