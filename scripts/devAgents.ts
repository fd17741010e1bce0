import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import type { Logger } from "pino";

export interface DevAgents {
  stop(): Promise<void>;
}

const AGENT_MAIN = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../apps/agent/src/main.ts");

/**
 * One real agent process per host, each with its own state dir and the
 * runtime's settings (`runtimeEnv`: the sim's root, or the lxc template).
 * Agents run in their own process group, so a terminal's Ctrl-C reaches only
 * `pnpm dev`, which then stops them once, gracefully (the signal used to
 * reach them twice, which forces). What they ran (simulated servers,
 * containers) outlives them: `pnpm dev` ends that after them.
 */
export async function startDevAgents(
  controlUrl: string,
  hosts: { name: string; token: string }[],
  dataDir: string,
  log: Logger,
  logFormat: "json" | "pretty",
  runtimeEnv: (host: string) => Record<string, string>,
): Promise<DevAgents> {
  const children: ChildProcess[] = hosts.map((h) => {
    const child = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN], {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: {
        ...process.env,
        ZLH_CONTROL_URL: controlUrl,
        ZLH_AGENT_TOKEN: h.token,
        ZLH_ARTIFACT_SOURCE: process.env.ZLH_ARTIFACT_SOURCE ?? "offline",
        ...runtimeEnv(h.name),
        ZLH_STATE_DIR: resolve(dataDir, "agents", h.name),
        LOG_FORMAT: process.env.LOG_FORMAT ?? logFormat,
        ZLH_LOG_NAME: `agent ${h.name}`,
      },
    });
    child.on("exit", (code, signal) => log.info({ host: h.name, code, signal }, "dev agent exited"));
    return child;
  });
  // Should `pnpm dev` end without stop() (an uncaught error), its agents end with it.
  process.once("exit", () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
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
