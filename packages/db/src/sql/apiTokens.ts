import { sql } from "drizzle-orm";
import type { ApiScope as ApiTokenScope } from "@zlh/domain";
import type { DbOrTx } from "../client";

export type ApiTokenRow = {
  id: string;
  client_name: string;
  scope: ApiTokenScope;
  /** Timestamps come back as Postgres text (execute() does not parse them). */
  created_at: string;
  revoked_at: string | null;
};

/** Stores a new token (its hash) for `clientName`, with an `api_token.created` event. */
export async function createApiToken(db: DbOrTx, clientName: string, scope: ApiTokenScope, tokenHash: string): Promise<ApiTokenRow> {
  const [row] = await db.execute<ApiTokenRow>(sql`
    with t as (
      insert into api_tokens (client_name, scope, token_hash) values (${clientName}, ${scope}, ${tokenHash})
      returning id, client_name, scope, created_at, revoked_at
    ), event as (
      insert into events (type, data) select 'api_token.created', jsonb_build_object('tokenId', id, 'client', client_name, 'scope', scope) from t
    )
    select * from t`);
  return row!;
}

export async function listApiTokens(db: DbOrTx): Promise<ApiTokenRow[]> {
  return db.execute<ApiTokenRow>(sql`select id, client_name, scope, created_at, revoked_at from api_tokens order by created_at, id`);
}

/** Revokes a token at once (the next request with it is refused); null if there is no such live token. */
export async function revokeApiToken(db: DbOrTx, id: string): Promise<ApiTokenRow | null> {
  const [row] = await db.execute<ApiTokenRow>(sql`
    with t as (
      update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null
      returning id, client_name, scope, created_at, revoked_at
    ), event as (
      insert into events (type, data) select 'api_token.revoked', jsonb_build_object('tokenId', id, 'client', client_name) from t
    )
    select * from t`);
  return row ?? null;
}

/** The client a live database token belongs to. */
export async function findApiClientByTokenHash(db: DbOrTx, tokenHash: string): Promise<{ name: string; scope: ApiTokenScope } | null> {
  const [row] = await db.execute<{ name: string; scope: ApiTokenScope }>(
    sql`select client_name as name, scope from api_tokens where token_hash = ${tokenHash} and revoked_at is null`,
  );
  return row ?? null;
}
