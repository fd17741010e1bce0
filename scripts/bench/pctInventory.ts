import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PctRuntime } from "../../apps/agent/src/runtime/pct";

const FAKE_PCT = join(import.meta.dirname, "../../apps/agent/test/fixtures/fake-pct.mjs");

/**
 * What one heartbeat's inventory costs an agent on a pct host with
 * `containers` containers: `pct` processes started per inventory, and the
 * wall time against the fake pct (a Node process per call, lighter than
 * Proxmox's Perl one: the process count is what carries over to a real host).
 */
export async function measurePctInventory(containers = 50, runs = 5): Promise<{ pctCallsPerInventory: number; inventoryMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-bench-pct-"));
  const previous = process.env.FAKE_PCT_DIR;
  process.env.FAKE_PCT_DIR = dir;
  try {
    const rt = new PctRuntime({ bin: FAKE_PCT, storage: "local-lvm", template: "local:vztmpl/debian-12.tar.zst", bridge: "vmbr0" });
    for (let i = 0; i < containers; i++) {
      await rt.create({ vmid: 6000 + i, hostname: `ct${i}`, memoryMiB: 1024, cpuCores: 1, diskGiB: 8, description: `zlh-server=bench-${i}` });
    }
    let totalMs = 0;
    let calls = 0;
    for (let r = 0; r < runs; r++) {
      await writeFile(join(dir, "calls.log"), "");
      const t0 = performance.now();
      const found = await rt.list();
      totalMs += performance.now() - t0;
      if (found.length !== containers) throw new Error(`inventory found ${found.length} of ${containers} containers`);
      calls += (await readFile(join(dir, "calls.log"), "utf8")).trim().split("\n").length;
    }
    return { pctCallsPerInventory: calls / runs, inventoryMs: totalMs / runs };
  } finally {
    if (previous === undefined) delete process.env.FAKE_PCT_DIR;
    else process.env.FAKE_PCT_DIR = previous;
    await rm(dir, { recursive: true, force: true });
  }
}
