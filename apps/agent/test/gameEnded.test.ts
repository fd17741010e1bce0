import { describe, expect, it } from "vitest";
import pino from "pino";
import { EXIT_RECORD_EVERY_MS, EXIT_RECORD_MAX_EVERY_MS, gameEndedCheck } from "../src/ops/gameEnded";
import type { OpContext } from "../src/ops/context";
import type { GameObservation, Runtime } from "../src/runtime/runtime";
import type { GuestFiles } from "../src/guest/guestFiles";

const VMID = 5400;
const DEAD = { alive: false, exists: false, memory: { limitHits: 0, oomKills: 0 } } satisfies GameObservation;
const STARTING = { ...DEAD, exists: true } satisfies GameObservation;
const ALIVE = { ...DEAD, alive: true, exists: true } satisfies GameObservation;

/**
 * A runtime that answers what the test says: the game unit as the host sees it (`game`), the
 * container's state, and the exit record in the container's /run; every entry into the container's
 * files (withGuest) is counted, with the clock's time then.
 */
function fakeRuntime(bootsOs: boolean, clock: { t: number }) {
  const state = { game: DEAD as GameObservation | null, container: "running" as "running" | "stopped", exitRecord: null as string | null, guestAt: [] as number[] };
  const guest = {
    read: async (path: string) => {
      if (path !== "run/zlh-server.exit" || state.exitRecord === null) return { data: Buffer.alloc(0), size: 0, exists: false };
      const data = Buffer.from(state.exitRecord);
      return { data, size: data.length, exists: true };
    },
    list: async () => [],
    stat: async () => null,
  } as unknown as GuestFiles;
  const runtime = {
    bootsOs,
    inspect: async (vmid: number) => ({ vmid, state: state.container }),
    ...(bootsOs ? { observeGame: async () => state.game } : {}),
    withGuest: async <T>(_vmid: number, fn: (g: GuestFiles) => Promise<T>) => {
      state.guestAt.push(clock.t);
      return fn(guest);
    },
  } as unknown as Runtime;
  return { runtime, state };
}

function check(bootsOs: boolean) {
  const clock = { t: 1_000_000 };
  const { runtime, state } = fakeRuntime(bootsOs, clock);
  const ctx = { runtime, op: { spec: { vmid: VMID } }, log: pino({ level: "silent" }) } as unknown as OpContext;
  const ended = gameEndedCheck(ctx, () => clock.t);
  /** One check, `stepMs` after the last: true when it says the game ended (game_exited). */
  const step = async (stepMs = 250): Promise<boolean> => {
    clock.t += stepMs;
    try {
      await ended("connection refused");
      return false;
    } catch (err) {
      expect(err).toMatchObject({ code: "game_exited", retryable: false });
      return true;
    }
  };
  return { state, step, clock };
}

describe("gameEndedCheck: has the game this operation started ended?", () => {
  it("a unit systemd has not started (the container still booting) is not ended, however long the boot", async () => {
    const { step } = check(true);
    for (let i = 0; i < 2400; i++) expect(await step()).toBe(false); // ten minutes of checks
  });

  it("looks for the exit record of a unit never seen no sooner than EXIT_RECORD_EVERY_MS after the start, then ever more rarely, up to EXIT_RECORD_MAX_EVERY_MS", async () => {
    const { state, step, clock } = check(true);
    const start = clock.t;
    for (let i = 0; i < 2400; i++) await step();
    const gaps = state.guestAt.map((t, i) => t - (i === 0 ? start : state.guestAt[i - 1]!));
    expect(gaps[0]).toBe(EXIT_RECORD_EVERY_MS);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBe(Math.min(gaps[i - 1]! * 2, EXIT_RECORD_MAX_EVERY_MS));
    // Ten minutes of boot: a few dozen entries into the container, not one a second.
    expect(state.guestAt.length).toBeLessThan((clock.t - start) / EXIT_RECORD_MAX_EVERY_MS + 5);
  });

  it("a unit seen alive and then dead has ended, without entering the container to decide it", async () => {
    const { state, step } = check(true);
    state.game = ALIVE;
    for (let i = 0; i < 10; i++) expect(await step()).toBe(false);
    state.game = DEAD;
    const before = state.guestAt.length;
    expect(await step()).toBe(true);
    expect(state.guestAt.length).toBe(before + 1); // the crash evidence read, only
  });

  it("a unit whose cgroup was seen and then removed has ended: it started and stopped between two checks", async () => {
    const { state, step } = check(true);
    state.game = STARTING;
    expect(await step()).toBe(false);
    state.game = DEAD;
    expect(await step()).toBe(true);
  });

  it("a unit never seen on the host whose exit record exists has ended (it lived and died between two checks)", async () => {
    const { state, step } = check(true);
    expect(await step()).toBe(false);
    state.exitRecord = "exit-code exited 1\n";
    let checks = 0;
    while (!(await step())) checks++;
    expect(checks * 250).toBeLessThanOrEqual(EXIT_RECORD_EVERY_MS);
  });

  it("a malformed exit record is no record: not ended", async () => {
    const { state, step } = check(true);
    state.exitRecord = "whatever the customer wrote\n";
    for (let i = 0; i < 200; i++) expect(await step()).toBe(false);
  });

  it("a container found stopped has ended (observeGame: null)", async () => {
    const { state, step } = check(true);
    state.game = null;
    state.container = "stopped";
    expect(await step()).toBe(true);
  });

  it("on the sim (its container is its game): a running container has not ended, a stopped one has", async () => {
    const { state, step } = check(false);
    for (let i = 0; i < 100; i++) expect(await step()).toBe(false);
    expect(state.guestAt).toEqual([]);
    state.container = "stopped";
    expect(await step()).toBe(true);
  });
});
