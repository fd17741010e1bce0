import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import type { Cluster } from "./cluster";

export interface UnmanagedContainer {
  simRoot: string;
  vmid: number;
  config: string;
}

/**
 * Faults, chosen by the seeded generator: agents SIGKILLed (and restarted),
 * SIGSTOPped past their lease (then SIGCONTed), their websockets dropped;
 * control planes restarted, gracefully or not; Postgres backends terminated;
 * containers changed out of band (a server process killed, an unmanaged
 * container created, which must then be left untouched).
 */
export class Faults {
  readonly counts: Record<string, number> = {};
  readonly unmanaged: UnmanagedContainer[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly cluster: Cluster,
    private readonly random: () => number,
    private readonly sql: postgres.Sql,
  ) {}

  #count(kind: string) {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  #later(ms: number, fn: () => Promise<void> | void) {
    const p = new Promise<void>((r) => setTimeout(r, ms)).then(fn).catch(() => {});
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Waits for scheduled recoveries (restarts, SIGCONTs) to happen. */
  async settle(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async inject(): Promise<void> {
    const hosts = this.cluster.hosts;
    const h = hosts[Math.floor(this.random() * hosts.length)]!;
    const r = this.random();
    if (r < 0.2 && h.proc && !h.stopped) {
      this.#count("agent_sigkill");
      h.killedOnPurpose = true;
      h.proc.signal("SIGKILL");
      const proc = h.proc;
      this.#later(300 + this.random() * 1500, async () => {
        await proc.exited;
        this.cluster.startAgent(h);
      });
    } else if (r < 0.35 && h.proc && !h.stopped) {
      this.#count("agent_sigstop");
      h.proc.signal("SIGSTOP");
      h.stopped = true;
      const proc = h.proc;
      this.#later(500 + this.random() * 3500, () => {
        proc.signal("SIGCONT");
        h.stopped = false;
      });
    } else if (r < 0.5 && h.proc && !h.stopped) {
      this.#count("ws_drop");
      h.proc.signal("SIGUSR2");
    } else if (r < 0.6) {
      this.#count("control_plane_restart");
      const i = Math.floor(this.random() * this.cluster.planes.length);
      await this.cluster.restartPlane(i, this.random() < 0.5);
    } else if (r < 0.72) {
      this.#count("pg_terminate_backend");
      await this.sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and application_name = 'zlh-control-plane'
        order by random() limit 2`;
    } else if (r < 0.9) {
      const names = (await readdir(h.simRoot).catch(() => [])).filter((n) => /^\d+$/.test(n));
      const victim = names[Math.floor(this.random() * names.length)];
      const pid = victim ? Number(await readFile(join(h.simRoot, victim, "pid"), "utf8").catch(() => "0")) : 0;
      if (pid > 0) {
        this.#count("server_process_killed");
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    } else if (this.unmanaged.length < 3) {
      this.#count("unmanaged_container");
      const vmid = 9000 + this.unmanaged.length;
      const config = JSON.stringify({ vmid, hostname: "by-hand", description: "created by an operator" });
      await mkdir(join(h.simRoot, String(vmid), "rootfs"), { recursive: true });
      await writeFile(join(h.simRoot, String(vmid), "config.json"), config);
      this.unmanaged.push({ simRoot: h.simRoot, vmid, config });
    }
  }
}
