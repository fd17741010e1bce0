import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { startE2eCluster, type E2eCluster } from "../../support/cluster";
import { destroyTestContainers } from "./containers";
import { buildGameTemplate } from "./gameTemplate";
import { buildStandinJar } from "./standinJar";

/** The build the resolver pins for `major` from the offline mirror (the newest GA release there) and its archive's sha512. */
async function mirrorJava(major: number): Promise<{ release: string; sha512: string }> {
  const base = join(OFFLINE_MIRROR_DIR, `github.com/adoptium/temurin${major}-binaries/releases/download`);
  const version = (tag: string) => tag.match(/\d+/g)!.map(Number);
  const newer = (a: string, b: string) => { const [x, y] = [version(a), version(b)]; for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0); return 0; };
  const tag = (await readdir(base)).sort(newer).at(-1)!;
  const [file] = (await readdir(join(base, tag))).filter((f) => f.endsWith(".tar.gz.body"));
  return { release: decodeURIComponent(tag), sha512: createHash("sha512").update(await readFile(join(base, tag, file!))).digest("hex") };
}

export interface LxcAgentCluster {
  c: E2eCluster;
  /** The agent's last log lines and the control plane's, for a failure's message. */
  logs(lines?: number): string;
  close(): Promise<void>;
}

/**
 * The real agent (ZLH_RUNTIME=lxc) with a real control plane, for the files
 * that drive real containers through the API: VMIDs 9916-9919, containers
 * made from a template that holds the game's java (support/gameTemplate.ts:
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
    const t = await buildGameTemplate(jar.jar, 21, await mirrorJava(21));
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
