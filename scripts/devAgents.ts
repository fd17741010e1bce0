import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "pino";

export interface DevAgents {
  stop(): Promise<void>;
}

const AGENT_MAIN = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../apps/agent/src/main.ts");

/**
 * One real agent process per simulated host, on the sim runtime, each with its
 * own sim root and state dir. Agents run in their own process group, so a
 * terminal's Ctrl-C reaches only `pnpm dev`, which then stops them once,
 * gracefully (the signal used to reach them twice, which forces), and then the
 * simulated servers: like containers they outlive an agent, but not `pnpm dev`.
 */
export async function startDevAgents(
  controlUrl: string,
  hosts: { name: string; token: string }[],
  dataDir: string,
  log: Logger,
  logFormat: "json" | "pretty" = "json",
): Promise<DevAgents> {
  const children: ChildProcess[] = hosts.map((h) => {
    const child = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN], {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: {
        ...process.env,
        ZLH_CONTROL_URL: controlUrl,
        ZLH_AGENT_TOKEN: h.token,
        ZLH_RUNTIME: "sim",
        ZLH_ARTIFACT_SOURCE: process.env.ZLH_ARTIFACT_SOURCE ?? "offline",
        ZLH_SIM_ROOT: resolve(dataDir, "sim", h.name),
        ZLH_STATE_DIR: resolve(dataDir, "agents", h.name),
        LOG_FORMAT: process.env.LOG_FORMAT ?? logFormat,
        ZLH_LOG_NAME: `agent ${h.name}`,
      },
    });
    child.on("exit", (code, signal) => log.info({ host: h.name, code, signal }, "dev agent exited"));
    return child;
  });
  // Should `pnpm dev` end without stop() (an uncaught error), its agents end with it.
  process.once("exit", () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGTERM")));
  return {
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((done) => {
              if (c.exitCode !== null || c.signalCode !== null) return done();
              c.once("exit", () => done());
              c.kill("SIGTERM");
            }),
        ),
      );
      await stopSimServers(resolve(dataDir, "sim"));
    },
  };
}

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

/** Ends the simulated servers under the dev sim roots (`<root>/<host>/<vmid>/pid`), waiting until they are gone; the next `pnpm dev` starts them again (self-heal). */
async function stopSimServers(simRoot: string): Promise<void> {
  const signalled: number[] = [];
  for (const host of await readdir(simRoot).catch(() => [] as string[])) {
    for (const vmid of await readdir(join(simRoot, host)).catch(() => [] as string[])) {
      const pid = Number(await readFile(join(simRoot, host, vmid, "pid"), "utf8").catch(() => "0"));
      // A pid file can outlive its process and the pid be reused: only a simulated server is signalled.
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => null);
      if (pid > 0 && (cmdline === null || cmdline.includes("mcServer.pl"))) {
        try {
          process.kill(pid, "SIGTERM");
          signalled.push(pid);
        } catch {
          // already gone
        }
      }
    }
  }
  const deadline = Date.now() + 5000;
  for (const pid of signalled) {
    while ((await running(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (await running(pid)) process.kill(pid, "SIGKILL");
  }
}
