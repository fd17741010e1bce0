import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DESIRED_STATES, SERVER_STATUSES } from "@zlh/domain";
import { judgeHost, type HostObservation, type MarkerOwner, type ObservedContainer, type ServerOnHost } from "../src/reconcile/judgeHost";

/**
 * Properties of the pure host judge over random hosts (compare Nomad's
 * reconcile_cluster_prop_test.go): what it may never report, whatever the
 * database and the evidence say.
 */
const IDS = Array.from({ length: 6 }, (_, i) => `0000000${i}-0000-4000-8000-00000000000${i}`);
const VMIDS = [100, 101, 102, 103, 104, 105];
const NOW = new Date("2026-12-02T10:00:00Z");
const at = (secondsBefore: number) => new Date(NOW.getTime() - secondsBefore * 1000);

const serverArb = fc.record({
  status: fc.constantFrom(...SERVER_STATUSES),
  desiredState: fc.constantFrom(...DESIRED_STATES),
  liveOps: fc.constantFrom(0, 0, 1),
  changedBefore: fc.integer({ min: 0, max: 60 }),
  crashStreak: fc.integer({ min: 0, max: 6 }),
  crashedBefore: fc.option(fc.integer({ min: 0, max: 600 })),
});
const containerArb = fc.record({
  state: fc.constantFrom("running" as const, "stopped" as const, "unknown" as const),
  marker: fc.option(fc.constantFrom(...IDS.map((_, i) => i))),
  markerUnknown: fc.constantFrom(false, false, false, false, true),
  seenBefore: fc.integer({ min: 0, max: 60 }),
  source: fc.constantFrom("agent" as const, "proxmox" as const),
});

/** A host: servers on distinct VMIDs with distinct ids, containers on distinct VMIDs, and the rows of servers named elsewhere. */
const hostArb = fc
  .record({
    servers: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), serverArb), { selector: ([v]) => v, maxLength: 6 }),
    containers: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 5 }), containerArb), { selector: ([v]) => v, maxLength: 6 }),
    absentBefore: fc.integer({ min: 0, max: 60 }),
    elsewhere: fc.array(fc.record({ status: fc.constantFrom(...SERVER_STATUSES), vmid: fc.constantFrom(...VMIDS) }), { minLength: 6, maxLength: 6 }),
  })
  .map(({ servers, containers, absentBefore, elsewhere }) => {
    const usedIds = new Set<number>();
    const onHost: ServerOnHost[] = [];
    for (const [v, idIndex, s] of servers) {
      if (usedIds.has(idIndex)) continue;
      usedIds.add(idIndex);
      onHost.push({
        id: IDS[idIndex]!, status: s.status, desiredState: s.desiredState, vmid: VMIDS[v]!, liveOps: s.liveOps, statusChangedAt: at(s.changedBefore),
        restartCount: s.crashStreak, crashStreak: s.crashStreak, lastCrashAt: s.crashedBefore === null ? null : at(s.crashedBefore), healAfter: null,
      });
    }
    const observed: ObservedContainer[] = containers.map(([v, c]) => ({
      vmid: VMIDS[v]!, state: c.state, serverId: c.marker === null ? null : IDS[c.marker]!, markerUnknown: c.markerUnknown || undefined, source: c.source, observedAt: at(c.seenBefore),
    }));
    const observation: HostObservation = { containers: observed, absentAt: at(absentBefore) };
    // A server's row wherever it is: this host's servers as they are, the others somewhere else.
    const rows = new Map<string, NonNullable<MarkerOwner>>(IDS.map((id, i) => [id, { ...elsewhere[i]!, hostId: "other", updatedAt: at(30) }]));
    for (const s of onHost) rows.set(s.id, { status: s.status, vmid: s.vmid, hostId: "this", updatedAt: s.statusChangedAt });
    const ownerOf = (id: string): MarkerOwner => rows.get(id);
    return { servers: onHost, observation, ownerOf };
  });

