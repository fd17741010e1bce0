import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "@zlh/domain";

const ROOTS = ["apps/control-plane/src", "packages/db/src"];
const PREFIXES = "server|op|drift|host|edge|backup|agent";

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sources(join(dir, e.name)) : Promise.resolve(e.name.endsWith(".ts") ? [join(dir, e.name)] : []))));
  return nested.flat();
}

/**
 * EVENT_TYPES is the one list of the feed's types (the OpenAPI enum, the
 * client's EventType). TypeScript checks what recordEvent writes; SQL's
 * `insert into events` writes quoted literals, found here.
 */
describe("event types", () => {
  it("lists every type the SQL writes", async () => {
    const written = new Set<string>();
    for (const root of ROOTS) {
      for (const file of await sources(root)) {
        const text = await readFile(file, "utf8");
        for (const m of text.matchAll(new RegExp(`'((?:${PREFIXES})\\.[a-z_]+)'`, "g"))) written.add(m[1]!);
      }
    }
    // 'server.change_' || outcome: a change ends applied, rolled_back or failed.
    expect(written.delete("server.change_")).toBe(true);
    for (const outcome of ["applied", "rolled_back", "failed"]) written.add(`server.change_${outcome}`);
    expect(written.size).toBeGreaterThan(25);
    expect([...written].filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
  });
});
