import { describe, expect, it } from "vitest";
import type { CrashEvidence } from "@zlh/protocol";
import { GameLiveness } from "../src/container/gameLiveness";
import type { GameObservation, Runtime } from "../src/runtime/runtime";

const VMID = 5400;

/**
 * A dead game's evidence is read inside the customer's container, which the
 * customer can make slow: it is read once per death, not on every
 * inventory (every heartbeat) while the game stays dead.
 */
function fakeHost() {
  const host = {
    seen: { alive: false, memory: { limitHits: 0, oomKills: 0 } } as Pick<GameObservation, "alive" | "memory">,
    guestReads: 0,
    /** A read that hangs until its signal aborts (a container slow to enter). */
    hang: false,
  };
  const runtime = {
    name: "pct",
    bootsOs: true,
    observeGame: async () => host.seen,
    withGuest: async (_vmid: number, _fn: unknown, signal?: AbortSignal) => {
      host.guestReads++;
      if (host.hang) {
        await new Promise((_r, reject) => {
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener("abort", () => reject(signal.reason));
        });
      }
      return { exit: { result: "signal", code: "killed", status: "KILL" }, crash: { log: [`read ${host.guestReads}`] } satisfies CrashEvidence };
    },
  } as unknown as Runtime;
  return { host, games: new GameLiveness(runtime) };
}

describe("a dead game's evidence (GameLiveness)", () => {
  it("is read once for a death seen by many inventories, and again for the next death", async () => {
    const { host, games } = fakeHost();
    host.seen = { alive: true, memory: { limitHits: 0, oomKills: 0 } };
    expect(await games.observe(VMID, "running")).toEqual({ game: "alive" });
    host.seen = { alive: false, memory: { limitHits: 0, oomKills: 0 } };
    for (let beat = 0; beat < 5; beat++) expect(await games.observe(VMID, "running")).toEqual({ game: "dead", crash: { log: ["read 1"] } });
    expect(host.guestReads).toBe(1);

    // Seen alive again (healed), then dead: a new death, read once.
    host.seen = { alive: true, memory: { limitHits: 0, oomKills: 0 } };
    await games.observe(VMID, "running");
    host.seen = { alive: false, memory: { limitHits: 0, oomKills: 0 } };
    await games.observe(VMID, "running");
    await games.observe(VMID, "running");
    expect(host.guestReads).toBe(2);

    // Restarted and killed for memory between two inventories: its counters moved, so it is read afresh.
    host.seen = { alive: false, memory: { limitHits: 3, oomKills: 1 } };
    expect(await games.observe(VMID, "running")).toEqual({ game: "oom_killed", crash: { log: ["read 3"] } });
    await games.observe(VMID, "running");
    expect(host.guestReads).toBe(3);

    // The agent ran an operation on it (a heal): what it did is observed afresh.
    games.forget(VMID);
    await games.observe(VMID, "running");
    expect(host.guestReads).toBe(4);

    // Stopped: the death is over; running and dead again is another.
    await games.observe(VMID, "stopped");
    await games.observe(VMID, "running");
    expect(host.guestReads).toBe(5);
  });

  it("reads again a death whose read the inventory's budget cut short, and keeps the read once it finishes", async () => {
    const { host, games } = fakeHost();
    host.hang = true;
    const budget = new AbortController();
    const cut = games.observe(VMID, "running", Date.now(), budget.signal);
    budget.abort(new Error("the inventory's budget is spent"));
    expect(await cut).toEqual({ game: "dead" });
    host.hang = false;
    expect(await games.observe(VMID, "running")).toEqual({ game: "dead", crash: { log: ["read 2"] } });
    await games.observe(VMID, "running");
    expect(host.guestReads).toBe(2);
  });
});
