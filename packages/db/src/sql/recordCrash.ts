import { sql } from "drizzle-orm";
import { CRASH_LOOP_STREAK, crashBackoffMs, nextCrashStreak } from "@zlh/domain";
import type { DbOrTx } from "../client";
import { transitionServer } from "./transitionServer";

export interface Crash {
  generation: number;
  restartCount: number;
  crashStreak: number;
  /** When self-heal may start it again (now, for the first crash of a streak). */
  healAfter: Date;
  looping: boolean;
}

/**
 * A desired-running server was observed stopped (or its start saw its game
 * end before it answered): it moves `running -> stopped` (`starting ->
 * stopped`), and the crash is counted toward its crash-loop backoff
 * (packages/domain/src/crashLoop.ts). Every crash is a new generation, so the
 * start that heals it is a new operation (operations are unique per server,
 * generation and kind: reusing the generation would plan nothing after the
 * first heal). `data.reason` (default observed_stopped) is kept as the
 * server's last crash reason; `data.cause`, `hint` and `summary` (the evidence
 * recognised: @zlh/domain recognizeCrash) and `evidence` are kept as its last
 * crash detail, with `repeated`: how many crashes in a row had this cause (a
 * crash loop says what keeps failing). The events carry the same. Returns
 * null when the server was no longer `running`.
 */
export async function recordCrash(tx: DbOrTx, serverId: string, data: Record<string, unknown>, evidence: unknown = null): Promise<Crash | null> {
  const moved = await transitionServer(tx, serverId, "stopped", { data: { reason: "observed_stopped", ...data } });
  if (!moved) return null;
  const [prev] = await tx.execute<{ crash_streak: number; heal_after: string | null; now: string; last_cause: string | null; last_repeated: number | null }>(
    sql`select crash_streak, heal_after, now() as now, last_crash_detail->>'cause' as last_cause, (last_crash_detail->>'repeated')::int as last_repeated from servers where id = ${serverId}`,
  );
  const now = new Date(prev!.now);
  const streak = nextCrashStreak(prev!.crash_streak, prev!.heal_after ? new Date(prev!.heal_after) : null, now);
  const healAfter = new Date(now.getTime() + crashBackoffMs(streak));
  const looping = streak >= CRASH_LOOP_STREAK;
  const cause = typeof data.cause === "string" ? data.cause : null;
  // In a row: within this streak, with the same cause as the crash before.
  const repeated = cause !== null && streak > 1 && prev!.last_cause === cause ? (prev!.last_repeated ?? 1) + 1 : 1;
  const { detail, eventData } = crashRecord(data, evidence, repeated);
  const [row] = await tx.execute<{ generation: number; restart_count: number }>(sql`
    with s as (
      update servers set generation = generation + 1, restart_count = restart_count + 1, crash_streak = ${streak},
        last_crash_at = ${now.toISOString()}::timestamptz, last_crash_reason = ${reasonOf(data)},
        last_crash_detail = ${detail}::jsonb, heal_after = ${healAfter.toISOString()}::timestamptz, updated_at = now()
      where id = ${serverId}
      returning id, host_id, generation, restart_count
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, t.type, jsonb_build_object('restartCount', restart_count, 'crashStreak', ${streak}::int, 'restartAt', ${healAfter.toISOString()}::text) || ${eventData}::jsonb
      from s, (values ('server.crashed'), (case when ${looping} then 'server.crash_loop' end)) as t(type)
      where t.type is not null
    )
    select generation, restart_count from s`);
  return { generation: row!.generation, restartCount: row!.restart_count, crashStreak: streak, healAfter, looping };
}

/**
 * A crash seen by an operation that decides its server's state itself (a
 * provision, a change, a restore whose game ended before it answered): kept
 * as the server's last crash, with the same detail and `server.crashed`
 * event as recordCrash, and nothing else. The server's status, generation,
 * restart count, crash-loop streak and heal time are left as they are: the
 * operation's own failure (or its rollback and restart on what ran before)
 * decides what follows, and a crash no heal followed is not a heal that
 * keeps failing (docs/crash-reports.md). False when the server is gone.
 */
export async function recordOperationCrash(tx: DbOrTx, serverId: string, operationId: string, data: Record<string, unknown>, evidence: unknown = null): Promise<boolean> {
  const { detail, eventData } = crashRecord(data, evidence, 1);
  const rows = await tx.execute<{ id: string }>(sql`
    with s as (
      update servers set last_crash_at = now(), last_crash_reason = ${reasonOf(data)}, last_crash_detail = ${detail}::jsonb, updated_at = now()
      where id = ${serverId} and status <> 'deleted'
      returning id, host_id
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data) select id, host_id, ${operationId}::uuid, 'server.crashed', ${eventData}::jsonb from s
    )
    select id from s`);
  return rows.length > 0;
}

const reasonOf = (data: Record<string, unknown>) => (typeof data.reason === "string" ? data.reason : "observed_stopped");

/** The last crash detail (null where no cause was recognised) and the `server.crashed` event's data, as JSON. */
function crashRecord(data: Record<string, unknown>, evidence: unknown, repeated: number): { detail: string | null; eventData: string } {
  const cause = typeof data.cause === "string" ? data.cause : null;
  const detail = cause === null ? null : { cause, hint: data.hint ?? null, summary: data.summary ?? null, repeated, ...(evidence ? { evidence } : {}) };
  const eventData = { ...data, ...(cause === null ? {} : { repeated }), ...(evidence ? { evidence } : {}) };
  return { detail: detail === null ? null : JSON.stringify(detail), eventData: JSON.stringify(eventData) };
}