const key = (d: { kind: string; vmid: number; serverId: string | null }) => `${d.kind}@${d.vmid}/${d.serverId}`;

describe("judgeHost, for any host", () => {
  it("reports only what it saw: every item is at an observed container's or this host's server's VMID, and a server's own item at its VMID", () => {
    fc.assert(
      fc.property(hostArb, ({ servers, observation, ownerOf }) => {
        const { drift } = judgeHost(servers, observation, ownerOf, NOW);
        const vmids = new Set([...servers.map((s) => s.vmid), ...observation.containers.map((c) => c.vmid)]);
        for (const d of drift) {
          expect(vmids.has(d.vmid), key(d)).toBe(true);
          // An orphan names whoever its marker names, wherever that server is.
          if (d.kind !== "orphan_container" && d.serverId !== null && servers.some((s) => s.id === d.serverId)) expect(servers.find((s) => s.id === d.serverId)!.vmid, key(d)).toBe(d.vmid);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("never judges a server's state on evidence taken before its status last changed, nor one with work in flight", () => {
    fc.assert(
      fc.property(hostArb, ({ servers, observation, ownerOf }) => {
        const { drift, unjudged } = judgeHost(servers, observation, ownerOf, NOW);
        for (const s of servers) {
          const judged = drift.filter((d) => d.serverId === s.id && (d.kind === "state_mismatch" || d.kind === "missing_container"));
          const c = observation.containers.find((x) => x.vmid === s.vmid);
          if (s.liveOps > 0) expect(judged, s.id).toEqual([]);
          if (judged.some((d) => d.kind === "state_mismatch")) expect(c!.observedAt.getTime()).toBeGreaterThan(s.statusChangedAt.getTime());
          if (judged.some((d) => d.kind === "missing_container")) expect(observation.absentAt.getTime()).toBeGreaterThan(s.statusChangedAt.getTime());
          if (judged.length > 0) expect(unjudged).not.toContain(s.id);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("never calls a container of this host's server at its VMID an orphan or unmanaged, and never acts on a marker it could not read", () => {
    fc.assert(
      fc.property(hostArb, ({ servers, observation, ownerOf }) => {
        const { drift } = judgeHost(servers, observation, ownerOf, NOW);
        for (const d of drift.filter((x) => x.kind === "orphan_container" || x.kind === "unmanaged_container")) {
          const c = observation.containers.find((x) => x.vmid === d.vmid)!;
          expect(c.markerUnknown, key(d)).toBeFalsy();
          expect(servers.some((s) => s.vmid === c.vmid && s.id === c.serverId), key(d)).toBe(false);
          if (d.kind === "unmanaged_container") expect(servers.some((s) => s.vmid === c.vmid), key(d)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("does not depend on the order of servers or containers", () => {
    fc.assert(
      fc.property(hostArb, fc.integer(), ({ servers, observation, ownerOf }, seed) => {
        const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: Math.sin(seed + i) })).sort((a, b) => a.k - b.k).map((e) => e.x);
        const a = judgeHost(servers, observation, ownerOf, NOW);
        const b = judgeHost(shuffle(servers), { ...observation, containers: shuffle(observation.containers) }, ownerOf, NOW);
        expect(b.drift.map(key).sort()).toEqual(a.drift.map(key).sort());
        expect([...b.unjudged].sort()).toEqual([...a.unjudged].sort());
      }),
      { numRuns: 500 },
    );
  });

  it("reports nothing but crash loops for a host that matches its database", () => {
    fc.assert(
      fc.property(hostArb, ({ servers, ownerOf }) => {
        const live = servers.filter((s) => s.status === "running" || s.status === "stopped");
        const matching: HostObservation = {
          containers: live.map((s) => ({ vmid: s.vmid, state: s.status as "running" | "stopped", serverId: s.id, source: "agent", observedAt: NOW })),
          absentAt: NOW,
        };
        const { drift } = judgeHost(live, matching, ownerOf, NOW);
        expect(drift.filter((d) => d.kind !== "crash_loop").map(key)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
