import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { ServerType } from "@zlh/domain";
import type { ServerRow } from "../rows";

/** A server's settings a change (PATCH) may set. */
export interface ServerSettings {
  type: ServerType;
  minecraftVersion: string;
  loaderVersion: string | null;
  mods: unknown;
  /** The modpack (servers.modpack), null for none. */
  modpack?: unknown;
  serverProperties: unknown;
  memoryMiB: number;
  cpuCores: number;
  diskGiB: number;
}

export async function findChangeByKey(tx: DbOrTx, callerId: string, key: string): Promise<{ server_id: string; request_hash: string } | null> {
  const [row] = await tx.execute<{ server_id: string; request_hash: string }>(
    sql`select server_id, request_hash from server_changes where caller_id = ${callerId} and idempotency_key = ${key}`,
  );
  return row ?? null;
}

/**
 * Where a change is recorded, in one statement: the host's allocation moves
 * by the difference (only if it still fits: otherwise nothing is written and
 * null comes back), the server takes the new settings as a new generation
 * (change_generation), keeping the old ones in previous_config for a
 * rollback, and a `server.change_requested` event lists what changed. With
 * `needsManifest` the new manifest is resolved first (status `resolving`);
 * otherwise the applied one is placed again with the new settings.
 */
export async function recordChange(
  tx: DbOrTx,
  c: { serverId: string; callerId: string; idempotencyKey: string; requestHash: string; to: ServerSettings; needsManifest: boolean; changes: Record<string, unknown> },
): Promise<ServerRow | null> {
  const t = c.to;
  const rows = await tx.execute<ServerRow>(sql`
    with cur as (
      select * from servers where id = ${c.serverId} for update
    ), cap as (
      update hosts h set
        allocated_memory_mib = h.allocated_memory_mib + (${t.memoryMiB} - cur.memory_mib),
        allocated_cpu_cores = h.allocated_cpu_cores + (${t.cpuCores} - cur.cpu_cores),
        allocated_disk_gib = h.allocated_disk_gib + (${t.diskGiB} - cur.disk_gib)
      from cur
      where h.id = cur.host_id
        and h.allocated_memory_mib + (${t.memoryMiB} - cur.memory_mib) <= h.memory_mib
        and h.allocated_cpu_cores + (${t.cpuCores} - cur.cpu_cores) <= h.cpu_cores
        and h.allocated_disk_gib + (${t.diskGiB} - cur.disk_gib) <= h.disk_gib
      returning h.id
    ), changed as (
      update servers s set
        server_type = ${t.type}, minecraft_version = ${t.minecraftVersion}, loader_version = ${t.loaderVersion},
        mods = ${JSON.stringify(t.mods)}::jsonb, modpack = nullif(${JSON.stringify(t.modpack ?? null)}::jsonb, 'null'::jsonb), server_properties = ${JSON.stringify(t.serverProperties)}::jsonb,
        memory_mib = ${t.memoryMiB}, cpu_cores = ${t.cpuCores}, disk_gib = ${t.diskGiB},
        generation = s.generation + 1, change_generation = s.generation + 1,
        change_status = case when ${c.needsManifest}::boolean then 'resolving' else 'applying' end, change_reason = null,
        requested_manifest = case when ${c.needsManifest}::boolean then null else s.manifest end,
        requested_manifest_hash = case when ${c.needsManifest}::boolean then null else s.manifest_hash end,
        previous_config = jsonb_build_object(
          'type', cur.server_type, 'minecraftVersion', cur.minecraft_version, 'loaderVersion', cur.loader_version, 'mods', cur.mods, 'modpack', cur.modpack,
          'serverProperties', cur.server_properties, 'memoryMiB', cur.memory_mib, 'cpuCores', cur.cpu_cores, 'diskGiB', cur.disk_gib),
        updated_at = now()
      from cur, cap
      where s.id = cur.id
      returning s.*
    ), recorded as (
      insert into server_changes (server_id, caller_id, idempotency_key, request_hash, generation, changes, status)
      select id, ${c.callerId}, ${c.idempotencyKey}, ${c.requestHash}, generation, ${JSON.stringify(c.changes)}::jsonb, change_status from changed
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.change_requested', jsonb_build_object('generation', generation, 'changes', ${JSON.stringify(c.changes)}::jsonb) from changed
    )
    select * from changed`);
  return rows[0] ?? null;
}

