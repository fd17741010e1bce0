/**
 * `pnpm chaos [--seed n] [--duration s] [--hosts n] [--control-planes n] [--json]`:
 * real processes (Postgres, control planes, sim agents) under a seeded random
 * workload and random faults; then the faults stop, the system must converge
 * (bounded), and every invariant is checked against the database, what
 * exists on the hosts, and a canary directory on the host that a hostile
 * customer's links aim at. Exits 1 on any violation. The workload, the fault
 * schedule and the configuration (lease TTL 3-15 s, reconcile interval 1-30 s)
 * replay from the seed (process timing still varies run to run). Every process
 * it starts is stopped when it ends. With `--json`, stdout carries one JSON
 * document, the run's summary (what tests and scripts read); progress goes to
 * stderr.
 */
import postgres from "postgres";
import { seededRandom } from "@zlh/domain";
import { createMigratedDatabase, dropDatabase, postgresServer, uniqueName } from "@zlh/testing";
import { api, enroll } from "../test/support/api";
import { join } from "node:path";
import { Canary } from "./chaos/canary";
import { Cluster } from "./chaos/cluster";
import { EdgeChaos } from "./chaos/edge";
import { Faults } from "./chaos/faults";
import { HeartbeatWatch } from "./chaos/heartbeatWatch";
import { checkHostileInvariants, hostileResidue } from "./chaos/hostileInvariants";
import { checkInvariants, runningWithoutProcess } from "./chaos/invariants";
import { Workload } from "./chaos/workload";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} must be a whole number`);
    process.exit(2);
  }
  return v;
}
const seed = arg("seed", Date.now() % 100_000);
const duration = arg("duration", 60);
const hostCount = Math.max(1, arg("hosts", 3));
const planeCount = Math.max(1, arg("control-planes", 2));
const random = seededRandom(seed);
const edgeRandom = seededRandom(seed + 1_000_003);
const json = process.argv.includes("--json");
/** Progress; the human report. With --json both go to stderr, and stdout is the summary alone. */
const say = (msg: string) => (json ? console.error : console.log)(`[chaos] ${msg}`);
const report = (line: string) => (json ? console.error : console.log)(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pg = await postgresServer();
const adminUrl = pg.adminUrl;
const stopPg = pg.stop;
const dbName = uniqueName("zlh_chaos");
const databaseUrl = await createMigratedDatabase(adminUrl, dbName);
const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
// Timing is part of what is tested: a short reconcile interval against slow heartbeats found real bugs.
const leaseTtlMs = 3000 + Math.floor(random() * 12_000);
const reconcileIntervalMs = 1000 + Math.floor(random() * 29_000);
const watch = new HeartbeatWatch(sql, leaseTtlMs);
// A real BIND 9 the control planes publish every server to (RFC 2136), itself a target of faults.
const edge = await EdgeChaos.start();
/** Stops everything the run started (control planes, agents, simulated servers); safe to call twice. */
let cleaning: Promise<void> | null = null;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    watch.stop();
    await faults?.settle().catch(() => {});
    await cluster.stop().catch(() => {});
    await edge.stop().catch(() => {});
    const { killSimServers } = await import("../test/support/processes");
    for (const h of cluster.hosts) await killSimServers(h.simRoot);
  })();
  return cleaning;
}
// Stopped from outside (a test's timeout, Ctrl-C): leave no process behind.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping what the run started`);
    void cleanUp().finally(() => process.exit(1));
  });
}

