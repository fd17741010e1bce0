import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { validateHostNetwork } from "@zlh/domain";
import { connectDatabase, enrollHost, insertPlacedServer, placementShortage, releaseServerResources, setHostNetwork, recordObservedAddress, type Database } from "../src/index";

/**
 * A static host's addresses: the lowest free of its range, allocated with the
 * server's row and ports, freed with its confirmed destroy, reused after; the
 * primary key of host_addresses is the uniqueness rule.
 */
describe("host addresses", () => {
  let database: Database;
  let n = 0;
  const ports = { first: 30000, last: 30999 };

  const host = async (network?: Parameters<typeof validateHostNetwork>[0]) => {
    const { id } = (await enrollHost(database.db, {
      name: `h${++n}`, node: "pve1", agentTokenHash: `x${n}`, memoryMiB: 100, cpuCores: 100, diskGiB: 100,
      network: network && validateHostNetwork(network),
    }))!;
    // insertPlacedServer places on a host claimHost already charged; these servers' capacity, charged up front.
    await database.sql`update hosts set allocated_memory_mib = 50, allocated_cpu_cores = 50, allocated_disk_gib = 50 where id = ${id}`;
    return id;
  };

  const place = async (hostId: string) => {
    n++;
    const id = crypto.randomUUID();
    const row = await insertPlacedServer(
      database.db,
      {
        id, callerId: "t", idempotencyKey: `k${n}`, requestHash: "h", customerId: "c", name: `s${n}`,
        type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB: 1, cpuCores: 1, diskGiB: 1, vmid: 9000 + n,
      },
      hostId,
      ports,
      false,
    );
    return row && { id, address: row.address };
  };
  const release = (serverId: string) => database.db.transaction((tx) => releaseServerResources(tx, serverId));
  const small = { bridge: "vmbr1", subnet: "10.60.0.0/24", gateway: "10.60.0.1", range: { first: "10.60.0.10", last: "10.60.0.12" } };

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  it("takes the lowest free address, refuses when the range is full, and reuses what a destroy gave back", async () => {
    const hostId = await host(small);
    const a = (await place(hostId))!;
    const b = (await place(hostId))!;
    const c = (await place(hostId))!;
    expect([a.address, b.address, c.address]).toEqual(["10.60.0.10", "10.60.0.11", "10.60.0.12"]);
    expect(await place(hostId)).toBeNull();
    expect(await placementShortage(database.db, hostId)).toBe("address");
    const [{ count }] = await database.sql`select count(*)::int as count from servers where host_id = ${hostId}`;
    expect(count).toBe(3); // the refused one wrote nothing

    await release(b.id);
    const [released] = await database.sql`select data from events where server_id = ${b.id} and type = 'server.resources_released'`;
    expect(released!.data.address).toBe("10.60.0.11");
    const d = (await place(hostId))!;
    expect(d.address).toBe("10.60.0.11");
    const [requested] = await database.sql`select data from events where server_id = ${d.id} and type = 'server.requested'`;
    expect(requested!.data.address).toBe("10.60.0.11");
  });

  it("allocates nothing on a dhcp host or one without network settings", async () => {
    for (const hostId of [await host({ bridge: "vmbr0" }), await host()]) {
      const a = (await place(hostId))!;
      expect(a.address).toBeNull();
      expect(await placementShortage(database.db, hostId)).toBe("port");
    }
    const [{ count }] = await database.sql`select count(*)::int as count from host_addresses ha join hosts h on h.id = ha.host_id where h.network_mode is distinct from 'static'`;
    expect(count).toBe(0);
  });

  it("the database refuses a second holder of an address and an invalid network", async () => {
    const hostId = await host(small);
    const a = (await place(hostId))!;
    await expect(database.sql`insert into host_addresses (host_id, address, server_id) values (${hostId}, '10.60.0.10', ${a.id})`).rejects.toThrow(/host_addresses_pkey|host_addresses_server_key/);
    await expect(database.sql`update hosts set network_range_last = '10.60.0.255' where id = ${hostId}`).rejects.toThrow(/hosts_network_valid/);
    await expect(database.sql`update hosts set network_gateway = '10.60.0.10' where id = ${hostId}`).rejects.toThrow(/hosts_network_valid/);
    await expect(database.sql`update hosts set network_bridge = 'vmbr1,firewall=1' where id = ${hostId}`).rejects.toThrow(/hosts_network_bridge_valid/);
    await expect(database.sql`update hosts set network_bridge = null where id = ${hostId}`).rejects.toThrow(/hosts_network_bridge_valid/);
  });

  it("a network change that would orphan a held address writes nothing; one that covers them applies", async () => {
    const hostId = await host(small);
    await place(hostId);
    await place(hostId); // holds .10 and .11
    const change = (net: Parameters<typeof validateHostNetwork>[0]) => database.db.transaction((tx) => setHostNetwork(tx, hostId, validateHostNetwork(net)));
    expect(await change({ ...small, range: { first: "10.60.0.11", last: "10.60.0.40" } })).toEqual({ held: ["10.60.0.10"] });
    expect(await change({ bridge: "vmbr0" })).toEqual({ held: ["10.60.0.10", "10.60.0.11"] });
    const [before] = await database.sql`select host(network_range_first) as first, network_mode from hosts where id = ${hostId}`;
    expect(before).toEqual({ first: "10.60.0.10", network_mode: "static" });
    const grown = await change({ ...small, range: { first: "10.60.0.10", last: "10.60.0.40" } });
    expect("host" in grown && grown.host.network_range_last).toBe("10.60.0.40");
    expect((await place(hostId))!.address).toBe("10.60.0.12");
  });

  it("an observed address is recorded where nothing was allocated, never over a static allocation", async () => {
    const dhcp = (await place(await host({ bridge: "vmbr0" })))!;
    const opId = crypto.randomUUID();
    expect(await recordObservedAddress(database.db, dhcp.id, opId, "192.168.1.50")).toBe(true);
    expect(await recordObservedAddress(database.db, dhcp.id, opId, "192.168.1.50")).toBe(false); // unchanged: no second event
    const fixed = (await place(await host(small)))!;
    expect(await recordObservedAddress(database.db, fixed.id, opId, "192.168.1.51")).toBe(false);
    const rows = await database.sql`select id, host(address) as address from servers where id in (${dhcp.id}, ${fixed.id}) order by id = ${dhcp.id} desc`;
    expect(rows.map((r) => r.address)).toEqual(["192.168.1.50", "10.60.0.10"]);
    const [{ count }] = await database.sql`select count(*)::int as count from events where type = 'server.address_observed' and server_id = ${dhcp.id}`;
    expect(count).toBe(1);
  });
});
