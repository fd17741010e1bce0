import { sql, type SQL } from "drizzle-orm";

/**
 * Lists as one parameter. drizzle expands a JS array inside `sql` into a
 * comma-separated list of parameters (and `()` when empty, a syntax error), so
 * arrays and row sets travel as a single JSON parameter instead.
 */
export function uuidArray(ids: readonly string[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`;
}

/** (opId, token) pairs as a relation `h(op_id uuid, token bigint)`. */
export function leasePairs(held: readonly { opId: string; token: string }[]): SQL {
  return sql`jsonb_to_recordset(${JSON.stringify(held.map((h) => ({ op_id: h.opId, token: h.token })))}::jsonb) as h(op_id uuid, token bigint)`;
}
