import type postgres from "postgres";
import type { EdgeNaming } from "../../apps/control-plane/src/edge/desiredEdge";
import { matchesDesired, wantedOn } from "../../apps/control-plane/src/edge/edgeDiff";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../apps/control-plane/src/edge/naming";
import type { EdgeProvider } from "../../apps/control-plane/src/edge/provider";
import { rfc2136Factory } from "../../apps/control-plane/src/edge/providers/rfc2136/edgeProvider";
import { type Bind, startBind } from "../../apps/control-plane/test/edge/bind";
import type { Check } from "./invariants";

/**
 * The edge under chaos: a real BIND 9 the control planes publish to, stopped for a while (a DNS outage) and
 * changed behind the platform's back (records of a running server deleted with nsupdate). After the faults
 * stop, every running server's desired records must exist and no record of a deleted server may remain.
 */
export class EdgeChaos {
  readonly counts: Record<string, number> = {};
  readonly #pending = new Set<Promise<void>>();
  private constructor(
    readonly bind: Bind,
    readonly naming: EdgeNaming,
    readonly reader: EdgeProvider,
  ) {}

  static async start(): Promise<EdgeChaos> {
    const bind = await startBind();
    const naming: EdgeNaming = { zone: bind.zone, template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };
    return new EdgeChaos(bind, naming, rfc2136Factory.create("chaos-reader", { server: `127.0.0.1:${bind.port}`, keyName: bind.keyName, keySecret: bind.secret }, naming));
  }

  /** What the control planes are given. */
  env(): Record<string, string> {
    const providers = [{ name: "chaos-dns", kind: "rfc2136", server: `127.0.0.1:${this.bind.port}`, keyName: this.bind.keyName, keySecret: this.bind.secret, timeoutMs: 1000 }];
    return { ZLH_EDGE_ZONE: this.bind.zone, ZLH_EDGE_PROVIDERS: JSON.stringify(providers), ZLH_EDGE_PASS_INTERVAL_MS: "500", ZLH_EDGE_AUDIT_INTERVAL_MS: "2000", ZLH_EDGE_DELETE_GRACE_SECONDS: "5" };
  }

  async inject(random: () => number, sql: postgres.Sql): Promise<void> {
    if (random() < 0.4) {
      this.#count("dns_down");
      const down = 1000 + random() * 4000;
      const p = this.bind.restart(down).finally(() => this.#pending.delete(p));
      this.#pending.add(p);
      return;
    }
    const [s] = await sql<{ vmid: number }[]>`select vmid from servers where status = 'running' order by random() limit 1`;
    if (!s || this.#pending.size > 0) return;
    this.#count("dns_records_deleted");
    const fqdn = `mc-fabric-${s.vmid}.${this.bind.zone}`;
    await this.bind.nsupdate([`update delete ${fqdn}. A`, `update delete _minecraft._tcp.${fqdn}. SRV`]).catch(() => {});
  }

  async settle(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** The invariant, given up to `withinMs` for the edge pass and audit to repair what the faults left. */
  async check(sql: postgres.Sql, withinMs: number): Promise<Check> {
    const deadline = Date.now() + withinMs;
    let last: Check = { name: "edge: running servers' records exist, none of a deleted server remains", checked: 0, violations: [] };
    do {
      last = await this.#judge(sql, last.name);
      if (last.violations.length === 0) return last;
      await new Promise((r) => setTimeout(r, 1000));
    } while (Date.now() < deadline);
    return last;
  }

  async #judge(sql: postgres.Sql, name: string): Promise<Check> {
    const violations: string[] = [];
    const signal = AbortSignal.timeout(20_000);
    const listed = await this.reader.list(signal).catch((e: Error) => {
      violations.push(`the zone could not be listed: ${e.message}`);
      return [];
    });
    const rows = await sql<{ id: string; vmid: number; address: string | null; game_port: number; status: string; desired_state: string }[]>`
      select id, vmid, host(address) as address, game_port, status, desired_state from servers`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byName = new Map((listed ?? []).map((o) => [o.fqdn, o]));
    let checked = 0;
    for (const r of rows) {
      if (r.status !== "running") continue;
      const want = wantedOn(r, this.reader);
      if (!want) continue;
      checked++;
      if (!matchesDesired(r.id, want, byName.get(want.fqdn) ?? null)) violations.push(`running server ${r.id} (${want.fqdn}): its records are missing or differ`);
    }
    for (const o of listed ?? []) {
      if (!o.owner) continue;
      checked++;
      if (byId.get(o.owner)?.status === "deleted") violations.push(`${o.fqdn} still holds records of deleted server ${o.owner}`);
    }
    return { name, checked, violations };
  }

  async stop(): Promise<void> {
    await this.settle().catch(() => {});
    await this.bind.stop();
  }

  #count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }
}

