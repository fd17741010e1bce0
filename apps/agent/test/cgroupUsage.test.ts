import { describe, expect, it } from "vitest";
import { parseCounter, parseCpuStatV2, parseProcStat, parseVmRss, processUsage, readSmall, usageV1, usageV2 } from "../src/runtime/cgroupUsage";

// Real file contents, as the kernel writes them (cgroup v2 cpu.stat; v1 cpuacct.usage in ns; /proc/<pid>/stat and status).
const CPU_STAT_V2 = "usage_usec 2718646335\nuser_usec 2312949339\nsystem_usec 405696995\nnice_usec 0\ncore_sched.force_idle_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n";
const PROC_STAT = "4242 (java (server)) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1520 380 0 0 20 0 42 0 123456 4294967296 250000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0\n";
const PROC_STATUS = "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 5000000 kB\nVmRSS:\t 1048576 kB\nRssAnon:\t 1000000 kB\n";

describe("cgroup and proc usage readers", () => {
  it("parse the kernel's formats", () => {
    expect(parseCpuStatV2(CPU_STAT_V2)).toBe(2718646335);
    expect(parseCpuStatV2("user_usec 5\n")).toBeNull();
    expect(parseCounter("2751572131482\n")).toBe(2751572131482);
    expect(parseCounter("max\n")).toBeNull();
    expect(parseCounter(null)).toBeNull();
    // utime 1520 + stime 380 ticks at 100 Hz: 19 s; a command with spaces and parentheses does not shift the fields.
    expect(parseProcStat(PROC_STAT)).toBe(19_000_000);
    expect(parseVmRss(PROC_STATUS)).toBe(1024 ** 3);
  });

  it("read this machine's real cgroup v2 and v1 files and its own process", async () => {
    const self = (await readSmall("/proc/self/cgroup")) ?? "";
    const unified = /^0::(\/.*)$/m.exec(self)?.[1];
    // The unified hierarchy is mounted at /sys/fs/cgroup (pure v2) or /sys/fs/cgroup/unified (hybrid): one of them has cpu.stat.
    const v2 = (await usageV2(`/sys/fs/cgroup${unified === "/" ? "" : unified}`)) ?? (await usageV2(`/sys/fs/cgroup/unified${unified === "/" ? "" : unified}`));
    const v1 = await usageV1("/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/memory");
    expect(v2 ?? v1, "neither a cgroup v2 cpu.stat nor a v1 cpuacct.usage was readable").not.toBeNull();
    for (const u of [v2, v1]) if (u) expect(u.cpuUsec).toBeGreaterThan(0);
    if (v1) expect(v1.memoryBytes).toBeGreaterThan(0);
    const me = await processUsage(process.pid);
    expect(me!.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(await usageV2("/nonexistent/cgroup")).toBeNull();
    expect(await processUsage(2 ** 30)).toBeNull();
  });
});
