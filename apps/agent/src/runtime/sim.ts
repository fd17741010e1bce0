import type { SpecNetwork } from "@zlh/protocol";
import { spawn } from "node:child_process";
import { accessSync, chownSync, constants, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeError, type ContainerInfo, type CreateSpec, type Resources, type Runtime } from "./runtime";
import { simAddress } from "./simAddress";
import { processUsage, type Usage } from "./cgroupUsage";
import { GuestFiles, type GuestIdentity } from "../guest/guestFiles";

/** The simulated server's script; in the built bundle (ZLH_BUNDLED), the copy next to it. */
const MC_SERVER = fileURLToPath(
  process.env.ZLH_BUNDLED === "1" ? new URL("./sim/mcServer.pl", import.meta.url) : new URL("../sim/mcServer.pl", import.meta.url),
);

/**
 * perl's absolute path, found once: spawning a bare "perl" makes the child
 * try execve in every PATH entry before the right one (13 failed execve per
 * start on the development machine, seen with strace).
 */
let perlPath: string | undefined;
function perl(): string {
  if (perlPath) return perlPath;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    try {
      accessSync(join(dir, "perl"), constants.X_OK);
      return (perlPath = join(dir, "perl"));
    } catch {
      // not here
    }
  }
  return "perl"; // spawn reports it missing
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

export interface SimOptions {
  root: string;
  /** Latency added to every container operation (ZLH_SIM_OP_DELAY_MS). */
  opDelayMs?: number;
  node?: string;
  /** Fault injection for the chaos harness (ZLH_SIM_FAULTS); off unless set. */
  faults?: SimFaults;
}

/** Rates (0-1) of injected refusals, drawn from a seeded generator so a chaos seed replays the same sequence per agent. */
export interface SimFaults {
  lock: number;
  startFail: number;
  createErrorAfterSuccess: number;
  random: () => number;
}

interface SimConfig extends CreateSpec {
  node: string;
}

/**
 * The `sim` runtime: container `<vmid>` is the folder `<root>/<vmid>/` with its
 * filesystem under `rootfs/`. It refuses exactly where pct refuses (create of
 * an existing VMID, destroy of a missing one, start when running, ...), with
 * pct's wording, and "running" means a real process answering the Minecraft
 * status protocol on the server's port, which outlives the agent like a real
 * container does.
 *
 * Its own bookkeeping (config.json, pid, the folders) uses synchronous fs
 * calls on purpose: they are a few bytes on local disk, and each promise
 * call costs a round trip through libuv's thread pool (strace: about 1,400
 * futex calls per lifecycle before, most of the agent's CPU). The server's
 * files are placed by placement/, asynchronously, as with pct.
 */
export class SimRuntime implements Runtime {
  readonly name = "sim" as const;
  /**
   * The container's root as the host sees it. An agent running as root makes
   * its containers unprivileged, as Proxmox does (root = 100000:100000): the
   * rootfs belongs to that id and the simulated server drops to it, so every
   * test as root takes the real path through the container boundary. An
   * agent that is not root cannot: its containers are its own user's.
   */
  readonly guestIdentity: GuestIdentity | null = process.getuid?.() === 0 ? { uid: 100_000, gid: 100_000 } : null;
  constructor(private readonly opts: SimOptions) {}

