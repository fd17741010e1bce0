import { sql } from "drizzle-orm";

/**
 * A pack some live (not deleted) server runs, asks for or could roll back
 * to, of `customer` when given: `sha512` and `customer` are SQL expressions.
 * What the sweep keeps, what a customer's list shows as in use, and what a
 * delete refuses to remove.
 */
export const usedByLiveServer = (sha512: ReturnType<typeof sql>, customer?: ReturnType<typeof sql>) => sql`exists (
  select 1 from servers s where s.status <> 'deleted' ${customer ? sql`and s.customer_id = ${customer}` : sql``} and ${sha512} in (
    s.modpack->>'sha512', s.manifest->'modpack'->>'sha512', s.requested_manifest->'modpack'->>'sha512', s.previous_manifest->'modpack'->>'sha512'))`;
