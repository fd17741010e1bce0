import { rm } from "node:fs/promises";
import { buildGameTemplate } from "../../../scripts/standinGame/gameTemplate";
import { pinnedJava } from "../../../scripts/standinGame/pinnedJava";
import { buildStandinJar } from "../../../scripts/standinGame/standinJar";
import { startE2eCluster, type E2eCluster } from "../../support/cluster";
import { destroyTestContainers } from "./containers";

export interface LxcAgentCluster {
  c: E2eCluster;
  /** The agent's last log lines and the control plane's, for a failure's message. */
  logs(lines?: number): string;
  close(): Promise<void>;
}

/**
 * The real agent (ZLH_RUNTIME=lxc) with a real control plane, for the files
 * that drive real containers through the API: VMIDs 9916-9919, containers
 * made from a template that holds the game's java (scripts/standinGame/gameTemplate.ts:
 * 1.21.1, the harness's game, on Java 21, pinned by the resolver to the
 * offline mirror's newest Temurin 21). Leftover test containers are removed
 * first and on close.
 */
export async function startLxcAgentCluster(env: { controlPlane?: Record<string, string>; agent?: Record<string, string> } = {}): Promise<LxcAgentCluster> {
  await destroyTestContainers();
  const temp: string[] = [];
  let c: E2eCluster | undefined;
  const close = async () => {
    await c?.close();
    await destroyTestContainers();
    for (const d of temp) await rm(d, { recursive: true, force: true });
  };
  try {
    const jar = await buildStandinJar();
    temp.push(jar.dir);
    const t = await buildGameTemplate(jar.jar, [{ major: 21, pinned: await pinnedJava(21) }]);
    temp.push(t.dir);
    c = await startE2eCluster("lxc-host", { ZLH_VMID_RANGE: "9916-9919", ...env.controlPlane });
    const agent = c.startAgent({ extra: { ZLH_RUNTIME: "lxc", ZLH_LXC_TEMPLATE: t.template, ZLH_READY_TIMEOUT_MS: "120000", ZLH_STOP_TIMEOUT_MS: "20000", ...env.agent } });
    const cp = c.cp;
    const logs = (lines = 30) => `agent:\n${agent.output.slice(-lines).join("\n")}\ncontrol plane:\n${cp.output.slice(-lines).join("\n")}`;
    return { c, logs, close };
  } catch (err) {
    await close();
    throw err;
  }
}
