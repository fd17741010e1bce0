/**
 * `pnpm dev --runtime lxc`: the local loop on real containers (the `lxc`
 * runtime) on a machine prepared by `pnpm host:prepare --install`. The game
 * works offline: containers are made from a template holding the stand-in
 * server and a java for each Java the offline mirror's games name
 * (scripts/standinGame), as in the real-container suite. A stop deletes the
 * servers it ran (so their containers are destroyed the product's way, and
 * the database agrees), then destroys whatever container of theirs is left.
 */
import { availableParallelism, totalmem } from "node:os";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { LXC_PATH } from "../apps/agent/src/runtime/lxc/hostLayout";
import { destroyContainers } from "./hostPrepare/destroyContainers";
import { prepareHost } from "./hostPrepare/prepareHost";
import { Report } from "./hostPrepare/report";
import { buildGameTemplate } from "./standinGame/gameTemplate";
import { MIRROR_JAVA_MAJORS, pinnedJava } from "./standinGame/pinnedJava";
import { buildStandinJar } from "./standinGame/standinJar";

/** What this machine cannot do for `--runtime lxc`, said as one sentence. */
export class DevLxcRefusal extends Error {}

/** The one host of the lxc loop: this machine, with its real capacity. */
export const LXC_DEV_HOST = "lxc-1";

export function lxcHostCapacity(): { memoryMiB: number; cpuCores: number; diskGiB: number } {
  return { memoryMiB: Math.floor(totalmem() / 1048576), cpuCores: availableParallelism(), diskGiB: 64 };
}

/** Refuses (DevLxcRefusal) unless this machine is root and prepared; then builds the game template (the caller disposes of it). */
export async function prepareDevLxc(say: (line: string) => void): Promise<{ template: string; dispose(): Promise<void> }> {
  if (process.platform !== "linux") throw new DevLxcRefusal("pnpm dev --runtime lxc needs Linux: real containers are LXC containers.");
  if (process.getuid?.() !== 0) {
    throw new DevLxcRefusal("pnpm dev --runtime lxc must run as root: LXC's unprivileged containers (ids from 100000, as Proxmox maps them) are created by root.");
  }
  const report = new Report(true);
  await prepareHost(report, false);
  if (report.missing.length) {
    throw new DevLxcRefusal(`pnpm dev --runtime lxc: this machine is not prepared for real containers (${report.missing.join("; ")}); run \`pnpm host:prepare --install\` as root.`);
  }
  say("building the stand-in game template (the stand-in server, and a java for each Java of the offline mirror's games)...");
  const jar = await buildStandinJar();
  try {
    const javas = [];
    for (const major of MIRROR_JAVA_MAJORS) javas.push({ major, pinned: await pinnedJava(major) });
    const built = await buildGameTemplate(jar.jar, javas);
    return { template: built.template, dispose: () => rm(built.dir, { recursive: true, force: true }) };
  } finally {
    await rm(jar.dir, { recursive: true, force: true });
  }
}

interface ListedServer {
  id: string;
  hostId: string | null;
  vmid: number | null;
  status: string;
}

/**
 * Deletes every server of `hostId` through the API and waits (until the
 * deadline, or `signal`: a second Ctrl-C) for the agent to have destroyed their containers; returns
 * the VMIDs those servers held, for destroyLeftContainers.
 */
export async function deleteDevServers(apiUrl: string, token: string, hostId: string, log: Logger, until: { deadlineMs: number; signal: AbortSignal }): Promise<number[]> {
  const call = async (method: string, path: string) => {
    const res = await fetch(`${apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json().catch(() => null)) as { items?: ListedServer[]; nextCursor?: string | null } | null };
  };
  const list = async (): Promise<ListedServer[]> => {
    const found: ListedServer[] = [];
    for (let cursor: string | null | undefined = undefined; ; ) {
      const page = await call("GET", `/v1/servers?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      found.push(...(page.body?.items ?? []).filter((s) => s.hostId === hostId));
      cursor = page.body?.nextCursor;
      if (!cursor) return found;
    }
  };
  const servers = await list();
  const vmids = servers.map((s) => s.vmid).filter((v): v is number => v !== null);
  const live = servers.filter((s) => s.status !== "deleted");
  if (live.length === 0) return vmids;
  log.info({ servers: live.length }, "deleting the lxc loop's servers (their containers are destroyed)");
  for (const s of live) await call("DELETE", `/v1/servers/${s.id}`);
  while (Date.now() < until.deadlineMs && !until.signal.aborted) {
    if ((await list()).every((s) => s.status === "deleted")) return vmids;
    await new Promise((r) => setTimeout(r, 500));
  }
  log.warn("the lxc loop's servers were not all deleted (deadline, or a second signal); their containers are destroyed directly");
  return vmids;
}

/** Kills and destroys the containers of `vmids` that are still there (a delete that did not finish, a second Ctrl-C). */
export async function destroyLeftContainers(vmids: readonly number[], log: Logger): Promise<void> {
  const left = vmids.filter((vmid) => existsSync(join(LXC_PATH, String(vmid))));
  if (left.length === 0) return;
  await destroyContainers(left);
  log.info({ vmids: left }, "destroyed the containers the lxc loop's servers left");
}
