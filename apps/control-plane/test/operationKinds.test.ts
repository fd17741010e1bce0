import { describe, expect, it } from "vitest";
import { LIFECYCLE_KINDS, OPERATION_KINDS, TASK_KINDS, WORKING_STATUS } from "@zlh/domain";
import { LeasedOperation } from "@zlh/protocol";
import { OPERATION_DEFINITIONS } from "../src/broker/kinds";

/** The places docs/contributing/new-operation-kind.md names agree on the list of kinds. */
describe("operation kinds", () => {
  it("the domain's list, the wire protocol's and the control plane's definitions name the same kinds", () => {
    const wire = (LeasedOperation.properties.kind as unknown as { anyOf: { const: string }[] }).anyOf.map((s) => s.const);
    expect([...wire].sort()).toEqual([...OPERATION_KINDS].sort());
    expect(Object.keys(OPERATION_DEFINITIONS).sort()).toEqual([...OPERATION_KINDS].sort());
    expect([...LIFECYCLE_KINDS, ...TASK_KINDS].sort()).toEqual([...OPERATION_KINDS].sort());
  });

  it("a task never moves its server's status; every lifecycle kind but destroy has a working status", () => {
    for (const k of TASK_KINDS) expect(WORKING_STATUS[k], k).toBeUndefined();
    for (const k of LIFECYCLE_KINDS) expect(WORKING_STATUS[k] !== undefined, k).toBe(k !== "destroy");
  });
});
