/**
 * `tsx lxcCleanup.ts <pid>...`: what the real-container phase leaves when it
 * is interrupted, removed by a process of its own, started detached, so
 * that it outlives the benchmark (the tsx wrapper SIGKILLs its child soon
 * after a Ctrl-C): the agent and control plane given by pid are killed if
 * they have not exited within 5 s, then the benchmark's containers are
 * destroyed.
 */
import { destroyBenchContainers } from "./lxcHost";
import { sleep } from "./stats";

const pids = process.argv.slice(2).map(Number).filter((p) => p > 1);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
await destroyBenchContainers();
