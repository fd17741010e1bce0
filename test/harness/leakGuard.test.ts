import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

it("fails a test file that leaves an agent running, names it, and kills it", async () => {
  const out = await new Promise<{ code: number | null; text: string }>((done) => {
    const child = execFile(process.execPath, [resolve(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/fixtures/leakGuard/vitest.config.ts"], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
    );
    child.stdin?.end();
  });
  expect(out.code).not.toBe(0);
  expect(out.text).toMatch(/left 1 process\(es\) running after its cleanup: apps\/agent\/src\/main\.ts \(pid (\d+)\)/);
  const pid = Number(/apps\/agent\/src\/main\.ts \(pid (\d+)\)/.exec(out.text)![1]);
  expect(() => process.kill(pid, 0)).toThrow(); // killed by the guard
});
