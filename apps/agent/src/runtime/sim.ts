import { spawn } from "node:child_process";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeError, type ContainerInfo, type CreateSpec, type Runtime } from "./runtime";

const MC_SERVER = fileURLToPath(new URL("../sim/mcServer.pl", import.meta.url));

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
 */
export class SimRuntime implements Runtime {
  readonly name = "sim" as const;
  readonly rootfsOwner = null;
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

  async #config(vmid: number): Promise<SimConfig | null> {
    try {
      return JSON.parse(await readFile(join(this.#dir(vmid), "config.json"), "utf8")) as SimConfig;
    } catch {
      return null;
    }
  }

  async #pid(vmid: number): Promise<number | null> {
    try {
      const pid = Number(await readFile(join(this.#dir(vmid), "pid"), "utf8"));
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  #missing(vmid: number): RuntimeError {
    return new RuntimeError("missing", `Configuration file 'nodes/${this.opts.node ?? "sim"}/lxc/${vmid}.conf' does not exist`);
  }

  async inspect(vmid: number): Promise<ContainerInfo | null> {
    const config = await this.#config(vmid);
    if (!config) return null;
    return { vmid, state: (await this.#pid(vmid)) ? "running" : "stopped", description: config.description };
  }

  async list(): Promise<ContainerInfo[]> {
    await mkdir(this.opts.root, { recursive: true });
    const names = (await readdir(this.opts.root)).filter((n) => /^\d+$/.test(n));
    const found = await Promise.all(names.map((n) => this.inspect(Number(n))));
    return found.filter((c): c is ContainerInfo => c !== null).sort((a, b) => a.vmid - b.vmid);
  }

  async create(spec: CreateSpec): Promise<void> {
    await this.#delay();
    await mkdir(this.opts.root, { recursive: true });
    const dir = this.#dir(spec.vmid);
    try {
      await mkdir(dir); // not recursive: an existing folder is an existing CT
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        throw new RuntimeError("exists", `unable to create CT ${spec.vmid} - CT ${spec.vmid} already exists on node '${this.opts.node ?? "sim"}'`);
      }
      throw err;
    }
    await mkdir(join(dir, "rootfs"));
    const config: SimConfig = { ...spec, node: this.opts.node ?? "sim" };
    await writeFile(join(dir, "config.json.tmp"), JSON.stringify(config, null, 2));
    await rename(join(dir, "config.json.tmp"), join(dir, "config.json"));
    // Proxmox can report a failed create whose container exists (e.g. a task that timed out while finishing).
    if (this.#inject("createErrorAfterSuccess")) throw new RuntimeError("other", `TASK ERROR: create CT ${spec.vmid} timed out waiting for the task`);
  }

  async withRootfs<T>(vmid: number, fn: (rootfs: string) => Promise<T>): Promise<T> {
    if (!(await this.#config(vmid))) throw this.#missing(vmid);
    return fn(join(this.#dir(vmid), "rootfs"));
  }

  async start(vmid: number): Promise<void> {
    await this.#delay();
    if (!(await this.#config(vmid))) throw this.#missing(vmid);
    if (await this.#pid(vmid)) throw new RuntimeError("already_running", `CT ${vmid} already running`);
    if (this.#inject("startFail")) throw new RuntimeError("other", `startup for container '${vmid}' failed`);
    const rootfs = join(this.#dir(vmid), "rootfs");
    const child = spawn("perl", [MC_SERVER, rootfs], { detached: true, stdio: "ignore" });
    child.on("error", () => {}); // reported below: no pid
    child.unref();
    if (!child.pid) throw new RuntimeError("other", `CT ${vmid}: could not start the server process (is perl installed?)`);
    await writeFile(join(this.#dir(vmid), "pid"), String(child.pid));
  }

  async stop(vmid: number, timeoutMs: number): Promise<void> {
    await this.#delay();
    if (!(await this.#config(vmid))) throw this.#missing(vmid);
    const pid = await this.#pid(vmid);
    if (!pid) throw new RuntimeError("not_running", `CT ${vmid} not running`);
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + timeoutMs;
    while ((await this.#pid(vmid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (await this.#pid(vmid)) process.kill(pid, "SIGKILL");
    while (await this.#pid(vmid)) await new Promise((r) => setTimeout(r, 10));
    await rm(join(this.#dir(vmid), "pid"), { force: true });
  }

  async destroy(vmid: number): Promise<void> {
    await this.#delay();
    if (!(await this.#config(vmid))) throw this.#missing(vmid);
    if (await this.#pid(vmid)) throw new RuntimeError("running", `CT ${vmid} is running - destroy failed`);
    await rm(this.#dir(vmid), { recursive: true, force: true });
  }

  async address(_vmid: number): Promise<string> {
    return "127.0.0.1";
  }
}
