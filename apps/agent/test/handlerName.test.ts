import { describe, expect, it } from "vitest";
import type { LeasedOperation } from "@zlh/protocol";
import { handlerName } from "../src/ops/execute";

const op = (kind: LeasedOperation["kind"], spec: Partial<LeasedOperation["spec"]> = {}) => ({ kind, spec }) as unknown as LeasedOperation;
const change = { start: true, previous: { manifest: {}, serverProperties: {}, memoryMiB: 1024, cpuCores: 1, diskGiB: 8 } } as unknown as NonNullable<LeasedOperation["spec"]["change"]>;

describe("the agent's handler of a leased operation", () => {
  it("runs a provision as a first install, a change or a reinstall by what its spec carries", () => {
    expect(handlerName(op("provision"))).toBe("provision");
    expect(handlerName(op("provision", { change }))).toBe("change");
    expect(handlerName(op("provision", { reinstall: { wipe: false } }))).toBe("reinstall");
    // A change asked while a reinstall's generation is current cannot be leased together (one per generation); if
    // both were there, the change (which rolls back) wins, as the provision's old branches decided.
    expect(handlerName(op("provision", { change, reinstall: { wipe: true } }))).toBe("change");
  });

  it("runs every other kind by its own handler, whatever its spec carries", () => {
    for (const kind of ["start", "stop", "restart", "destroy", "command", "backup", "restore", "backup_delete", "logs"] as const) {
      expect(handlerName(op(kind, { change, reinstall: { wipe: true } }))).toBe(kind);
    }
  });
});
