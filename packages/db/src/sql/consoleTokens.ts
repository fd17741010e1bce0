import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export type ConsoleTokenRow = { id: string; server_id: string; client_name: string; created_at: string; expires_at: string; revoked_at: string | null };

const columns = sql`id, server_id, client_name, created_at, expires_at, revoked_at`;

/** Stores a new console token (its hash) for one server, living `ttlMs`. */
export async function createConsoleToken(
  db: DbOrTx,
  t: { serverId: string; clientName: string; tokenHash: string; parentTokenHash: string | null; ttlMs: number },
): Promise<ConsoleTokenRow> {
  const [row] = await db.execute<ConsoleTokenRow>(sql`
    insert into console_tokens (server_id, client_name, token_hash, parent_token_hash, expires_at)
    values (${t.serverId}, ${t.clientName}, ${t.tokenHash}, ${t.parentTokenHash}, now() + make_interval(secs => ${t.ttlMs / 1000}))
    returning ${columns}`);
  return row!;
}

/** Revokes one live console token of the server; null if there is none by that id. */
export async function revokeConsoleToken(db: DbOrTx, serverId: string, id: string): Promise<ConsoleTokenRow | null> {
  const [row] = await db.execute<ConsoleTokenRow>(sql`
    update console_tokens set revoked_at = now() where id = ${id} and server_id = ${serverId} and revoked_at is null
    returning ${columns}`);
  return row ?? null;
}

export type ConsoleGrant = { id: string; serverId: string; clientName: string; expiresAt: string; live: boolean };

/**
 * The console token with this hash, whether it still opens its console
 * (`live`): not revoked, not expired, its server not deleted, and the
 * database API token that asked for it (if one did) neither revoked nor
 * removed. Null for a hash that was never a console token.
 */
export async function findConsoleGrant(db: DbOrTx, tokenHash: string): Promise<ConsoleGrant | null> {
  const [row] = await db.execute<ConsoleGrant>(sql`
    select c.id, c.server_id as "serverId", c.client_name as "clientName", c.expires_at as "expiresAt",
      (c.revoked_at is null and c.expires_at > now() and s.status not in ('deleting', 'deleted')
        and (c.parent_token_hash is null or exists (select 1 from api_tokens a where a.token_hash = c.parent_token_hash and a.revoked_at is null))) as live
    from console_tokens c join servers s on s.id = c.server_id
    where c.token_hash = ${tokenHash}`);
  return row ?? null;
}
