import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installerCgroupsLeft } from "../../src/neoforge/memoryCgroup";
import { InstallerFailedError, runInstaller } from "../../src/neoforge/runInstaller";

const MIB = 1024 * 1024;
/** A bound small enough to pass quickly, well above what a shell and the sandbox's init take. */
const BOUND = 64 * MIB;
/** What the stand-in holds: more than twice the bound. */
const HELD = 150_000_000;

/**
 * The installer's memory bound, on this machine's real cgroups (cgroup v1
 * here, as root: a child of our own memory cgroup). The stand-in "java"s
 * are shell scripts: a process that is not a JVM, which the sandbox lets
 * the installer start, is bounded the same.
 */
describe("the NeoForge installer's memory bound (a memory cgroup of its own)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-installer-memory-"));
    await chmod(dir, 0o755); // runnable by the installer's uid (nobody, as root)
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const fakeJava = async (name: string, body: string) => {
    const p = join(dir, name);
    await writeFile(p, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    return p;
  };
  const opts = { installer: new Uint8Array([1]), installerName: "x.jar", preplaced: [] };
  // bash holds a command substitution's whole output in its own (anonymous) memory.
  const hog = `x=$(head -c ${HELD} /dev/zero | tr '\\0' a); echo "held=\${#x}"`;

  it("holds more than the bound when there is none (the regression the bound is for)", async () => {
    const java = await fakeJava("hog-unbounded.sh", hog);
    const run = await runInstaller({ ...opts, java, memoryBytes: 0 });
    await run.dispose();
    expect(run.log).toContain(`held=${HELD}`);
  });

  it("kills an installer past its bound, and says it ran out of its memory bound", async () => {
    const before = await installerCgroupsLeft();
    const java = await fakeJava("hog.sh", hog);
    const err = await runInstaller({ ...opts, java, memoryBytes: BOUND }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.message).toContain("the NeoForge installer ran out of its memory bound (64 MiB, ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES) and was killed");
    expect(err.log).not.toContain("held=");
    expect(await installerCgroupsLeft()).toEqual(before);
  });

  it("bounds the pages it writes to its work space too: tmpfs is memory", async () => {
    const java = await fakeJava("fill.sh", `head -c ${HELD} /dev/zero > /tmp/filler && echo "filled"`);
    const err = await runInstaller({ ...opts, java, memoryBytes: BOUND }).catch((e) => e);
    expect(err).toBeInstanceOf(InstallerFailedError);
    expect(err.message).toContain("ran out of its memory bound (64 MiB");
    expect(err.log).not.toContain("filled");
  });

  it("runs the installer in the cgroup from its start, and removes the cgroup once it succeeded", async () => {
    const java = await fakeJava("where.sh", "cat /proc/self/cgroup");
    const run = await runInstaller({ ...opts, java, memoryBytes: BOUND });
    await run.dispose();
    const memoryLine = run.log.split("\n").find((l) => /^\d+:memory:/.test(l) || /^0::/.test(l));
    const cgroup = memoryLine!.split(":")[2]!;
    expect(cgroup).toMatch(/\/neoforge-installer-[0-9a-f]{12}$/);
    expect(await installerCgroupsLeft()).toEqual([]);
    // Its cgroup was a child of ours: gone from where it was.
    const parent = (await readFile("/proc/self/cgroup", "utf8")).split("\n").find((l) => /^\d+:memory:/.test(l) || /^0::/.test(l))!.split(":")[2]!;
    expect(cgroup.startsWith(parent === "/" ? "/" : `${parent}/`)).toBe(true);
  });

  it("removes the cgroup after a run stopped at its time bound, with a process that left its group", async () => {
    const java = await fakeJava("slow.sh", "cat /proc/self/cgroup; setsid sh -c 'exec sleep 30' </dev/null >/dev/null 2>&1 & sleep 30");
    const err = await runInstaller({ ...opts, java, memoryBytes: BOUND, timeoutMs: 500 }).catch((e) => e);
    expect(err.message).toMatch(/did not finish within 1 s/);
    expect(err.log).toMatch(/\/neoforge-installer-[0-9a-f]{12}\n/); // it was in one
    expect(await installerCgroupsLeft()).toEqual([]);
  });
});
