import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";

/** Installs and files looked at per sweep run: a backlog is worked through an hour at a time, never in one unbounded pass. */
const SWEEP_BATCH = 1000;

/** A live server's manifest (current, asked for, or one it could roll back to) or its settings name this NeoForge build. */
const usedByLiveServer = (game: ReturnType<typeof sql>, version: ReturnType<typeof sql>) => sql`exists (
  select 1 from servers s where s.status <> 'deleted' and (
    (s.server_type = 'neoforge' and s.minecraft_version = ${game} and s.loader_version = ${version})
    or (s.manifest->>'type' = 'neoforge' and s.manifest->>'game' = ${game} and s.manifest->>'loader' = ${version})
    or (s.requested_manifest->>'type' = 'neoforge' and s.requested_manifest->>'game' = ${game} and s.requested_manifest->>'loader' = ${version})
    or (s.previous_manifest->>'type' = 'neoforge' and s.previous_manifest->>'game' = ${game} and s.previous_manifest->>'loader' = ${version})))`;

/** A live server's manifest places this installer-made file (the agent route's own rule). */
const fileUsedByLiveServer = (sha512: ReturnType<typeof sql>) => sql`exists (
  select 1 from servers s, lateral (select jsonb_build_array(jsonb_build_object('sha512', ${sha512}, 'kind', 'installed')) as wanted) w
  where s.status <> 'deleted' and (s.manifest->'files' @> w.wanted or s.requested_manifest->'files' @> w.wanted or s.previous_manifest->'files' @> w.wanted))`;

/**
 * Marks the install of (game, version) as just used by a resolution about
 * to pin a manifest from it, so the sweep keeps it (and its files) for the
 * retention from now, and answers the files it lists as renewed (those are
 * what the manifest must pin: a build swept and installed again between a
 * read and this may have made other bytes). Null when it is no longer
 * stored: the sweep removed it after it was read, and the resolution must
 * install it again. Row locks order this against the sweep's delete:
 * whichever commits second sees the other (a delete that waited re-checks
 * `used_at` and keeps it).
 */
export async function renewNeoforgeInstall<F>(tx: DbOrTx, game: string, version: string): Promise<{ installerSha512: string; files: F[] } | null> {
  const [row] = await tx.execute<{ installer_sha512: string; files: F[] }>(
    sql`update neoforge_installs set used_at = now() where game = ${game} and neoforge_version = ${version} returning installer_sha512, files`,
  );
  return row ? { installerSha512: row.installer_sha512, files: row.files } : null;
}

/**
 * Removes what no one needs once unused for `retentionMs`: each NeoForge
 * install no live server uses (its manifests or its pinned build) and no
 * resolution has renewed since, in a transaction of its own and only when
 * no install of that build is running (its advisory lock is free); then
 * installer-made files no remaining install lists and no live server
 * places, unless an install recorded them since (its upsert renews
 * `used_at` and holds the row until it commits, so the delete waits and
 * then keeps it); then customers' new-build claims older than a day.
 * Answers how many of each went.
 */
export async function removeUnusedNeoforgeInstalls(db: Db, retentionMs: number): Promise<{ installs: number; files: number; claims: number }> {
  const before = sql`now() - make_interval(secs => ${retentionMs / 1000})`;
  const candidates = await db.execute<{ game: string; neoforge_version: string }>(
    sql`select game, neoforge_version from neoforge_installs where used_at < ${before} order by used_at limit ${SWEEP_BATCH}`,
  );
  let installs = 0;
  for (const c of candidates) {
    await db.transaction(async (tx) => {
      // The lock NeoForge's install of this build holds while it runs (apps/control-plane/src/neoforge/install.ts).
      const [free] = await tx.execute<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(hashtextextended(${`zlh:neoforge:${c.game}:${c.neoforge_version}`}, 0)) as ok`);
      if (!free?.ok) return; // being installed right now: it is not unused
      installs += (
        await tx.execute(sql`
        delete from neoforge_installs i where i.game = ${c.game} and i.neoforge_version = ${c.neoforge_version} and i.used_at < ${before}
          and not ${usedByLiveServer(sql`i.game`, sql`i.neoforge_version`)}
        returning 1`)
      ).length;
    });
  }
  const files = await db.execute(sql`
    delete from neoforge_files f where f.sha512 in (
      select g.sha512 from neoforge_files g where g.used_at < ${before}
        and not exists (select 1 from neoforge_installs i where i.files @> jsonb_build_array(jsonb_build_object('sha512', g.sha512)))
        and not ${fileUsedByLiveServer(sql`g.sha512`)}
      limit ${SWEEP_BATCH})
      and f.used_at < ${before}
    returning 1`);
  const claims = await db.execute(sql`delete from neoforge_build_claims where claimed_at < now() - interval '1 day' returning 1`);
  return { installs, files: files.length, claims: claims.length };
}
