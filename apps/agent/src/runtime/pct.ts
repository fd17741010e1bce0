import { allocatedAddress, net0Value, type SpecNetwork } from "@zlh/protocol";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GuestFiles, type GuestIdentity, type GuestOptions } from "../guest/guestFiles";
import { mapBounded } from "./mapBounded";
import { waitForNetnsAddress } from "./netnsAddress";
import { classifyPctFailure } from "./pctErrors";
import { VmidLocks } from "./vmidLocks";
import { GAME_UNIT } from "../container/gameUnit";
import { memoryEventsAt, unitCgroupAt } from "./lxc/unitCgroup";
import { usageV2, type Usage } from "./cgroupUsage";
import { deviceOf, processStartTime, volumeUsedBytes } from "./volumeUsage";
import { isRuntimeError, RuntimeError, type ContainerInfo, type CreateSpec, type GameObservation, type Resources, type Runtime } from "./runtime";

const run = promisify(execFile);
/** pct's environment: the agent's without its own settings (ZLH_*, its token among them). */
function pctEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ZLH_")));
}
/** Reads (status, config, list) answer in well under a second; a create or shutdown may take minutes. */
const READ_TIMEOUT_MS = 60_000;

export interface PctOptions {
  /** The pct executable (tests point this at a fake that reproduces Proxmox's messages). */
  bin?: string;
  storage: string;
  template: string;
  bridge: string;
  /** How long a DHCP container may take to get its address after a start (default 60 s). */
  dhcpTimeoutMs?: number;
  /** How often a "locked" refusal is retried, and the first backoff. */
  lockRetries?: number;
  lockBackoffMs?: number;
  /**
   * The unified cgroup hierarchy (default /sys/fs/cgroup, Proxmox 7+ is pure
   * v2), where a container is lxc/<vmid> and its systemd's units are under
   * lxc/<vmid>/ns/system.slice/; tests point it at a folder shaped the same.
   */
  cgroupRoot?: string;
}

/**
 * The `pct` runtime: real Proxmox commands. Every refusal is classified (see
 * pctErrors.ts). A lock is retried with backoff; if it persists, the caller
 * gets `locked` and decides from the container's real state, because a lock
 * timeout can hide a create that went through.
 */
export class PctRuntime implements Runtime {
  readonly name = "pct" as const;
  /** Its containers boot Debian with systemd, which starts the game (container/gameLayer.ts). */
  readonly bootsOs = true;
  /** Containers are created `--unprivileged 1`: their root is 100000:100000 on the host (Proxmox's default idmap). */
  // Proxmox's default id map for unprivileged containers (lxc.idmap u 0 100000 65536).
  readonly guestIdentity: GuestIdentity = { uid: 100_000, gid: 100_000, mapCount: 65_536 };
  /**
   * One owner per container at a time for what `pct mount` conflicts with:
   * a mount (held for its whole scope) and start, shutdown, set, resize and
   * destroy, which pct refuses while mounted ("CT is locked (mounted)"),
   * and whose own lock would make a mount fail (and its cleanup unmount
   * another scope's mount).
   */
  readonly #locks = new VmidLocks();
  /** Each running container's init for volumeUsage, as pct named it, with its start time (a reused pid has another). */
  readonly #volumeInits = new Map<number, { pid: number; startTime: number }>();
  constructor(private readonly opts: PctOptions) {}

