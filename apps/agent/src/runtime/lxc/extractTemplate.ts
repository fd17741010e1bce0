import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { ID_BASE, ID_COUNT } from "./hostLayout";

/**
 * Unpacks the template tarball into `rootfs` (an empty directory owned by
 * 100000:100000) inside a user namespace with the container's idmap
 * (lxc-usernsexec), so every file lands owned by its shifted id (root's
 * as 100000, a uid 990 file as 100990) without a chown pass, and nothing in
 * the tarball can create a file owned by a real host id. tar runs with the
 * rootfs as its working directory: the container's root cannot traverse the
 * LXC path's parent directories, and need not.
 */
export async function extractTemplate(template: string, rootfs: string, timeoutMs: number): Promise<void> {
  const decompress = template.endsWith(".zst") ? ["-I", "zstd"] : template.endsWith(".gz") ? ["-z"] : [];
  const input = await open(template, "r");
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        "lxc-usernsexec",
        ["-m", `u:0:${ID_BASE}:${ID_COUNT}`, "-m", `g:0:${ID_BASE}:${ID_COUNT}`, "--", "tar", "--numeric-owner", "-xpf", "-", ...decompress],
        { cwd: rootfs, stdio: [input.fd, "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString("utf8");
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("error", (err) => (clearTimeout(timer), reject(err)));
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`unpacking ${template}: ${signal ? `killed (${signal}) after ${timeoutMs} ms` : `exit ${code}`}: ${stderr.trim()}`));
      });
    });
  } finally {
    await input.close();
  }
}
