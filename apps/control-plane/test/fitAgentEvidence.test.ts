import { describe, expect, it } from "vitest";
import { fitInventory, fitResult } from "../src/gateway/fitAgentEvidence";

const RESULT = { v: 1 as const, type: "result" as const, opId: "00000000-0000-4000-8000-000000000001", token: "1", outcome: "failed" as const };

/** The agent's frames as the control plane stores them (test/protocol/hostileEvidence.test.ts sends them over a real socket). */
describe("fitting what an agent sends", () => {
  it("keeps an inventory item without evidence as it is, and rebuilds one with evidence from its known fields only", () => {
    const plain = { vmid: 1, state: "running" as const, serverId: null, game: "alive" as const };
    const withCrash = { vmid: 2, state: "stopped" as const, serverId: null, crash: { log: ["a\u0000b"], extra: "x" } as never };
    expect(fitInventory([plain, withCrash])).toEqual([plain, { vmid: 2, state: "stopped", serverId: null, crash: { log: ["a\ufffdb"] } }]);
    expect(fitInventory(undefined)).toBeUndefined();
  });

  it("drops a result's `crash` that is no evidence at all, and makes every other string storable", () => {
    const fitted = fitResult({ ...RESULT, data: { crash: "not an object", nested: [{ deep: "\udfff\u0000" }], count: 3 } });
    expect(fitted.data).toEqual({ nested: [{ deep: "\ufffd\ufffd" }], count: 3 });
    // A well-formed pair is a character, kept as is.
    expect(fitResult({ ...RESULT, error: { code: "x", message: "ok \ud83d\ude00" } }).error).toEqual({ code: "x", message: "ok \ud83d\ude00" });
    expect(fitResult(RESULT)).toEqual(RESULT);
  });
});
