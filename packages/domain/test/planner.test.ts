import { describe, expect, it } from "vitest";
import { nextOperationKind, SERVER_STATUSES, type DesiredState, type ServerStatus } from "../src/index";

const plan = (status: ServerStatus, desiredState: DesiredState, over: { restart?: boolean; manifest?: boolean } = {}) =>
  nextOperationKind({ status, desiredState, generation: 5, restartGeneration: over.restart ? 5 : 4, hasManifest: over.manifest ?? true });

describe("nextOperationKind", () => {
  it("destroys anything not yet deleted once deletion is wanted", () => {
    for (const s of SERVER_STATUSES) expect(plan(s, "deleted"), s).toBe(s === "deleted" ? null : "destroy");
  });

  it("provisions a server that never came up, once its manifest exists, whatever is wanted next", () => {
    expect(plan("pending", "running")).toBe("provision");
    expect(plan("pending", "stopped")).toBe("provision");
    expect(plan("provisioning", "running")).toBe("provision");
    expect(plan("pending", "running", { manifest: false })).toBeNull();
  });

  it("drives a server left starting or stopping (its operation expired or was superseded) to what is wanted", () => {
    expect(plan("starting", "running")).toBe("start");
    expect(plan("starting", "running", { restart: true })).toBe("restart");
    expect(plan("stopping", "running")).toBe("start");
    expect(plan("starting", "stopped")).toBe("stop");
    expect(plan("stopping", "stopped")).toBe("stop");
  });

  it("starts, stops and restarts from steady states, and leaves settled or failed servers alone", () => {
    expect(plan("stopped", "running")).toBe("start");
    expect(plan("running", "stopped")).toBe("stop");
    expect(plan("running", "running", { restart: true })).toBe("restart");
    expect(plan("running", "running")).toBeNull();
    expect(plan("stopped", "stopped")).toBeNull();
    expect(plan("failed", "running")).toBeNull();
    expect(plan("failed", "stopped")).toBeNull();
  });

  it("reinstalls (a provision over the existing container) a settled or moving server asked to, and only in that generation", () => {
    const reinstall = (status: ServerStatus, generation: number) =>
      nextOperationKind({ status, desiredState: "running", generation: 5, restartGeneration: null, reinstallGeneration: generation, hasManifest: true });
    for (const s of ["running", "stopped", "starting", "stopping"] as const) expect(reinstall(s, 5), s).toBe("provision");
    expect(reinstall("running", 4)).toBeNull();
    expect(reinstall("stopped", 4)).toBe("start");
    expect(reinstall("failed", 5)).toBeNull();
    expect(nextOperationKind({ status: "running", desiredState: "deleted", generation: 5, restartGeneration: null, reinstallGeneration: 5, hasManifest: true })).toBe("destroy");
  });
});
