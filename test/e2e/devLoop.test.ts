import { spawn } from "node:child_process";
import { chmod, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, testDatabase } from "@zlh/testing";
import { api, createServer } from "../support/api";
import { killSimServers, tempDir, waitFor } from "../support/processes";

const ROOT = resolve(import.meta.dirname, "../..");

/** `pnpm dev` as a person runs it in a terminal: one Ctrl-C stops everything it started. */
describe("pnpm dev", () => {
  let group: number | undefined;
  let simRoot: string | undefined;
  afterAll(async () => {
    try {
      if (group) process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
    if (simRoot) await killSimServers(simRoot); // whatever a failed run left behind
  });

  it("stops the agents once and gracefully, and the simulated servers, on one Ctrl-C", async () => {
    const dataDir = await tempDir("dev");
    await chmod(dataDir, 0o755);
    simRoot = join(dataDir, "sim", "sim-1");
    const port = await freePort();
    // Detached: its own process group, as a terminal's foreground job is; Ctrl-C is SIGINT to the whole group.
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DATABASE_URL: await testDatabase(), ZLH_DATA_DIR: dataDir, PORT: String(port), ZLH_DEV_HOSTS: "1", LOG_LEVEL: "info" },
    });
    group = child.pid!;
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    await waitFor(async () => out.includes("Ctrl-C stops everything"), 60_000, "pnpm dev up");
    const token = /API token:\s+(\S+)/.exec(out)![1]!;
    const call = api(`http://127.0.0.1:${port}`, token);
    const server = await createServer(call);
    await waitFor(async () => (await call("GET", `/v1/servers/${server.id}`)).body.status === "running", 30_000, "running");
    const pid = Number(await readFile(join(dataDir, "sim", "sim-1", String(server.vmid), "pid"), "utf8"));

    process.kill(-group, "SIGINT");
    expect(await exited).toBe(0);
    const agentExit = out.split("\n").find((l) => l.includes('"dev agent exited"'));
    expect(JSON.parse(agentExit!)).toMatchObject({ code: 0, signal: null }); // the graceful path, not the forced one
    // The simulated server is gone too (dead: absent, or a zombie its adopter has not reaped yet).
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    expect(stat === null || / Z /.test(stat)).toBe(true);
    group = undefined;
  });
});
