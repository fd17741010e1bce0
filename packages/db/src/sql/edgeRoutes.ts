import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import { inList } from "./statusLists";

/** Servers whose game is up (the agent saw it answer): the only ones a proxy should route players to. */
const ROUTABLE_STATUSES = ["running"] as const;

export type RoutableServer = {
  id: string;
  seq: string;
  vmid: number;
  game_port: number;
  address: string;
};

/**
 * Every routable server with a known address, in creation order (what
 * decides which of two servers with one game port on different hosts gets
 * a proxy's entry point): the Traefik endpoint's whole input.
 */
export async function listRoutableServers(db: DbOrTx): Promise<RoutableServer[]> {
  return db.execute<RoutableServer>(sql`
    select id, seq, vmid, game_port, host(address) as address from servers
    where status in (${inList(ROUTABLE_STATUSES)}) and address is not null
    order by seq`);
}
