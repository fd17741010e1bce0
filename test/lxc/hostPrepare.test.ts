import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { BRIDGE } from "../../apps/agent/src/runtime/lxc/hostLayout";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

/** test:lxc runs after `pnpm host:prepare --install`: a second run only checks, and finds everything in place. */
describe("host:prepare on a prepared host", () => {
  it("only checks: every line is ok, it changes nothing and exits 0", async () => {
    const { stdout } = await run("npx", ["tsx", "scripts/hostPrepare.ts"], { cwd: ROOT, timeout: 120_000 });
    const lines = stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("host:prepare: this host is ready for the lxc runtime.");
    expect(lines.slice(0, -1).every((l) => l.startsWith("ok "))).toBe(true);
  });

  it("refuses an unknown argument with a sentence and exit 2", async () => {
    await expect(run("npx", ["tsx", "scripts/hostPrepare.ts", "--instal"], { cwd: ROOT, timeout: 120_000 })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown argument --instal; usage: pnpm host:prepare [--install]"),
    });
  });

  it("leaves the bridge local: no forwarding from it and no IPv6 on it", async () => {
    expect((await readFile(`/proc/sys/net/ipv4/conf/${BRIDGE}/forwarding`, "utf8")).trim()).toBe("0");
    expect((await readFile(`/proc/sys/net/ipv6/conf/${BRIDGE}/disable_ipv6`, "utf8")).trim()).toBe("1");
  });
});
