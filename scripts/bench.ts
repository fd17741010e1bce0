/**
 * `pnpm bench [--json] [--quick]`: the hardware baseline and the system's
 * numbers in one run, on one database server (DATABASE_URL's, else an
 * embedded one). Each system measurement gets a fresh database and its own
 * control-plane process. Targets are in docs/benchmarks.md.
 */
import { cpus, totalmem } from "node:os";
import { createMigratedDatabase, dropDatabase, postgresServer, uniqueName } from "@zlh/testing";
import { measureCreateLatency, measureCreateThroughput } from "./bench/create";
import { measureDispatch } from "./bench/dispatch";
import { measureHeartbeatCpu } from "./bench/heartbeats";
import { measureControlPlaneLifecycles, measureLifecycles } from "./bench/lifecycles";
import { measurePgInsertTps } from "./bench/pgInsert";
import { measureWarmPlacement } from "./bench/placement";
import { round } from "./bench/stats";
import { startSystem } from "./bench/system";

const asJson = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const log = (msg: string) => !asJson && console.error(msg);

const pg = await postgresServer();
const adminUrl = pg.adminUrl;
const stopPg = pg.stop;

const results: Record<string, number> = {};
try {
  log("pgInsertTps ...");
  const scratch = uniqueName("zlh_bench_scratch");
  const scratchUrl = await createMigratedDatabase(adminUrl, scratch);
  results.pgInsertTps = round(await measurePgInsertTps(scratchUrl, 16, quick ? 2 : 5), 0);
  await dropDatabase(adminUrl, scratch);

  log("create ...");
  let sys = await startSystem(adminUrl, 10);
  results.createRps = round(await measureCreateThroughput(sys, quick ? 400 : 1500), 0);
  const lat = await measureCreateLatency(sys, 200, quick ? 2 : 5);
  results.createP50Ms = round(lat.p50, 2);
  results.createP99Ms = round(lat.p99, 2);
  await sys.close();

  log("dispatch ...");
  sys = await startSystem(adminUrl, 10);
  const dispatch = await measureDispatch(sys, quick ? 50 : 200);
  results.dispatchP50Ms = round(dispatch.p50, 2);
  results.dispatchP99Ms = round(dispatch.p99, 2);
  await sys.close();

  log("lifecycles ...");
  sys = await startSystem(adminUrl, 10);
  results.lifecyclesPerSec = round(await measureLifecycles(sys, quick ? 8 : 20), 1);
  results.lifecycleEfficiency = round(results.lifecyclesPerSec / results.pgInsertTps, 4);
  await sys.close();
  sys = await startSystem(adminUrl, 10);
  results.controlPlaneLifecyclesPerSec = round(await measureControlPlaneLifecycles(sys, quick ? 8 : 20), 1);
  await sys.close();

  log("heartbeats ...");
  sys = await startSystem(adminUrl, 0);
  const hb = await measureHeartbeatCpu(sys, quick ? 200 : 1000, quick ? 6 : 15);
  results.agents = hb.agents;
  results.heartbeatCpuPct = round(hb.cpuPct, 1);
  await sys.close();

  log("placement ...");
  results.placeWarmMs = round(await measureWarmPlacement(), 1);
} finally {
  await stopPg();
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
if (asJson) {
  console.log(JSON.stringify({ machine, ...results }));
} else {
  const targets: Record<string, string> = {
    createP99Ms: "<= 50 at 200/s",
    dispatchP99Ms: "<= 15",
    lifecyclesPerSec: ">= 100",
    heartbeatCpuPct: "< 25 (1,000 agents)",
    placeWarmMs: "<= 300",
  };
  console.log(`machine: ${machine}`);
  console.log("metric".padEnd(30) + "value".padStart(10) + "   target");
  for (const [k, v] of Object.entries(results)) console.log(k.padEnd(30) + String(v).padStart(10) + (targets[k] ? `   ${targets[k]}` : ""));
}
process.exit(0);