const cluster = new Cluster(databaseUrl, {
  LOG_LEVEL: "error",
  ZLH_LEASE_TTL_MS: String(leaseTtlMs),
  ZLH_RECONCILE_INTERVAL_MS: String(reconcileIntervalMs),
  // A small VMID range, so bursts exhaust it and VMIDs are reused under faults.
  ZLH_VMID_RANGE: "5000-5029",
  ...edge.env(),
});
let exitCode = 1;
let faults: Faults | undefined;
try {
  say(`seed ${seed}, ${duration} s, ${hostCount} hosts, ${planeCount} control planes, lease TTL ${leaseTtlMs} ms, reconcile every ${reconcileIntervalMs} ms`);
  await cluster.startPlanes(planeCount);
  for (let i = 0; i < hostCount; i++) {
    const h = await enroll(api(cluster.url(0)), `chaos-${i}`);
    const delay = Math.floor(random() * 200);
    await cluster.addHost(`chaos-${i}`, h.id, h.agentToken, i % planeCount, {
      ZLH_SIM_OP_DELAY_MS: String(delay),
      ZLH_SIM_FAULTS: `lock=0.04,startFail=0.04,createErrorAfterSuccess=0.05,seed=${seed * 100 + i}`,
    });
  }
  const workload = new Workload(cluster, random);
  // The host files a hostile customer aims at, listed whole before the first fault.
  const canary = await Canary.create(seed);
  const canaryBefore = await canary.listing();
  faults = new Faults(cluster, random, sql, watch, canary, pg.restart);
  await faults.install();
  watch.start();
  const end = Date.now() + duration * 1000;
  let nextFault = Date.now() + 1000;
  const inflight = new Set<Promise<void>>();
  while (Date.now() < end) {
    const step = workload.step().catch(() => {});
    inflight.add(step);
    void step.finally(() => inflight.delete(step));
    if (Date.now() >= nextFault) {
      // One fault in five is the edge's (its own generator, so the others' schedule replays as before).
      if (edgeRandom() < 0.2) await edge.inject(edgeRandom, sql).catch((err) => say(`edge fault failed: ${(err as Error).message}`));
      else await faults.inject().catch((err) => say(`fault failed: ${(err as Error).message}`));
      nextFault = Date.now() + 700 + random() * 2000;
    }
    await sleep(60 + random() * 140);
  }
  say("faults stopped; waiting for convergence");
  await Promise.all([...inflight]);
  await faults.settle();
  await edge.settle();
  await cluster.heal();

  // Bounded: leases expire (TTL), retries back off (at most 60 s), a crash loop waits (at most 40 s here),
  // a superseded agent comes back (at most 60 s), reconciliation runs (interval).
  const deadline = Date.now() + 240_000 + 2 * reconcileIntervalMs;
  let settledFor = 0;
  while (Date.now() < deadline && settledFor < 3) {
    await cluster.heal(); // as systemd's Restart=always would
    const [row] = await sql`select
      (select count(*)::int from operations where status in ('queued','leased')) as ops,
      (select count(*)::int from servers where status in ('pending','provisioning','deleting','starting','stopping')
        or (status = 'stopped' and desired_state = 'running')) as moving,
      (select count(*)::int from drift_items where resolved_at is null and kind = 'state_mismatch')
        + (select count(*)::int from servers where change_status in ('resolving', 'applying'))
        + (select count(*)::int from backups where status in ('pending', 'running')) as mismatched`.catch(() => [{ ops: 1, moving: 1, mismatched: 1 }]);
    const crashedUnseen = await runningWithoutProcess(sql, cluster).catch(() => 1);
    settledFor = row!.ops === 0 && row!.moving === 0 && row!.mismatched === 0 && crashedUnseen === 0 ? settledFor + 1 : 0;
    await sleep(1000);
  }
  watch.stop();
  const hostile = faults.hostile;
  const excused: string[] = [];
  const excuse = async (serverId: string, hostId: string, vmid: number) => {
    const h = cluster.hosts.find((x) => x.id === hostId);
    return hostile.targeted.has(serverId) && h ? hostileResidue(join(h.simRoot, String(vmid), "rootfs")) : null;
  };
  const checks = [
    ...(await checkInvariants(sql, cluster, workload.stats, faults.unmanaged, excuse, excused)),
    ...(await checkHostileInvariants(cluster, canary, canaryBefore, hostile, watch)),
    // Backoff after the longest outage is at most 16 s, the audit runs every 2 s: a minute is ample.
    await edge.check(sql, 60_000),
  ];
  const [{ ops }] = (await sql`select count(*)::int as ops from operations`) as unknown as [{ ops: number }];
  const byStatus = await sql`select status, count(*)::int as n from servers group by 1 order by 1`;
  const changes = await sql`select coalesce(change_status, 'none') as s, count(*)::int as n from servers group by 1 order by 1`;
  const backupsByStatus = await sql`select status, count(*)::int as n from backups group by 1 order by 1`;
  report("");
  report(`seed: ${seed}`);
  report(`ops: ${ops}  requests: ${workload.stats.requests} (creates ${workload.stats.creates}, duplicated ${workload.stats.duplicates}, bursts ${workload.stats.bursts}, deletes ${workload.stats.deletes}, power ${workload.stats.powers}, changes ${workload.stats.changes} (meant to roll back ${workload.stats.breakingChanges}), backups ${workload.stats.backups}, restores ${workload.stats.restores}, refused ${workload.stats.refused}, failed requests ${workload.stats.errors})`);
  report(`servers: ${byStatus.map((r) => `${r.status} ${r.n}`).join(", ")}`);
  report(`last changes: ${changes.map((r) => `${r.s} ${r.n}`).join(", ")}; backups: ${backupsByStatus.map((r) => `${r.status} ${r.n}`).join(", ") || "none"}`);
  report(`edge faults: ${Object.entries(edge.counts).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`);
  report(`faults: ${Object.entries(faults.counts).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`);
  report(`control-plane starts that failed (retried): ${cluster.planeStartFailures.length}`);
  for (const f of cluster.planeStartFailures) report(`  ${f.split("\n").slice(0, 6).join(" | ").slice(0, 600)}`);
  report(`process crashes (restarted, as systemd would): ${cluster.crashes.length}`);
  for (const c of cluster.crashes) report(`  ${c.host} exited ${c.code ?? c.signal}: ${c.lastOutput.join(" | ").slice(0, 3000)}`);
  // What the hostile faults made the agent refuse (operations and backups failed on the customer's tree).
  const refusals = await sql`select code, count(*)::int as n from (
      select substring(error from '(unsafe_path|not_regular_file|tar_failed|file_too_large)') as code from operations where error is not null
      union all select substring(error from '(unsafe_path|not_regular_file|tar_failed|file_too_large)') from backups where error is not null) x
    where code is not null group by 1 order by 1`;
  report(`hostile faults: ${hostile.targeted.size} servers targeted; refusals seen: ${refusals.map((r) => `${r.code} ${r.n}`).join(", ") || "none"}; excused (the customer's own tree still hostile): ${excused.length}`);
  for (const e of excused.slice(0, 10)) report(`  ${e}`);
  report("invariants:");
  for (const c of checks) {
    report(`  ${c.violations.length === 0 ? "ok  " : "FAIL"} ${c.name}: checked ${c.checked}, violations ${c.violations.length}`);
    for (const v of c.violations.slice(0, 10)) report(`         ${v}`);
  }
  const violations = checks.reduce((n, c) => n + c.violations.length, 0);
  if (violations > 0) {
    for (const h of cluster.hosts) {
      report(`agent ${h.name}: ${h.proc && !h.proc.ended() ? "alive" : `exited (${h.proc?.child.exitCode ?? h.proc?.child.signalCode})`}; last output:`);
      for (const line of h.proc?.output.slice(-8) ?? []) report(`    ${line.slice(0, 300)}`);
    }
  }
  report(`violations: ${violations}`);
  if (json) {
    const summary = {
      seed,
      ops,
      workload: workload.stats,
      servers: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      lastChanges: Object.fromEntries(changes.map((r) => [r.s, r.n])),
      backups: Object.fromEntries(backupsByStatus.map((r) => [r.status, r.n])),
      faults: faults.counts,
      edgeFaults: edge.counts,
      planeStartFailures: cluster.planeStartFailures.length,
      crashes: cluster.crashes.length,
      hostile: { targeted: hostile.targeted.size, refusals: Object.fromEntries(refusals.map((r) => [r.code, r.n])), excused: excused.length },
      invariants: checks.map((c) => ({ name: c.name, checked: c.checked, violations: c.violations.length, examples: c.violations.slice(0, 10) })),
      violations,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
  exitCode = violations === 0 ? 0 : 1;
} catch (err) {
  console.error(err);
} finally {
  await cleanUp();
  await sql.end();
  if (exitCode === 0) await dropDatabase(adminUrl, dbName).catch(() => {});
  else report(`database kept for inspection: ${dbName}`);
  await stopPg();
}
process.exit(exitCode);
