import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { extractTemplate } from "./lxc/extractTemplate";
import { BRIDGE, ID_BASE, ID_COUNT, LXC_PATH, PREFIX_LENGTH, SUBNET_PREFIX, TEMPLATE_DIR, TEMPLATE_FILE } from "./lxc/hostLayout";
import { enableDhcpClient } from "./lxc/dhcpClient";
import { parseLxcConfig, renderLxcConfig, cpusetFor, limitKeys, staticAddress, type CgroupVersion, type LxcContainerSpec, type LxcNetwork } from "./lxc/lxcConfig";
import { waitForNetnsAddress } from "./netnsAddress";
import { classifyLxcFailure } from "./lxc/lxcErrors";
import { GuestFiles, type GuestIdentity } from "../guest/guestFiles";
import { containerMemory, parseContainerCgroups, unitCgroupState, unitPids, type UnitCgroupState } from "./lxc/unitCgroup";
import { readSmall, usageV1, usageV2, type Usage } from "./cgroupUsage";
import { deviceOf, volumeUsedBytes } from "./volumeUsage";
import { GAME_UNIT } from "../container/gameUnit";
import { isRuntimeError, RuntimeError, type ContainerInfo, type CreateSpec, type GameObservation, type Resources, type Runtime } from "./runtime";

const run = promisify(execFile);

export interface LxcOptions {
  /** The LXC path (`lxc-* -P`); default /var/lib/zlh/lxc, which host:prepare makes. */
  lxcPath?: string;
  /** The template tarball; default the one host:prepare builds. */
  template?: string;
  /** How long one lxc command (and unpacking the template) may take. */
  commandTimeoutMs?: number;
  /** How long a DHCP container may take to get its address after a start (default 60 s). */
  dhcpTimeoutMs?: number;
}

/**
 * The `lxc` runtime: plain LXC 5 on a host prepared by `pnpm host:prepare`.
 * Container name = VMID; unprivileged (idmap 100000, as Proxmox); made from
 * the Debian 12 systemd template; one veth on a bridge: the control plane's
 * network where the spec has one (a static address, or DHCP, whose address
 * is then read from the host), else the local-only bridge with a static
 * address the runtime picks; memory and cores as cgroup limits; the agent's
 * record (description, sizes, network) as `#zlh.` lines in the config.
 * Refusals carry LXC's own wording, classified as pct's are.
 *
 * One agent per host (as with pct): creates are serialised in-process, so
 * two at once never pick the same address.
 */
export class LxcRuntime implements Runtime {
  readonly name = "lxc" as const;
  /** Its containers boot Debian with systemd, which starts the game (container/gameLayer.ts). */
  readonly bootsOs = true;
  /** Containers are unprivileged with the 100000 idmap: their root is 100000:100000 on the host. */
  readonly guestIdentity: GuestIdentity = { uid: ID_BASE, gid: ID_BASE, mapCount: ID_COUNT };
  readonly #path: string;
  readonly #template: string;
  readonly #timeout: number;
  readonly #dhcpTimeout: number;
  readonly #cgroup: CgroupVersion;
  readonly #unifiedRoot: string;
  #creating: Promise<unknown> = Promise.resolve();
  /** VMIDs this process is creating now: their partial config is a create in progress, not a leftover. */
  readonly #inflight = new Set<number>();

