import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, inject, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The short, seeded chaos run that is part of `pnpm test`: real processes,
 * the full workload (changes, rollbacks, backups and restores included) and
 * every fault kind, a hostile customer's included (at least every fourth
 * fault), then all twelve invariants. Longer
 * runs are `pnpm chaos --duration 600`.
 */
describe("chaos (short, seeded)", () => {
  it("keeps every invariant under faults", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/chaos.ts", "--seed", "20261126", "--duration", "35", "--hosts", "3", "--control-planes", "2", "--json"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: inject("pgAdminUrl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let log = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (log += b.toString()));
    // Past its budget, the run is told to stop (it then stops everything it started) rather than abandoned. The
    // budget is past the run's own bounds (35 s of faults, its convergence wait of 240 s and two reconcile intervals,
    // the edge's check of up to 60 s), so a slow convergence on a loaded machine is judged by the run's invariants,
    // which say what did not converge, rather than cut off with nothing said.
    const budget = setTimeout(() => child.kill("SIGTERM"), 420_000);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    clearTimeout(budget);
    expect(out.trim(), log).not.toBe("");
    const summary = JSON.parse(out.trim().split("\n").at(-1)!) as ChaosSummary;
    const invariant = (n: number) => summary.invariants.find((c) => c.name.startsWith(`${n} `));
    expect(summary.invariants.filter((c) => c.violations > 0), log).toEqual([]);
    expect(summary.violations).toBe(0);
    // All twelve ran; the hostile customer's two looked at something.
    for (let n = 1; n <= 12; n++) expect(invariant(n), `invariant ${n}`).toBeDefined();
    expect(invariant(11)!.checked, `${invariant(11)!.name}\n${log}`).toBeGreaterThan(0);
    expect(invariant(12)!.checked, `${invariant(12)!.name}\n${log}`).toBeGreaterThan(0);
    const faults = Object.entries(summary.faults);
    expect(faults.reduce((sum, [, v]) => sum + v, 0)).toBeGreaterThan(0);
    expect(faults.filter(([k]) => k.startsWith("hostile_")).reduce((sum, [, v]) => sum + v, 0)).toBeGreaterThan(0);
    expect(summary.workload.changes).toBeGreaterThan(0);
    expect(summary.workload.breakingChanges).toBeGreaterThan(0);
    expect(summary.backups.completed ?? 0).toBeGreaterThan(0);
    expect(code, log).toBe(0);
  }, 450_000);
});

/** What `pnpm chaos --json` prints (scripts/chaos.ts). */
interface ChaosSummary {
  workload: { changes: number; breakingChanges: number };
  backups: Record<string, number>;
  faults: Record<string, number>;
  invariants: { name: string; checked: number; violations: number }[];
  violations: number;
}
