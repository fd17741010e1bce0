import { describe, expect, it } from "vitest";
import { FrameQueue } from "../src/gateway/frameQueue";

describe("an agent connection's frame queue", () => {
  it("handles frames in order, pauses the socket at the high mark and resumes it at the low one", async () => {
    const flow: string[] = [];
    const q = new FrameQueue(Promise.resolve(), { pause: () => flow.push("pause"), resume: () => flow.push("resume") }, 4, 1);
    const handled: number[] = [];
    let maxWaiting = 0;
    const gates: (() => void)[] = [];
    for (let i = 0; i < 10; i++) {
      q.push(() => new Promise<void>((r) => gates.push(() => (handled.push(i), r()))));
      maxWaiting = Math.max(maxWaiting, q.waiting);
      if (flow.at(-1) === "pause") break; // a paused socket delivers nothing more
    }
    expect(flow).toEqual(["pause"]);
    expect(maxWaiting).toBe(4);
    for (let n = 0; n < 4; n++) {
      await new Promise((r) => setTimeout(r, 0));
      gates.shift()!();
    }
    await q.drained();
    expect(handled).toEqual([0, 1, 2, 3]);
    expect(flow).toEqual(["pause", "resume"]);
    expect(q.waiting).toBe(0);
  });

  it("keeps going after a frame's handler fails", async () => {
    const q = new FrameQueue(Promise.resolve(), { pause() {}, resume() {} });
    const handled: string[] = [];
    q.push(async () => {
      throw new Error("boom");
    });
    q.push(async () => void handled.push("next"));
    await q.drained().catch(() => {});
    await new Promise((r) => setTimeout(r, 0));
    expect(handled).toEqual(["next"]);
  });
});
