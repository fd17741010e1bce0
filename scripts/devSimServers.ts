import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { isRuntimeError } from "../apps/agent/src/runtime/runtime";
import { SimRuntime } from "../apps/agent/src/runtime/sim";

/**
 * The simulated servers across `pnpm dev` runs. Like a host's containers
 * they outlive an agent, but not `pnpm dev`: a stop ends them. The servers
 * did not crash, though, and the next run must not say they did: a server
 * the control plane wants running, found stopped by its agent's first
 * inventory, is a crash (drift, then self-heal). So a stop records which
 * servers it ended (`<dataDir>/sim-resume.json`), and the next run starts
 * those again before any agent reports, as a Proxmox host starts its
 * containers at boot before anyone looks.
 */
const RESUME_FILE = "sim-resume.json";

type Resume = Record<string, number[]>;

/** Whether a process still runs (a zombie, dead but not yet reaped by whoever adopted it, does not). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat !== null) return !/^\d+ \(.*\) Z/.test(stat);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends the simulated servers under `<dataDir>/sim/<host>/<vmid>/pid`, waiting until they are gone, and records them for the next run. */
export async function stopSimServers(dataDir: string): Promise<void> {
  const simRoot = join(dataDir, "sim");
  const signalled: { host: string; vmid: number; pid: number }[] = [];
  for (const host of await readdir(simRoot).catch(() => [] as string[])) {
    for (const vmid of await readdir(join(simRoot, host)).catch(() => [] as string[])) {
      if (!/^\d+$/.test(vmid)) continue;
      const pid = Number(await readFile(join(simRoot, host, vmid, "pid"), "utf8").catch(() => "0"));
      // A pid file can outlive its process and the pid be reused: only a live simulated server is signalled.
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => null);
      if (pid > 0 && cmdline !== null && cmdline.includes("mcServer.pl") && (await running(pid))) {
        try {
          process.kill(pid, "SIGTERM");
          signalled.push({ host, vmid: Number(vmid), pid });
        } catch {
          // already gone
        }
      }
    }
  }
  const resume: Resume = {};
  for (const s of signalled) (resume[s.host] ??= []).push(s.vmid);
  const tmp = join(dataDir, `${RESUME_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(resume));
  await rename(tmp, join(dataDir, RESUME_FILE));
  const deadline = Date.now() + 5000;
  for (const { pid } of signalled) {
    while ((await running(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (await running(pid)) process.kill(pid, "SIGKILL");
  }
}

/** Starts the servers the last run's stop ended (on the hosts this run serves), then forgets them. */
export async function resumeSimServers(dataDir: string, hosts: readonly string[], log: Logger): Promise<void> {
  const path = join(dataDir, RESUME_FILE);
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return;
  let resume: Resume = {};
  try {
    resume = JSON.parse(text) as Resume;
  } catch {
    log.warn({ path }, "unreadable list of simulated servers to resume; none resumed");
  }
  for (const host of hosts) {
    const vmids = (resume[host] ?? []).filter((v) => Number.isInteger(v) && v > 0);
    const sim = new SimRuntime({ root: join(dataDir, "sim", host), node: host });
    for (const vmid of vmids) {
      try {
        await sim.start(vmid);
      } catch (err) {
        // Started meanwhile, or deleted since: the agent's inventory says what is there.
        if (!isRuntimeError(err, "already_running") && !isRuntimeError(err, "missing")) log.warn({ err, host, vmid }, "could not resume a simulated server");
      }
    }
    if (vmids.length) log.info({ host, servers: vmids.length }, "resumed the simulated servers the last stop ended");
  }
  await rm(path, { force: true });
}
