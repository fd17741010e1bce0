import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, recordObservedAddress, type Database } from "../src/index";
import { seedHost, seedServer } from "./support/seed";

/**
 * An address the agent observed in a container (a DHCP host's) was read from
 * a network namespace the customer's root owns: one that another live server
 * of the host holds is never recorded for this one (it would take over the
 * other's edge records and route), and the refusal is an event.
 */
describe("an observed address", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  const op = async (serverId: string, hostId: string) =>
    (await database.sql`insert into operations (server_id, host_id, generation, kind, vmid) select ${serverId}, ${hostId}, 1, 'provision', vmid from servers where id = ${serverId} returning id`)[0]!.id as string;

  it("is recorded once, and refused for a second server of the host that claims it", async () => {
    const hostId = await seedHost(database.sql, "dhcp-host");
    const a = await seedServer(database, hostId);
    const b = await seedServer(database, hostId);
    expect(await recordObservedAddress(database.db, a.id, await op(a.id, hostId), "192.168.5.23")).toBe(true);
    const claim = await op(b.id, hostId);
    expect(await recordObservedAddress(database.db, b.id, claim, "192.168.5.23")).toBe(false);
    const rows = await database.sql`select id, host(address) as address from servers where id in (${a.id}, ${b.id})`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.address]))).toEqual({ [a.id]: "192.168.5.23", [b.id]: null });
    expect(await database.sql`select data from events where operation_id = ${claim} and type = 'server.address_refused'`).toEqual([
      { data: { address: "192.168.5.23", reason: "another server of this host holds it" } },
    ]);
    // Once the holder is deleted, the address is free to observe again.
    await database.sql`update servers set status = 'deleted' where id = ${a.id}`;
    expect(await recordObservedAddress(database.db, b.id, claim, "192.168.5.23")).toBe(true);
  });
});
