import { BenchAgent } from "./benchAgent";
import { percentile, sleep } from "./stats";
import { createBody, type BenchSystem } from "./system";

/**
 * From a create's commit (its 202 arriving) to the host's agent holding the
 * lease: the operation's NOTIFY, the agent's lease request and the grant
 * (and, when the create could not plan the provision itself, the provision
 * job). The first create of the run resolves its request's manifest (a
 * cold cache); it is reported on its own as `coldMs`, not as a sample.
 */
export async function measureDispatch(sys: BenchSystem, samples = 200): Promise<{ p50: number; p99: number; coldMs: number }> {
  const agents = await Promise.all(sys.hosts.map((h) => BenchAgent.connect(sys.cp.url, h.agentToken, { autoLease: true, heartbeatMs: 5000 })));
  const delays: number[] = [];
  let coldMs = NaN;
  try {
    for (let i = 0; i <= samples; i++) {
      const res = await sys.call("POST", "/v1/servers", createBody(), { "idempotency-key": `dispatch-${i}` });
      const committed = performance.now();
      const id = res.body.id as string;
      const deadline = Date.now() + 10_000;
      let leased: number | undefined;
      while (leased === undefined && Date.now() < deadline) {
        leased = agents.map((a) => a.leasedAt.get(id)).find((t) => t !== undefined);
        if (leased === undefined) await sleep(1);
      }
      if (leased === undefined) throw new Error(`server ${id} was never leased`);
      delays.push(Math.max(0, leased - committed));
      if (i === 0) coldMs = delays.pop()!;
      await sleep(10);
    }
  } finally {
    for (const a of agents) a.close();
  }
  return { p50: percentile(delays, 50), p99: percentile(delays, 99), coldMs };
}
