import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Stops the init processes the fake pct started for its running containers (what a test leaves running). */
export async function stopFakeInits(fakeDir: string): Promise<void> {
  const names = await readdir(join(fakeDir, "cts")).catch(() => [] as string[]);
  for (const name of names) {
    const ct = JSON.parse(await readFile(join(fakeDir, "cts", name), "utf8").catch(() => "{}")) as { pid?: number; status?: string };
    if (ct.status !== "running" || !ct.pid) continue;
    try {
      process.kill(-ct.pid, "SIGKILL"); // its process group: the init and any DHCP helper of the fake
    } catch {
      // already gone
    }
  }
}
