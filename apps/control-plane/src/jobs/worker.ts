import { Logger as WorkerLogger, run, type TaskList } from "graphile-worker";
import type { Logger } from "pino";
import type { ControlPlaneConfig } from "../config";
import { PROVISION_TASK, type Db } from "@zlh/db";
import { provisionServerTask } from "./tasks/provisionServer";

export interface Worker {
  stop(): Promise<void>;
}

/** graphile-worker for durable control-plane jobs, logging through pino. */
export async function startWorker(config: ControlPlaneConfig, db: Db, log: Logger): Promise<Worker> {
  const taskList: TaskList = {
    [PROVISION_TASK]: provisionServerTask(db),
  };
  const runner = await run({
    connectionString: config.databaseUrl,
    concurrency: config.workerConcurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList,
    logger: pinoWorkerLogger(log),
  });
  return { stop: () => runner.stop() };
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