  async #pct(args: string[], timeoutMs = 10 * 60_000): Promise<string> {
    const bin = this.opts.bin ?? "pct";
    const retries = this.opts.lockRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        // Bounded: nothing the agent runs prints more than a container list; more is a failure, not a result.
        // pct gets a clean environment, never the agent's (its token is in it): `pct exec` keeps the caller's
        // environment inside the container unless told not to (pve-container: keep-env defaults to 1 in PVE 8).
        const { stdout } = await run(bin, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024, killSignal: "SIGKILL", env: pctEnv() });
        return stdout;
      } catch (err) {
        const e = err as { stderr?: string; code?: number | string };
        if (typeof e.code === "string") throw new RuntimeError("other", `pct ${args[0]}: ${e.code}`);
        const failure = classifyPctFailure(`pct ${args.join(" ")}`, e.stderr ?? "", e.code ?? null);
        if (failure.kind !== "locked" || attempt >= retries) throw failure;
        await new Promise((r) => setTimeout(r, (this.opts.lockBackoffMs ?? 500) * 2 ** attempt));
      }
    }
  }

  async inspect(vmid: number): Promise<ContainerInfo | null> {
    let status: string;
    try {
      status = await this.#pct(["status", String(vmid)], READ_TIMEOUT_MS);
    } catch (err) {
      if (isRuntimeError(err, "missing")) return null;
      throw err;
    }
    const config = await this.#pct(["config", String(vmid)], READ_TIMEOUT_MS);
    return { vmid, state: /status:\s*running/.test(status) ? "running" : "stopped", description: parseDescription(config) };
  }

  /**
   * `pct list` already says which containers run (its second column), so
   * each container costs one more call, its config (for our marker), a few
   * at a time: 51 Perl start-ups for 50 containers instead of 101.
   */
  async list(): Promise<ContainerInfo[]> {
    const out = await this.#pct(["list"], READ_TIMEOUT_MS);
    const rows = parsePctList(out);
    const found = await mapBounded(rows, 4, async ({ vmid, state }): Promise<ContainerInfo | null> => {
      try {
        return { vmid, state, description: parseDescription(await this.#pct(["config", String(vmid)], READ_TIMEOUT_MS)) };
      } catch (err) {
        if (isRuntimeError(err, "missing")) return null; // destroyed since the listing
        throw err;
      }
    });
    return found.filter((c): c is ContainerInfo => c !== null);
  }

  async create(spec: CreateSpec): Promise<void> {
    await this.#pct([
      "create", String(spec.vmid), this.opts.template,
      "--hostname", spec.hostname,
      "--memory", String(spec.memoryMiB),
      "--cores", String(spec.cpuCores),
      "--rootfs", `${this.opts.storage}:${spec.diskGiB}`,
      "--net0", net0Value(spec.network ?? { bridge: this.opts.bridge, mode: "dhcp" }),
      "--unprivileged", "1",
      // The container's systemd (which starts the game unit) needs nested proc/sys mounts in an unprivileged container.
      "--features", "nesting=1",
      "--description", spec.description,
    ]);
  }

  /**
   * `pct mount` sets the `mounted` lock before it mounts and only `pct
   * unmount` clears it, so every failed mount is unmounted, and a `mounted`
   * lock found first (left by an agent that crashed while placing: this
   * agent is the only one that mounts on its host) is cleared, then the
   * mount tried once more.
   */
  async #mount(vmid: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#pct(["mount", String(vmid)]);
      } catch (err) {
        await this.#pct(["unmount", String(vmid)]).catch(() => {});
        if (!isRuntimeError(err, "mounted") || attempt > 0) throw err;
      }
    }
  }

  async withGuest<T>(vmid: number, fn: (guest: GuestFiles) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const opts = { identity: this.guestIdentity, signal };
    // A running container's tree is reached through its init's root (no mount, no lock); a stopped one is mounted.
    const pid = await this.#initPid(vmid);
    if (pid) return this.#throughInit(vmid, pid, opts, fn);
    return this.#locks.run(vmid, async () => {
      const started = await this.#initPid(vmid);
      if (started) return this.#throughInit(vmid, started, opts, fn);
      const out = await this.#mount(vmid);
      try {
        const m = /mounted CT \d+ in '([^']+)'/.exec(out);
        if (!m?.[1]) throw new RuntimeError("other", `pct mount ${vmid}: unexpected output ${JSON.stringify(out.trim())}`);
        return await GuestFiles.scope(m[1], opts, fn);
      } finally {
        await this.#pct(["unmount", String(vmid)]);
      }
    });
  }

  /**
   * A worker rooted at `/proc/<pid>/root`. Its cwd is pinned once it has
   * answered; the init is then checked to still be this container's (a
   * container that stopped meanwhile could have had its pid reused by a host
   * process, whose root is not the container's).
   */
  async #throughInit<T>(vmid: number, pid: number, opts: GuestOptions, fn: (guest: GuestFiles) => Promise<T>): Promise<T> {
    return GuestFiles.scope(`/proc/${pid}/root`, { ...opts, live: true }, async (guest) => {
      await guest.stat("etc"); // constant-size, whatever the customer put in /: the worker answers from inside the root
      if ((await this.#initPid(vmid)) !== pid) throw new RuntimeError("other", `CT ${vmid} stopped or restarted while its files were opened; try again`);
      return fn(guest);
    });
  }

  /** The pid of the container's init (`pct status --verbose` prints it while running), or null when stopped; `missing` if absent. */
  async #initPid(vmid: number): Promise<number | null> {
    const out = await this.#pct(["status", String(vmid), "--verbose"], READ_TIMEOUT_MS);
    if (!/^status:\s*running$/m.test(out)) return null;
    const pid = Number(/^pid:\s*(\d+)$/m.exec(out)?.[1]);
    if (!(pid > 1)) throw new RuntimeError("other", `pct status ${vmid} --verbose: running without an init pid`);
    return pid;
  }

  async start(vmid: number): Promise<void> {
    await this.#locks.run(vmid, () => this.#pct(["start", String(vmid)]));
  }

  async stop(vmid: number, timeoutMs: number): Promise<void> {
    // shutdown is the graceful stop; --forceStop 1 turns a timeout into a hard stop.
    await this.#locks.run(vmid, () => this.#pct(["shutdown", String(vmid), "--timeout", String(Math.ceil(timeoutMs / 1000)), "--forceStop", "1"]));
  }

  async destroy(vmid: number): Promise<void> {
    await this.#locks.run(vmid, () => this.#pct(["destroy", String(vmid), "--purge"]));
  }

  async resources(vmid: number): Promise<Resources> {
    return this.#resources(vmid);
  }

  async #resources(vmid: number): Promise<Resources> {
    const config = await this.#pct(["config", String(vmid)], READ_TIMEOUT_MS);
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(config)?.[1] ?? "";
    const size = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT])?/.exec(field("rootfs"));
    const toGiB = size ? Number(size[1]) * ({ K: 1 / 1048576, M: 1 / 1024, G: 1, T: 1024 }[size[2] ?? "G"] ?? 1) : 0;
    return { memoryMiB: Number(field("memory")), cpuCores: Number(field("cores")), diskGiB: toGiB };
  }

  async resize(vmid: number, to: Resources): Promise<void> {
    await this.#locks.run(vmid, async () => {
      await this.#pct(["set", String(vmid), "--memory", String(to.memoryMiB), "--cores", String(to.cpuCores)]);
      // Current pve-container refuses a resize to the size the disk has ("disk is already at specified
      // size"), so the disk is resized only when it is to grow; a smaller size is left to pct to refuse.
      if ((await this.#resources(vmid)).diskGiB === to.diskGiB) return;
      await this.#pct(["resize", String(vmid), "rootfs", `${to.diskGiB}G`]);
    });
  }

  /**
   * The game unit from its cgroup, whose path Proxmox fixes by VMID (no pct
   * call at all: this runs every heartbeat), and the container's memory
   * events beside its limit at lxc/<vmid>. Null when the container has no
   * cgroup (it is not running).
   */
  async observeGame(vmid: number): Promise<GameObservation | null> {
    if (!Number.isInteger(vmid) || vmid < 1) throw new RuntimeError("other", `invalid VMID ${vmid}`);
    const container = `${this.opts.cgroupRoot ?? "/sys/fs/cgroup"}/lxc/${vmid}`;
    const memory = await memoryEventsAt(container);
    if (memory === null) return null;
    const unit = await unitCgroupAt(`${container}/ns/system.slice/${GAME_UNIT}`);
    return { alive: unit.populated, exists: unit.exists, memory };
  }

  /**
   * Its volume's use (volumeUsage.ts) through its init. The init is the one `pct status --verbose` names
   * (lxc-info's, from the host side), never a pid read from the container's cgroups: the customer's
   * systemd owns lxc/<vmid>/ns and can put there a pid-namespace init of its own, rooted in a small
   * filesystem, to make its disk look empty. One pct call per container start: the pid is kept with its
   * start time (/proc/<pid>/stat), so a reused pid is never taken for the init; a container without its
   * cgroup (not running) costs no pct call at all.
   */
  async volumeUsage(vmid: number): Promise<number | null> {
    if (!Number.isInteger(vmid) || vmid < 1) throw new RuntimeError("other", `invalid VMID ${vmid}`);
    if ((await memoryEventsAt(`${this.opts.cgroupRoot ?? "/sys/fs/cgroup"}/lxc/${vmid}`)) === null) {
      this.#volumeInits.delete(vmid);
      return null;
    }
    let init = this.#volumeInits.get(vmid);
    if (!init || (await processStartTime(init.pid)) !== init.startTime) {
      const pid = await this.#initPid(vmid).catch(() => null);
      const startTime = pid ? await processStartTime(pid) : null;
      if (!pid || startTime === null) {
        this.#volumeInits.delete(vmid);
        return null;
      }
      init = { pid, startTime };
      this.#volumeInits.set(vmid, init);
    }
    const bytes = await volumeUsedBytes(init.pid, await deviceOf("/"));
    // The init could have exited during the statfs and its pid been reused: the figure counts only if not.
    return bytes !== null && (await processStartTime(init.pid)) === init.startTime ? bytes : null;
  }

  /** The container's usage from its v2 cgroup, whose path Proxmox fixes by VMID (no pct call). */
  async usage(vmid: number): Promise<Usage | null> {
    if (!Number.isInteger(vmid) || vmid < 1) throw new RuntimeError("other", `invalid VMID ${vmid}`);
    return usageV2(`${this.opts.cgroupRoot ?? "/sys/fs/cgroup"}/lxc/${vmid}`);
  }

  /**
   * `pct exec <vmid> --keep-env 0 -- systemctl start zlh-server.service`
   * (pct refuses a stopped container: "CT <vmid> not running"). Whatever runs
   * inside is the customer's; it gets a clean environment, nothing of ours.
   */
  async startGame(vmid: number, timeoutMs: number): Promise<void> {
    await this.#pct(["exec", String(vmid), "--keep-env", "0", "--", "systemctl", "start", GAME_UNIT], timeoutMs);
  }

  /**
   * The control plane's static address, or (DHCP) the one the container
   * holds, read from the host in its network namespace (netnsAddress.ts:
   * nothing runs inside), waited for within the deadline: a container just
   * started has none until DHCP answers.
   */
  async address(vmid: number, network?: SpecNetwork): Promise<string> {
    const allocated = allocatedAddress(network);
    if (allocated) return allocated;
    return waitForNetnsAddress({
      vmid,
      bridge: network?.bridge ?? this.opts.bridge,
      timeoutMs: this.opts.dhcpTimeoutMs ?? 60_000,
      initPid: () => this.#initPid(vmid),
    });
  }
}

/**
 * `pct list`'s rows: `VMID Status Lock Name` under a header, the Lock column
 * blank when there is none, so the status is the second field either way.
 */
export function parsePctList(out: string): { vmid: number; state: ContainerInfo["state"] }[] {
  return out
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(([vmid]) => /^\d+$/.test(vmid ?? ""))
    .map(([vmid, status]) => ({ vmid: Number(vmid), state: status === "running" ? ("running" as const) : ("stopped" as const) }));
}

/** `pct config` prints the description percent-encoded on one line (`description: zlh-server%3D...`). */
export function parseDescription(config: string): string {
  const line = config.split("\n").find((l) => l.startsWith("description:"));
  if (!line) return "";
  const raw = line.slice("description:".length).trim();
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
