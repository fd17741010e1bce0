import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { api } from "../../test/support/api";
import { tempDir } from "../../test/support/processes";
import type { Canary } from "./canary";
import type { Cluster, HostSlot } from "./cluster";
import type { HeartbeatWatch } from "./heartbeatWatch";
import { HostileGuest } from "./hostileGuest";

export interface UnmanagedContainer {
  simRoot: string;
  vmid: number;
  config: string;
}

/** How many times in a row the same server is killed (its crash-loop backoff then reaches 40 s, within the convergence window). */
const REPEATED_KILLS = 4;
/** The share of faults that are a hostile customer's (hostileGuest.ts). */
const HOSTILE_SHARE = 0.2;
const HOSTILE_AT_LEAST_EVERY = 4;
/** Long enough for a restarted agent (tsx, on a loaded machine) to be up and connected. */
const AGENT_BOOT_MS = 15_000;

/**
 * Faults, chosen by the seeded generator: agents SIGKILLed (and restarted),
 * SIGSTOPped past their lease (then SIGCONTed), their websockets dropped, a
 * duplicate agent started with a host's token, an agent's state directory
 * made unwritable (a full disk); control planes restarted, gracefully or
 * not; Postgres backends terminated, result statements failing, and (where
 * the harness runs its own Postgres) a full Postgres restart; containers
 * changed out of band (a server process killed, the same server's process
 * killed again and again, an unmanaged container created, which must then be
 * left untouched); and a hostile customer inside a container (hostileGuest.ts).
 * Faults that cut a host off on purpose tell the heartbeat watch, whose
 * judgement covers only the rest.
 */
