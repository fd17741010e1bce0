import { sql } from "drizzle-orm";
import type { DbOrTx } from "@zlh/db";
import { RateLimitedError, type ServerType } from "@zlh/domain";

/** The window the per-customer count of new builds is over. */
const WINDOW_S = 86_400;

/**
 * The bound on customer-driven NeoForge installs (each a JVM run of minutes
 * on the control plane): a create or change that pins a NeoForge build not
 * installed yet claims it for its customer (neoforge_build_claims), and a
 * customer holds at most `perDay` such claims in any 24 hours. Past it:
 * RateLimitedError (429 rate_limited) with the seconds until the oldest
 * claim ends, thrown inside the caller's transaction so nothing is
 * written. A build already installed, asked for again, or not pinned (the
 * newest one, shared by every customer of that game) claims nothing.
 * Concurrent requests of one customer serialise on an advisory lock.
 */
export async function claimNewNeoforgeBuild(
  tx: DbOrTx,
  /** `modpack`: the build is a pack's (its `dependencies.neoforge`), which the request cannot leave out. */
  s: { customerId: string; type: ServerType; minecraftVersion: string; loaderVersion: string | null; modpack?: unknown },
  perDay: number,
): Promise<void> {
  if (s.type !== "neoforge" || s.loaderVersion === null) return;
  const version = s.loaderVersion;
  const [installed] = await tx.execute(sql`select 1 from neoforge_installs where game = ${s.minecraftVersion} and neoforge_version = ${version}`);
  if (installed) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`zlh:neoforge-builds:${s.customerId}`}, 0))`);
  const window = sql`now() - make_interval(secs => ${WINDOW_S})`;
  const [held] = await tx.execute(sql`
    select 1 from neoforge_build_claims where customer_id = ${s.customerId} and game = ${s.minecraftVersion} and neoforge_version = ${version} and claimed_at > ${window}`);
  if (held) return;
  const [open] = await tx.execute<{ n: number; wait_s: number | null }>(sql`
    select count(*)::int as n, ceil(extract(epoch from min(claimed_at) + make_interval(secs => ${WINDOW_S}) - now()))::int as wait_s
    from neoforge_build_claims where customer_id = ${s.customerId} and claimed_at > ${window}`);
  const refused = `NeoForge ${version} for Minecraft ${s.minecraftVersion} is not installed yet, and`;
  const otherwise = s.modpack ? "choose a pack whose NeoForge build is installed already" : "pick a build already installed, or leave loaderVersion out for the newest";
  // At 0 waiting never helps: no Retry-After, so a client that honours it does not come back in a day for the same refusal.
  if (perDay === 0) throw new RateLimitedError(`${refused} customers may pin only builds already installed here (ZLH_NEOFORGE_NEW_BUILDS_PER_DAY is 0); ${otherwise}.`);
  if (open!.n >= perDay) {
    const retryAfterS = Math.max(1, open!.wait_s ?? WINDOW_S);
    throw new RateLimitedError(`${refused} this customer has asked for ${open!.n} new NeoForge builds in the last 24 hours (at most ${perDay}); retry in ${retryAfterS} s, or ${otherwise}.`, { retryAfterS });
  }
  await tx.execute(sql`
    insert into neoforge_build_claims (customer_id, game, neoforge_version) values (${s.customerId}, ${s.minecraftVersion}, ${version})
    on conflict (customer_id, game, neoforge_version) do update set claimed_at = now()`);
}
