import { Logger as WorkerLogger, run, type TaskList } from "graphile-worker";
import type { Logger } from "pino";
import { createArtifactSource } from "@zlh/artifacts";
import { addJob, type Db } from "@zlh/db";
import type { ControlPlaneConfig } from "../config";
import { ManifestCache } from "../fabric/manifestCache";
import { connectProxmox } from "../reconcile/proxmox";
import { noteEdgeNaming } from "../edge/fingerprint";
import { edgeAuditTask, edgePassTask } from "./handlers/edge";
import { provisionServerTask } from "./handlers/provisionServer";
import { healServerTask } from "./handlers/heal";
import { modpackSweepTask } from "./handlers/modpackSweep";
import { neoforgeSweepTask } from "./handlers/neoforgeSweep";
import { RETENTION_SWEEP_KEY, retentionSweepTask } from "./handlers/retentionSweep";
import { reconcileAllTask, reconcileHostTask } from "./handlers/reconcile";
import { startWorkerLiveness } from "./workerLiveness";
import type { Metrics } from "../metrics/metrics";
import { EDGE_AUDIT_JOB, EDGE_PASS_JOB, HEAL_JOB, MODPACK_SWEEP_JOB, NEOFORGE_SWEEP_JOB, PROVISION_JOB, RETENTION_SWEEP_JOB, RECONCILE_ALL_JOB, RECONCILE_HOST_JOB, RESOLVE_CHANGE_JOB } from "./jobNames";
import { resolveChangeTask } from "./handlers/resolveChange";
import { COUNTDOWN_JOB, countdownTask } from "../schedules/countdownJob";

export interface Worker {
  stop(): Promise<void>;
}

/** Longer than any transaction that changes a server's status (milliseconds in practice): see ReconcileSchedule. */
const RECONCILE_CLOCK_MARGIN_MS = 10_000;

/** graphile-worker for durable control-plane jobs, logging through pino. */
export async function startWorker(config: ControlPlaneConfig, db: Db, log: Logger, metrics?: Metrics, manifests = new ManifestCache()): Promise<Worker> {
  const reconcileDeps = {
    db,
    log: log.child({ component: "reconcile" }),
    leaseTtlMs: config.leaseTtlMs,
    intervalMs: config.reconcileIntervalMs,
    schedule: { recheckMs: config.reconcileRecheckMs, clockMarginMs: RECONCILE_CLOCK_MARGIN_MS },
    proxmox: config.proxmox ? connectProxmox(config.proxmox, log.child({ component: "proxmox" })) : null,
    passDuration: metrics?.reconcileDuration,
  };
  const provisionDeps = {
    db,
    source: createArtifactSource(config.artifactSource, config.artifactMirror),
    secretsKeys: config.secretsKeys,
    log: log.child({ component: "resolver" }),
    cache: manifests,
    settings: { neoforgeJava: config.neoforgeJava, neoforgeInstallerMemoryBytes: config.neoforgeInstallerMemoryBytes },
  };
  const taskList: TaskList = {
    [PROVISION_JOB]: provisionServerTask(provisionDeps),
    [RESOLVE_CHANGE_JOB]: resolveChangeTask(provisionDeps),
    [RECONCILE_ALL_JOB]: reconcileAllTask(reconcileDeps),
    [RECONCILE_HOST_JOB]: reconcileHostTask(reconcileDeps),
    [HEAL_JOB]: healServerTask(db),
    [MODPACK_SWEEP_JOB]: modpackSweepTask({ db, log: log.child({ component: "modpacks" }), retentionMs: config.modpackRetentionMs }),
    [NEOFORGE_SWEEP_JOB]: neoforgeSweepTask({ db, log: log.child({ component: "neoforge" }), retentionMs: config.neoforgeRetentionMs }),
    [RETENTION_SWEEP_JOB]: retentionSweepTask({ db, log: log.child({ component: "retention" }), retention: config.retention }),
    [COUNTDOWN_JOB]: countdownTask(db, { config }, log.child({ component: "scheduler" })),
  };
  const edge = config.edgeNaming && config.edgeProviders.length > 0 ? { db, log: log.child({ component: "edge" }), providers: config.edgeProviders, ...config.edgeTiming } : null;
  if (edge) {
    taskList[EDGE_PASS_JOB] = edgePassTask(edge);
    taskList[EDGE_AUDIT_JOB] = edgeAuditTask(edge);
  }
  const liveness = startWorkerLiveness(db, config.leaseTtlMs, log.child({ component: "worker" }));
  const runner = await run({
    events: liveness.events,
    connectionString: config.databaseUrl,
    concurrency: config.workerConcurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList,
    logger: pinoWorkerLogger(log),
  }).catch(async (err: unknown) => {
    await liveness.stop();
    throw err;
  });
  // Start the reconciliation cycle unless a run is already scheduled (by this or another process).
  await addJob(db, RECONCILE_ALL_JOB, {}, { jobKey: "reconcile", jobKeyMode: "preserve_run_at", maxAttempts: 3 });
  await addJob(db, MODPACK_SWEEP_JOB, {}, { jobKey: "modpack-sweep", jobKeyMode: "preserve_run_at", maxAttempts: 3 });
  await addJob(db, NEOFORGE_SWEEP_JOB, {}, { jobKey: "neoforge-sweep", jobKeyMode: "preserve_run_at", maxAttempts: 3 });
  await addJob(db, RETENTION_SWEEP_JOB, {}, { jobKey: RETENTION_SWEEP_KEY, jobKeyMode: "preserve_run_at", maxAttempts: 3 });
  if (edge) {
    if (await noteEdgeNaming(db, edge.providers)) edge.log.info({ providers: edge.providers.map((p) => p.name) }, "edge naming changed since the last start: every server is marked dirty");
    await addJob(db, EDGE_PASS_JOB, {}, { jobKey: "edge-pass", jobKeyMode: "preserve_run_at", maxAttempts: 3 });
    await addJob(db, EDGE_AUDIT_JOB, {}, { jobKey: "edge-audit", jobKeyMode: "preserve_run_at", maxAttempts: 3 });
  }
  return {
    async stop() {
      await runner.stop();
      await liveness.stop();
    },
  };
}

function pinoWorkerLogger(log: Logger): WorkerLogger {
  const child = log.child({ component: "worker" });
  return new WorkerLogger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...meta };
    if (level === "error") child.error(fields, message);
    else if (level === "warning") child.warn(fields, message);
    else child.debug(fields, message);
  });
}