  constructor(opts: LxcOptions = {}) {
    this.#path = opts.lxcPath ?? LXC_PATH;
    this.#template = opts.template ?? join(TEMPLATE_DIR, TEMPLATE_FILE);
    this.#timeout = opts.commandTimeoutMs ?? 5 * 60_000;
    this.#dhcpTimeout = opts.dhcpTimeoutMs ?? 60_000;
    // Pure cgroup v2: the controllers are on /sys/fs/cgroup; a hybrid host keeps them on v1 and v2 at unified/.
    const pureV2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
    this.#cgroup = pureV2 ? 2 : 1;
    this.#unifiedRoot = pureV2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  }

  async #lxc(tool: string, vmid: number, args: string[] = [], timeoutMs = this.#timeout): Promise<string> {
    const argv = ["-P", this.#path, "-n", String(vmid), ...args];
    try {
      const { stdout, stderr } = await run(tool, argv, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
      // lxc-start of a running container prints "Container is already running" and exits 0; pct start refuses.
      if (tool === "lxc-start" && /is already running/.test(stderr)) throw Object.assign(new Error(stderr), { stderr, code: 0 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; code?: number | string; killed?: boolean };
      if (e.killed) throw new RuntimeError("other", `${tool} ${vmid}: did not finish within ${timeoutMs} ms`);
      if (typeof e.code === "string") throw new RuntimeError("other", `${tool} ${vmid}: ${e.code}`);
      throw classifyLxcFailure(`${tool} ${argv.slice(2).join(" ")}`, e.stderr ?? "", e.code ?? null);
    }
  }

  #dir(vmid: number): string {
    return join(this.#path, String(vmid));
  }

  async #spec(vmid: number): Promise<LxcContainerSpec | null> {
    const text = await readFile(join(this.#dir(vmid), "config"), "utf8").catch(() => null);
    return text === null ? null : parseLxcConfig(vmid, text);
  }

  #missing(vmid: number): RuntimeError {
    return new RuntimeError("missing", `lxc ${vmid}: ${vmid} doesn't exist`);
  }

  /** State and init pid from lxc-info (`State: RUNNING`, `PID: 1234`). */
  async #info(vmid: number): Promise<{ running: boolean; pid: number | null }> {
    const out = await this.#lxc("lxc-info", vmid, ["-s", "-p"]);
    const state = /^State:\s+(\S+)/m.exec(out)?.[1] ?? "STOPPED";
    const pid = Number(/^PID:\s+(\d+)/m.exec(out)?.[1] ?? 0);
    return { running: state !== "STOPPED", pid: pid > 0 ? pid : null };
  }

  async inspect(vmid: number): Promise<ContainerInfo | null> {
    const spec = await this.#spec(vmid);
    if (!spec) return null;
    let info;
    try {
      info = await this.#info(vmid);
    } catch (err) {
      // lxc-destroy removes the config while lxc-info reads it ("Failed to load config"): a container
      // destroyed meanwhile is gone, not a failure of the whole listing (and of the heartbeat with it).
      if (isRuntimeError(err, "missing") || !(await this.#spec(vmid))) return null;
      throw err;
    }
    return { vmid, state: info.running ? "running" : "stopped", description: spec.description };
  }

  async list(): Promise<ContainerInfo[]> {
    const names = (await readdir(this.#path).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
    const found = await Promise.all(names.map((n) => this.inspect(Number(n))));
    return found.filter((c): c is ContainerInfo => c !== null).sort((a, b) => a.vmid - b.vmid);
  }

  async create(spec: CreateSpec): Promise<void> {
    if (!Number.isInteger(spec.vmid) || spec.vmid < 100 || spec.vmid > 999_999_999) {
      throw new RuntimeError("other", `lxc-create ${spec.vmid}: invalid VMID (an integer from 100 up, as Proxmox's)`);
    }
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(spec.hostname)) {
      throw new RuntimeError("other", `lxc-create ${spec.vmid}: invalid hostname ${JSON.stringify(spec.hostname)} (letters, digits and inner dashes, at most 63)`);
    }
    const dir = this.#dir(spec.vmid);
    const rootfs = join(dir, "rootfs");
    // Claiming the VMID and an address is serialised; unpacking is not.
    const claim = this.#creating.then(() => this.#claim(spec, dir, rootfs));
    this.#creating = claim.catch(() => {});
    await claim;
    try {
      await extractTemplate(this.#template, rootfs, this.#timeout);
      // The tree is the template's, never booted yet; the client's files go in as the container's root would write them.
      if (spec.network && "mode" in spec.network) await GuestFiles.scope(rootfs, { identity: this.guestIdentity }, enableDhcpClient);
      // The config appears last: a container exists when its config does (as lxc-create's is_defined checks).
      await rename(join(dir, "config.partial"), join(dir, "config"));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw new RuntimeError("other", `lxc-create ${spec.vmid}: ${(err as Error).message}`);
    } finally {
      this.#inflight.delete(spec.vmid);
    }
  }

  /** Under the create lock: refuse an existing VMID, pick a free address, write the partial config. */
  async #claim(spec: CreateSpec, dir: string, rootfs: string): Promise<void> {
    if (existsSync(join(dir, "config")) || this.#inflight.has(spec.vmid)) {
      throw new RuntimeError("exists", `lxc-create ${spec.vmid}: Container already exists`);
    }
    // A folder without a config (left by a create interrupted by a crash: only this process creates
    // on this host) is no container and does not block the VMID.
    await rm(dir, { recursive: true, force: true });
    const network: LxcNetwork = spec.network ?? { bridge: BRIDGE, address: await this.#freeAddress(), prefix: PREFIX_LENGTH, gateway: null };
    await mkdir(rootfs, { recursive: true });
    // The container's root (host uid 100000) must traverse its directory to reach the rootfs, and own the rootfs.
    await chown(dir, 0, ID_BASE);
    await chmod(dir, 0o750);
    await chown(rootfs, ID_BASE, ID_BASE);
    const { network: _asked, ...rest } = spec;
    const full: LxcContainerSpec = { ...rest, network };
    await writeFile(join(dir, "config.partial"), renderLxcConfig(full, rootfs, this.#cgroup, availableParallelism()), { mode: 0o640 });
    this.#inflight.add(spec.vmid);
  }

  async #freeAddress(): Promise<string> {
    const names = (await readdir(this.#path).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
    const used = new Set<string>();
    for (const n of names) {
      for (const file of ["config", "config.partial"]) {
        const text = await readFile(join(this.#path, n, file), "utf8").catch(() => null);
        const spec = text === null ? null : parseLxcConfig(Number(n), text);
        const address = spec && staticAddress(spec);
        if (address) used.add(address);
      }
    }
    for (let host = 2; host <= 254; host++) {
      const candidate = `${SUBNET_PREFIX}.${host}`;
      if (!used.has(candidate)) return candidate;
    }
    throw new RuntimeError("other", `no free address left on ${SUBNET_PREFIX}.0/24 (253 containers)`);
  }

  /**
   * The container's files through the boundary (apps/agent/src/guest): a
   * stopped container's rootfs directory, a running one's `/proc/<init>/root`
   * (its mount namespace's view), the init checked again once the worker
   * holds its cwd (a pid reused by a host process has the host's root).
   */
  async withGuest<T>(vmid: number, fn: (guest: GuestFiles) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!(await this.#spec(vmid))) throw this.#missing(vmid);
    const opts = { identity: this.guestIdentity, signal };
    const { pid } = await this.#info(vmid);
    if (!pid) return GuestFiles.scope(join(this.#dir(vmid), "rootfs"), opts, fn);
    return GuestFiles.scope(`/proc/${pid}/root`, { ...opts, live: true }, async (guest) => {
      await guest.stat("etc"); // constant-size, whatever the customer put in /: the worker answers from inside the root
      if ((await this.#info(vmid)).pid !== pid) throw new RuntimeError("other", `CT ${vmid} stopped or restarted while its files were opened; try again`);
      return fn(guest);
    });
  }

  /**
   * Its volume's use through its init (volumeUsage.ts), the init checked again after the statfs (a
   * pid reused meanwhile). A rootfs directory on the host's filesystem (the default here) has null.
   */
  async volumeUsage(vmid: number): Promise<number | null> {
    const { pid } = await this.#info(vmid);
    if (!pid) return null;
    const bytes = await volumeUsedBytes(pid, await deviceOf(this.#path));
    return bytes !== null && (await this.#info(vmid)).pid === pid ? bytes : null;
  }

  async start(vmid: number): Promise<void> {
    await this.#lxc("lxc-start", vmid);
  }

  async stop(vmid: number, timeoutMs: number): Promise<void> {
    // lxc-stop -t: systemd is asked to power off (SIGRTMIN+3), then the container is killed at the timeout.
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    // The command's own deadline leaves lxc-stop its graceful window plus time for the forced stop.
    await this.#lxc("lxc-stop", vmid, ["-t", String(seconds)], Math.max(this.#timeout, seconds * 1000 + 60_000));
  }

  async destroy(vmid: number): Promise<void> {
    await this.#lxc("lxc-destroy", vmid);
  }

  async resources(vmid: number): Promise<Resources> {
    const spec = await this.#spec(vmid);
    if (!spec) throw this.#missing(vmid);
    return { memoryMiB: spec.memoryMiB, cpuCores: spec.cpuCores, diskGiB: spec.diskGiB };
  }

  /** Rewrites the limits in the config and, when running, applies them at once (lxc-cgroup), as `pct set` does. */
  async resize(vmid: number, to: Resources): Promise<void> {
    const spec = await this.#spec(vmid);
    if (!spec) throw this.#missing(vmid);
    if (to.diskGiB < spec.diskGiB) throw new RuntimeError("other", `lxc ${vmid}: unable to shrink disk size`);
    const next = { ...spec, ...to };
    const dir = this.#dir(vmid);
    await writeFile(join(dir, "config.tmp"), renderLxcConfig(next, join(dir, "rootfs"), this.#cgroup, availableParallelism()), { mode: 0o640 });
    await rename(join(dir, "config.tmp"), join(dir, "config"));
    if (!(await this.#info(vmid)).running) return;
    const keys = limitKeys(this.#cgroup);
    await this.#lxc("lxc-cgroup", vmid, [keys.memory, String(to.memoryMiB * 1024 * 1024)]);
    await this.#lxc("lxc-cgroup", vmid, [keys.cpuset, cpusetFor(to.cpuCores, availableParallelism())]);
  }

  /**
   * The container's static address (the control plane's, or the one the
   * runtime gave it), or (DHCP) the one it holds, read from the host in its
   * network namespace and waited for within the deadline.
   */
  async address(vmid: number): Promise<string> {
    const spec = await this.#spec(vmid);
    if (!spec) throw this.#missing(vmid);
    const address = staticAddress(spec);
    if (address) return address;
    return waitForNetnsAddress({ vmid, bridge: spec.network.bridge, timeoutMs: this.#dhcpTimeout, initPid: async () => (await this.#info(vmid)).pid });
  }

  /** A systemd unit inside the running container, seen through its cgroup from the host; null when the container is not running. */
  async unitState(vmid: number, unit: string): Promise<UnitCgroupState | null> {
    if (!(await this.#spec(vmid))) throw this.#missing(vmid);
    const { pid } = await this.#info(vmid);
    return pid ? unitCgroupState(pid, unit, this.#unifiedRoot) : null;
  }

  /** The host pids of a unit's processes inside the running container (empty when stopped or none). */
  async unitPids(vmid: number, unit: string): Promise<number[]> {
    if (!(await this.#spec(vmid))) throw this.#missing(vmid);
    const { pid } = await this.#info(vmid);
    return pid ? unitPids(pid, unit, this.#unifiedRoot) : [];
  }

  /** The game unit and the container's memory, from the host (lxc-info for the init, then cgroup files); null when stopped. */
  async observeGame(vmid: number): Promise<GameObservation | null> {
    const { pid } = await this.#info(vmid);
    if (!pid) return null;
    const unit = await unitCgroupState(pid, GAME_UNIT, this.#unifiedRoot);
    return { alive: unit.populated, exists: unit.exists, memory: await containerMemory(pid, this.#unifiedRoot) };
  }

  /**
   * `systemctl start` of the game unit inside the running container
   * (lxc-attach with a clean environment: nothing of the agent's leaks in),
   * within `timeoutMs`; the container and its init are left as they are.
   */
  async startGame(vmid: number, timeoutMs: number): Promise<void> {
    if (!(await this.#spec(vmid))) throw this.#missing(vmid);
    if (!(await this.#info(vmid)).running) throw new RuntimeError("not_running", `lxc ${vmid}: not running`);
    await this.#lxc("lxc-attach", vmid, ["--clear-env", "--", "systemctl", "start", GAME_UNIT], timeoutMs);
  }

  /** The running container's usage from its cgroups (v2, or v1 cpuacct and memory on a hybrid host), found from its init. */
  async usage(vmid: number): Promise<Usage | null> {
    const { pid } = await this.#info(vmid);
    if (!pid) return null;
    const text = (await readSmall(`/proc/${pid}/cgroup`)) ?? "";
    const { unified, memoryV1 } = parseContainerCgroups(text);
    const cpuacct = /^\d+:(?:[^:]*,)?cpuacct(?:,[^:]*)?:(\/.*)$/m.exec(text)?.[1]?.replace(/\/init\.scope$/, "");
    if (cpuacct) return usageV1(`/sys/fs/cgroup/cpuacct${cpuacct}`, memoryV1 === null ? null : `/sys/fs/cgroup/memory${memoryV1}`);
    return unified === null ? null : usageV2(`${this.#unifiedRoot}${unified}`);
  }

  /** The running container's memory evidence (limit hits, OOM kills where the kernel keeps them); null when stopped. */
  async memoryEvents(vmid: number): Promise<{ limitHits: number; oomKills: number | null } | null> {
    if (!(await this.#spec(vmid))) throw this.#missing(vmid);
    const { pid } = await this.#info(vmid);
    return pid ? containerMemory(pid, this.#unifiedRoot) : null;
  }
}
