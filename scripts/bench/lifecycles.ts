import postgres from "postgres";
import { killSimServers, startAgentProcess, tempDir, type Proc } from "../../test/support/processes";
import { BenchAgent } from "./benchAgent";
import { cpuSeconds, cpuSecondsByName, machineBusySeconds, sleep } from "./stats";
import { createBody, type BenchSystem } from "./system";

export interface LifecycleResult {
  perSec: number;
  /**
   * CPU milliseconds per lifecycle over the measured window, by who spent
   * them: the control-plane process, the agent processes, the simulated
   * servers they started (reaped children), this benchmark client (HTTP
   * calls, status polling, protocol-level agents), the Postgres processes
   * (when it runs on this machine), and the rest (the kernel's share not
   * charged to a process, other services).
   */
  cpuMsPerLifecycle: { controlPlane: number; agents: number; simServers: number; benchClient: number; postgres: number; rest: number };
}

/**
 * Full lifecycles per second: create -> running -> delete -> deleted, through
 * real agent processes on the sim runtime (operation latency 0), `inflight`
 * at a time, for `seconds`. Status is read straight from the database.
 */
export async function measureLifecycles(sys: BenchSystem, seconds = 20, inflight = 40): Promise<LifecycleResult> {
  const roots: string[] = [];
  const agents: Proc[] = [];
  for (const h of sys.hosts) {
    const simRoot = await tempDir("bench-sim");
    roots.push(simRoot);
    agents.push(startAgentProcess({ controlUrl: sys.cp.url, token: h.agentToken, simRoot, stateDir: await tempDir("bench-state"), extra: { ZLH_AGENT_CONCURRENCY: "16", LOG_LEVEL: "warn" } }));
  }
  try {
    return await runLifecycles(sys, seconds, inflight, agents.map((a) => a.child.pid!));
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    for (const r of roots) await killSimServers(r);
  }
}

/**
 * The same lifecycles with protocol-level agents that report every operation
 * done at once: the control plane's own ceiling, without containers.
 */
export async function measureControlPlaneLifecycles(sys: BenchSystem, seconds = 20, inflight = 40): Promise<LifecycleResult> {
  // Spread over the control-plane processes, as a load balancer would, and heartbeating as agents do:
  // placement skips a host silent for a lease TTL, so a run longer than 15 s ran out of hosts.
  const agents = await Promise.all(sys.hosts.map((h, i) => BenchAgent.connect(sys.cps[i % sys.cps.length]!.url, h.agentToken, { autoLease: true, heartbeatMs: 5000 })));
  try {
    return await runLifecycles(sys, seconds, inflight, []);
  } finally {
    for (const a of agents) a.close();
  }
}

interface CpuSample {
  controlPlane: number;
  agents: number;
  simServers: number;
  benchClient: number;
  postgres: number;
  machine: number;
}

async function sampleCpu(cpPids: number[], agentPids: number[]): Promise<CpuSample> {
  const sum = async (pids: number[], reaped: boolean) => (await Promise.all(pids.map((p) => cpuSeconds(p, reaped)))).reduce((a, b) => a + b, 0);
  const self = process.cpuUsage();
  return {
    controlPlane: await sum(cpPids, false),
    agents: await sum(agentPids, false),
    simServers: await sum(agentPids, true),
    benchClient: (self.user + self.system) / 1e6,
    postgres: await cpuSecondsByName("postgres"),
    machine: await machineBusySeconds(),
  };
}

async function runLifecycles(sys: BenchSystem, seconds: number, inflight: number, agentPids: number[]): Promise<LifecycleResult> {
  const sql = postgres(sys.databaseUrl, { max: 2, onnotice: () => {} });
  const phase = new Map<string, "up" | "down">();
  let done = 0;
  let n = 0;
  // A failed start is raised in the loop below, so that the phase ends through its finally blocks
  // (a rejection in a detached promise crashed the benchmark and left its processes running).
  let failure: Error | null = null;
  // Requests alternate between the control-plane processes, as a load balancer would.
  const call = () => sys.calls[n % sys.calls.length]!;
  const startOne = async () => {
    const res = await call()("POST", "/v1/servers", createBody(), { "idempotency-key": `life-${n++}` });
    // A refused create would leave an id-less entry behind and stall the loop; say why instead.
    if (res.status !== 202) throw new Error(`create refused: ${res.status} ${JSON.stringify(res.body)}`);
    phase.set(res.body.id, "up");
  };
  try {
    // Agents start through tsx (about a CPU-second each): wait until all are connected and idle.
    for (let i = 0; i < 600; i++) {
      const hosts = (await sys.call("GET", "/v1/hosts")).body.items as { connected: boolean }[];
      if (hosts.every((h) => h.connected)) break;
      await sleep(100);
    }
    await sleep(2000);
    const before = await sampleCpu(sys.cps.map((c) => c.child.pid!), agentPids);
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(Array.from({ length: inflight }, startOne));
    while (performance.now() < end) {
      if (failure) throw failure;
      const rows = await sql`select id, status from servers where id = any(${[...phase.keys()]})`;
      for (const r of rows) {
        const p = phase.get(r.id);
        if (p === "up" && (r.status === "running" || r.status === "failed")) {
          phase.set(r.id, "down");
          void call()("DELETE", `/v1/servers/${r.id}`).catch((err: Error) => (failure ??= err));
        } else if (p === "down" && r.status === "deleted") {
          phase.delete(r.id);
          done++;
          void startOne().catch((err: Error) => (failure ??= err));
        }
      }
      await sleep(10);
    }
    const after = await sampleCpu(sys.cps.map((c) => c.child.pid!), agentPids);
    const elapsed = (performance.now() - started) / 1000;
    const per = (s: number) => (done ? (s * 1000) / done : NaN);
    const cp = after.controlPlane - before.controlPlane;
    const agents = after.agents - before.agents;
    const sims = after.simServers - before.simServers;
    const client = after.benchClient - before.benchClient;
    const pg = after.postgres - before.postgres;
    return {
      perSec: done / elapsed,
      cpuMsPerLifecycle: {
        controlPlane: per(cp),
        agents: per(agents),
        simServers: per(sims),
        benchClient: per(client),
        postgres: per(pg),
        rest: per(after.machine - before.machine - cp - agents - sims - client - pg),
      },
    };
  } finally {
    await sql.end();
  }
}
