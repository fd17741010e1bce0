import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { killSimServers, simServerPids, tempDir, waitFor } from "../support/processes";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Every process a test, chaos or bench starts is stopped when it ends.
 * Regression: a chaos run left a simulated server running whose agent was
 * SIGKILLed between starting it and writing its pid file.
 */
describe("killSimServers", () => {
  it("stops a simulated server of the root that no pid file names, and leaves other roots' alone", async () => {
    const mine = await tempDir("kill-sim");
    const other = await tempDir("kill-sim-other");
    const start = async (root: string) => {
      const rootfs = join(root, "5001", "rootfs");
      await mkdir(join(rootfs, "srv/minecraft"), { recursive: true });
      // A process with the sim server's command line (script, rootfs, address) that stays up without a
      // placed server to run; no pid file is written, as when the agent died before writing it.
      const child = spawn("perl", ["-e", "sleep 30", join(import.meta.dirname, "../../apps/agent/src/sim/mcServer.pl"), rootfs, "127.0.0.1"], { detached: true, stdio: "ignore" });
      child.unref();
      return child.pid!;
    };
    const a = await start(mine);
    const b = await start(other);
    try {
      // Found by their command line, which is perl's only once each has exec'd: waited for, not assumed.
      await waitFor(async () => (await simServerPids(mine)).includes(a) && (await simServerPids(other)).includes(b), 10_000, "both sim servers running");
      expect([alive(a), alive(b)]).toEqual([true, true]);
      await killSimServers(mine);
      for (let i = 0; i < 50 && alive(a); i++) await new Promise((r) => setTimeout(r, 20));
      expect([alive(a), alive(b)]).toEqual([false, true]);
    } finally {
      await killSimServers(other);
    }
  });
});
