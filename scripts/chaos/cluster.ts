import { join } from "node:path";
import { startAgentProcess, startControlPlaneProcess, tempDir, type ControlPlaneProc, type Proc } from "../../test/support/processes";

export interface HostSlot {
  name: string;
  id: string;
  token: string;
  simRoot: string;
  stateDir: string;
  /** The host's backup directory, shared by every agent of the host (as ZLH_BACKUP_DIR is on a real host). */
  backupDir: string;
  controlPlane: number;
  env: Record<string, string>;
  proc: Proc | null;
  stopped: boolean;
  killedOnPurpose?: boolean;
  /** When its current agent process was started (Date.now()). */
  startedAt?: number;
}

/** The real processes under test: control planes sharing one database, one agent per simulated host (and, as a fault, a duplicate). */
export class Cluster {
  /** Every process ever started, so that stop() leaves none behind (a restart scheduled by a fault included). */
  readonly #started: Proc[] = [];
  #stopping = false;
  readonly planes: (ControlPlaneProc | null)[] = [];
  readonly ports: number[] = [];
  readonly hosts: HostSlot[] = [];
  /** Control-plane starts that failed (retried by heal()), with what the process printed. */
  readonly planeStartFailures: string[] = [];
  /** Processes (agents, control planes) found dead that no fault had killed, restarted as systemd would; each worth reading. */
  readonly crashes: { host: string; code: number | null; signal: string | null; lastOutput: string[] }[] = [];

  constructor(
    readonly databaseUrl: string,
    readonly env: Record<string, string>,
  ) {}

  async startPlanes(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const p = await startControlPlaneProcess(this.databaseUrl, this.env);
      this.#started.push(p);
      this.planes.push(p);
      this.ports.push(p.port);
    }
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  /** Any control plane that is up. */
  liveUrl(pick: number): string {
    const up = this.planes.map((p, i) => (p ? i : -1)).filter((i) => i >= 0);
    return this.url(up[pick % up.length] ?? 0);
  }

  async restartPlane(i: number, hard: boolean): Promise<void> {
    const p = this.planes[i];
    if (!p) return;
    this.planes[i] = null;
    if (hard) {
      p.signal("SIGKILL");
      await p.exited;
    } else await p.stop();
    await this.#startPlane(i);
  }

  /** Starts control plane `i` on its port; a failed start is recorded and left for heal() to retry. */
  async #startPlane(i: number): Promise<void> {
    if (this.#stopping) return;
    try {
      const p = await startControlPlaneProcess(this.databaseUrl, this.env, this.ports[i]);
      this.#started.push(p);
      this.planes[i] = p;
    } catch (err) {
      this.planeStartFailures.push((err as Error).message.slice(0, 2000));
    }
  }

  async addHost(name: string, id: string, token: string, controlPlane: number, env: Record<string, string>): Promise<HostSlot> {
    const dir = await tempDir(`chaos-${name}`);
    const slot: HostSlot = { name, id, token, simRoot: join(dir, "sim"), stateDir: join(dir, "state"), backupDir: join(dir, "backups"), controlPlane, env, proc: null, stopped: false };
    this.hosts.push(slot);
    this.startAgent(slot);
    return slot;
  }

  startAgent(h: HostSlot): void {
    if (this.#stopping) return;
    if (h.proc && !h.killedOnPurpose && h.proc.ended()) {
      this.crashes.push({ host: h.name, code: h.proc.child.exitCode, signal: h.proc.child.signalCode, lastOutput: h.proc.output.slice(-10) });
    }
    h.killedOnPurpose = false;
    h.proc = this.#agent(h, h.stateDir);
    h.startedAt = Date.now();
    h.stopped = false;
  }

  #agent(h: HostSlot, stateDir: string): Proc {
    const p = startAgentProcess({
      controlUrl: this.url(h.controlPlane),
      token: h.token,
      simRoot: h.simRoot,
      stateDir,
      extra: { LOG_LEVEL: "warn", ZLH_READY_TIMEOUT_MS: "8000", ZLH_BACKUP_DIR: h.backupDir, ...h.env },
    });
    this.#started.push(p);
    return p;
  }

  /** A second agent for the host, with the host's token (a copy left running by an operator): stopped by the caller. */
  startDuplicateAgent(h: HostSlot, stateDir: string): Proc | null {
    return this.#stopping ? null : this.#agent(h, stateDir);
  }

  /** Everything back up and running, for the convergence phase. */
  async heal(): Promise<void> {
    for (let i = 0; i < this.planes.length; i++) {
      const p = this.planes[i];
      // A control plane that exited on its own (no fault stops one without clearing its slot) is a crash: record it, restart it.
      if (p?.ended()) {
        this.crashes.push({ host: `control-plane-${i}`, code: p.child.exitCode, signal: p.child.signalCode, lastOutput: p.output.slice(-15) });
        this.planes[i] = null;
      }
      if (!this.planes[i]) await this.#startPlane(i);
    }
    for (const h of this.hosts) {
      if (h.stopped) {
        h.proc?.signal("SIGCONT");
        h.stopped = false;
      }
      if (!h.proc || h.proc.ended()) this.startAgent(h);
    }
  }

  /** Stops every process this cluster ever started that is still running, agents first; nothing is started after. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const alive = (p: Proc) => !p.ended();
    const planes = new Set<Proc>(this.planes.filter((p): p is ControlPlaneProc => p !== null));
    await Promise.all(this.#started.filter((p) => alive(p) && !planes.has(p)).map((p) => p.stop()));
    await Promise.all(this.#started.filter(alive).map((p) => p.stop()));
  }
}