/** A change's resolved manifest: the change can now be applied. False if the change is no longer the current one. */
export async function storeRequestedManifest(tx: DbOrTx, serverId: string, generation: number, manifest: unknown, manifestHash: string): Promise<boolean> {
  const rows = await tx.execute<{ id: string }>(sql`
    with stored as (
      update servers set requested_manifest = ${JSON.stringify(manifest)}::jsonb, requested_manifest_hash = ${manifestHash}, change_status = 'applying', updated_at = now()
      where id = ${serverId} and change_generation = ${generation} and change_status = 'resolving'
      returning id, host_id
    ), history as (
      update server_changes c set status = 'applying' from stored where c.server_id = stored.id and c.generation = ${generation}
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.change_resolved', jsonb_build_object('generation', ${generation}::int, 'manifestHash', ${manifestHash}::text) from stored
    )
    select id from stored`);
  return rows.length > 0;
}

/**
 * Where a change ends, in one statement. `applied`: the requested manifest
 * becomes the applied one (the old one kept as previous_manifest).
 * `rolled_back` / `failed`: the settings go back to previous_config (the
 * disk excepted: a grown disk cannot shrink, so its size stays), and the
 * host's allocation with them, if it still fits: a shrink's freed memory or
 * cores may have gone to another server since, and the host is never
 * over-committed. Then the memory and cores stay at the changed size (the
 * rest is restored), the reason says so and a `server.change_resources_kept`
 * event records both sizes; the next provision of the server (a change, a
 * reinstall) sets what the database holds. Only the current change (its
 * generation, still in progress) ends; returns whether it did. Its
 * server_changes row keeps how it ended (the history); the server shows only
 * a change in progress.
 */
