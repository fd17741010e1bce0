import { describe, expect, it } from "vitest";
import { keysetPage, nextCursorOf } from "../src/servers/page";

describe("a keyset page read one row past its limit", () => {
  const cursorOf = (last: number) => `after-${last}`;

  it("keeps at most limit rows and names the last one's cursor only when a row came past it", () => {
    expect(keysetPage([1, 2, 3], 2, cursorOf)).toEqual({ page: [1, 2], nextCursor: "after-2" });
    expect(keysetPage([1, 2], 2, cursorOf)).toEqual({ page: [1, 2], nextCursor: null }); // exactly full: the last page
    expect(keysetPage([1], 2, cursorOf)).toEqual({ page: [1], nextCursor: null });
    expect(keysetPage([], 2, cursorOf)).toEqual({ page: [], nextCursor: null });
  });

  it("gives a page the database already cut the cursor after it while it says more came", () => {
    expect(nextCursorOf([5, 6], true, cursorOf)).toBe("after-6");
    expect(nextCursorOf([5, 6], false, cursorOf)).toBeNull();
    expect(nextCursorOf([], true, cursorOf)).toBeNull();
    expect(nextCursorOf([0], true, cursorOf)).toBe("after-0"); // a falsy item is still an item
  });
});