export class Faults {
  readonly counts: Record<string, number> = {};
  readonly unmanaged: UnmanagedContainer[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #victim: { simRoot: string; vmid: string; kills: number } | null = null;
  readonly hostile: HostileGuest;
  /**
   * Starts one short of the rule, so the first fault is a hostile customer's, and the count starts again
   * only once a hostile fault planted something: early in a run a host has no container to attack yet,
   * and a hostile draw that found none used to count as done, so on a slow machine a short run could end
   * with every hostile window inside another fault's cut and invariant 12 (agents keep beating through
   * hostile faults) judging nothing.
   */
  #sinceHostile = HOSTILE_AT_LEAST_EVERY - 1;

  constructor(
    private readonly cluster: Cluster,
    private readonly random: () => number,
    private readonly sql: postgres.Sql,
    /** A full restart of Postgres (down for `downMs`), when the harness runs it itself. */
    private readonly watch: HeartbeatWatch,
    canary: Canary,
    private readonly restartPostgres?: (downMs: number) => Promise<void>,
  ) {
    const ask = (method: string, path: string) => api(cluster.liveUrl(Math.floor(random() * 1000)))(method, path).catch(() => null);
    const kit = { random, count: (k: string) => this.#count(k), later: (ms: number, fn: () => Promise<void> | void) => this.#later(ms, fn), ask };
    this.hostile = new HostileGuest(kit, sql, canary);
  }

  /** Installed once: result statements fail while `chaos_result_fault.until` is ahead of the sequence (a sequence, since a failing statement rolls its own writes back). */
  async install(): Promise<void> {
    await this.sql.unsafe(`
      create sequence if not exists chaos_result_seq;
      create table if not exists chaos_result_fault (until bigint not null);
      insert into chaos_result_fault select 0 where not exists (select 1 from chaos_result_fault);
      create or replace function chaos_result_fault() returns trigger language plpgsql as $$
      begin
        if old.status = 'leased' and new.status in ('succeeded', 'failed', 'queued')
          and nextval('chaos_result_seq') <= (select until from chaos_result_fault) then
          raise exception 'chaos: the result statement was killed';
        end if;
        return new;
      end $$;
      drop trigger if exists chaos_result_fault on operations;
      create trigger chaos_result_fault before update on operations for each row execute function chaos_result_fault();`);
  }

  #count(kind: string) {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  #later(ms: number, fn: () => Promise<void> | void) {
    const p = new Promise<void>((r) => {
      const t = setTimeout(() => (this.#timers.delete(t), r()), ms);
      this.#timers.add(t);
    })
      .then(fn)
      .catch(() => {});
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Waits for scheduled recoveries (restarts, SIGCONTs, a disk made writable again) to happen. */
  async settle(): Promise<void> {
    await Promise.all([...this.#pending]);
    await this.sql`update chaos_result_fault set until = 0`;
  }

  async inject(): Promise<void> {
    const hosts = this.cluster.hosts;
    const h = hosts[Math.floor(this.random() * hosts.length)]!;
    const drawn = this.random();
    // A fifth of the faults are a hostile customer's, and at least every fourth one (a short run gets
    // some whatever the draws); the rest keep their proportions among themselves.
    if (drawn < HOSTILE_SHARE || ++this.#sinceHostile >= HOSTILE_AT_LEAST_EVERY) {
      if (await this.hostile.inject(h)) this.#sinceHostile = 0;
      return;
    }
    const r = (drawn - HOSTILE_SHARE) / (1 - HOSTILE_SHARE);
    if (r < 0.14 && h.proc && !h.stopped) {
      this.#count("agent_sigkill");
      h.killedOnPurpose = true;
      h.proc.signal("SIGKILL");
      const proc = h.proc;
      const down = 300 + this.random() * 1500;
      this.watch.cut(h.id, down);
      this.#later(down, async () => {
        await proc.exited;
        this.cluster.startAgent(h);
      });
    } else if (r < 0.24 && h.proc && !h.stopped) {
      this.#count("agent_sigstop");
      h.proc.signal("SIGSTOP");
      h.stopped = true;
      const proc = h.proc;
      const down = 500 + this.random() * 3500;
      this.watch.cut(h.id, down);
      this.#later(down, () => {
        proc.signal("SIGCONT");
        h.stopped = false;
      });
    } else if (r < 0.34 && h.proc && !h.stopped && Date.now() - (h.startedAt ?? 0) > AGENT_BOOT_MS) {
      // SIGUSR2 before the agent has installed its handler kills it: only an agent that is up has a websocket to drop.
      this.#count("ws_drop");
      this.watch.cut(h.id, 0);
      h.proc.signal("SIGUSR2");
    } else if (r < 0.41) {
      this.#count("control_plane_restart");
      const i = Math.floor(this.random() * this.cluster.planes.length);
      const onIt = this.cluster.hosts.filter((x) => x.controlPlane === i);
      for (const x of onIt) this.watch.cut(x.id, 0);
      await this.cluster.restartPlane(i, this.random() < 0.5);
      for (const x of onIt) this.watch.cut(x.id, 0);
    } else if (r < 0.49) {
      this.#count("pg_terminate_backend");
      this.watch.cut(null, 0);
      await this.sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and application_name = 'zlh-control-plane'
        order by random() limit 2`;
    } else if (r < 0.55) {
      this.#count("result_statement_killed");
      await this.sql`update chaos_result_fault set until = (select last_value from chaos_result_seq) + ${1 + Math.floor(this.random() * 3)}`;
    } else if (r < 0.67) {
      await this.#killServerProcess(h);
    } else if (r < 0.75) {
      await this.#killSameServerAgain();
    } else if (r < 0.81) {
      await this.#duplicateAgent(h);
    } else if (r < 0.87) {
      await this.#fullStateDir(h);
    } else if (r < 0.9 && this.restartPostgres && !this.counts.postgres_restart) {
      // Once per run: the whole database goes away for ~10 s, then comes back.
      this.#count("postgres_restart");
      const down = 8000 + this.random() * 4000;
      this.watch.cut(null, down);
      await this.restartPostgres(down);
      this.watch.cut(null, 0);
    } else if (this.unmanaged.length < 3) {
      this.#count("unmanaged_container");
      const vmid = 9000 + this.unmanaged.length;
      const config = JSON.stringify({ vmid, hostname: "by-hand", description: "created by an operator" });
      await mkdir(join(h.simRoot, String(vmid), "rootfs"), { recursive: true });
      await writeFile(join(h.simRoot, String(vmid), "config.json"), config);
      this.unmanaged.push({ simRoot: h.simRoot, vmid, config });
    }
  }

  async #killServerProcess(h: HostSlot): Promise<void> {
    const names = (await readdir(h.simRoot).catch(() => [])).filter((n) => /^\d+$/.test(n));
    const victim = names[Math.floor(this.random() * names.length)];
    if (victim && (await this.#kill(h.simRoot, victim))) this.#count("server_process_killed");
  }

  /** The same server's process, killed again as soon as it is back: a crash loop, healed with its backoff. */
  async #killSameServerAgain(): Promise<void> {
    if (!this.#victim || this.#victim.kills >= REPEATED_KILLS) {
      const h = this.cluster.hosts[Math.floor(this.random() * this.cluster.hosts.length)]!;
      const names = (await readdir(h.simRoot).catch(() => [])).filter((n) => /^\d+$/.test(n));
      const vmid = names[Math.floor(this.random() * names.length)];
      if (!vmid) return;
      this.#victim = { simRoot: h.simRoot, vmid, kills: 0 };
    }
    if (await this.#kill(this.#victim.simRoot, this.#victim.vmid)) {
      this.#victim.kills++;
      this.#count("same_server_killed_again");
    }
  }

  async #kill(simRoot: string, vmid: string): Promise<boolean> {
    const pid = Number(await readFile(join(simRoot, vmid, "pid"), "utf8").catch(() => "0"));
    if (pid <= 0) return false;
    try {
      process.kill(pid, "SIGKILL");
      return true;
    } catch {
      return false; // already gone
    }
  }

  /** Another agent with the host's token, for a few seconds: the two must not fight over the session. */
  async #duplicateAgent(h: HostSlot): Promise<void> {
    const dup = this.cluster.startDuplicateAgent(h, await tempDir(`chaos-dup-${h.name}`));
    if (!dup) return;
    this.#count("duplicate_agent");
    const life = 2000 + this.random() * 4000;
    this.watch.cut(h.id, life);
    this.#later(life, () => dup.stop());
  }

  /** The agent's results can no longer be written (a full disk) for a few seconds. */
  async #fullStateDir(h: HostSlot): Promise<void> {
    const results = join(h.stateDir, "results");
    const away = `${results}.away-${Date.now()}`;
    if (!(await rename(results, away).then(() => true, () => false))) return;
    await writeFile(results, "not a directory: the disk is full");
    this.#count("agent_state_dir_full");
    const full = 2000 + this.random() * 4000;
    this.watch.cut(h.id, full);
    this.#later(full, async () => {
      await rm(results, { force: true });
      await rename(away, results);
    });
  }
}
