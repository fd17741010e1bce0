import { describe, expect, it } from "vitest";
import { diffHost, type ObservedContainer, type ServerOnHost } from "../src/reconcile/judgeHost";
import { mergeObservations } from "../src/reconcile/observe";
import { crashReasonOf } from "../src/reconcile/reconcileHost";
import { crashHint } from "@zlh/domain";

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";
const GONE = "dddddddd-0000-4000-8000-000000000004";

const T0 = new Date("2026-11-27T10:00:00Z"); // the server's last status change
const T1 = new Date("2026-11-27T10:00:05Z"); // evidence taken after it
const server = (over: Partial<ServerOnHost> = {}): ServerOnHost => ({
  id: A, status: "running", desiredState: "running", vmid: 100, liveOps: 0, statusChangedAt: T0, restartCount: 0, crashStreak: 0, lastCrashAt: null, healAfter: null, ...over,
});
const ct = (over: Partial<ObservedContainer> = {}): ObservedContainer => ({ vmid: 100, state: "running", serverId: A, source: "agent", observedAt: T1, ...over });
const seen = (containers: ObservedContainer[], absentAt = T1) => ({ containers, absentAt });
const kinds = (d: { kind: string; vmid: number }[]) => d.map((x) => `${x.kind}@${x.vmid}`);

describe("diffHost", () => {
  it("reports nothing when the host matches the database", () => {
    expect(diffHost([server()], seen([ct()]), () => undefined)).toEqual([]);
  });

  it("missing_container for a provisioned server without its container, never for one still provisioning or with work in flight", () => {
    expect(diffHost([server()], seen([]), () => undefined)).toEqual([
      { kind: "missing_container", vmid: 100, serverId: A, detail: { status: "running" }, observedAt: T1, since: T0 },
    ]);
    expect(diffHost([server({ status: "stopped", desiredState: "stopped" })], seen([]), () => undefined)).toHaveLength(1);
    expect(diffHost([server({ status: "provisioning" })], seen([]), () => undefined)).toEqual([]);
    expect(diffHost([server({ liveOps: 1 })], seen([]), () => undefined)).toEqual([]);
    expect(diffHost([server({ status: "pending" })], seen([]), () => undefined)).toEqual([]);
  });

  it("never judges a server on evidence taken before its last status change (a stale inventory)", () => {
    // The inventory was taken before the server reached running: its container was not there yet.
    expect(diffHost([server({ statusChangedAt: T1 })], seen([], T0), () => undefined)).toEqual([]);
    expect(diffHost([server({ statusChangedAt: T1 })], seen([ct({ state: "stopped", observedAt: T0 })], T0), () => undefined)).toEqual([]);
  });

  it("state_mismatch when a running server's container is stopped (and the reverse); nothing on an unknown state", () => {
    expect(diffHost([server()], seen([ct({ state: "stopped" })]), () => undefined)).toEqual([
      { kind: "state_mismatch", vmid: 100, serverId: A, detail: { desired: "running", observed: "stopped", source: "agent" }, observedAt: T1, since: T0 },
    ]);
    expect(kinds(diffHost([server({ status: "stopped", desiredState: "stopped" })], seen([ct()]), () => undefined))).toEqual(["state_mismatch@100"]);
    expect(diffHost([server({ liveOps: 2 })], seen([ct({ state: "stopped" })]), () => undefined)).toEqual([]);
    // Proxmox's "unknown" (its node stopped reporting) is no evidence of a crash.
    expect(diffHost([server()], seen([ct({ state: "unknown", source: "proxmox" })]), () => undefined)).toEqual([]);
  });

  it("state_mismatch when a running server's container runs with its game dead (out_of_memory when OOM-killed); nothing for a live or unobserved game", () => {
    expect(diffHost([server()], seen([ct({ game: "dead" })]), () => undefined)).toEqual([
      { kind: "state_mismatch", vmid: 100, serverId: A, detail: { desired: "running", observed: "game_dead", source: "agent" }, observedAt: T1, since: T0 },
    ]);
    expect(diffHost([server()], seen([ct({ game: "oom_killed" })]), () => undefined)).toEqual([
      { kind: "state_mismatch", vmid: 100, serverId: A, detail: { desired: "running", observed: "game_dead", source: "agent", reason: "out_of_memory" }, observedAt: T1, since: T0 },
    ]);
    expect(diffHost([server()], seen([ct({ game: "alive" })]), () => undefined)).toEqual([]);
    expect(diffHost([server()], seen([ct()]), () => undefined)).toEqual([]); // an older agent, or the sim
    // Not yet judged: work in flight (the heal's own start), evidence from before the status change, a server not meant to run.
    expect(diffHost([server({ liveOps: 1 })], seen([ct({ game: "dead" })]), () => undefined)).toEqual([]);
    expect(diffHost([server({ statusChangedAt: T1 })], seen([ct({ game: "dead", observedAt: T0 })], T0), () => undefined)).toEqual([]);
    expect(diffHost([server({ status: "starting" })], seen([ct({ game: "dead" })]), () => undefined)).toEqual([]);
    expect(diffHost([server({ desiredState: "stopped" })], seen([ct({ game: "dead" })]), () => undefined)).toEqual([]);
  });

  it("judges nothing on a guest whose marker could not be read", () => {
    expect(diffHost([server()], seen([ct({ serverId: null, markerUnknown: true, source: "proxmox" })]), () => undefined)).toEqual([]);
    expect(diffHost([], seen([ct({ vmid: 7, serverId: null, markerUnknown: true })]), () => undefined)).toEqual([]);
  });

  it("vmid_conflict when the server's VMID holds a container marked for someone else or no one", () => {
    expect(kinds(diffHost([server()], seen([ct({ serverId: B })]), () => ({ status: "running", vmid: 200, hostId: "h", updatedAt: T0 })))).toEqual(["vmid_conflict@100"]);
    expect(kinds(diffHost([server({ status: "deleting", desiredState: "deleted", liveOps: 1 })], seen([ct({ serverId: null })]), () => undefined))).toEqual([
      "vmid_conflict@100",
    ]);
  });

  it("crash_loop while a server has crashed three times in a row within the reset window", () => {
    const now = new Date("2026-11-27T10:05:00Z");
    const looping = server({ status: "stopped", crashStreak: 3, restartCount: 7, lastCrashAt: new Date("2026-11-27T10:04:00Z"), healAfter: new Date("2026-11-27T10:04:20Z") });
    expect(diffHost([looping], seen([ct({ state: "stopped" })]), () => undefined, now)).toEqual([
      {
        kind: "crash_loop", vmid: 100, serverId: A, observedAt: now, since: null,
        detail: { restartCount: 7, crashStreak: 3, lastCrashAt: "2026-11-27T10:04:00.000Z", nextRestartAt: "2026-11-27T10:04:20.000Z" },
      },
    ]);
    expect(diffHost([{ ...looping, crashStreak: 2 }], seen([ct({ state: "stopped" })]), () => undefined, now)).toEqual([]);
    expect(diffHost([looping], seen([ct({ state: "stopped" })]), () => undefined, new Date("2026-11-27T10:20:00Z"))).toEqual([]);
  });

  it("orphan_container for our marker whose server is deleted, unknown, or elsewhere; unmanaged for no marker", () => {
    const owners = new Map([
      [GONE, { status: "deleted" as const, vmid: 300, hostId: "h", updatedAt: T0 }],
      [B, { status: "running" as const, vmid: 999, hostId: "h", updatedAt: T0 }],
    ]);
    const found = diffHost([], seen([ct({ vmid: 300, serverId: GONE }), ct({ vmid: 301, serverId: "eeeeeeee-0000-4000-8000-000000000005" }), ct({ vmid: 302, serverId: B }), ct({ vmid: 303, serverId: null })]), (id) => owners.get(id));
    expect(found.map((d) => [d.kind, d.vmid, d.detail.serverStatus ?? null, d.since])).toEqual([
      ["orphan_container", 300, "deleted", T0],
      ["orphan_container", 301, "unknown", null],
      ["orphan_container", 302, "running", null],
      ["unmanaged_container", 303, null, null],
    ]);
  });
});

