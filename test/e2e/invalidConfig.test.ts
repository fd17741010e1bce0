import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/** Runs an entry point with only `env` (plus PATH) and collects how it ends. */
function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, entry)], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => done({ code, stderr }));
  });
}

describe("a process with an invalid configuration", () => {
  it("says what is wrong in one line and exits 2 (a restart cannot fix it), control plane and agent alike", async () => {
    const [cp, agent] = await Promise.all([
      run("apps/control-plane/src/main.ts", { DATABASE_URL: "postgres://127.0.0.1:1/x", PORT: "not-a-port" }),
      run("apps/agent/src/main.ts", { ZLH_RUNTIME: "sim" }),
    ]);
    for (const r of [cp, agent]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^Invalid configuration: .+/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
