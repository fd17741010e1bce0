/**
 * `pnpm bench [--json] [--quick] [--only <phase,...>]`: the hardware baseline
 * and the system's numbers in one run, on one database server (DATABASE_URL's,
 * else an embedded one). Each system measurement gets a fresh database and
 * its own control-plane process. `--only` runs some phases (pg, create,
 * dispatch, lifecycles, controlPlaneLifecycles, twoControlPlanes, heartbeats,
 * fleet, edge, agentIdle, pctInventory, placement, realContainers), for profiling
 * one of them. realContainers runs where LXC is usable (root, a host
 * prepared by `pnpm host:prepare --install`) and says why it is skipped
 * otherwise. Targets are in
 * docs/benchmarks.md.
 */
import { parseArgs } from "node:util";
import { cpus, totalmem } from "node:os";
import { createMigratedDatabase, dropDatabase, postgresServer, uniqueName } from "@zlh/testing";
import { measureCreateLatency, measureCreateThroughput } from "./bench/create";
import { measureDispatch } from "./bench/dispatch";
import { measureAgentIdle } from "./bench/agentIdle";
import { measureEdge } from "./bench/edge";
import { measureFleet } from "./bench/fleet";
import { measureHeartbeatCost } from "./bench/heartbeats";
import { measureControlPlaneLifecycles, measureLifecycles } from "./bench/lifecycles";
import { measurePgInsertTps } from "./bench/pgInsert";
import { measurePctInventory } from "./bench/pctInventory";
import { measureWarmPlacement } from "./bench/placement";
import { lxcUnusable } from "./bench/lxcHost";
import { measureRealContainers } from "./bench/realContainers";
import { round } from "./bench/stats";
import { startSystem, type BenchSystem } from "./bench/system";

const { values: args } = parseArgs({
  options: { json: { type: "boolean" }, quick: { type: "boolean" }, only: { type: "string" } },
});
const asJson = args.json ?? false;
const quick = args.quick ?? false;
const log = (msg: string) => !asJson && console.error(msg);

const pg = await postgresServer();
const adminUrl = pg.adminUrl;
const results: Record<string, number> = {};

/** CPU milliseconds per lifecycle by spender, as `<prefix>.<spender>` results. */
function recordCpuSplit(prefix: string, split: Record<string, number>) {
  for (const [who, ms] of Object.entries(split)) results[`${prefix}.${who}`] = round(ms, 1);
}

/** A measurement on a fresh system (database + control-plane process) with `hosts` enrolled hosts. */
async function onFreshSystem(hosts: number, measure: (sys: BenchSystem) => Promise<void>, env: Record<string, string> = {}, controlPlanes = 1): Promise<void> {
  const sys = await startSystem(adminUrl, hosts, env, controlPlanes);
  try {
    await measure(sys);
  } finally {
    await sys.close();
  }
}

