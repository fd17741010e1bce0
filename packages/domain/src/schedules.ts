import { Cron } from "croner";
import { ZlhError } from "./errors";

/**
 * Schedules: a cron expression read in an IANA time zone (parsed by croner),
 * an action, and what to do with a slot that everything missed. Everything
 * here is pure: the scheduler (control plane) brings the database's clock.
 */
export const SCHEDULE_ACTIONS = ["backup", "restart", "command", "announce"] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];
export const MISSED_POLICIES = ["skip", "run_late"] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];
export const SCHEDULE_RUN_STATUSES = ["started", "succeeded", "failed", "skipped"] as const;
export type ScheduleRunStatus = (typeof SCHEDULE_RUN_STATUSES)[number];

/** A restart's in-game warnings, seconds before the restart: 5 min, 1 min, 10 s. */
export const COUNTDOWN_STEPS_S = [300, 60, 10] as const;

/** How many slots ahead the API shows. */
export const NEXT_RUNS_SHOWN = 5;

/** At most this many missed slots are counted one by one (a schedule down for a year every second is "10000+"). */
export const MAX_MISSED_COUNTED = 10_000;

export class InvalidScheduleError extends ZlhError {
  readonly code = "invalid_schedule";
}

export interface ScheduleSpec {
  cron: string;
  timeZone: string;
  action: ScheduleAction;
  /** restart: warn in game first (default true). */
  countdown: boolean;
}

/** True when the name is a time zone this runtime knows (IANA names, UTC). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** croner's reading of the expression in the zone; a refusal is an InvalidScheduleError saying why. */
export function parseCron(cron: string, timeZone: string): Cron {
  if (!isTimeZone(timeZone)) throw new InvalidScheduleError(`timeZone ${JSON.stringify(timeZone)} is not an IANA time zone (such as "Europe/Berlin" or "UTC").`);
  try {
    return new Cron(cron, { timezone: timeZone, paused: true });
  } catch (err) {
    throw new InvalidScheduleError(`cron ${JSON.stringify(cron)} is not a cron expression: ${(err as Error).message}`);
  }
}

/** Before a countdown restart's slot, the scheduler takes it this long ahead (its first warning); 0 otherwise. */
export function leadMs(spec: Pick<ScheduleSpec, "action" | "countdown">): number {
  return spec.action === "restart" && spec.countdown ? COUNTDOWN_STEPS_S[0] * 1000 : 0;
}

/**
 * Checks a schedule before it is stored: the expression and zone parse, it
 * has a next slot, and no two of its next slots are closer than the minimum
 * interval (nor than a countdown's lead, which must end before the next
 * countdown begins).
 */
export function checkSchedule(spec: ScheduleSpec, minIntervalMs: number, now: Date): void {
  const cron = parseCron(spec.cron, spec.timeZone);
  const slots = nextSlots(cron, now, 20);
  if (slots.length === 0) throw new InvalidScheduleError(`cron ${JSON.stringify(spec.cron)} never fires after ${now.toISOString()}.`);
  const least = Math.max(minIntervalMs, leadMs(spec) + 1000);
  for (let i = 1; i < slots.length; i++) {
    const gap = slots[i]!.getTime() - slots[i - 1]!.getTime();
    if (gap < least) {
      const why = least > minIntervalMs ? "a restart with a countdown needs its slots more than its 5-minute countdown apart" : `the minimum interval is ${minIntervalMs} ms`;
      throw new InvalidScheduleError(`cron ${JSON.stringify(spec.cron)} fires ${gap} ms apart (${slots[i - 1]!.toISOString()} and ${slots[i]!.toISOString()}); ${why}.`);
    }
  }
}

/** The next `n` slots strictly after `after`. */
export function nextSlots(cron: Cron, after: Date, n: number): Date[] {
  return cron.nextRuns(n, after);
}

/** The first slot at or after `at`. */
export function slotAtOrAfter(cron: Cron, at: Date): Date | null {
  return cron.nextRun(new Date(at.getTime() - 1));
}

export type SlotVerdict = "on_time" | "late" | "skipped";

export interface DueSlot {
  /** The newest slot that is due: the one judged. */
  slot: Date;
  /** Due slots before it, counted but not run (at most MAX_MISSED_COUNTED). */
  missedBefore: number;
  /** on_time within the tolerance; otherwise the policy's late run or skip. */
  verdict: SlotVerdict;
  /** The schedule's next slot once this one is taken. */
  nextSlot: Date | null;
}

/**
 * What a tick does with a schedule whose stored next slot is `nextSlot`: null
 * when nothing is due yet (a slot is due at slot - lead). Only the newest due
 * slot is judged: within `toleranceMs` of its time it runs on time, later the
 * schedule's policy decides (`run_late`: once, marked late; `skip`: recorded
 * skipped). Older due slots are only counted.
 */
export function judgeDue(
  cron: Cron,
  s: { nextSlot: Date; leadMs: number; policy: MissedPolicy },
  now: Date,
  toleranceMs: number,
): DueSlot | null {
  const horizon = now.getTime() + s.leadMs;
  if (s.nextSlot.getTime() > horizon) return null;
  let slot = s.nextSlot;
  let missedBefore = 0;
  for (;;) {
    const next = cron.nextRun(slot);
    if (!next || next.getTime() > horizon) break;
    if (missedBefore >= MAX_MISSED_COUNTED) {
      // Jump to the newest due slot without counting further.
      const newest = cron.previousRuns(1, new Date(horizon + 1))[0];
      slot = newest && newest.getTime() > slot.getTime() ? newest : next;
      break;
    }
    slot = next;
    missedBefore++;
  }
  const lateBy = now.getTime() - slot.getTime();
  const verdict: SlotVerdict = lateBy <= toleranceMs ? "on_time" : s.policy === "run_late" ? "late" : "skipped";
  return { slot, missedBefore, verdict, nextSlot: cron.nextRun(slot) };
}

export interface CountdownStep {
  /** `warn300`, `warn60`, `warn10`, or `restart`. */
  step: string;
  at: Date;
  /** A warning's `say` line; null for the restart. */
  say: string | null;
  /** Until when a warning that meets a busy server is tried again: the next step's time. */
  until: Date;
}

const spoken = (s: number) => (s >= 60 ? `${s / 60} minute${s === 60 ? "" : "s"}` : `${s} seconds`);

/**
 * A countdown restart's steps for its slot, those whose time has not passed at
 * `now` (a slot taken late, or a schedule made 20 s before its slot, warns
 * only what is still ahead), always ending with the restart at the slot.
 */
export function countdownSteps(slot: Date, now: Date): CountdownStep[] {
  const all = COUNTDOWN_STEPS_S.map((s, i) => {
    const next = COUNTDOWN_STEPS_S[i + 1];
    return {
      step: `warn${s}`,
      at: new Date(slot.getTime() - s * 1000),
      say: `say The server restarts in ${spoken(s)}.`,
      until: new Date(slot.getTime() - (next ?? 0) * 1000),
    };
  });
  const ahead = all.filter((w) => w.until.getTime() > now.getTime() && w.at.getTime() >= now.getTime() - 1000);
  return [...ahead, { step: "restart", at: slot, say: null, until: slot }];
}
