import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { manifestHash, type Manifest } from "@zlh/artifacts";
import { join } from "node:path";
import type postgres from "postgres";
import { pingServer, simAddress } from "@zlh/agent";
import { serverIdFromMarker } from "@zlh/protocol";
import type { Cluster } from "./cluster";
import type { UnmanagedContainer } from "./faults";
import { readGuestFile } from "./hostileInvariants";
import type { WorkloadStats } from "./workload";

export interface Check {
  name: string;
  checked: number;
  violations: string[];
}

interface Container {
  host: string;
  vmid: number;
  serverId: string | null;
  running: boolean;
}

async function containersOn(simRoot: string, host: string): Promise<Container[]> {
  const out: Container[] = [];
  for (const n of (await readdir(simRoot).catch(() => [])).filter((x) => /^\d+$/.test(x))) {
    // As on Proxmox, a container is its config: a folder without one (a create killed before it
    // wrote the config) is not a container, for the sim runtime or for this check.
    const text = await readFile(join(simRoot, n, "config.json"), "utf8").catch(() => null);
    if (text === null) continue;
    const config = JSON.parse(text);
    const pid = Number(await readFile(join(simRoot, n, "pid"), "utf8").catch(() => "0"));
    let running = false;
    try {
      running = pid > 0 && process.kill(pid, 0);
    } catch {
      running = false;
    }
    out.push({ host, vmid: Number(n), serverId: serverIdFromMarker(config.description), running });
  }
  return out;
}

/**
 * Servers the database says run whose process on their host does not: a
 * crash that reconciliation has yet to observe (twice, on evidence newer
 * than the status) and heal. Settling waits for none, so a kill just before
 * the faults stopped is healed before the invariants are judged.
 */
export async function runningWithoutProcess(sql: postgres.Sql, cluster: Cluster): Promise<number> {
  const live = new Set<string>();
  for (const h of cluster.hosts) for (const c of await containersOn(h.simRoot, h.name)) if (c.running) live.add(`${h.id}:${c.vmid}:${c.serverId}`);
  const running = await sql`select id, host_id, vmid from servers where status = 'running'`;
  return running.filter((s) => !live.has(`${s.host_id}:${s.vmid}:${s.id}`)).length;
}

/**
 * Why a violation of (4) or (9) by this server is the customer's doing, or
 * null: only a server a hostile fault targeted, whose tree still holds what
 * the customer planted (a restore can bring back what a backup captured).
 */
export type Excuse = (serverId: string, hostId: string, vmid: number) => Promise<string | null>;

