import type { Task } from "graphile-worker";
import { addJob } from "@zlh/db";
import { auditEdgeProvider } from "../../edge/audit";
import { edgePass, type EdgePassDeps } from "../../edge/pass";
import { EDGE_AUDIT_JOB, EDGE_PASS_JOB } from "../jobNames";

export interface EdgeJobDeps extends EdgePassDeps {
  passIntervalMs: number;
  auditIntervalMs: number;
}

/** `edge.pass`: the incremental pass (edge/pass.ts), then its own next run; one pending run across processes (job key). */
export function edgePassTask(deps: EdgeJobDeps): Task {
  return async () => {
    try {
      const stats = await edgePass(deps);
      if (stats.attempted > 0) deps.log.debug(stats, "edge pass");
    } finally {
      await addJob(deps.db, EDGE_PASS_JOB, {}, { jobKey: "edge-pass", runAt: new Date(Date.now() + deps.passIntervalMs), maxAttempts: 3 });
    }
  };
}

/** `edge.audit`: every readable provider listed and compared with the database (edge/audit.ts); a provider that cannot be listed is logged and audited next time. */
export function edgeAuditTask(deps: EdgeJobDeps): Task {
  return async () => {
    try {
      for (const provider of deps.providers) {
        try {
          await auditEdgeProvider(deps, provider);
        } catch (err) {
          deps.log.warn({ provider: provider.name, err: { message: (err as Error).message, code: (err as { code?: string }).code } }, "edge audit could not list the provider");
        }
      }
    } finally {
      await addJob(deps.db, EDGE_AUDIT_JOB, {}, { jobKey: "edge-audit", runAt: new Date(Date.now() + deps.auditIntervalMs), maxAttempts: 3 });
    }
  };
}
