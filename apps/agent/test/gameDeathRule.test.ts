import { describe, expect, it } from "vitest";
import { inventoryDigest, type InventoryItem } from "@zlh/protocol";
import { parseGameExit } from "../src/container/gameExit";
import { diedOfMemory } from "../src/container/gameLiveness";
import { renderGameUnit } from "../src/container/gameUnit";

const v2 = (oomKills: number, limitHits = 0) => ({ limitHits, oomKills });
const v1 = (limitHits: number) => ({ limitHits, oomKills: null });
const sigkill = { result: "signal", code: "killed", status: "KILL" };
const crashed = { result: "exit-code", code: "exited", status: "1" };

describe("a dead game: killed for memory, or not", () => {
  it("trusts systemd's oom-kill, even without a baseline", () => {
    expect(diedOfMemory(null, v1(0), { result: "oom-kill", code: "killed", status: "KILL" })).toBe(true);
  });

  it("cgroup v2: the container's oom_kill rose since the game was last alive and the game did not end on its own", () => {
    expect(diedOfMemory(v2(0), v2(1), sigkill)).toBe(true);
    expect(diedOfMemory(v2(0), v2(1), null)).toBe(true); // no record (an older unit): the counter alone
    expect(diedOfMemory(v2(0), v2(1), crashed)).toBe(false); // another process was killed; the game exited 1
    expect(diedOfMemory(v2(2), v2(2), sigkill)).toBe(false); // kill -9 from outside
    expect(diedOfMemory(null, v2(5), sigkill)).toBe(false); // never seen alive by this agent: no baseline to compare
  });

  it("cgroup v1 (no per-container OOM count): SIGKILL and the limit hit since last alive, both", () => {
    expect(diedOfMemory(v1(10), v1(12), sigkill)).toBe(true);
    expect(diedOfMemory(v1(10), v1(10), sigkill)).toBe(false);
    expect(diedOfMemory(v1(10), v1(12), crashed)).toBe(false);
    expect(diedOfMemory(v1(10), v1(12), null)).toBe(false);
  });
});

describe("the unit's exit record (hostile input: written inside the container)", () => {
  it("parses systemd's three values", () => {
    expect(parseGameExit("signal killed KILL\n")).toEqual(sigkill);
    expect(parseGameExit("exit-code exited 1\n")).toEqual(crashed);
    expect(parseGameExit("oom-kill killed KILL")).toEqual({ result: "oom-kill", code: "killed", status: "KILL" });
  });

  it("refuses anything else: extra lines, unknown codes, long tokens, nothing", () => {
    for (const bad of [null, "", "signal killed KILL\nsignal killed KILL\n", "signal murdered KILL\n", `${"a".repeat(40)} killed KILL\n`, "signal killed kill\n", "signal  killed KILL", "success exited 1234\n"]) {
      expect(parseGameExit(bad)).toBeNull();
    }
  });

  it("is written by the unit after every stop and cleared before every start, as root", () => {
    const unit = renderGameUnit({ memoryMiB: 1024, javaMajor: 17 });
    expect(unit).toContain(`ExecStopPost=+/bin/sh -c 'echo "$$SERVICE_RESULT $$EXIT_CODE $$EXIT_STATUS" > /run/zlh-server.exit'\n`);
    expect(unit).toContain("ExecStartPre=+/bin/rm -f /run/zlh-server.exit\n");
  });
});

describe("the inventory digest", () => {
  const A = "aaaaaaaa-0000-4000-8000-000000000001";
  const item = (game?: InventoryItem["game"]): InventoryItem => ({ vmid: 100, state: "running", serverId: A, ...(game ? { game } : {}) });
  it("changes when the game dies or is OOM-killed, and is unchanged for an inventory without the field", () => {
    const digests = [item(), item("alive"), item("dead"), item("oom_killed")].map((i) => inventoryDigest([i]));
    expect(new Set(digests).size).toBe(4);
    // As an agent from before the field computed it: sha256 of [[vmid, state, serverId]].
    expect(inventoryDigest([item()])).toBe("6c6f2601c9d2344cd643e430da689301a1810987bf7dd49ce4ff54c95e710e4c");
  });
});