const phases: Record<string, () => Promise<void>> = {
  async pg() {
    const scratch = uniqueName("zlh_bench_scratch");
    const scratchUrl = await createMigratedDatabase(adminUrl, scratch);
    results.pgInsertTps = round(await measurePgInsertTps(scratchUrl, 16, quick ? 2 : 5), 0);
    await dropDatabase(adminUrl, scratch);
  },
  create: () =>
    onFreshSystem(10, async (sys) => {
      results.createRps = round(await measureCreateThroughput(sys, quick ? 400 : 1500), 0);
      const lat = await measureCreateLatency(sys, 200, quick ? 2 : 5);
      results.createP50Ms = round(lat.p50, 2);
      results.createP99Ms = round(lat.p99, 2);
      // Latency, not a queue: an open loop at 60 % of what this machine was just measured to sustain.
      results.createLoadRps = Math.max(1, Math.round(results.createRps * 0.6));
      const atLoad = await measureCreateLatency(sys, results.createLoadRps, quick ? 2 : 5, "load");
      results.createP50MsAtLoad = round(atLoad.p50, 2);
      results.createP99MsAtLoad = round(atLoad.p99, 2);
    }),
  dispatch: () =>
    onFreshSystem(10, async (sys) => {
      const dispatch = await measureDispatch(sys, quick ? 50 : 200);
      results.dispatchP50Ms = round(dispatch.p50, 2);
      results.dispatchP99Ms = round(dispatch.p99, 2);
      results.dispatchColdMs = round(dispatch.coldMs, 1);
    }),
  lifecycles: () =>
    onFreshSystem(10, async (sys) => {
      const life = await measureLifecycles(sys, quick ? 8 : 20);
      results.lifecyclesPerSec = round(life.perSec, 1);
      if (results.pgInsertTps) results.lifecycleEfficiency = round(life.perSec / results.pgInsertTps, 4);
      recordCpuSplit("lifecycleCpuMs", life.cpuMsPerLifecycle);
    }),
  controlPlaneLifecycles: () =>
    onFreshSystem(10, async (sys) => {
      const life = await measureControlPlaneLifecycles(sys, quick ? 8 : 20);
      results.controlPlaneLifecyclesPerSec = round(life.perSec, 1);
      const { controlPlane, benchClient, postgres, rest } = life.cpuMsPerLifecycle;
      recordCpuSplit("controlPlaneLifecycleCpuMs", { controlPlane, benchClient, postgres, rest });
      results.cpLifecycleCpuMs = round(controlPlane + postgres, 1);
    }),
  // The same with two control-plane processes on one database, requests and agents spread over both.
  twoControlPlanes: () =>
    onFreshSystem(
      10,
      async (sys) => {
        const life = await measureControlPlaneLifecycles(sys, quick ? 8 : 20);
        results.twoControlPlanesLifecyclesPerSec = round(life.perSec, 1);
        results.twoControlPlanesCpuMs = round(life.cpuMsPerLifecycle.controlPlane + life.cpuMsPerLifecycle.postgres, 1);
      },
      {},
      2,
    ),
  heartbeats: () =>
    onFreshSystem(0, async (sys) => {
      // The phase of old: 3 containers per host (kept for comparison).
      const hb = await measureHeartbeatCost(sys, quick ? 200 : 1000, 3, true, quick ? 6 : 15);
      results.agents = hb.agents;
      results.heartbeatCpuPct = round(hb.cpuPct, 1);
    }),
  // A fleet's steady state: 1,000 hosts with 50 running servers each (rows in the database, containers in the
  // agents' inventories), heartbeats as the agent sends them (the list once, then its digest), reconciliation at
  // its default interval; then reconciliation passes and a customer's page of servers. And the same fleet sending
  // the full list in every heartbeat (the scheme before digests), for comparison.
  fleet: async () => {
    const hosts = quick ? 200 : 1000;
    for (const digest of [true, false]) {
      await onFreshSystem(0, async (sys) => {
        const f = await measureFleet(sys, hosts, 50, digest, quick ? 6 : 20, digest);
        const suffix = digest ? "" : "FullInventory";
        if (digest) {
          results.fleetHosts = f.hosts;
          results.fleetServers = f.servers;
          results.reconcilePassMs = round(f.reconcilePassMs!, 0);
          results.reconcileQuietPassMs = round(f.reconcileQuietPassMs!, 1);
          results.reconcileQuietPassHosts = f.reconcileQuietPassHosts!;
          results.listServersP50Ms = round(f.listServersP50Ms!, 2);
          results.listServersP99Ms = round(f.listServersP99Ms!, 2);
        }
        results[`fleetHeartbeatCpuPct${suffix}`] = round(f.steady.cpuPct, 1);
        results[`fleetPgCpuPct${suffix}`] = round(f.steady.pgCpuPct, 1);
        results[`fleetRowsWrittenPerSec${suffix}`] = round(f.steady.rowsWrittenPerSec, 0);
        results[`fleetWalKiBPerSec${suffix}`] = round(f.steady.walKiBPerSec, 1);
      });
    }
  },
  // The edge pass over the 50,000-server fleet: quiet (nothing dirty, nothing due), then publishing 1,000 new
  // servers' records to a real BIND 9 (applied and verified by lookups), then the audit of that zone.
  edge: () =>
    onFreshSystem(0, async (sys) => {
      const e = await measureEdge(sys, quick ? 200 : 1000, 50, 1000);
      results.edgeFleetServers = e.servers;
      results.edgeQuietPassMs = round(e.edgeQuietPassMs, 1);
      results.edgePublish1000Ms = round(e.edgePublishMs, 0);
      results.edgePublishPasses = e.edgePublishPasses;
      results.edgeAuditMs = round(e.edgeAuditMs, 0);
      results.edgeAuditRepairMs = round(e.edgeAuditRepairMs, 0);
    }),
  agentIdle: () =>
    onFreshSystem(1, async (sys) => {
      const idle = await measureAgentIdle(sys, 50, quick ? 15 : 60);
      results.agentIdleServers = idle.servers;
      results.agentIdleRssMiB = round(idle.rssMiB, 1);
      results.agentIdleCpuPct = round(idle.cpuPct, 2);
    }),
  // One heartbeat's inventory on a pct host with 50 containers (against the fake pct).
  async pctInventory() {
    const inv = await measurePctInventory(50, quick ? 2 : 5);
    results.pctInventoryCalls = inv.pctCallsPerInventory;
    results.pctInventoryMs = round(inv.inventoryMs, 0);
  },
  async placement() {
    results.placeWarmMs = round(await measureWarmPlacement(), 1);
  },
  // Real unprivileged containers through the real agent, against the machine's own hand-made start.
  async realContainers() {
    const unusable = lxcUnusable();
    if (unusable) {
      console.error(`realContainers: skipped: ${unusable}`);
      return;
    }
    const real = await measureRealContainers(adminUrl, quick ? 2 : 3, quick ? 2 : 5);
    results.lxcCreateToRunningMs = round(real.createToRunningMs, 0);
    results.lxcBaselineMs = round(real.baselineMs, 0);
    results.lxcCreateRatio = round(real.ratio, 2);
    results.lxcAgentCpuMsPerLifecycle = round(real.agentCpuMs, 0);
    results.lxcAgentChildrenCpuMsPerLifecycle = round(real.agentChildrenCpuMs, 0);
    results.lxcObservedContainers = real.observation.containers;
    results.lxcInventoryMs = round(real.observation.inventoryMs, 0);
    results.lxcInventorySyscalls = round(real.observation.syscallsPerInventory, 0);
    results.lxcInventoryExecs = round(real.observation.execsPerInventory, 1);
    for (const [program, n] of Object.entries(real.observation.programs)) results[`lxcInventoryExecs.${program}`] = round(n, 1);
    results.lxcInventoryAttachExecs = (real.observation.programs["lxc-attach"] ?? 0) + (real.observation.programs.pct ?? 0);
  },
};

