import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { GuestFiles } from "../src/guest/guestFiles";
import { TEST_IDENTITY } from "./support/guestRoot";

/**
 * A running container's files are reached through /proc/<init>/root, a
 * directory of another mount namespace that has no path in the agent's: the
 * worker must still start there (node needs a cwd it can name at startup:
 * there, getcwd fails with ENOENT).
 */
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

/**
 * A container's init as LXC makes it: in a mount namespace of its own, its
 * root a tmpfs pivot_root()ed to, the old root detached (so its root is
 * reachable from no path of ours). As root; else in a user namespace of its own too.
 */
async function initInOwnNamespace(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-ns-"));
  const owner = TEST_IDENTITY ? "chown 100000, 100000, $d;" : "";
  // pivot_root(2) is syscall 155 and umount2(2) 166 on x86_64 (MNT_DETACH = 2).
  const script = [
    `$d = $ARGV[0]; system("mount", "-t", "tmpfs", "zlh-ns", $d) == 0 or die "mount";`,
    `${owner} open F, ">", "$d/hello" or die; print F "inside\n"; close F; mkdir "$d/old"; chdir $d;`,
    `my ($new, $old, $gone) = (".", "old", "/old"); syscall(155, $new, $old) == 0 or die "pivot_root: $!";`,
    `chdir "/"; syscall(166, $gone, 2) == 0 or die "umount: $!"; rmdir "/old"; print "ready\n"; close STDOUT; sleep 60;`,
  ].join(" ");
  const argv = ["unshare", ...(TEST_IDENTITY ? [] : ["--user", "--map-root-user"]), "--mount", "--propagation", "private", "perl", "-e", script, dir];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  cleanup.push(async () => {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the namespaced init did not start in 10 s")), 10_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`the namespaced init exited ${code}`)));
  });
  return child.pid!;
}

it("reads a file through /proc/<pid>/root of a process in another mount namespace", async () => {
  const pid = await initInOwnNamespace();
  const text = await GuestFiles.scope(`/proc/${pid}/root`, { identity: TEST_IDENTITY }, (g) => g.readText("hello", 100));
  expect(text).toBe("inside\n");
});

it("names the rootfs when it cannot be opened", async () => {
  await expect(GuestFiles.scope("/nonexistent-zlh-rootfs", { identity: TEST_IDENTITY }, (g) => g.list("", 10))).rejects.toMatchObject({
    code: "guest_failed",
    message: expect.stringContaining("could not run in /nonexistent-zlh-rootfs"),
  });
});
