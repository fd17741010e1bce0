import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "@zlh/domain";

const ROOTS = ["apps/control-plane/src", "packages/db/src"];
const PREFIXES = "server|op|drift|host|edge|backup|agent|api_token";

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
        for (const m of text.matchAll(new RegExp(`'((?:${PREFIXES})\\.[a-z_]*)'`, "g"))) written.add(m[1]!);
      }
    }
    // Types made by concatenation: 'server.change_' || outcome (applied, rolled_back, failed); 'backup.' || status (completed, failed).
    const made: Record<string, string[]> = { "server.change_": ["applied", "rolled_back", "failed"], "backup.": ["completed", "failed"] };
    for (const [prefix, ends] of Object.entries(made)) {
      expect(written.delete(prefix), prefix).toBe(true);
      for (const end of ends) written.add(prefix + end);
    }
    expect([...written].filter((t) => t.endsWith(".") || t.endsWith("_"))).toEqual([]);
    expect(written.size).toBeGreaterThan(25);
    expect([...written].filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
  });
});
