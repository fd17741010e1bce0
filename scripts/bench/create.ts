import { percentile } from "./stats";
import { createBody, type BenchSystem } from "./system";

async function timedCreate(sys: BenchSystem, key: string): Promise<number> {
  const t0 = performance.now();
  const res = await sys.call("POST", "/v1/servers", createBody(), { "idempotency-key": key });
  if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return performance.now() - t0;
}

/** Closed loop: `concurrency` clients creating as fast as answers come back. */
export async function measureCreateThroughput(sys: BenchSystem, total = 1500, concurrency = 16): Promise<number> {
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) await timedCreate(sys, `tp-${issued++}`);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** Open loop at a fixed rate (as a panel under load sends them): latency of each create. */
export async function measureCreateLatency(sys: BenchSystem, ratePerSec = 200, seconds = 5, keyPrefix = "lat"): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < ratePerSec * seconds; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(timedCreate(sys, `${keyPrefix}-${i}`).then((ms) => void latencies.push(ms)));
  }
  await Promise.all(inflight);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
