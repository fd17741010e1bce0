import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import { leasePairs } from "./params";

export const SESSION_CHANNEL = "zlh_session";

export type HostIdentity = {
  id: string;
  name: string;
};

/** The token is the host's current one, or the one a rotation replaced while its grace lasts. */
const acceptsToken = (tokenHash: string) =>
  sql`(agent_token_hash = ${tokenHash} or (previous_agent_token_hash = ${tokenHash} and previous_agent_token_expires_at > now()))`;

/** The enrolled, non-revoked host whose agent token (current, or previous within its grace) hashes to `tokenHash`. */
export async function findHostByTokenHash(db: DbOrTx, tokenHash: string): Promise<HostIdentity | null> {
  const rows = await db.execute<HostIdentity>(sql`select id, name from hosts where ${acceptsToken(tokenHash)} and revoked_at is null`);
  return rows[0] ?? null;
}

/**
 * Ends the grace of previous agent tokens whose time is up: clears them (no
 * new connection with one is accepted) and tells every control-plane process,
 * through the session channel (`<hostId>:token_expired:<hash>`), to close the
 * sessions still using one. Returns the hosts whose previous token ended.
 */
export async function expirePreviousAgentTokens(db: DbOrTx): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    with old as (
      select id, previous_agent_token_hash as hash from hosts
      where previous_agent_token_expires_at <= now() for update skip locked
    ), cleared as (
      update hosts set previous_agent_token_hash = null, previous_agent_token_expires_at = null from old where hosts.id = old.id returning hosts.id
    ), event as (
      insert into events (host_id, type) select id, 'host.previous_token_expired' from cleared
    )
    select old.id, pg_notify(${SESSION_CHANNEL}, old.id::text || ':token_expired:' || old.hash) from old join cleared using (id)`);
  return rows.map((r) => r.id);
}

/**
 * Makes `sessionId` the host's one live agent session, superseding any other.
 * Every control-plane process hears the NOTIFY and closes its socket for the
 * host if it holds an older session; the database refuses the old session's
 * later leases, heartbeats and reclaims regardless (they all check
 * hosts.session_id). Only while `tokenHash` is still the host's token: a
 * token rotated (or a host revoked) between the check before the upgrade and
 * this moment must not yield a session. Returns whether it started.
 */
export async function startAgentSession(db: DbOrTx, hostId: string, sessionId: string, tokenHash: string): Promise<boolean> {
  const rows = await db.execute(sql`
    with s as (
      update hosts set session_id = ${sessionId}, last_heartbeat_at = now()
      where id = ${hostId} and ${acceptsToken(tokenHash)} and revoked_at is null
      returning id
    ), event as (
      insert into events (host_id, type, data) select id, 'host.connected', jsonb_build_object('sessionId', ${sessionId}::text) from s
    )
    select pg_notify(${SESSION_CHANNEL}, ${`${hostId}:${sessionId}`}) from s`);
  return rows.length === 1;
}

/**
 * Marks the session gone if it is still the host's current one (a newer
 * session is left alone), with `host.disconnected`: only the session that was
 * current says so, so a superseded one ending says nothing.
 */
export async function endAgentSession(db: DbOrTx, hostId: string, sessionId: string): Promise<void> {
  await db.execute(sql`
    with s as (
      update hosts set session_id = null where id = ${hostId} and session_id = ${sessionId} returning id
    )
    insert into events (host_id, type, data)
    select id, 'host.disconnected', jsonb_build_object('sessionId', ${sessionId}::text) from s`);
}

/**
 * After a reconnect: the leases the agent says it holds that are still
 * current (same token, still leased, this host) move to the new session and
 * are renewed. Returns those; the agent must abandon the others.
 */
export async function reclaimLeases(
  db: DbOrTx,
  hostId: string,
  sessionId: string,
  held: { opId: string; token: string }[],
  ttlMs: number,
): Promise<{ opId: string; token: string }[]> {
  if (held.length === 0) return [];
  const rows = await db.execute<{ id: string; lease_token: string }>(sql`
    update operations o set lease_session_id = ${sessionId},
      lease_expires_at = now() + ${ttlMs} * interval '1 millisecond', updated_at = now()
    from ${leasePairs(held)},
      hosts
    where o.id = h.op_id and o.lease_token = h.token and o.status = 'leased' and o.host_id = ${hostId}
      and hosts.id = ${hostId} and hosts.session_id = ${sessionId}
    returning o.id, o.lease_token::text`);
  return rows.map((r) => ({ opId: r.id, token: r.lease_token }));
}