export async function endChange(
  tx: DbOrTx,
  serverId: string,
  generation: number,
  outcome: "applied" | "rolled_back" | "failed",
  reason: string | null,
): Promise<boolean> {
  const revert = outcome !== "applied";
  const rows = await tx.execute<{ id: string }>(sql`
    with cur as (
      select * from servers
      where id = ${serverId} and change_generation = ${generation} and change_status in ('resolving', 'applying')
      for update
    ), want as (
      select cur.id, cur.host_id,
        case when ${revert}::boolean then (cur.previous_config->>'memoryMiB')::int else cur.memory_mib end as memory_mib,
        case when ${revert}::boolean then (cur.previous_config->>'cpuCores')::int else cur.cpu_cores end as cpu_cores
      from cur
    ), host as (
      -- The condition is re-checked on the host row's latest version once its lock is had.
      update hosts h set
        allocated_memory_mib = h.allocated_memory_mib + (want.memory_mib - cur.memory_mib),
        allocated_cpu_cores = h.allocated_cpu_cores + (want.cpu_cores - cur.cpu_cores)
      from want, cur where h.id = want.host_id and ${revert}::boolean
        and h.allocated_memory_mib + (want.memory_mib - cur.memory_mib) <= h.memory_mib
        and h.allocated_cpu_cores + (want.cpu_cores - cur.cpu_cores) <= h.cpu_cores
      returning h.id
    ), back as (
      select want.id, want.host_id,
        (not ${revert}::boolean or exists (select 1 from host)) as fits,
        case when not ${revert}::boolean or exists (select 1 from host) then want.memory_mib else cur.memory_mib end as memory_mib,
        case when not ${revert}::boolean or exists (select 1 from host) then want.cpu_cores else cur.cpu_cores end as cpu_cores,
        want.memory_mib as previous_memory_mib, want.cpu_cores as previous_cpu_cores
      from want, cur
    ), ended as (
      update servers s set
        manifest = case when ${revert}::boolean then s.manifest else coalesce(s.requested_manifest, s.manifest) end,
        manifest_hash = case when ${revert}::boolean then s.manifest_hash when s.requested_manifest is not null then s.requested_manifest_hash else s.manifest_hash end,
        previous_manifest = case when ${revert}::boolean then s.previous_manifest else s.manifest end,
        previous_manifest_hash = case when ${revert}::boolean then s.previous_manifest_hash else s.manifest_hash end,
        requested_manifest = null,
        requested_manifest_hash = null,
        change_status = ${outcome},
        change_reason = case when back.fits then ${reason}::text
          else concat_ws('; ', ${reason}::text, format('memory and cores kept at %s MiB / %s: the host no longer has room for the previous %s MiB / %s',
            back.memory_mib, back.cpu_cores, back.previous_memory_mib, back.previous_cpu_cores)) end,
        -- A change recorded before types existed kept no type: the server was (and stays) what it is.
        server_type = case when ${revert}::boolean then coalesce(cur.previous_config->>'type', s.server_type) else s.server_type end,
        minecraft_version = case when ${revert}::boolean then cur.previous_config->>'minecraftVersion' else s.minecraft_version end,
        loader_version = case when ${revert}::boolean then cur.previous_config->>'loaderVersion' else s.loader_version end,
        mods = case when ${revert}::boolean then cur.previous_config->'mods' else s.mods end,
        modpack = case when ${revert}::boolean then nullif(cur.previous_config->'modpack', 'null'::jsonb) else s.modpack end,
        server_properties = case when ${revert}::boolean then cur.previous_config->'serverProperties' else s.server_properties end,
        memory_mib = back.memory_mib, cpu_cores = back.cpu_cores,
        updated_at = now()
      from cur, back where s.id = cur.id
      returning s.id, s.host_id, s.change_reason, back.fits, back.memory_mib as kept_memory_mib, back.cpu_cores as kept_cpu_cores,
        back.previous_memory_mib, back.previous_cpu_cores
    ), history as (
      update server_changes c set status = ${outcome}, reason = ended.change_reason, ended_at = now()
      from ended where c.server_id = ended.id and c.generation = ${generation}
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.change_' || ${outcome}::text,
        jsonb_build_object('generation', ${generation}::int) || case when change_reason is null then '{}'::jsonb else jsonb_build_object('reason', change_reason) end
      from ended
      union all
      select id, host_id, 'server.change_resources_kept', jsonb_build_object('generation', ${generation}::int,
        'kept', jsonb_build_object('memoryMiB', kept_memory_mib, 'cpuCores', kept_cpu_cores),
        'previous', jsonb_build_object('memoryMiB', previous_memory_mib, 'cpuCores', previous_cpu_cores))
      from ended where not fits
    )
    select id from ended`);
  return rows.length > 0;
}

export type ChangeRow = {
  generation: number;
  status: "resolving" | "applying" | "applied" | "rolled_back" | "failed";
  reason: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  created_at: string;
  ended_at: string | null;
};

/**
 * A server's changes, newest first (by generation), a page at a time: `limit + 1` rows tell whether more follow.
 * A row without a status was written by a release before the history (during an upgrade): the server's own
 * change fields tell where its current change is, and an ended one's event how it ended.
 */
export async function listChanges(db: DbOrTx, serverId: string, page: { beforeGeneration?: number; limit: number }): Promise<ChangeRow[]> {
  return db.execute<ChangeRow>(sql`
    select c.generation,
      coalesce(c.status, case when c.generation = s.change_generation then s.change_status end, substr(e.type, 15), 'failed') as status,
      case when c.status is not null then c.reason when c.generation = s.change_generation then s.change_reason
        when e.type is null then 'how this change ended was not recorded' else e.data->>'reason' end as reason,
      c.changes, c.created_at, coalesce(c.ended_at, e.at) as ended_at
    from server_changes c
    join servers s on s.id = c.server_id
    left join lateral (
      select type, data, at from events
      where c.status is null and server_id = c.server_id and type in ('server.change_applied', 'server.change_rolled_back', 'server.change_failed')
        and (data->>'generation')::int = c.generation
      order by id desc limit 1
    ) e on true
    where c.server_id = ${serverId} and (${page.beforeGeneration ?? null}::int is null or c.generation < ${page.beforeGeneration ?? null}::int)
    order by c.generation desc
    limit ${page.limit}`);
}
