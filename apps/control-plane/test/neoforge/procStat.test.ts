import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { foreignProcess, parseStat } from "../../src/neoforge/procStat";

describe("a process's parent from /proc/<pid>/stat (parseStat)", () => {
  it("takes the fields after the last ')': a command with spaces and parentheses cannot forge its parent", () => {
    expect(parseStat("1234 (node) S 1200 1234 1200 0 -1 4194560")).toEqual({ comm: "node", ppid: 1200 });
    // A process that named itself "x) S 1" to pass for a child of init's, or of ours.
    expect(parseStat("1234 (x) S 1 (y)) R 77 1234 77 0")).toEqual({ comm: "x) S 1 (y)", ppid: 77 });
    expect(parseStat("1234 (a b\nc) S 9 1")).toEqual({ comm: "a b?c", ppid: 9 });
  });

  it("refuses text that is not a stat line", () => {
    expect(parseStat("")).toBeNull();
    expect(parseStat("1234 node S 1")).toBeNull();
    expect(parseStat("1234 (node) S")).toBeNull();
    expect(parseStat("1234 (node) S -1")).toBeNull();
  });
});

describe("which processes are not this one's or its descendants (foreignProcess), from the kernel's /proc", () => {
  it("finds our child and grandchild ours, and this process's parent (an ancestor, not a descendant) foreign", async () => {
    const sh = spawn("sh", ["-c", "sleep 120 & echo $!; wait"], { stdio: ["ignore", "pipe", "inherit"] });
    let grandchild = 0;
    try {
      const [line] = (await once(sh.stdout!, "data")) as [Buffer];
      grandchild = Number(line.toString().trim());
      expect(await foreignProcess([process.pid, sh.pid!, grandchild], process.pid)).toBeNull();
      expect(await foreignProcess([sh.pid!, process.ppid], process.pid)).toEqual({ pid: process.ppid, comm: expect.any(String) });
      // Seen from the child: its parent (us) is not its descendant.
      expect(await foreignProcess([grandchild, process.pid], sh.pid!)).toMatchObject({ pid: process.pid });
      // Gone: no one's, skipped.
      expect(await foreignProcess([2 ** 22 + 1], process.pid)).toBeNull();
    } finally {
      if (grandchild > 0) process.kill(grandchild, "SIGKILL");
      const exited = once(sh, "exit");
      sh.kill("SIGKILL");
      await exited;
    }
  });
});
