import { afterAll } from "vitest";
import { launched, simServerPids, tempDirsMade } from "./processes";

/**
 * Fails a test file that leaves a control plane, an agent or a simulated
 * server running once its own cleanup has run (compare graphile-worker's
 * check of `_allWorkerPools`). A setup file's afterAll runs after the file's
 * own (vitest runs after-hooks as a stack), so anything still alive here was
 * leaked. What leaked is killed first, so that the next file starts clean,
 * then the file fails naming it.
 */
afterAll(async () => {
  const leaked: string[] = [];
  for (const { entry, proc } of launched.splice(0)) {
    if (proc.ended()) continue;
    leaked.push(`${entry} (pid ${proc.child.pid})`);
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
  for (const dir of tempDirsMade.splice(0)) {
    for (const pid of await simServerPids(dir)) {
      leaked.push(`a simulated server under ${dir} (pid ${pid})`);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  if (leaked.length > 0) throw new Error(`this test file left ${leaked.length} process(es) running after its cleanup: ${leaked.join(", ")}`);
});
