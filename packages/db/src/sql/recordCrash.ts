import { sql } from "drizzle-orm";
import { CRASH_DETAIL_MAX_BYTES, CRASH_LOOP_STREAK, type CrashEvidence, cleanLine, crashBackoffMs, fitCrashEvidence, jsonTextBytes, nextCrashStreak } from "@zlh/domain";
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
 * crash loop says what keeps failing). The events carry the same, both
 * fitted to their bound (crashRecord). Returns null when the server was no longer `running`.
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

/** The recogniser's hint is ours, its summary a line of the evidence: both bounded, like the evidence, whoever passed them. */
const HINT_CHARS = 1000;
const SUMMARY_CHARS = 300;
/** Room in an event for what the statement adds to its data (restartCount, crashStreak, restartAt). */
const EVENT_FIELDS_BYTES = 128;

/**
 * The last crash detail (null where no cause was recognised) and the crash
 * event's data, as JSON. The evidence came from inside the customer's
 * container, through an agent that may be old or subverted: it is fitted to
 * its byte budgets whatever it is (fitCrashEvidence, `truncated: true` when
 * cut), and the hint and summary bounded, so the detail always fits
 * servers_last_crash_detail_bounded and the event as much (events.data has
 * no CHECK: a crash must never fail the transaction it is recorded in, a
 * host's whole reconcile or a start's result).
 */
function crashRecord(data: Record<string, unknown>, evidence: unknown, repeated: number): { detail: string | null; eventData: string } {
  const said = { ...data, ...boundedText(data, "hint", HINT_CHARS), ...boundedText(data, "summary", SUMMARY_CHARS) };
  const fitted = fitCrashEvidence(evidence);
  const cause = typeof said.cause === "string" ? said.cause : null;
  const detail = cause === null ? null : withinBound({ cause, hint: said.hint ?? null, summary: said.summary ?? null, repeated }, fitted);
  const eventData = withinBound({ ...said, ...(cause === null ? {} : { repeated }) }, fitted);
  return { detail: detail === null ? null : JSON.stringify(detail), eventData: JSON.stringify(eventData) };
}

function boundedText(data: Record<string, unknown>, key: "hint" | "summary", chars: number): Record<string, string> {
  const v = data[key];
  return typeof v === "string" ? { [key]: cleanLine(v, chars) } : {};
}

/**
 * `fields` with the evidence, unless the whole would still exceed the bound
 * (a caller's own fields too large): then the evidence only says it was cut.
 * The budgets make that unreachable for the fields recordCrash is given.
 */
function withinBound<T extends Record<string, unknown>>(fields: T, evidence: CrashEvidence | null): T & { evidence?: CrashEvidence } {
  if (!evidence) return fields;
  const whole = { ...fields, evidence };
  return jsonTextBytes(whole) + EVENT_FIELDS_BYTES <= CRASH_DETAIL_MAX_BYTES ? whole : { ...fields, evidence: { truncated: true } };
}
