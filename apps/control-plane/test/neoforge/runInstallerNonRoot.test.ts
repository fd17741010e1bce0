import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
/** A uid and gid no account has: the control plane's `zerolaghub` as far as the kernel is concerned. */
const UID = 4242;
const repo = resolve(import.meta.dirname, "../../../..");

/**
 * The control plane as the shipped unit runs it (not root): the sandbox is
 * then a user namespace mapped to the control plane's own uid, and only
 * what it shows of the host confines the installer. Tests run as root, so
 * each run is a child process under setpriv with that uid.
 */
describe("the installer's sandbox when the control plane is not root", () => {
  let base: string;
  let own: string;
  let scratch: string;
  let javas: string;
  const socket = () => join(own, "postgres.sock");
  let listener: ReturnType<typeof createServer>;
  /** A memory cgroup handed to UID, as systemd's Delegate= hands a service its own: the runs start in it. */
  let delegated: string;
  beforeAll(async () => {
    const ours = (await readFile("/proc/self/cgroup", "utf8")).split("\n").find((l) => /^\d+:memory:/.test(l))!.split(":")[2]!;
    delegated = join("/sys/fs/cgroup/memory", ours, `zlh-test-delegated-${process.pid}`);
    await mkdir(delegated);
    for (const f of ["", "cgroup.procs", "tasks"]) await chown(join(delegated, f), UID, UID);
    base = await mkdtemp(join(tmpdir(), "zlh-nonroot-sandbox-"));
    await chmod(base, 0o755);
    // What the control plane's uid owns: its configuration and sealed key, a socket it may connect to, its temporary directory.
    own = join(base, "etc-zerolaghub");
    scratch = join(base, "tmp");
    javas = join(base, "javas");
    for (const d of [own, scratch]) {
      await mkdir(d, { mode: 0o700 });
      await chown(d, UID, UID);
    }
    await mkdir(javas, { mode: 0o755 });
    await writeFile(join(own, "secrets.key"), "SEALED-KEY-abc123\n", { mode: 0o600 });
    await chown(join(own, "secrets.key"), UID, UID);
    listener = createServer((s) => s.end("reached\n")).listen(socket());
    await new Promise((r) => listener.once("listening", r));
    await chown(socket(), UID, UID);
  });
  afterAll(async () => {
    await new Promise((r) => listener.close(r));
    await rm(base, { recursive: true, force: true });
    await rmdir(delegated); // every run in it has ended: it has no process, and no child cgroup was left in it
  });

  const fakeJava = async (name: string, body: string) => {
    const p = join(javas, name);
    await writeFile(p, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    return p;
  };
  /** One run as UID, in the real runner; the temporary directory it would use is checked for what it left. */
  const asUser = async (java: string, extra: { spaceBytes?: number; memoryBytes?: number } = {}, unit = "", inCgroup = true) => {
    // `unit`: mounts made first, as root in a mount namespace of the run's own, as a systemd unit's Protect* settings make them.
    const child = ["setpriv", `--reuid=${UID}`, `--regid=${UID}`, "--clear-groups", "--", join(repo, "node_modules/.bin/tsx"), join(import.meta.dirname, "../fixtures/neoforgeSandboxAsUser.ts"), JSON.stringify({ java, ...extra })];
    const enter = inCgroup ? `echo $$ > ${delegated}/cgroup.procs;` : "";
    const { stdout } = await run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", `set -e; ${enter} ${unit} exec "$@"`, "unit", ...child], {
      cwd: repo,
      env: { PATH: process.env.PATH, HOME: scratch, TMPDIR: scratch },
      timeout: 120_000,
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { uid: number; log?: string; error?: { name: string; message: string; log: string }; tree?: string[]; treeError?: { message: string }; disposed?: boolean; disposeError?: { message: string } };
    expect(result.uid).toBe(UID);
    const left = (await readdir(scratch)).filter((n) => !n.startsWith("tsx-")); // tsx's own compile cache
    return { ...result, left };
  };

  it("cannot write, read or connect to anything of the host its uid may, only its own work space", async () => {
    // The same probes (its server directory is ../server from its own), run as UID outside the sandbox, succeed: so each refusal below is the sandbox's.
    const probes = [
      `if echo planted > ${own}/planted 2>/dev/null; then echo CONFIG-WRITTEN; else echo CONFIG-REFUSED; fi`,
      `if cp ${own}/secrets.key ../server/stolen.txt 2>/dev/null; then echo SECRET-READ; else echo SECRET-REFUSED; fi`,
      `if [ -S ${socket()} ]; then echo SOCKET-SEEN; else echo NO-SOCKET; fi`,
      `if [ -S /run/postgresql/.s.PGSQL.5432 ] || [ -e /run/zlh ]; then echo RUN-SEEN; else echo NO-RUN; fi`,
      `if echo x > ${javas}/planted 2>/dev/null; then echo JAVA-HOME-WRITTEN; else echo JAVA-HOME-REFUSED; fi`,
      `if mount -t tmpfs zlh /tmp 2>/dev/null || mount -o remount,bind,rw /usr 2>/dev/null; then echo MOUNTED; else echo NO-MOUNT; fi`,
      `echo made > ../server/made.txt && echo OWN-WRITTEN`,
    ].join("\n");
    const outside = await run("setpriv", [`--reuid=${UID}`, `--regid=${UID}`, "--clear-groups", "--", "bash", "-c", probes.replaceAll("../server/", `${scratch}/`)]);
    expect(outside.stdout).toContain("CONFIG-WRITTEN");
    expect(outside.stdout).toContain("SECRET-READ");
    expect(outside.stdout).toContain("SOCKET-SEEN");
    await rm(join(own, "planted"));
    await rm(join(scratch, "stolen.txt"));
    await rm(join(scratch, "made.txt"));

    const r = await asUser(await fakeJava("probe.sh", probes));
    expect(r.error).toBeUndefined();
    for (const refused of ["CONFIG-REFUSED", "SECRET-REFUSED", "NO-SOCKET", "NO-RUN", "JAVA-HOME-REFUSED", "NO-MOUNT", "OWN-WRITTEN"]) expect(r.log).toContain(refused);
    await expect(readFile(join(own, "planted"))).rejects.toThrow(/ENOENT/);
    expect(r.tree).toEqual(["libraries/pre.jar", "made.txt"]);
    expect(r.left).toEqual([]);
  });

  it("runs in a memory cgroup of its own, made in the cgroup delegated to it, and removes it", async () => {
    const r = await asUser(await fakeJava("where.sh", "cat /proc/self/cgroup"));
    expect(r.error).toBeUndefined();
    expect(r.log).toMatch(/^\d+:memory:\S+\/zlh-test-delegated-\d+\/neoforge-installer-[0-9a-f]{12}$/m);
    expect((await readdir(delegated, { withFileTypes: true })).filter((e) => e.isDirectory())).toEqual([]);
  });

  it("is not run where it has no memory cgroup to make, unless the bound is 0 (its heap's only)", async () => {
    const java = await fakeJava("unbounded.sh", "echo INSTALLER-RAN");
    const refused = await asUser(java, {}, "", false);
    expect(refused.error?.name).toBe("SandboxUnavailableError"); // retried, as the other missing prerequisites are
    expect(refused.error?.message).toContain("a memory cgroup for the NeoForge installer could not be made under /sys/fs/cgroup/memory/");
    expect(refused.error?.message).toContain("Delegate=memory pids");
    expect(refused.error?.message).toContain("ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES=0");
    expect(refused.error?.log).not.toContain("INSTALLER-RAN");
    const ran = await asUser(java, { memoryBytes: 0 }, "", false);
    expect(ran.error).toBeUndefined();
    expect(ran.log).toContain("INSTALLER-RAN");
  });

  it("builds its root under a unit's protections: a read-only /usr with a mount under it, itself read-only inside", async () => {
    // As ProtectSystem=strict and ProtectKernelModules=yes leave /usr: read-only, nosuid, with a mount under it.
    const unit = "mount --bind /usr /usr; mount -o remount,bind,ro,nosuid,nodev /usr; mount -t tmpfs -o size=1m zlh-under-usr /usr/local/share;";
    const r = await asUser(await fakeJava("under.sh", "if echo x > /usr/local/share/planted 2>/dev/null; then echo UNDER-WRITTEN; else echo UNDER-REFUSED; fi; echo ran"), {}, unit);
    expect(r.error).toBeUndefined();
    expect(r.log).toContain("UNDER-REFUSED");
  });

  it("is not run, rather than run unconfined, where no fresh /proc can be mounted (systemd's ProtectKernelTunables=yes)", async () => {
    const unit = "mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys;";
    const r = await asUser(await fakeJava("never.sh", "echo INSTALLER-RAN"), {}, unit);
    expect(r.error?.name).toBe("SandboxUnavailableError"); // retried, not the build's refusal
    expect(r.error?.message).toContain("the NeoForge installer's sandbox could not be set up (exit 1); it was not run rather than run unconfined");
    expect(r.error?.message).toContain("systemd's ProtectKernelTunables=yes does that");
    expect(r.error?.log).not.toContain("INSTALLER-RAN");
    expect(r.left).toEqual([]);
  });

  it("fails at its work space's bound with a clear message, and leaves nothing on the host", async () => {
    const space = 8 * 1024 * 1024;
    const r = await asUser(await fakeJava("fill.sh", `head -c ${space + 1024 * 1024} /dev/zero > ../server/filler.bin`), { spaceBytes: space });
    expect(r.error?.name).toBe("InstallerFailedError");
    expect(r.error?.message).toContain("the NeoForge installer ran out of its work space (8 MiB");
    expect(r.error?.message).toContain("No space left on device");
    expect(r.left).toEqual([]);
  });

  it("is cleaned up after a directory it left with no permissions, and the tree's refusal says why", async () => {
    const r = await asUser(await fakeJava("locked.sh", "mkdir -p ../server/locked/inner && echo x > ../server/locked/inner/f && chmod 000 ../server/locked"));
    expect(r.error).toBeUndefined();
    expect(r.treeError?.message).toBe("the NeoForge installer left locked unreadable; refused.");
    expect(r.disposed).toBe(true);
    expect(r.left).toEqual([]);
  });

  it("reports a failed install's own error, not its cleanup's, after a directory it left with no permissions", async () => {
    const r = await asUser(await fakeJava("lockedfail.sh", "mkdir -p ../server/locked/inner && chmod 000 ../server/locked && echo giving up && exit 3"));
    expect(r.error?.name).toBe("InstallerFailedError");
    expect(r.error?.message).toContain("the NeoForge installer failed (exit 3)");
    expect(r.error?.message).toContain("giving up");
    expect(r.left).toEqual([]);
  });
});
