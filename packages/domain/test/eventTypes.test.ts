import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../src/eventTypes";

const root = join(import.meta.dirname, "../../..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => readFileSync(join(root, dir, f), "utf8"));
}

const FAMILY = "(?:server|op|backup|host|drift|edge|schedule|api_token)";

describe("the event types", () => {
  it("lists every type a statement or the control plane writes", () => {
    const written = new Set<string>();
    for (const text of sources("packages/db/src/sql")) for (const m of text.matchAll(new RegExp(`'(${FAMILY}\\.[a-z_]+)'`, "g"))) written.add(m[1]!);
    for (const text of sources("apps/control-plane/src")) for (const m of text.matchAll(new RegExp(`type: (?:[^"]*\\? )?"(${FAMILY}\\.[a-z_]+)"`, "g"))) written.add(m[1]!);
    // Composed in SQL from a change's outcome and a backup's end status.
    written.delete("server.change_");
    for (const outcome of ["applied", "rolled_back", "failed"]) written.add(`server.change_${outcome}`);
    for (const status of ["completed", "failed"]) written.add(`backup.${status}`);
    expect(written.size).toBeGreaterThan(30);
    expect([...written].filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
  });

  it("are each documented in docs/api.md", () => {
    const doc = readFileSync(join(root, "docs/api.md"), "utf8");
    expect(EVENT_TYPES.filter((t) => !doc.includes(`\`${t}\``))).toEqual([]);
  });
});
