import type { SpecNetwork } from "@zlh/protocol";
import type { GuestFiles } from "../guest/guestFiles";
import type { Usage } from "./cgroupUsage";

/**
 * What the agent needs from a container runtime. Two implementations: `pct`
 * (Proxmox, real commands) and `sim` (folders and processes on this machine,
 * behaving like pct: same refusals for an existing or missing VMID).
 */
export interface ContainerInfo {
  vmid: number;
  state: "running" | "stopped";
  /** The container's description (Proxmox `description`), where our marker lives. */
  description: string;
}

export interface CreateSpec {
  vmid: number;
  hostname: string;
  memoryMiB: number;
  cpuCores: number;
  diskGiB: number;
  description: string;
  /** The network the control plane chose (a static address from the host's range, or DHCP on a bridge); absent: the runtime's default. */
  network?: SpecNetwork;
}

/** The game unit of a running container, seen from the host (runtime/lxc/unitCgroup.ts), and the container's memory evidence. */
export interface GameObservation {
  /** The unit's cgroup has a live process. */
  alive: boolean;
  /** The unit's cgroup exists: systemd creates it when it starts the unit and removes it once the unit has stopped. */
  exists: boolean;
  /** How often the container's memory reached its limit, and OOM kills in it (null where the kernel does not count them per container: cgroup v1). */
  memory: { limitHits: number; oomKills: number | null };
}

export interface Runtime {
  readonly name: "pct" | "sim" | "lxc";
  /**
   * True when a container boots an OS whose init must start the game (pct,
   * lxc): placement then installs the game's systemd unit
   * (container/gameLayer.ts). Absent or false: starting the container starts
   * the game (sim).
   */
  readonly bootsOs?: boolean;
  /** The container, or null if the VMID does not exist on this host. */
  inspect(vmid: number): Promise<ContainerInfo | null>;
  list(): Promise<ContainerInfo[]>;
  /** Fails with `exists` if the VMID exists. */
  create(spec: CreateSpec): Promise<void>;
  /**
   * Runs `fn` with the container's files, running or stopped, through the
   * container boundary (guest/guestFiles.ts: a worker as the container's root
   * identity, never host root). The worker is stopped when `fn` settles or
   * `signal` aborts. `missing` if the container does not exist.
   */
  withGuest<T>(vmid: number, fn: (guest: GuestFiles) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Fails with `already_running` if running, `missing` if absent. */
  start(vmid: number): Promise<void>;
  /** Graceful stop within `timeoutMs`, then forced. Fails with `not_running` if stopped or absent (pct does not load the config first). */
  stop(vmid: number, timeoutMs: number): Promise<void>;
  /** Destroys and purges. Fails with `missing` if absent, `running` if still running. */
  destroy(vmid: number): Promise<void>;
  /**
   * The container's direct address, where the game port answers (never DNS):
   * the control plane's static address from `network` where the runtime puts
   * containers on it (pct, lxc), otherwise the one the runtime gives or
   * observes: on DHCP, read from the host in the container's network
   * namespace once DHCP has answered, within a deadline (netnsAddress.ts).
   * The sim always answers its own per-VMID loopback address: its
   * containers are processes on this machine, never on a host's network.
   */
  address(vmid: number, network?: SpecNetwork): Promise<string>;
  /** Its configured memory, cores and root disk size; `missing` if absent. */
  resources(vmid: number): Promise<Resources>;
  /**
   * Sets memory and cores (`pct set`) and grows the root disk to `diskGiB`
   * (`pct resize`; the same size is a no-op). A smaller disk is refused, as
   * pct refuses it ("unable to shrink disk size"). `missing` if absent.
   */
  resize(vmid: number, to: Resources): Promise<void>;
  /**
   * OS-booting runtimes only: the game unit of a running container, read on
   * the host from its cgroup (never by entering the container: this runs
   * every heartbeat); null when the container is not running.
   */
  observeGame?(vmid: number): Promise<GameObservation | null>;
  /**
   * OS-booting runtimes only: starts the game unit in a running container
   * whose game is dead (`systemctl start` inside it, within `timeoutMs`), the
   * container left running. `not_running` when it is stopped.
   */
  startGame?(vmid: number, timeoutMs: number): Promise<void>;
  /**
   * The running container's CPU and memory use, read on the host (its
   * cgroup; the sim: its process), never by entering it: this runs at the
   * stats cadence for every container (docs/live-stats.md). Null when it is
   * not running.
   */
  usage?(vmid: number): Promise<Usage | null>;
  /**
   * The running container's disk use from its volume, read on the host with
   * one statfs (runtime/volumeUsage.ts), no walk; null when it is not running
   * or has no volume of its own. Where a runtime has this, the stats sample
   * uses it instead of walking `diskRoot`.
   */
  volumeUsage?(vmid: number): Promise<number | null>;
  /**
   * A host folder holding the container's files whose allocated blocks are
   * its disk use (session/diskUse.ts walks it, lstat only): the sim's. pct and
   * lxc have none (a host-root walk of a live container can be raced by its
   * customer): they measure the volume instead (volumeUsage).
   */
  diskRoot?(vmid: number): string | null;
}

export interface Resources {
  memoryMiB: number;
  cpuCores: number;
  diskGiB: number;
}

export type RuntimeErrorKind = "exists" | "missing" | "already_running" | "not_running" | "running" | "locked" | "mounted" | "other";

/** A runtime refusal, classified so operations can decide what it means. */
export class RuntimeError extends Error {
  constructor(
    readonly kind: RuntimeErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "RuntimeError";
  }
}

export function isRuntimeError(err: unknown, kind: RuntimeErrorKind): boolean {
  return err instanceof RuntimeError && err.kind === kind;
}
