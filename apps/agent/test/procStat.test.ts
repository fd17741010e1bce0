import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseProcStat } from "../src/runtime/cgroupUsage";
import { procStatFields } from "../src/runtime/procStat";

/** A /proc/<pid>/stat line as the kernel writes it, for a process that named itself `comm` (state S, utime 1520, stime 380, starttime 123456). */
const statLine = (comm: string) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1520 380 0 0 20 0 42 0 123456 4294967296 250000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0\n`;

describe("procStatFields", () => {
  it("numbers the fields as proc(5) does, whatever the process named itself", () => {
    // A guest names its process: spaces, parentheses and a ')' followed by numbers must not shift a field.
    for (const comm of ["java", "java (server)", "a) 1 2 (b", ") Z 9 9 (", "))", " "]) {
      const fields = procStatFields(statLine(comm));
      expect(fields?.slice(0, 3), comm).toEqual(["4242", comm, "S"]);
      expect([fields?.[14 - 1], fields?.[15 - 1], fields?.[22 - 1]], comm).toEqual(["1520", "380", "123456"]);
      expect(fields, comm).toHaveLength(44);
      expect(parseProcStat(statLine(comm)), comm).toBe(19_000_000);
    }
  });

  it("refuses what is not a whole stat line", () => {
    for (const text of ["", "4242", "4242 (java", "4242 java) S 1", "4242 (java)", "4242 (java) ", "garbage ) 1 2"]) {
      expect(procStatFields(text), JSON.stringify(text)).toBeNull();
      expect(parseProcStat(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("reads this process's own stat line", () => {
    const fields = procStatFields(readFileSync("/proc/self/stat", "utf8"));
    expect(fields?.[1 - 1]).toBe(String(process.pid));
    expect(fields?.[3 - 1]).toMatch(/^[RS]$/);
    expect(Number(fields?.[22 - 1])).toBeGreaterThan(0);
  });
});
