import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import type { Logger } from "pino";

export interface DevAgents {
  stop(): Promise<void>;
}

const AGENT_MAIN = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../apps/agent/src/main.ts");

/** One real agent process per simulated host, on the sim runtime, each with its own sim root and state dir. */
export async function startDevAgents(
  controlUrl: string,
  hosts: { name: string; token: string }[],
  dataDir: string,
  log: Logger,
): Promise<DevAgents> {
  const children: ChildProcess[] = hosts.map((h) => {
    const child = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN], {
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        ZLH_CONTROL_URL: controlUrl,
        ZLH_AGENT_TOKEN: h.token,
        ZLH_RUNTIME: "sim",
        ZLH_ARTIFACT_SOURCE: process.env.ZLH_ARTIFACT_SOURCE ?? "offline",
        ZLH_SIM_ROOT: resolve(dataDir, "sim", h.name),
        ZLH_STATE_DIR: resolve(dataDir, "agents", h.name),
      },
    });
    child.on("exit", (code, signal) => log.info({ host: h.name, code, signal }, "dev agent exited"));
    return child;
  });
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
    },
  };
}
