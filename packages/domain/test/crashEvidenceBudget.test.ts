import { describe, expect, it } from "vitest";
import { EVIDENCE_BOUNDS, fitCrashEvidence, fitLines, jsonTextBytes } from "../src/crashEvidenceBudget";

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("jsonTextBytes", () => {
  it("counts UTF-8 bytes of JSON as Postgres prints jsonb: escapes, multi-byte characters and the spaces after ',' and ':'", () => {
    // Postgres prints {"a": ["x", "é"], "b": "\u0001"}: 33 bytes, é being 2 and the escape 6.
    expect(jsonTextBytes({ a: ["x", "é"], b: "\u0001" })).toBe(33);
    expect(jsonTextBytes("\u{1F600}")).toBe(6);
    expect(jsonTextBytes("\ufffd")).toBe(5);
  });
});

describe("fitLines", () => {
  it("keeps a log's tail within the budget, the first line that does not fit cut on a code point boundary", () => {
    const lines = ["\u{1F600}".repeat(150), "b".repeat(50), "last"];
    const fit = fitLines(lines, 120, "end");
    expect(fit.cut).toBe(true);
    expect(jsonTextBytes(fit.lines)).toBeLessThanOrEqual(120);
    expect(fit.lines.slice(1)).toEqual(["b".repeat(50), "last"]);
    expect(fit.lines[0]).toMatch(/^…(\u{1F600})+$/u);
    expect(fit.lines[0]).not.toMatch(LONE);
  });

  it("keeps a crash report's head; what fits is left whole and not marked cut", () => {
    expect(fitLines(["head", "x".repeat(100)], 40, "start")).toEqual({ lines: ["head", `${"x".repeat(25)}…`], cut: true });
    expect(fitLines(["a", "b"], 40, "start")).toEqual({ lines: ["a", "b"], cut: false });
  });
});

describe("fitCrashEvidence", () => {
  it("rebuilds what an old or subverted agent sent within every budget: controls and lone surrogates neutralised, too many lines dropped, truncated said", () => {
    const hostile = ["\u0001".repeat(300), "\ud800x".repeat(150), "\u{1F600}".repeat(150), "\u0000\u001b]0;title\u0007"];
    const many = Array.from({ length: 500 }, (_, i) => hostile[i % 4]!);
    const e = fitCrashEvidence({
      log: [...many, "the last line"],
      stderr: many,
      crashReport: { name: `crash-\u0001${"n".repeat(500)}`, lines: ["the first line", ...many] },
      exit: { result: "exit-code\u0001", code: "exited", status: "1".repeat(100) },
      refused: many,
      extra: "x".repeat(100_000),
    })!;
    expect(e.truncated).toBe(true);
    expect(e).not.toHaveProperty("extra");
    for (const [field, lines] of [["log", e.log], ["stderr", e.stderr], ["crashReport", e.crashReport!.lines], ["refused", e.refused]] as const) {
      const bound = EVIDENCE_BOUNDS[field];
      expect(jsonTextBytes(lines)).toBeLessThanOrEqual(bound.maxBytes);
      expect(lines!.length).toBeLessThanOrEqual(bound.maxLines);
    }
    expect(e.log!.at(-1)).toBe("the last line");
    expect(e.crashReport!.lines[0]).toBe("the first line");
    expect(e.crashReport!.name.length).toBeLessThanOrEqual(128);
    expect(e.exit).toEqual({ result: "exit-code\ufffd", code: "exited", status: `${"1".repeat(15)}…` });
    const text = JSON.stringify(e);
    expect(text).not.toMatch(/\\u00|\\ud[89ab]/);
    expect([...e.log!, ...e.stderr!].join("")).not.toMatch(LONE);
  });

  it("leaves evidence within its budgets as it is, and what is not evidence is none", () => {
    const e = { log: ["[10:00:00] [Server thread/INFO]: Done"], stderr: ["\tat x"], crashReport: { name: "crash-2026-12-02_10.15.42-server.txt", lines: ["Description: boom"] }, exit: { result: "exit-code", code: "exited", status: "1" } };
    expect(fitCrashEvidence(e)).toEqual(e);
    expect(fitCrashEvidence("log")).toBeNull();
    expect(fitCrashEvidence([])).toBeNull();
  });
});
