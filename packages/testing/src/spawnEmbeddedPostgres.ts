import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Starts postgresHolder.ts detached (see there for why) and waits until its Postgres accepts connections. */
export async function spawnEmbeddedPostgres(dataDir: string): Promise<{ adminUrl: string; stop(): Promise<void>; restart(downMs: number): Promise<void> }> {
  const child = fork(fileURLToPath(new URL("./postgresHolder.ts", import.meta.url)), [dataDir], {
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: ["--import", "tsx"],
  });
  const adminUrl = await new Promise<string>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { adminUrl: string }).adminUrl));
    child.once("exit", (code) => reject(new Error(`embedded Postgres exited early (code ${code})`)));
  });
  return {
    adminUrl,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send("stop");
      }),
    restart: (downMs) =>
      new Promise<void>((resolve) => {
        child.once("message", (m) => m === "restarted" && resolve());
        child.send({ type: "restart", downMs });
      }),
  };
}
