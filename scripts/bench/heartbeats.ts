import postgres from "postgres";
import { enroll } from "../../test/support/api";
import { BenchAgent } from "./benchAgent";
import { cpuSeconds, sleep } from "./stats";
import type { BenchSystem } from "./system";

/**
 * `agents` concurrent sessions on one control-plane process, each
 * heartbeating every TTL/3 (5 s at the default 15 s TTL) with a small
 * inventory; the process's CPU while they do, as % of one core.
 */
export async function measureHeartbeatCpu(sys: BenchSystem, agents = 1000, seconds = 15): Promise<{ agents: number; cpuPct: number }> {
  const tokens: string[] = sys.hosts.map((h) => h.agentToken);
  for (let i = tokens.length; i < agents; i++) tokens.push((await enroll(sys.call, `hb-${i}`)).agentToken);
  const connected: BenchAgent[] = [];
  try {
    for (let i = 0; i < tokens.length; i += 50) {
      connected.push(...(await Promise.all(tokens.slice(i, i + 50).map((t) => BenchAgent.connect(sys.cp.url, t, { autoLease: false, heartbeatMs: 5000, inventory: 3 })))));
    }
    await drainJobs(sys.databaseUrl); // every hello queued a reconciliation of its host: not what is measured
    await sleep(1000);
    const pid = sys.cp.child.pid!;
    const before = await cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = (await cpuSeconds(pid)) - before;
    return { agents: connected.length, cpuPct: (cpu / ((performance.now() - t0) / 1000)) * 100 };
  } finally {
    for (const a of connected) a.close();
  }
}

/** Waits until graphile-worker has no job left (bounded to two minutes). */
async function drainJobs(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < 1200; i++) {
      const [row] = await sql`select count(*)::int as n from graphile_worker._private_jobs`;
      if (row!.n === 0) return;
      await sleep(100);
    }
  } finally {
    await sql.end();
  }
}
