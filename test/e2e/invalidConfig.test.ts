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

  it("stops at an edge provider that cannot work (a bad TSIG key, an unknown kind, a bad URL), naming it in one line, never quoting the secret", async () => {
    const base = { DATABASE_URL: "postgres://127.0.0.1:1/x", ZLH_API_TOKENS: "a-long-enough-token-123", ZLH_SECRETS_KEY: Buffer.alloc(32, 1).toString("base64"), ZLH_EDGE_ZONE: "play.example.com" };
    const secret = "c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0";
    const cases = [
      [[{ name: "dns", kind: "rfc2136", server: "127.0.0.1:53", keyName: "zlh-edge", keySecret: `${secret}!` }], /ZLH_EDGE_PROVIDERS: edge provider dns: key secret is not base64/],
      [[{ name: "dns", kind: "bind" }], /kind "bind" is not one of/],
      [[{ name: "hook", kind: "webhook", url: "ftp://x" }], /edge provider "hook" \(webhook\): url must be an http:\/\/ or https:\/\/ URL, not ftp:/],
    ] as const;
    const results = await Promise.all(cases.map(([providers]) => run("apps/control-plane/src/main.ts", { ...base, ZLH_EDGE_PROVIDERS: JSON.stringify(providers) })));
    results.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^Invalid configuration: .+/);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).not.toContain(secret);
    });
    const badZone = await run("apps/control-plane/src/main.ts", { ...base, ZLH_EDGE_ZONE: "nozone", ZLH_EDGE_PROVIDERS: "[]" });
    expect(badZone.code).toBe(2);
    expect(badZone.stderr).toMatch(/ZLH_EDGE_ZONE/);
  });
});
