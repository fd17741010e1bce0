import { execFileSync, spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { startAgentProcess, tempDir, type Proc } from "../../test/support/processes";
import { buildGameTemplate } from "../standinGame/gameTemplate";
import { pinnedJava } from "../standinGame/pinnedJava";
import { buildStandinJar } from "../standinGame/standinJar";
import { BENCH_VMIDS, destroyBenchContainers, lxc } from "./lxcHost";
import { measureLxcObservation, type LxcObservation } from "./lxcObservation";
import { cpuSeconds, percentile, sleep } from "./stats";
import { startSystem } from "./system";

const ROOT = resolve(import.meta.dirname, "../..");
const BUNDLE = "dist/agent/zlh-agent.mjs";
const CLEANUP = join(import.meta.dirname, "lxcCleanup.ts");
/** The agent's VMIDs (a golden server and the measured ones); the baseline's copies follow. */
const AGENT_VMIDS = BENCH_VMIDS.slice(0, 4);
const COPY_VMIDS = BENCH_VMIDS.slice(4, 10);

export interface RealContainers {
  lifecycles: number;
  /** create (API) -> `running`, through the control plane and the real agent, warm artifact cache (median, ms). */
  createToRunningMs: number;
  /** The same container started by hand: lxc-copy of the stopped golden one, lxc-start, until the stand-in JVM answers the status ping (median, ms). */
  baselineMs: number;
  ratio: number;
  /** The agent's CPU per lifecycle (create -> running -> delete), its own and that of the commands it ran and reaped (median, ms). */
  agentCpuMs: number;
  agentChildrenCpuMs: number;
  observation: LxcObservation;
}

/**
 * The real-container phase (docs/benchmarks.md): the real agent (the
 * release bundle, ZLH_RUNTIME=lxc) and a control plane on real unprivileged
 * containers from the template the real-container suite uses (the game's
 * java is the stand-in server's). A first server warms the artifact cache
 * and is then stopped: it is the baseline's golden container. Each round
 * then measures one lifecycle through the API and one hand-made start of the
 * same container, alternately (so a load from elsewhere hits both alike).
 * Every container is destroyed at the end, on failure, and on Ctrl-C.
 */
export async function measureRealContainers(adminUrl: string, rounds: number, inventoryRuns: number): Promise<RealContainers> {
  const temp: string[] = [];
  let agent: Proc | undefined;
  let closeSystem: (() => Promise<void>) | undefined;
  const cleanup = async () => {
    await agent?.stop().catch(() => {});
    await closeSystem?.().catch(() => {});
    await destroyBenchContainers();
    for (const d of temp) await rm(d, { recursive: true, force: true });
  };
  const children: number[] = [];
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`${sig}: destroying the benchmark's containers (scripts/bench/lxcCleanup.ts, detached)`);
    spawn(process.execPath, ["--import", "tsx", CLEANUP, ...children.map(String)], { cwd: ROOT, detached: true, stdio: "ignore" }).unref();
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await destroyBenchContainers(); // a crashed run's leftovers
    execFileSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { cwd: ROOT, stdio: "ignore" });
    const jar = await buildStandinJar();
    temp.push(jar.dir);
    const t = await buildGameTemplate(jar.jar, [{ major: 21, pinned: await pinnedJava(21) }]);
    temp.push(t.dir);
    const sys = await startSystem(adminUrl, 1, { ZLH_VMID_RANGE: `${AGENT_VMIDS[0]}-${AGENT_VMIDS.at(-1)}` });
    closeSystem = () => sys.close();
    children.push(...sys.cps.map((c) => c.child.pid!));
    agent = startAgentProcess({
      controlUrl: sys.cp.url,
      token: sys.hosts[0]!.agentToken,
      simRoot: await tempDir("bench-lxc-sim"),
      stateDir: await tempDir("bench-lxc-state"),
      entry: BUNDLE,
      extra: { LOG_LEVEL: "warn", ZLH_RUNTIME: "lxc", ZLH_LXC_TEMPLATE: t.template, ZLH_READY_TIMEOUT_MS: "120000", ZLH_STOP_TIMEOUT_MS: "20000" },
    });
    const pid = agent.child.pid!;
    children.push(pid);
    const status = async (id: string) => (await sys.call("GET", `/v1/servers/${id}`)).body.status as string;
    const until = async (id: string, want: string, timeoutMs = 180_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await status(id);
        if (s === want) return;
        if (s === "failed" || agent!.ended()) throw new Error(`server ${id} ${s} (wanted ${want}); agent: ${agent!.output.slice(-5).join("\n")}`);
        if (Date.now() > deadline) throw new Error(`server ${id} not ${want} within ${timeoutMs} ms (${s})`);
        await sleep(50);
      }
    };
    const create = async (key: string) => {
      const res = await sys.call("POST", "/v1/servers", { customerId: "bench-lxc", name: key, minecraftVersion: "1.21.1", memoryMiB: 1024, cpuCores: 1, diskGiB: 2 }, { "idempotency-key": key });
      if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; vmid: number; ports: { game: number } };
    };

    // The golden server: the cache is warm after it; stopped, it is what the baseline copies.
    const golden = await create("bench-lxc-golden");
    await until(golden.id, "running");
    const address = await new LxcRuntime().address(golden.vmid);
    if ((await sys.call("POST", `/v1/servers/${golden.id}/stop`)).status !== 202) throw new Error("stop of the golden server refused");
    await until(golden.id, "stopped");

    const viaAgent: number[] = [];
    const cpu: number[] = [];
    const childCpu: number[] = [];
    const baseline: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const [own0, kids0] = [await cpuSeconds(pid), await cpuSeconds(pid, true)];
      const t0 = performance.now();
      const server = await create(`bench-lxc-${r}`);
      await until(server.id, "running");
      viaAgent.push(performance.now() - t0);
      if ((await sys.call("DELETE", `/v1/servers/${server.id}`)).status !== 202) throw new Error("delete refused");
      await until(server.id, "deleted");
      cpu.push(((await cpuSeconds(pid)) - own0) * 1000);
      childCpu.push(((await cpuSeconds(pid, true)) - kids0) * 1000);

      baseline.push(await handMadeStart(golden.vmid, COPY_VMIDS[r % COPY_VMIDS.length]!, address, golden.ports.game));
    }
    if ((await sys.call("DELETE", `/v1/servers/${golden.id}`)).status !== 202) throw new Error("delete of the golden server refused");
    await until(golden.id, "deleted");
    await agent.stop();
    agent = undefined;

    const observation = await measureLxcObservation(inventoryRuns);
    const createToRunningMs = percentile(viaAgent, 50);
    const baselineMs = percentile(baseline, 50);
    return {
      lifecycles: rounds,
      createToRunningMs,
      baselineMs,
      ratio: createToRunningMs / baselineMs,
      agentCpuMs: percentile(cpu, 50),
      agentChildrenCpuMs: percentile(childCpu, 50),
      observation,
    };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

/**
 * The machine's own baseline for one create -> running: the golden
 * container (the template plus the same placed files and unit) copied with
 * lxc-copy, started with lxc-start, its systemd starting the same stand-in
 * JVM, until the status ping answers on its address; then the copy is gone.
 */
async function handMadeStart(golden: number, copy: number, address: string, port: number): Promise<number> {
  const t0 = performance.now();
  await lxc("lxc-copy", golden, ["-N", String(copy)], 300_000);
  // Not the golden server's container to the agent still running beside it: the copy carries no marker.
  const config = join(LXC_PATH, String(copy), "config");
  await writeFile(config, (await readFile(config, "utf8")).replace(/^#zlh\.description = .*$/m, "#zlh.description = bench-baseline-copy"));
  await lxc("lxc-start", copy);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await pingServer(address, port, 1000);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the hand-made copy ${copy} did not answer on ${address}:${port}: ${(err as Error).message}`);
      await sleep(50);
    }
  }
  const ms = performance.now() - t0;
  await lxc("lxc-stop", copy, ["-k"]);
  await lxc("lxc-destroy", copy);
  return ms;
}
