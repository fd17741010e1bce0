import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DRIZZLE = fileURLToPath(new URL("../../../drizzle/", import.meta.url));

/**
 * The migrations that contract the schema (drop or rename what an older
 * release used), each with why it was allowed. A contraction ships only in
 * a release after the one that stopped using it (docs/operations.md "Upgrades"), and is
 * listed here when it does: the list is the review point.
 */
const CONTRACTIONS: Record<string, string> = {
  // Shipped before the rule: the release before it (fleet-wide port_pool) cannot run beside it; upgrades
  // from that release stop the old control planes first (docs/operations.md "Upgrades").
  "0012_host_ports_incremental_reconcile.sql": "port_pool and the fleet-wide port indexes, replaced by host_ports",
};

/** Statements that take away something a running older release may read or write. */
const CONTRACTING = [
  /\bDROP\s+(TABLE|INDEX|SEQUENCE|VIEW|TYPE|FUNCTION|TRIGGER)\b/i,
  /\bDROP\s+COLUMN\b/i,
  /\bRENAME\b/i,
  /\bALTER\s+COLUMN\s+"?\w+"?\s+(SET\s+DATA\s+)?TYPE\b/i,
  /\bSET\s+NOT\s+NULL\b/i,
];

/** A check dropped and added again under its name is replaced (e.g. widened to a new kind), not removed. */
function droppedConstraintsNotReadded(sqlText: string): string[] {
  const dropped = [...sqlText.matchAll(/DROP\s+CONSTRAINT\s+"?(\w+)"?/gi)].map((m) => m[1]!);
  return dropped.filter((name) => !new RegExp(`ADD\\s+CONSTRAINT\\s+"?${name}"?`, "i").test(sqlText));
}

/**
 * An index dropped and created again under its name in the same file is replaced, not removed (a partial
 * index's predicate widened to a new read-only kind): the statement that drops it does not count.
 */
function replacesIndex(statement: string, sqlText: string): boolean {
  const name = /^DROP\s+INDEX\s+"?(\w+)"?;?$/i.exec(statement.trim())?.[1];
  return name !== undefined && new RegExp(`CREATE\\s+(UNIQUE\\s+)?INDEX\\s+"?${name}"?`, "i").test(sqlText);
}

describe("migration policy: expand, then contract", () => {
  const files = readdirSync(DRIZZLE).filter((f) => f.endsWith(".sql")).sort();

  it("finds the migrations", () => {
    expect(files.length).toBeGreaterThan(12);
  });

  for (const file of files) {
    it(`${file} takes nothing away from the release before it, unless listed as a contraction`, () => {
      const text = readFileSync(DRIZZLE + file, "utf8").replace(/--(?!>)[^\n]*/g, "");
      const contracting = text
        .split(/-->\s*statement-breakpoint|;\s*\n/)
        .filter((statement) => CONTRACTING.some((re) => re.test(statement)) && !replacesIndex(statement, text))
        .map((s) => s.trim());
      const found = [...contracting, ...droppedConstraintsNotReadded(text).map((c) => `DROP CONSTRAINT ${c}`)];
      if (file in CONTRACTIONS) expect(found.length).toBeGreaterThan(0);
      else expect(found).toEqual([]);
    });
  }
});
