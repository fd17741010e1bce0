import { describe, expect, it } from "vitest";
import type { Progress } from "@zlh/protocol";
import { progressReporter } from "../src/ops/progress";

describe("the agent's progress reporter", () => {
  const op = { opId: "0b6f3c1e-2a4d-4f5e-8a9b-1c2d3e4f5a6b", token: "7" };
  function reporter() {
    let t = 1000;
    const sent: Omit<Progress, "v">[] = [];
    const report = progressReporter(op, (m) => sent.push(m), () => t);
    return { report, sent, advance: (ms: number) => (t += ms) };
  }

  it("sends every change of phase at once, under the operation's lease", () => {
    const { report, sent } = reporter();
    report({ phase: "creating" });
    report({ phase: "downloading", done: 0, total: 3, bytesDone: 0, bytesTotal: 300 });
    report({ phase: "placing" });
    expect(sent.map((m) => m.phase)).toEqual(["creating", "downloading", "placing"]);
    expect(sent[1]).toEqual({ type: "progress", ...op, phase: "downloading", done: 0, total: 3, bytesDone: 0, bytesTotal: 300 });
  });

  it("sends counts within a phase at most twice a second, and the phase's last count at once", () => {
    const { report, sent, advance } = reporter();
    report({ phase: "downloading", done: 0, total: 4, bytesDone: 0, bytesTotal: 400 });
    advance(100);
    report({ phase: "downloading", done: 1, total: 4, bytesDone: 100, bytesTotal: 400 });
    advance(100);
    report({ phase: "downloading", done: 2, total: 4, bytesDone: 200, bytesTotal: 400 });
    advance(400);
    report({ phase: "downloading", done: 3, total: 4, bytesDone: 300, bytesTotal: 400 });
    advance(10);
    report({ phase: "downloading", done: 4, total: 4, bytesDone: 400, bytesTotal: 400 });
    expect(sent.map((m) => m.done)).toEqual([0, 3, 4]);
  });
});