describe("mergeObservations", () => {
  it("has no view without a source, lets the agent's view (and its time) win for the same VMID, and knows absence as of the freshest listing", () => {
    expect(mergeObservations(null, null)).toBeNull();
    const merged = mergeObservations(
      { items: [{ vmid: 1, state: "running", serverId: A }], at: T0 },
      { items: [{ vmid: 1, state: "stopped", serverId: null, source: "proxmox" }, { vmid: 2, state: "running", serverId: null, source: "proxmox" }], at: T1 },
    );
    expect(merged).toEqual({
      containers: [
        { vmid: 1, state: "running", serverId: A, source: "agent", observedAt: T0 },
        { vmid: 2, state: "running", serverId: null, source: "proxmox", observedAt: T1 },
      ],
      absentAt: T1,
    });
  });

  it("keeps the agent's word on the game where it gave one", () => {
    const merged = mergeObservations({ items: [{ vmid: 1, state: "running", serverId: A, game: "oom_killed" }, { vmid: 2, state: "running", serverId: B }], at: T0 }, null);
    expect(merged!.containers.map((c) => c.game)).toEqual(["oom_killed", undefined]);
  });
});

describe("crashReasonOf", () => {
  it("names a stopped container, a dead game and an OOM-killed game apart", () => {
    expect(crashReasonOf({ desired: "running", observed: "stopped", source: "agent" })).toBe("observed_stopped");
    expect(crashReasonOf({ desired: "running", observed: "game_dead", source: "agent" })).toBe("game_exited");
    expect(crashReasonOf({ desired: "running", observed: "game_dead", source: "agent", reason: "out_of_memory" })).toBe("out_of_memory");
    expect(crashHint("out_of_memory")).toMatch(/raise the server's memoryMiB/);
    expect(crashHint("game_exited")).toBeNull();
  });
});
