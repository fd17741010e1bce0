import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import postgres from "postgres";
import { killSimServers, startAgentProcess, tempDir } from "../../test/support/processes";
import { cpuSeconds, sleep } from "./stats";
import { createBody, type BenchSystem } from "./system";

const ROOT = resolve(import.meta.dirname, "../..");
const BUNDLE = "dist/agent/zlh-agent.mjs";

export interface AgentIdle {
  servers: number;
  /** The agent's resident memory, the highest sampled over the window (MiB). */
  rssMiB: number;
  /** The agent's CPU over the window, % of one core (its simulated servers are not counted: on Proxmox they are the customers'). */
  cpuPct: number;
}

/**
 * A real agent, as deployed (the release bundle: plain node, no tsx), with
 * `servers` running simulated servers on its host and nothing to do: its
 * heartbeats (every TTL/3), inventories and lease renewals over `seconds`.
 */
export async function measureAgentIdle(sys: BenchSystem, servers: number, seconds: number): Promise<AgentIdle> {
  // Built now, so that the bundle is this checkout's code.
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { cwd: ROOT, stdio: "ignore" });
  const simRoot = await tempDir("bench-idle-sim");
  const agent = startAgentProcess({ controlUrl: sys.cp.url, token: sys.hosts[0]!.agentToken, simRoot, stateDir: await tempDir("bench-idle-state"), entry: BUNDLE, extra: { LOG_LEVEL: "warn" } });
  const sql = postgres(sys.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const ids: string[] = [];
    for (let i = 0; i < servers; i++) ids.push((await sys.call("POST", "/v1/servers", createBody(), { "idempotency-key": `idle-${i}` })).body.id);
    for (let i = 0; i < 1200; i++) {
      if (agent.ended()) throw new Error(`the agent exited:\n${agent.output.slice(-20).join("\n")}`);
      const [r] = await sql`select count(*) filter (where status = 'running')::int as running, count(*) filter (where status = 'failed')::int as failed from servers where id = any(${ids})`;
      if (r!.failed > 0) throw new Error(`${r!.failed} servers failed to start`);
      if (r!.running === servers) break;
      await sleep(250);
    }
    await sleep(5000); // the starts' aftermath (results, events, GC) is not idle
    const pid = agent.child.pid!;
    let rss = 0;
    const cpuBefore = await cpuSeconds(pid);
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      rss = Math.max(rss, await rssMiB(pid));
      await sleep(1000);
    }
    const cpuPct = ((await cpuSeconds(pid)) - cpuBefore) / ((performance.now() - t0) / 1000) * 100;
    return { servers, rssMiB: rss, cpuPct };
  } finally {
    await sql.end();
    await agent.stop();
    await killSimServers(simRoot);
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}
