import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SLOW_TESTS, UNIT_TESTS } from "../vitest.projects";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

describe("the vitest projects (unit, database, e2e, slow)", () => {
  it("name only files that exist, each in one list: a renamed test cannot silently leave `pnpm test:unit`", () => {
    const listed: string[] = [...UNIT_TESTS, ...SLOW_TESTS];
    expect(listed.filter((file) => !existsSync(join(root, file)))).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });
});
