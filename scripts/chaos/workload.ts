import { api } from "../../test/support/api";
import type { Cluster } from "./cluster";

export interface WorkloadStats {
  requests: number;
  creates: number;
  duplicates: number;
  deletes: number;
  powers: number;
  /** Changes asked for (PATCH), of which some are meant to fail to start and roll back. */
  changes: number;
  breakingChanges: number;
  backups: number;
  restores: number;
  bursts: number;
  refused: number;
  errors: number;
  /** Every id any response returned for a key: more than one is a duplicate server. */
  idsByKey: Map<string, Set<string>>;
}

const MODS = [[], [{ project: "fabric-api" }], [{ project: "lithium" }, { project: "chunky" }]];

/**
 * The panel under chaos, driven by the seeded generator: creates (a share of
 * them sent several times at once with one Idempotency-Key), deletes (some
 * during provisioning, some twice), stop/start/restart, and bursts that
 * exhaust the VMID range; changes (PATCH: mods, memory; some with a mod that
 * makes the server fail to start, to be rolled back), backups and restores.
 * Requests go to any control plane that is up; a failed request (a control
 * plane restarting) or a refusal (409: busy, not running) is counted, not
 * fatal.
 */
export class Workload {
  readonly stats: WorkloadStats = {
    requests: 0, creates: 0, duplicates: 0, deletes: 0, powers: 0, changes: 0, breakingChanges: 0, backups: 0, restores: 0, bursts: 0, refused: 0, errors: 0, idsByKey: new Map(),
  };
  readonly servers: string[] = [];
  #n = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly random: () => number,
  ) {}

  #pick<T>(xs: T[]): T | undefined {
    return xs[Math.floor(this.random() * xs.length)];
  }

  async #call(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    this.stats.requests++;
    try {
      const res = await api(this.cluster.liveUrl(Math.floor(this.random() * 1000)))(method, path, body, headers);
      if (res.status === 409) this.stats.refused++;
      else if (res.status >= 500) this.stats.errors++;
      return res;
    } catch {
      this.stats.errors++;
      return null;
    }
  }

  async #create(copies: number): Promise<void> {
    const key = `chaos-${this.#n++}`;
    const body = { customerId: `c${this.#n % 5}`, name: `chaos-${this.#n}`, minecraftVersion: "1.21.1", memoryMiB: 512, cpuCores: 1, diskGiB: 1, mods: this.#pick(MODS) };
    this.stats.creates++;
    if (copies > 1) this.stats.duplicates++;
    const results = await Promise.all(Array.from({ length: copies }, () => this.#call("POST", "/v1/servers", body, { "idempotency-key": key })));
    for (const r of results) {
      if (r?.status !== 202) continue;
      const ids = this.stats.idsByKey.get(key) ?? new Set();
      ids.add(r.body.id);
      this.stats.idsByKey.set(key, ids);
      if (!this.servers.includes(r.body.id)) this.servers.push(r.body.id);
    }
  }

  async step(): Promise<void> {
    const r = this.random();
    if (r < 0.33) return this.#create(this.random() < 0.25 ? 3 : 1);
    if (r < 0.37) {
      this.stats.bursts++;
      await Promise.all(Array.from({ length: 12 }, () => this.#create(1)));
      return;
    }
    const id = this.#pick(this.servers);
    if (!id) return;
    if (r < 0.52) {
      this.stats.deletes++;
      await this.#call("DELETE", `/v1/servers/${id}`);
      if (this.random() < 0.3) await this.#call("DELETE", `/v1/servers/${id}`);
      return;
    }
    if (r < 0.67) {
      this.stats.powers++;
      await this.#call("POST", `/v1/servers/${id}/${this.#pick(["stop", "start", "restart"])}`);
      return;
    }
    if (r < 0.82) return this.#change(id);
    if (r < 0.93) {
      this.stats.backups++;
      await this.#call("POST", `/v1/servers/${id}/backups`);
      return;
    }
    const list = await this.#call("GET", `/v1/servers/${id}/backups`);
    const backup = this.#pick(((list?.body?.items ?? []) as { id: string; status: string }[]).filter((b) => b.status === "completed"));
    if (!backup) return;
    this.stats.restores++;
    await this.#call("POST", `/v1/servers/${id}/backups/${backup.id}/restore`);
  }

  /** A change: other mods or memory; one in five adds a mod Fabric Loader refuses, which must roll back. */
  async #change(id: string): Promise<void> {
    this.stats.changes++;
    const breaking = this.random() < 0.2;
    if (breaking) this.stats.breakingChanges++;
    const mods = breaking ? [...(this.#pick(MODS) ?? []), { project: "needs-new-loader" }] : this.#pick(MODS);
    const body = this.random() < 0.5 ? { mods } : { mods, memoryMiB: this.#pick([512, 768]) };
    await this.#call("PATCH", `/v1/servers/${id}`, body, { "idempotency-key": `chaos-change-${this.#n++}` });
  }
}