/** The ten invariants, checked against the database and what actually exists on every host; `excused` collects what `excuse` let pass. */
export async function checkInvariants(
  sql: postgres.Sql,
  cluster: Cluster,
  stats: WorkloadStats,
  unmanaged: UnmanagedContainer[],
  excuse: Excuse,
  excused: string[],
): Promise<Check[]> {
  const checks: Check[] = [];
  const unless = async (list: string[], s: { id: string; host_id: string; vmid: number }, violation: string) => {
    const why = await excuse(s.id, s.host_id, s.vmid);
    if (why) excused.push(`${violation} (targeted: ${why})`);
    else list.push(violation);
  };
  const check = (name: string, checked: number, violations: string[]) => checks.push({ name, checked, violations });

  // 1. One server per (caller, Idempotency-Key), in the database and in every answer.
  const dupRows = await sql`select caller_id, idempotency_key, count(*)::int as n from servers group by 1, 2 having count(*) > 1`;
  const multiAnswers = [...stats.idsByKey].filter(([, ids]) => ids.size > 1).map(([k, ids]) => `${k} answered with ${[...ids].join(", ")}`);
  check("1 one server per (caller, Idempotency-Key)", stats.idsByKey.size, [...dupRows.map((r) => `${r.idempotency_key} has ${r.n} servers`), ...multiAnswers]);

  // 2. At most one live operation per (server, generation, kind), and every operation ended.
  const liveDup = await sql`select server_id, generation, kind, count(*)::int as n from operations where status in ('queued','leased') group by 1,2,3 having count(*) > 1`;
  const unended = await sql`select id, kind, status, server_id from operations where status in ('queued','leased')`;
  const [{ ops }] = (await sql`select count(*)::int as ops from operations`) as unknown as [{ ops: number }];
  check("2 one live operation per (server, generation, kind); all ended", ops, [
    ...liveDup.map((r) => `${r.server_id} gen ${r.generation} ${r.kind}: ${r.n} live`),
    ...unended.map((r) => `operation ${r.id} (${r.kind}) still ${r.status}`),
  ]);

  // 3. No VMID shared by live servers, no port shared on a host; every taken VMID/port belongs to a live server.
  const shared = await sql`
    select 'vmid ' || vmid as what from servers where status <> 'deleted' group by vmid having count(*) > 1
    union all select 'port ' || host_id || ':' || p from (select host_id, game_port as p from servers where status <> 'deleted' union all select host_id, rcon_port from servers where status <> 'deleted') x group by host_id, p having count(*) > 1`;
  const strayTaken = await sql`
    select 'vmid ' || p.vmid as what from vmid_pool p left join servers s on s.id = p.server_id where p.state = 'taken' and (s.id is null or s.status = 'deleted' or s.vmid <> p.vmid)
    union all select 'port ' || p.host_id || ':' || p.port from host_ports p left join servers s on s.id = p.server_id
      where s.id is null or s.status = 'deleted' or s.host_id <> p.host_id or p.port not in (s.game_port, s.rcon_port)`;
  const [{ live }] = (await sql`select count(*)::int as live from servers where status <> 'deleted'`) as unknown as [{ live: number }];
  check("3 VMIDs and ports unique among live servers; none taken by a dead one", live, [...shared.map((r) => `${r.what} shared`), ...strayTaken.map((r) => `${r.what} taken without a live server`)]);

  // 4. Every running server has exactly one container on its host, with its marker, answering a ping; deleted ones have none.
  const byHost = new Map<string, Container[]>();
  for (const h of cluster.hosts) byHost.set(h.id, await containersOn(h.simRoot, h.name));
  const all = [...byHost.values()].flat();
  const servers = await sql`select id, status, host_id, vmid, game_port from servers`;
  const v4: string[] = [];
  for (const s of servers) {
    const mine = all.filter((c) => c.serverId === s.id);
    if (s.status === "running") {
      const onHost = (byHost.get(s.host_id) ?? []).filter((c) => c.serverId === s.id && c.vmid === s.vmid);
      if (mine.length !== 1 || onHost.length !== 1) v4.push(`running ${s.id} has ${mine.length} containers (${onHost.length} at its VMID on its host)`);
      else if (!(await pingServer(simAddress(s.vmid), s.game_port, 2000).then(() => true, () => false))) await unless(v4, s as never, `running ${s.id} does not answer a status ping`);
    } else if (s.status === "deleted" && mine.length > 0) v4.push(`deleted ${s.id} still has a container`);
  }
  check("4 running servers: one container, right marker, answers a ping; deleted: none", servers.length, v4);

  // 5. No container the database does not account for; deliberately unmanaged ones untouched.
  const liveAt = new Set(servers.filter((s) => s.status !== "deleted").map((s) => `${s.host_id}:${s.vmid}:${s.id}`));
  const v5: string[] = [];
  for (const h of cluster.hosts) {
    for (const c of byHost.get(h.id) ?? []) {
      if (unmanaged.some((u) => u.simRoot === h.simRoot && u.vmid === c.vmid)) continue;
      if (!c.serverId || !liveAt.has(`${h.id}:${c.vmid}:${c.serverId}`)) v5.push(`${h.name} CT ${c.vmid} (marker ${c.serverId ?? "none"}) is not accounted for`);
    }
  }
  for (const u of unmanaged) {
    const now = await readFile(join(u.simRoot, String(u.vmid), "config.json"), "utf8").catch(() => null);
    if (now !== u.config) v5.push(`unmanaged CT ${u.vmid} was touched`);
  }
  check("5 no unaccounted container; unmanaged ones untouched", all.length, v5);

  // 6. Every request reached a terminal or steady state.
  const stuck = await sql`select id, status from servers where status in ('pending','provisioning','deleting','starting','stopping')`;
  check("6 nothing stuck in a transitional status", servers.length, stuck.map((r) => `${r.id} stuck ${r.status}`));

  // 7. No result applied under a stale fencing token (from the event log).
  const events = await sql`select operation_id, type, data->>'token' as token from events
    where type in ('op.leased','op.completed','op.failed','op.retry_queued') and operation_id is not null order by id`;
  const current = new Map<string, string>();
  const v7: string[] = [];
  for (const e of events) {
    if (e.type === "op.leased") current.set(e.operation_id, e.token);
    else if (e.token !== null && current.get(e.operation_id) !== e.token) v7.push(`${e.type} of ${e.operation_id} under token ${e.token}, current ${current.get(e.operation_id)}`);
  }
  check("7 no result applied with a stale fencing token", events.length, v7);

  // 8. Convergence: every server reached its desired state, or failed with a reason an operator can act on;
  //    none is held in `deleting` (a failed destroy must be reported and re-driven, not left).
  const unconverged = await sql`
    select id, status, desired_state, failure_reason from servers
    where not (
      (desired_state = 'deleted' and status = 'deleted')
      or (desired_state <> 'deleted' and status = case desired_state when 'running' then 'running' else 'stopped' end)
      or (desired_state <> 'deleted' and status = 'failed' and coalesce(failure_reason, '') <> ''))`;
  check(
    "8 every server converged: desired state reached, or failed with a reason",
    servers.length,
    unconverged.map((r) => `${r.id} wants ${r.desired_state} but is ${r.status}${r.failure_reason ? ` (${r.failure_reason})` : ""}`),
  );

  // 9. Changes: a running server's placed files are exactly one of its manifests (the applied one, or the
  //    previous one), never a mix; no change is left in progress.
  const placedRows = await sql`select id, host_id, vmid, manifest, previous_manifest, change_status from servers where status = 'running'`;
  const v9: string[] = [];
  for (const s of placedRows) {
    if (s.change_status === "resolving" || s.change_status === "applying") v9.push(`${s.id} has a change still ${s.change_status}`);
    const host = cluster.hosts.find((h) => h.id === s.host_id);
    // Read as the customer's tree deserves: no link followed, no FIFO opened.
    const record = host ? await readGuestFile(join(host.simRoot, String(s.vmid), "rootfs"), "srv/minecraft/.zlh/manifest.json") : null;
    let placed: { manifestHash: string } | null = null;
    try {
      placed = record ? (JSON.parse(record) as { manifestHash: string }) : null;
    } catch {
      placed = null;
    }
    const known = [s.manifest, s.previous_manifest].filter(Boolean).map((m) => manifestHash(m as Manifest));
    const server = s as never;
    if (!placed) await unless(v9, server, `${s.id} has no placement record`);
    else if (!known.includes(placed.manifestHash)) await unless(v9, server, `${s.id} has files of manifest ${String(placed.manifestHash).slice(0, 12)}, none of its own`);
    else if (placed.manifestHash !== known[0]) await unless(v9, server, `${s.id} runs its previous manifest while the applied one is another`);
  }
  check("9 a running server's files are its applied manifest; no change left in progress", placedRows.length, v9);

  // 10. Backups: every one reported completed is on its host and verifies (size and sha256).
  const completed = await sql`select b.id, b.server_id, b.host_id, b.size_bytes::text as size_bytes, b.sha256 from backups b where b.status = 'completed' and b.deleted_at is null`;
  const v10: string[] = [];
  for (const b of completed) {
    const host = cluster.hosts.find((h) => h.id === b.host_id);
    const bytes = host ? await readFile(join(host.backupDir, b.server_id, `${b.id}.tar.gz`)).catch(() => null) : null;
    if (!bytes) v10.push(`backup ${b.id} is reported completed but its archive is missing`);
    else if (String(bytes.length) !== b.size_bytes || createHash("sha256").update(bytes).digest("hex") !== b.sha256) v10.push(`backup ${b.id} does not verify`);
  }
  const unfinished = await sql`select count(*)::int as n from backups where status in ('pending', 'running')`;
  if (unfinished[0]!.n > 0) v10.push(`${unfinished[0]!.n} backups still pending or running`);
  check("10 every completed backup is on its host and verifies; none left unfinished", completed.length, v10);
  return checks;
}
