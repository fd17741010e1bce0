import type { Task } from "graphile-worker";
import { addJob, finishRun, getRun, getServer, setActor, type Db } from "@zlh/db";
import { acceptsCommands } from "@zlh/domain";
import type { Logger } from "pino";
import { type IntentDeps, recordIntentIn } from "../servers/requestIntent";
import { sendCommand } from "../servers/sendCommand";

/** One step of a countdown restart: a warning (`say`) or the restart itself; one job key per step. */
export const COUNTDOWN_JOB = "schedule.countdown";
export const countdownJobKey = (scheduleId: string, slot: Date, step: string) => `schedule:${scheduleId}:${slot.toISOString()}:${step}`;

export type CountdownPayload = {
  scheduleId: string;
  /** The restart's slot (ISO). */
  slot: string;
  step: string;
  /** A warning's console line; null for the restart. */
  say: string | null;
  /** Until when a warning that meets a busy server is tried again (the next step's time). */
  until: string;
};

/** How soon a warning that met a busy server is tried again. */
const BUSY_RETRY_MS = 1000;

/**
 * `schedule.countdown`: a warning is sent as a console command while its run
 * is still started; a busy server's warning is queued again (same key) a
 * second later until the next step's time, and only then given up. The
 * restart records the restart intent (the existing intent/operation path) and
 * ends the run in one transaction; a job run twice finds the run ended and
 * does nothing.
 */
export function countdownTask(db: Db, deps: IntentDeps, log: Logger): Task {
  return async (raw) => {
    const p = raw as CountdownPayload;
    const slot = new Date(p.slot);
    await db.transaction(async (tx) => {
      const found = await getRun(tx, p.scheduleId, slot, true);
      if (!found || found.run.status !== "started") return;
      const { schedule } = found;
      await setActor(tx, `schedule:${schedule.name}`);
      const server = await getServer(tx, schedule.server_id);
      const l = log.child({ serverId: schedule.server_id, scheduleId: schedule.id, slot: p.slot, step: p.step });
      if (p.say === null) {
        if (schedule.ended) await finishRun(tx, schedule, slot, "failed", null, "the schedule was deleted before its restart");
        else if (!server || server.desired_state !== "running") await finishRun(tx, schedule, slot, "failed", null, `the server is ${server?.status ?? "gone"} and not wanted running`);
        else {
          await recordIntentIn(tx, deps, server.id, "restart");
          await finishRun(tx, schedule, slot, "succeeded", null, null);
        }
        l.info("countdown restart");
        return;
      }
      if (schedule.ended || !server || !acceptsCommands(server.status)) return;
      if (await sendCommand(tx, server, p.say)) {
        l.info("countdown warning sent");
        return;
      }
      const next = Date.now() + BUSY_RETRY_MS;
      if (next < new Date(p.until).getTime()) {
        await addJob(tx, COUNTDOWN_JOB, { ...p }, { jobKey: countdownJobKey(schedule.id, slot, p.step), runAt: new Date(next), maxAttempts: 10 });
        l.info("countdown warning meets a busy server; tried again");
      } else l.warn("countdown warning given up: the server was busy until the next step");
    });
  };
}