const selected = args.only ? args.only.split(",") : Object.keys(phases);
const unknown = selected.filter((p) => !(p in phases));
if (unknown.length) {
  console.error(`unknown phase(s): ${unknown.join(", ")}; phases: ${Object.keys(phases).join(", ")}`);
  process.exit(2);
}
try {
  for (const name of selected) {
    log(`${name} ...`);
    await phases[name]!();
  }
} finally {
  await pg.stop();
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
if (asJson) {
  console.log(JSON.stringify({ machine, ...results }));
} else {
  const targets: Record<string, string> = {
    createP99Ms: "<= 50 at 200/s",
    createP99MsAtLoad: "<= 50 (at 60 % of createRps)",
    dispatchP99Ms: "<= 15",
    cpLifecycleCpuMs: "<= 15",
    reconcilePassMs: "< 2,000 (1,000 x 50)",
    listServersP99Ms: "< 20 (of 50,000)",
    agentIdleRssMiB: "<= 80",
    agentIdleCpuPct: "< 1",
    lifecyclesPerSec: ">= 100",
    heartbeatCpuPct: "< 25 (1,000 agents)",
    fleetHeartbeatCpuPct: "< 25 (1,000 x 50)",
    fleetPgCpuPct: "< 25",
    placeWarmMs: "<= 300",
    edgeQuietPassMs: "< 20 (of 50,000)",
    lxcCreateRatio: "<= 1.5 (of lxcBaselineMs)",
    lxcInventoryAttachExecs: "0 (no lxc-attach / pct exec per heartbeat)",
  };
  console.log(`machine: ${machine}`);
  console.log(`${"metric".padEnd(30)}${"value".padStart(10)}   target`);
  for (const [k, v] of Object.entries(results)) console.log(k.padEnd(30) + String(v).padStart(10) + (targets[k] ? `   ${targets[k]}` : ""));
}
process.exit(0);
