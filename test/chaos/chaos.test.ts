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
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/chaos.ts", "--seed", "20261126", "--duration", "35", "--hosts", "3", "--control-planes", "2"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: inject("pgAdminUrl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    // Past its budget, the run is told to stop (it then stops everything it started) rather than abandoned.
    const budget = setTimeout(() => child.kill("SIGTERM"), 270_000);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    clearTimeout(budget);
    expect(out).toMatch(/violations: 0\n/);
    expect(out).not.toMatch(/faults: none/);
    expect(out).toMatch(/faults: .*hostile_\w+ [1-9]/);
    expect(out).toMatch(/ok {3}11 nothing outside a container changed/);
    expect(out).toMatch(/ok {3}12 the agents kept beating/);
    expect(out).toMatch(/edits [1-9]\d* \(meant to roll back [1-9]/);
    expect(out).toMatch(/backups: .*completed [1-9]/);
    expect(code, out).toBe(0);
  }, 300_000);
});
