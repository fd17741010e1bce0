import { randomUUID } from "node:crypto";
import { manifestHash, type Manifest } from "@zlh/artifacts";
import {
  addJob,
  advanceSchedule,
  claimRun,
  getServer,
  noteBusySlot,
  requestBackup,
  setActor,
  taskOperationId,
  takeDueSchedule,
  type Db,
  type ScheduleRow,
  type ServerRow,
  type Tx,
} from "@zlh/db";
import { acceptsCommands, canBackUp, countdownSteps, InvalidScheduleError, judgeDue, leadMs, parseCron, type DueSlot } from "@zlh/domain";
import type { Logger } from "pino";
import { type IntentDeps, recordIntentIn } from "../servers/requestIntent";
import { sendCommand } from "../servers/sendCommand";
import { COUNTDOWN_JOB, countdownJobKey, type CountdownPayload } from "./countdownJob";

export interface SlotDeps {
  db: Db;
  log: Logger;
  toleranceMs: number;
  config: IntentDeps["config"];
}

/** What a slot's action did: asked for (its operation, if any), done at once, not applicable, or a busy server. */
type Outcome = { status: "started" | "succeeded" | "skipped"; operationId: string | null; reason: string | null } | "busy";

/**
 * Takes one due schedule (FOR UPDATE SKIP LOCKED, by the database's clock)
 * and judges its newest due slot in one transaction: the slot's claim
 * (schedule_runs' key) is written with the action it asks for, so a slot
 * runs exactly once however many control planes tick. A busy server writes
 * nothing: the slot is tried again at the next tick until its tolerance
 * passes. Returns the schedule looked at, or null when none is due
 * (`passed` are those this tick already looked at).
 */
export async function takeSlot(deps: SlotDeps, passed: string[]): Promise<string | null> {
  return deps.db.transaction(async (tx) => {
    const s = await takeDueSchedule(tx, passed);
    if (!s) return null;
    const now = new Date(s.db_now);
    const lead = leadMs(s);
    let cron;
    try {
      cron = parseCron(s.cron, s.time_zone);
    } catch (err) {
      // Only if this runtime no longer knows the zone: the schedule stops rather than spinning.
      if (!(err instanceof InvalidScheduleError)) throw err;
      deps.log.error({ serverId: s.server_id, scheduleId: s.id, err: err.message }, "schedule no longer parses; stopped");
      await advanceSchedule(tx, s.id, null, null);
      return s.id;
    }
    const due = judgeDue(cron, { nextSlot: new Date(s.next_slot!), leadMs: lead, policy: s.missed_policy }, now, deps.toleranceMs);
    if (!due) {
      await advanceSchedule(tx, s.id, new Date(s.next_slot!), new Date(new Date(s.next_slot!).getTime() - lead));
      return s.id;
    }
    await setActor(tx, `schedule:${s.name}`);
    const outcome: Outcome = due.verdict === "skipped" ? { status: "skipped", operationId: null, reason: skippedReason(s, due) } : await startAction(tx, deps, s, due, now);
    const log = deps.log.child({ serverId: s.server_id, scheduleId: s.id, slot: due.slot.toISOString() });
    if (outcome === "busy") {
      await noteBusySlot(tx, s.id, due.slot);
      log.info("scheduled slot meets a busy server; tried again at the next tick");
      return s.id;
    }
    const dueNext = due.nextSlot && new Date(due.nextSlot.getTime() - lead);
    const claimed = await claimRun(tx, { schedule: s, slot: due.slot, late: due.verdict === "late", missedBefore: due.missedBefore, ...outcome });
    // Claimed already: schedules_next_after_last keeps a change from placing a claimed slot again, so
    // only a schedule stored before that rule (or by hand) gets here. Nothing of ours may stand.
    if (!claimed) throw new SlotTakenError(s.id, due.slot, due.nextSlot, dueNext);
    await advanceSchedule(tx, s.id, due.nextSlot, dueNext, due.slot);
    log.info({ verdict: due.verdict, missedBefore: due.missedBefore, status: outcome.status, opId: outcome.operationId }, "scheduled slot taken");
    return s.id;
  }).catch(async (err: unknown) => {
    if (!(err instanceof SlotTakenError)) throw err;
    // Rolled back; the schedule moves past the slot, so it is not taken again at every tick until the next.
    deps.log.warn({ scheduleId: err.scheduleId, slot: err.slot.toISOString() }, "scheduled slot was claimed already; the schedule moves on to its next slot");
    await advanceSchedule(deps.db, err.scheduleId, err.nextSlot, err.dueAt, err.slot);
    return err.scheduleId;
  });
}

/** A slot past its tolerance: one a tick found the server busy for was not missed by the control planes. */
const skippedReason = (s: ScheduleRow, due: DueSlot) => (s.busy_slot !== null && new Date(s.busy_slot).getTime() === due.slot.getTime() ? "server_busy" : "missed");

class SlotTakenError extends Error {
  constructor(
    readonly scheduleId: string,
    readonly slot: Date,
    readonly nextSlot: Date | null,
    readonly dueAt: Date | null,
  ) {
    super("the slot was claimed already");
  }
}

async function startAction(tx: Tx, deps: SlotDeps, s: ScheduleRow, due: DueSlot, now: Date): Promise<Outcome> {
  const server = await getServer(tx, s.server_id);
  if (!server) return { status: "skipped", operationId: null, reason: "the server is gone" };
  switch (s.action) {
    case "backup": {
      if (server.manifest === null || !canBackUp(server.status)) return notNow(server, "backups are of a provisioned server");
      const backup = await requestBackup(tx, server.id, randomUUID(), manifestHash(server.manifest as Manifest));
      if (!backup) return "busy";
      return { status: "started", operationId: await taskOperationId(tx, "backup", backup.id), reason: null };
    }
    case "command":
    case "announce": {
      if (!acceptsCommands(server.status)) return notNow(server, "commands go to a running server");
      const command = s.action === "announce" ? `say ${s.argument}` : s.argument!;
      const opId = await sendCommand(tx, server, command);
      return opId ? { status: "started", operationId: opId, reason: null } : "busy";
    }
    case "restart": {
      if (server.desired_state !== "running") return notNow(server, "a restart is of a server wanted running");
      if (!s.countdown) {
        await recordIntentIn(tx, deps, server.id, "restart");
        return { status: "succeeded", operationId: null, reason: null };
      }
      // The warnings and the restart are jobs, one key per step; the restart ends the run.
      for (const step of countdownSteps(due.slot, now)) {
        const payload: CountdownPayload = { scheduleId: s.id, slot: due.slot.toISOString(), step: step.step, say: step.say, until: step.until.toISOString() };
        await addJob(tx, COUNTDOWN_JOB, payload, { jobKey: countdownJobKey(s.id, due.slot, step.step), runAt: step.at, maxAttempts: 10 });
      }
      return { status: "started", operationId: null, reason: null };
    }
  }
}

const notNow = (server: ServerRow, why: string): Outcome => ({ status: "skipped", operationId: null, reason: `the server is ${server.status}; ${why}` });
