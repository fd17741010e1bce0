import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, insertPlacedServer, type Database } from "../src/index";

/**
 * The ports a new server gets on its host: the two lowest free ones of the
 * range, found from the ports in use (a few probes per server on the host),
 * gaps left by destroyed servers included.
 */
describe("insertPlacedServer: ports per host", () => {
  let database: Database;
  let hostId: string;
  let n = 0;
  const range = { first: 30000, last: 30009 };

  const place = async () => {
    n++;
    const id = crypto.randomUUID();
    const row = await insertPlacedServer(
      database.db,
      {
        id, callerId: "t", idempotencyKey: `k${n}`, requestHash: "h", customerId: "c", name: `s${n}`,
        type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB: 1, cpuCores: 1, diskGiB: 1, vmid: 9000 + n,
      },
      hostId,
      range,
      false,
    );
    return row && { id, ports: [row.game_port, row.rcon_port] };
  };
  const release = (serverId: string) => database.sql`delete from host_ports where server_id = ${serverId}`;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    [{ id: hostId }] = await database.sql`insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib) values ('h', 'pve1', 'x', 100, 100, 100) returning id`;
  });
  afterAll(() => database.close());

  it("takes the lowest two, refills the gaps destroys leave, and refuses when fewer than two are left", async () => {
    const a = (await place())!;
    const b = (await place())!;
    const c = (await place())!;
    expect([a.ports, b.ports, c.ports]).toEqual([[30000, 30001], [30002, 30003], [30004, 30005]]);
    // Gaps: 30000-30001 (a) and 30004-30005 (c) freed; b keeps 30002-30003.
    await release(a.id);
    await release(c.id);
    expect((await place())!.ports).toEqual([30000, 30001]);
    // One free port below a used one, the next after it: 30004 and 30005.
    const d = (await place())!;
    expect(d.ports).toEqual([30004, 30005]);
    await release(b.id); // 30002, 30003 free again, split around nothing
    await database.sql`insert into host_ports (host_id, port, server_id) select ${hostId}, 30003, server_id from host_ports where port = 30004 and host_id = ${hostId}`;
    expect((await place())!.ports).toEqual([30002, 30006]); // 30003 is taken: the neighbour of the first free is not always free
    expect((await place())!.ports).toEqual([30007, 30008]);
    expect(await place()).toBeNull(); // only 30009 left
    const [{ count }] = await database.sql`select count(*)::int as count from servers where host_id = ${hostId}`;
    expect(count).toBe(7); // rows stay; the refused one wrote nothing
  });
});
