import { describe, expect, it } from "vitest";
import { crashBackoffMs, isCrashLooping, nextCrashStreak } from "../src/crashLoop";

describe("crash-loop backoff", () => {
  it("restarts the first crash at once, then waits 10 s doubling to 5 min", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(crashBackoffMs)).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it("counts crashes in a row, and starts over after 10 minutes up since the last restart", () => {
    const t = new Date("2026-11-27T10:00:00Z");
    const later = (ms: number) => new Date(t.getTime() + ms);
    expect(nextCrashStreak(0, null, t)).toBe(1);
    expect(nextCrashStreak(3, t, later(60_000))).toBe(4);
    expect(nextCrashStreak(3, t, later(10 * 60_000 - 1))).toBe(4);
    expect(nextCrashStreak(3, t, later(10 * 60_000))).toBe(1);
  });

  it("is a crash loop from the third crash in a row while the last is recent", () => {
    const t = new Date("2026-11-27T10:00:00Z");
    expect(isCrashLooping(3, t, new Date(t.getTime() + 1000))).toBe(true);
    expect(isCrashLooping(2, t, new Date(t.getTime() + 1000))).toBe(false);
    expect(isCrashLooping(3, t, new Date(t.getTime() + 10 * 60_000))).toBe(false);
  });
});