  #dir(vmid: number) {
    return join(this.opts.root, String(vmid));
  }

  async #delay() {
    if (this.opts.opDelayMs) await new Promise((r) => setTimeout(r, this.opts.opDelayMs));
    const f = this.opts.faults;
    if (f && f.random() < f.lock) throw new RuntimeError("locked", "can't lock file '/run/lock/lxc/pve-config.lock' - got timeout");
  }

  #inject(kind: "startFail" | "createErrorAfterSuccess"): boolean {
    const f = this.opts.faults;
    return !!f && f.random() < f[kind];
  }

  #config(vmid: number): SimConfig | null {
    const text = readText(join(this.#dir(vmid), "config.json"));
    try {
      return text === null ? null : (JSON.parse(text) as SimConfig);
    } catch {
      return null;
    }
  }

  /** The server process's pid if it is alive. */
  #pid(vmid: number): number | null {
    const pid = Number(readText(join(this.#dir(vmid), "pid")));
    return pid > 0 && alive(pid) ? pid : null;
  }

  #missing(vmid: number): RuntimeError {
    return new RuntimeError("missing", `Configuration file 'nodes/${this.opts.node ?? "sim"}/lxc/${vmid}.conf' does not exist`);
  }

  async inspect(vmid: number): Promise<ContainerInfo | null> {
    const config = this.#config(vmid);
    if (!config) return null;
    return { vmid, state: this.#pid(vmid) ? "running" : "stopped", description: config.description };
  }

  async list(): Promise<ContainerInfo[]> {
    mkdirSync(this.opts.root, { recursive: true });
    const names = readdirSync(this.opts.root).filter((n) => /^\d+$/.test(n));
    const found = await Promise.all(names.map((n) => this.inspect(Number(n))));
    return found.filter((c): c is ContainerInfo => c !== null).sort((a, b) => a.vmid - b.vmid);
  }

  async create(spec: CreateSpec): Promise<void> {
    await this.#delay();
    mkdirSync(this.opts.root, { recursive: true });
    const dir = this.#dir(spec.vmid);
    // A container exists when its config does, as on Proxmox (pct create
    // checks /etc/pve/lxc/<vmid>.conf): a folder without config.json (made by
    // hand, or left by an interrupted create) is not one and does not block
    // the VMID.
    if (this.#config(spec.vmid)) {
      throw new RuntimeError("exists", `unable to create CT ${spec.vmid} - CT ${spec.vmid} already exists on node '${this.opts.node ?? "sim"}'`);
    }
    mkdirSync(join(dir, "rootfs"), { recursive: true });
    if (this.guestIdentity) chownSync(join(dir, "rootfs"), this.guestIdentity.uid, this.guestIdentity.gid);
    const config: SimConfig = { ...spec, node: this.opts.node ?? "sim" };
    // link() is the atomic "create if absent" (two agents may share a root):
    // of two concurrent creates one links, the other finds it there.
    const tmp = join(dir, `config.json.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(tmp, JSON.stringify(config, null, 2));
    try {
      linkSync(tmp, join(dir, "config.json"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      throw new RuntimeError("exists", `unable to create CT ${spec.vmid} - CT ${spec.vmid} already exists on node '${this.opts.node ?? "sim"}'`);
    } finally {
      unlinkSync(tmp);
    }
    // Proxmox can report a failed create whose container exists (e.g. a task that timed out while finishing).
    if (this.#inject("createErrorAfterSuccess")) throw new RuntimeError("other", `TASK ERROR: create CT ${spec.vmid} timed out waiting for the task`);
  }

  async withGuest<T>(vmid: number, fn: (guest: GuestFiles) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!this.#config(vmid)) throw this.#missing(vmid);
    // Live while its server runs, as a real container is while its processes do.
    return GuestFiles.scope(join(this.#dir(vmid), "rootfs"), { identity: this.guestIdentity, signal, live: this.#pid(vmid) !== null }, fn);
  }

  async start(vmid: number): Promise<void> {
    await this.#delay();
    if (!this.#config(vmid)) throw this.#missing(vmid);
    if (this.#pid(vmid)) throw new RuntimeError("already_running", `CT ${vmid} already running`);
    if (this.#inject("startFail")) throw new RuntimeError("other", `startup for container '${vmid}' failed`);
    const rootfs = join(this.#dir(vmid), "rootfs");
    const id = this.guestIdentity;
    const child = spawn(perl(), [MC_SERVER, rootfs, simAddress(vmid), ...(id ? [`${id.uid}:${id.gid}`] : [])], { detached: true, stdio: "ignore" });
    child.on("error", () => {}); // reported below: no pid
    child.unref();
    if (!child.pid) throw new RuntimeError("other", `CT ${vmid}: could not start the server process (is perl installed?)`);
    // The server records its own pid under the container's lock (mcServer.pl): done once it has, or
    // refused (exit 3) when another start of this container got there first, as `pct start` refuses.
    const pidFile = join(this.#dir(vmid), "pid");
    const deadline = Date.now() + 10_000;
    while (Number(readText(pidFile)) !== child.pid) {
      if (child.exitCode === 3) throw new RuntimeError("already_running", `CT ${vmid} already running`);
      if (child.exitCode !== null || child.signalCode !== null) return; // it ran and stopped on its own (a refusal it logged)
      if (Date.now() > deadline) throw new RuntimeError("other", `startup for container '${vmid}' failed`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async stop(vmid: number, timeoutMs: number): Promise<void> {
    await this.#delay();
    // pct shutdown checks whether the CT runs before it loads its config: a missing CT is "not running" too.
    const pid = this.#config(vmid) ? this.#pid(vmid) : null;
    if (!pid) throw new RuntimeError("not_running", `CT ${vmid} not running`);
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + timeoutMs;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (alive(pid)) process.kill(pid, "SIGKILL");
    while (alive(pid)) await new Promise((r) => setTimeout(r, 10));
    try {
      unlinkSync(join(this.#dir(vmid), "pid"));
    } catch {
      // already gone
    }
  }

  async destroy(vmid: number): Promise<void> {
    await this.#delay();
    if (!this.#config(vmid)) throw this.#missing(vmid);
    if (this.#pid(vmid)) throw new RuntimeError("running", `unable to destroy CT ${vmid} - container is running`);
    rmSync(this.#dir(vmid), { recursive: true, force: true });
  }

  async resources(vmid: number): Promise<Resources> {
    const config = this.#config(vmid);
    if (!config) throw this.#missing(vmid);
    return { memoryMiB: config.memoryMiB, cpuCores: config.cpuCores, diskGiB: config.diskGiB };
  }

  async resize(vmid: number, to: Resources): Promise<void> {
    await this.#delay();
    const config = this.#config(vmid);
    if (!config) throw this.#missing(vmid);
    if (to.diskGiB < config.diskGiB) throw new RuntimeError("other", "unable to shrink disk size");
    const tmp = join(this.#dir(vmid), `config.json.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(tmp, JSON.stringify({ ...config, ...to }, null, 2));
    renameSync(tmp, join(this.#dir(vmid), "config.json"));
  }

  /** The server process's own use (/proc): the sim's container is that one process. */
  async usage(vmid: number): Promise<Usage | null> {
    const pid = this.#pid(vmid);
    return pid ? processUsage(pid) : null;
  }

  /** The container's rootfs folder, for the disk walk (session/diskUse.ts). */
  diskRoot(vmid: number): string | null {
    return this.#config(vmid) ? join(this.#dir(vmid), "rootfs") : null;
  }

  async address(vmid: number, _network?: SpecNetwork): Promise<string> {
    return simAddress(vmid);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
