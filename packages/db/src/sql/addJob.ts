import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export interface JobOptions {
  /** Deduplication key; with `replace` (default) a queued job with this key is replaced. */
  jobKey?: string;
  jobKeyMode?: "replace" | "preserve_run_at" | "unsafe_dedupe";
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Enqueues a graphile-worker job inside the caller's transaction, so the job
 * exists if and only if the change that asked for it commits.
 */
export async function addJob(tx: DbOrTx, task: string, payload: Record<string, unknown>, o: JobOptions = {}): Promise<void> {
  await tx.execute(sql`
    select graphile_worker.add_job(${task}, ${JSON.stringify(payload)}::json,
      run_at => ${o.runAt?.toISOString() ?? null}::timestamptz,
      max_attempts => ${o.maxAttempts ?? null}::int,
      job_key => ${o.jobKey ?? null}::text,
      job_key_mode => ${o.jobKeyMode ?? "replace"}::text)`);
}
