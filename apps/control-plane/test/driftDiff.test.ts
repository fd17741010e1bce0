import { describe, expect, it } from "vitest";
import { diffHost, type ObservedContainer, type ServerOnHost } from "../src/reconcile/diff";
import { mergeObservations } from "../src/reconcile/observe";

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";
const GONE = "dddddddd-0000-4000-8000-000000000004";

const server = (over: Partial<ServerOnHost> = {}): ServerOnHost => ({ id: A, status: "running", desiredState: "running", vmid: 100, liveOps: 0, ...over });
const ct = (over: Partial<ObservedContainer> = {}): ObservedContainer => ({ vmid: 100, state: "running", serverId: A, source: "agent", ...over });
const kinds = (d: { kind: string; vmid: number }[]) => d.map((x) => `${x.kind}@${x.vmid}`);

describe("diffHost", () => {
  it("reports nothing when the host matches the database", () => {
    expect(diffHost([server()], [ct()], () => undefined)).toEqual([]);
  });

  it("missing_container for a provisioned server without its container, never for one still provisioning or with work in flight", () => {
    expect(kinds(diffHost([server()], [], () => undefined))).toEqual(["missing_container@100"]);
    expect(diffHost([server({ status: "stopped", desiredState: "stopped" })], [], () => undefined)).toHaveLength(1);
    expect(diffHost([server({ status: "provisioning" })], [], () => undefined)).toEqual([]);
    expect(diffHost([server({ liveOps: 1 })], [], () => undefined)).toEqual([]);
    expect(diffHost([server({ status: "pending" })], [], () => undefined)).toEqual([]);
  });

  it("state_mismatch when a running server's container is stopped (and the reverse)", () => {
    expect(diffHost([server()], [ct({ state: "stopped" })], () => undefined)).toEqual([
      { kind: "state_mismatch", vmid: 100, serverId: A, detail: { desired: "running", observed: "stopped", source: "agent" } },
    ]);
    expect(kinds(diffHost([server({ status: "stopped", desiredState: "stopped" })], [ct()], () => undefined))).toEqual(["state_mismatch@100"]);
    expect(diffHost([server({ liveOps: 2 })], [ct({ state: "stopped" })], () => undefined)).toEqual([]);
  });

  it("vmid_conflict when the server's VMID holds a container marked for someone else or no one", () => {
    expect(kinds(diffHost([server()], [ct({ serverId: B })], () => ({ status: "running", vmid: 200, hostId: "h" })))).toEqual(["vmid_conflict@100"]);
    expect(kinds(diffHost([server({ status: "deleting", desiredState: "deleted", liveOps: 1 })], [ct({ serverId: null })], () => undefined))).toEqual([
      "vmid_conflict@100",
    ]);
  });

  it("orphan_container for our marker whose server is deleted, unknown, or elsewhere; unmanaged for no marker", () => {
    const owners = new Map([
      [GONE, { status: "deleted" as const, vmid: 300, hostId: "h" }],
      [B, { status: "running" as const, vmid: 999, hostId: "h" }],
    ]);
    const found = diffHost([], [ct({ vmid: 300, serverId: GONE }), ct({ vmid: 301, serverId: "eeeeeeee-0000-4000-8000-000000000005" }), ct({ vmid: 302, serverId: B }), ct({ vmid: 303, serverId: null })], (id) => owners.get(id));
    expect(found.map((d) => [d.kind, d.vmid, d.detail.serverStatus ?? null])).toEqual([
      ["orphan_container", 300, "deleted"],
      ["orphan_container", 301, "unknown"],
      ["orphan_container", 302, "running"],
      ["unmanaged_container", 303, null],
    ]);
  });
});

describe("mergeObservations", () => {
  it("has no view without a source, and lets the agent's view win over Proxmox's for the same VMID", () => {
    expect(mergeObservations(null, null)).toBeNull();
    const merged = mergeObservations([{ vmid: 1, state: "running", serverId: A }], [ct({ vmid: 1, state: "stopped", serverId: null, source: "proxmox" }), ct({ vmid: 2, serverId: null, source: "proxmox" })]);
    expect(merged).toEqual([
      { vmid: 1, state: "running", serverId: A, source: "agent" },
      { vmid: 2, state: "running", serverId: null, source: "proxmox" },
    ]);
  });
});
