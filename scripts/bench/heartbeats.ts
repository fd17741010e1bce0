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
    await sleep(8000); // let the connect-time reconciliation jobs drain
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
