import { describe, expect, it } from "vitest";
import { PRINTABLE_MAX_CHARS, printable } from "../../apps/cli/src/output";

describe("printable", () => {
  it("shows control characters as ? and cuts a value past PRINTABLE_MAX_CHARS code points with an ellipsis", () => {
    expect(printable("a\u001b[2Jb\tc")).toBe("a?[2Jb\tc");
    const huge = printable(`${"😀".repeat(10)}${"x".repeat(1_000_000)}`);
    expect(huge).toBe(`${"😀".repeat(10)}${"x".repeat(PRINTABLE_MAX_CHARS - 10)}…`);
    expect(printable("y".repeat(PRINTABLE_MAX_CHARS))).toBe("y".repeat(PRINTABLE_MAX_CHARS));
  });
});
