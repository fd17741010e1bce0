import { describe, expect, it } from "vitest";
import { checkSchedule, countdownSteps, InvalidScheduleError, judgeDue, leadMs, nextSlots, parseCron, slotAtOrAfter } from "../src/schedules";

const at = (iso: string) => new Date(iso);
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());
const refusal = (f: () => void) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidScheduleError);
    return (err as Error).message;
  }
  throw new Error("not refused");
};

describe("next slots", () => {
  it("follows the zone's daylight saving time: a 02:30 that does not exist runs at 03:00, a 01:30 that exists twice runs once", () => {
    // Europe/Berlin springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST) and falls back on 2026-10-25 (03:00 CEST -> 02:00 CET).
    const spring = parseCron("30 2 * * *", "Europe/Berlin");
    expect(iso(nextSlots(spring, at("2026-03-27T12:00:00Z"), 3))).toEqual(["2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    const fall = parseCron("30 2 * * *", "Europe/Berlin");
    const autumn = iso(nextSlots(fall, at("2026-10-24T12:00:00Z"), 3));
    expect(autumn[0]).toBe("2026-10-25T00:30:00.000Z");
    expect(autumn[1]).toBe("2026-10-26T01:30:00.000Z");
    expect(new Set(autumn).size).toBe(3);
  });

  it("reads the expression in its zone, not the host's", () => {
    expect(iso(nextSlots(parseCron("0 9 * * 1", "America/New_York"), at("2026-06-01T00:00:00Z"), 1))).toEqual(["2026-06-01T13:00:00.000Z"]);
    expect(iso(nextSlots(parseCron("0 9 * * 1", "UTC"), at("2026-06-01T00:00:00Z"), 1))).toEqual(["2026-06-01T09:00:00.000Z"]);
  });

  it("takes a slot exactly at the instant as due at it", () => {
    expect(slotAtOrAfter(parseCron("*/3 * * * * *", "UTC"), at("2026-01-01T00:00:03Z"))?.toISOString()).toBe("2026-01-01T00:00:03.000Z");
  });
});

describe("refusals", () => {
  const now = at("2026-01-01T00:00:00Z");
  const spec = { cron: "0 4 * * *", timeZone: "UTC", action: "backup" as const, countdown: true };
  it("refuses a bad expression, an unknown zone and one that never fires, saying why", () => {
    expect(refusal(() => checkSchedule({ ...spec, cron: "61 * * * *" }, 60_000, now))).toMatch(/not a cron expression.*minute/);
    expect(refusal(() => checkSchedule({ ...spec, cron: "every day" }, 60_000, now))).toMatch(/not a cron expression/);
    expect(refusal(() => checkSchedule({ ...spec, timeZone: "Mars/Olympus" }, 60_000, now))).toMatch(/not an IANA time zone/);
    expect(refusal(() => checkSchedule({ ...spec, timeZone: "../etc/passwd" }, 60_000, now))).toMatch(/not an IANA time zone/);
    expect(refusal(() => checkSchedule({ ...spec, cron: "0 0 30 2 *" }, 60_000, now))).toMatch(/never fires/);
  });
  it("refuses slots closer than the minimum interval, and a countdown restart closer than its countdown", () => {
    expect(refusal(() => checkSchedule({ ...spec, cron: "*/30 * * * * *" }, 60_000, now))).toMatch(/30000 ms apart.*minimum interval is 60000 ms/);
    expect(() => checkSchedule({ ...spec, cron: "*/30 * * * * *" }, 1_000, now)).not.toThrow();
    expect(refusal(() => checkSchedule({ ...spec, action: "restart", cron: "*/5 * * * *" }, 60_000, now))).toMatch(/countdown/);
    expect(() => checkSchedule({ ...spec, action: "restart", countdown: false, cron: "*/5 * * * *" }, 60_000, now)).not.toThrow();
    expect(() => checkSchedule({ ...spec, action: "restart", cron: "*/10 * * * *" }, 60_000, now)).not.toThrow();
  });
});

describe("judging a due slot", () => {
  const every3 = parseCron("*/3 * * * * *", "UTC");
  const base = { nextSlot: at("2026-01-01T00:00:03Z"), leadMs: 0, policy: "skip" as const };
  it("is not due before its slot", () => {
    expect(judgeDue(every3, base, at("2026-01-01T00:00:02.900Z"), 1000)).toBeNull();
  });
  it("runs a slot within the tolerance on time and places the next", () => {
    expect(judgeDue(every3, base, at("2026-01-01T00:00:03.500Z"), 1000)).toEqual({ slot: base.nextSlot, missedBefore: 0, verdict: "on_time", nextSlot: at("2026-01-01T00:00:06Z") });
  });
  it("judges only the newest missed slot and counts the older ones; the policy decides", () => {
    const now = at("2026-01-01T00:01:00.500Z");
    const skip = judgeDue(every3, { ...base, nextSlot: at("2026-01-01T00:00:03Z") }, at("2026-01-01T00:01:05Z"), 1000)!;
    expect(skip).toEqual({ slot: at("2026-01-01T00:01:03Z"), missedBefore: 20, verdict: "skipped", nextSlot: at("2026-01-01T00:01:06Z") });
    expect(judgeDue(every3, { ...base, policy: "run_late" }, at("2026-01-01T00:01:05Z"), 1000)!.verdict).toBe("late");
    // The newest slot within the tolerance runs on time, whatever was missed before it.
    expect(judgeDue(every3, base, now, 1000)).toMatchObject({ slot: at("2026-01-01T00:01:00Z"), missedBefore: 19, verdict: "on_time" });
  });
  it("takes a countdown restart its lead before the slot", () => {
    const daily = parseCron("0 4 * * *", "UTC");
    const s = { nextSlot: at("2026-01-02T04:00:00Z"), leadMs: leadMs({ action: "restart", countdown: true }), policy: "skip" as const };
    expect(s.leadMs).toBe(300_000);
    expect(judgeDue(daily, s, at("2026-01-02T03:54:59Z"), 1000)).toBeNull();
    expect(judgeDue(daily, s, at("2026-01-02T03:55:00Z"), 1000)).toMatchObject({ slot: s.nextSlot, verdict: "on_time" });
    expect(leadMs({ action: "restart", countdown: false })).toBe(0);
    expect(leadMs({ action: "backup", countdown: true })).toBe(0);
  });
});

describe("countdown lead", () => {
  const slot = at("2026-01-02T04:00:00Z");
  it("warns at 5 min, 1 min and 10 s, then restarts at the slot; a warning is retried until the next step", () => {
    const steps = countdownSteps(slot, at("2026-01-02T03:55:00Z"));
    expect(steps.map((s) => [s.step, s.at.toISOString(), s.until.toISOString()])).toEqual([
      ["warn300", "2026-01-02T03:55:00.000Z", "2026-01-02T03:59:00.000Z"],
      ["warn60", "2026-01-02T03:59:00.000Z", "2026-01-02T03:59:50.000Z"],
      ["warn10", "2026-01-02T03:59:50.000Z", "2026-01-02T04:00:00.000Z"],
      ["restart", "2026-01-02T04:00:00.000Z", "2026-01-02T04:00:00.000Z"],
    ]);
    expect(steps.map((s) => s.say)).toEqual(["say The server restarts in 5 minutes.", "say The server restarts in 1 minute.", "say The server restarts in 10 seconds.", null]);
  });
  it("leaves out warnings whose time has passed: taken 30 s before, only the 10-s one; taken late, only the restart", () => {
    expect(countdownSteps(slot, at("2026-01-02T03:59:30Z")).map((s) => s.step)).toEqual(["warn10", "restart"]);
    expect(countdownSteps(slot, at("2026-01-02T04:00:30Z")).map((s) => s.step)).toEqual(["restart"]);
  });
});
