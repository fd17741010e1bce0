import { describe, expect, it } from "vitest";
import { MAX_COMMAND_BYTES } from "@zlh/domain";
import { decodeAgentMessage, decodeControlMessage } from "../src/codec";

const lease = (n: number) => ({ opId: `0b6f3c1e-2a4d-4f5e-8a9b-1c2d3e4f5a${String(n).padStart(2, "0")}`, token: String(40 + n) });
const spec = { vmid: 7310, hostname: "zlh-7310", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, gamePort: 25_565, rconPort: 25_575, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest: null, rconPassword: "pw" };
const commandOp = (n: number, command: unknown) => ({
  ...lease(n), kind: "command", serverId: "6a7b8c9d-0000-4000-8000-00000000000b", generation: 1, attempt: 1, leaseExpiresAt: new Date(0).toISOString(), spec: { ...spec, command },
});
const grant = (ops: unknown[]) => JSON.stringify({ v: 1, type: "lease.grant", ops });

describe("a lease grant's operations", () => {
  it("carries the longest command the API accepts (1446 characters of ASCII), not only a thousand", () => {
    const d = decodeControlMessage(grant([commandOp(1, `say ${"a".repeat(MAX_COMMAND_BYTES - 4)}`)]));
    expect(d.ok && d.refused).toEqual([]);
    expect(d.ok && d.message.type === "lease.grant" && d.message.ops[0]?.spec.command?.length).toBe(1446);
  });

  it("refuses an operation it cannot read alone, with its lease and its own problem, and keeps the grant's others", () => {
    const d = decodeControlMessage(grant([commandOp(1, "list"), commandOp(2, "say a\nop me"), commandOp(3, "x".repeat(1447)), { opId: 7 }, commandOp(4, "save-all")]));
    expect(d.ok).toBe(true);
    if (!d.ok || d.message.type !== "lease.grant") return;
    expect(d.message.ops.map((o) => o.spec.command)).toEqual(["list", "save-all"]);
    expect(d.refused.map((r) => r.lease)).toEqual([lease(2), lease(3), null]);
    expect(d.refused[0]!.reason).toMatch(/^lease\.grant: \/ops\/1\/spec\/command must match pattern/);
    expect(d.refused[1]!.reason).toMatch(/^lease\.grant: \/ops\/2\/spec\/command must not have more than 1446 characters$/);
  });
});

describe("a refused frame's reason", () => {
  it("names the problem of the message's own type, not another branch's of the union", () => {
    const d = decodeControlMessage(JSON.stringify({ v: 1, type: "heartbeat.ack", renewed: [], lost: "none" }));
    expect(d).toEqual({ ok: false, code: "malformed", type: "heartbeat.ack", reason: "heartbeat.ack: /lost must be array" });
    const a = decodeAgentMessage(JSON.stringify({ v: 1, type: "lease.request", max: 0 }));
    expect(a).toEqual({ ok: false, code: "malformed", type: "lease.request", reason: "lease.request: /max must be >= 1" });
  });

  it("says a grant whose frame is broken is a grant, so its asker knows what was lost", () => {
    expect(decodeControlMessage(JSON.stringify({ v: 1, type: "lease.grant", ops: "none" }))).toMatchObject({ ok: false, type: "lease.grant", reason: "lease.grant: /ops must be array" });
  });

  it("names an unknown or missing type as such", () => {
    expect(decodeControlMessage(JSON.stringify({ v: 1, type: "no.such" }))).toMatchObject({ ok: false, code: "malformed", type: null, reason: expect.stringMatching(/^\/type "no\.such" is not a message type \(welcome, lease\.grant,/) });
    expect(decodeAgentMessage(JSON.stringify({ v: 1 }))).toMatchObject({ ok: false, code: "malformed", type: null });
    expect(decodeAgentMessage("[1]")).toMatchObject({ ok: false, code: "malformed", reason: "/ must be an object" });
    expect(decodeAgentMessage("{")).toMatchObject({ ok: false, code: "malformed", reason: "not JSON" });
  });
});

describe("a heartbeat's figures", () => {
  const serverId = "6a7b8c9d-0000-4000-8000-00000000000b";
  const beat = (stats: unknown[], inventory?: unknown[]) => decodeAgentMessage(JSON.stringify({ v: 1, type: "heartbeat", held: [], stats, ...(inventory ? { inventory } : {}) }));

  it("are read one by one: a figure past Number.MAX_SAFE_INTEGER is left out with its reason, the beat and the other figures kept", () => {
    const ok = { vmid: 7310, serverId, cpuPercent: 1, memoryBytes: Number.MAX_SAFE_INTEGER, diskBytes: 0 };
    const d = beat([{ ...ok, memoryBytes: 1e300 }, ok, { ...ok, diskBytes: 2 ** 60 }, { ...ok, vmid: 2 ** 31 }]);
    expect(d.ok && d.message.type === "heartbeat" && d.message.stats).toEqual([ok]);
    expect(d.ok && d.refused).toEqual([
      "heartbeat: /stats/0/memoryBytes must be <= 9007199254740991",
      "heartbeat: /stats/2/diskBytes must be <= 9007199254740991",
      "heartbeat: /stats/3/vmid must be <= 999999999",
    ]);
  });

  it("but an inventory a container of which cannot be a VMID refuses the beat (leaving one out would read as a container gone)", () => {
    expect(beat([], [{ vmid: 1e300, state: "running", serverId: null }])).toMatchObject({ ok: false, type: "heartbeat", reason: "heartbeat: /inventory/0/vmid must be <= 999999999" });
  });
});
