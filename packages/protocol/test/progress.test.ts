import { describe, expect, it } from "vitest";
import { decodeAgentMessage } from "../src/codec";

const base = { v: 1, type: "progress", opId: "0b6f3c1e-2a4d-4f5e-8a9b-1c2d3e4f5a6b", token: "42" };
const decode = (m: Record<string, unknown>) => decodeAgentMessage(JSON.stringify({ ...base, ...m }));

describe("the progress message", () => {
  it("takes a phase with file and byte counts", () => {
    const d = decode({ phase: "downloading", done: 3, total: 12, bytesDone: 5_000_000, bytesTotal: 20_000_000 });
    expect(d.ok && d.message).toMatchObject({ type: "progress", phase: "downloading", done: 3, bytesTotal: 20_000_000 });
  });
  it("takes a bare phase", () => {
    expect(decode({ phase: "waiting" }).ok).toBe(true);
  });
  it.each([
    ["an unknown phase", { phase: "mining" }],
    ["a negative count", { phase: "downloading", done: -1 }],
    ["a fractional count", { phase: "downloading", done: 1.5 }],
    ["a count past its bound", { phase: "downloading", total: 1_000_001 }],
    ["bytes past a TiB", { phase: "downloading", bytesDone: 1024 ** 4 + 1 }],
    ["no phase", { phase: undefined }],
    ["a token that is not a number", { phase: "starting", token: "abc" }],
    ["no op id", { phase: "starting", opId: undefined }],
  ])("refuses %s", (_, m) => {
    expect(decode(m).ok).toBe(false);
  });
});
