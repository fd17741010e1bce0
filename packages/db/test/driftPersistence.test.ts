import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, recordDriftPass, type Database, type ObservedDrift } from "../src/index";

/**
 * "Persistent" drift (the only drift policies act on) means two distinct
 * observations of the server as it is now. Regression: with a 1 s
 * reconciliation interval, two passes read the same inventory (sent before a
 * container was created) and counted it twice, failing a healthy server.
 */
describe("recordDriftPass: persistence counts distinct observations", () => {
  let database: Database;
  let hostId: string;
  const T0 = new Date("2026-11-27T10:00:00Z");
  const T1 = new Date("2026-11-27T10:00:05Z");
  const T2 = new Date("2026-11-27T10:00:10Z");
  const missing = (vmid: number, observedAt: Date, since: Date | null = T0): ObservedDrift => ({
    kind: "missing_container", vmid, serverId: null, detail: { status: "running" }, observedAt, since,
  });
  const persistent = (rows: { vmid: number; persistent: boolean }[], vmid: number) => rows.find((r) => r.vmid === vmid)?.persistent;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 4 });
    [{ id: hostId }] = await database.sql`insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib) values ('h', 'pve1', 'x', 1, 1, 1) returning id`;
  });
  afterAll(() => database.close());

  it("the same evidence read by two passes is one observation; newer evidence makes it persistent", async () => {
    expect(persistent(await recordDriftPass(database.db, hostId, [missing(1, T1)]), 1)).toBe(false);
    expect(persistent(await recordDriftPass(database.db, hostId, [missing(1, T1)]), 1)).toBe(false);
    expect(persistent(await recordDriftPass(database.db, hostId, [missing(1, T2)]), 1)).toBe(true);
  });

  it("an item is opened by one pass only: passes over the same evidence before it is persistent do not open it again", async () => {
    const opened = (rows: { vmid: number; opened: boolean }[]) => rows.find((r) => r.vmid === 2)?.opened;
    expect(opened(await recordDriftPass(database.db, hostId, [missing(2, T1)]))).toBe(true);
    expect(opened(await recordDriftPass(database.db, hostId, [missing(2, T1)]))).toBe(false);
    expect(opened(await recordDriftPass(database.db, hostId, [missing(2, T2)]))).toBe(false);
    // Resolved (not observed), then seen again: a new item, opened again.
    await recordDriftPass(database.db, hostId, []);
    expect(opened(await recordDriftPass(database.db, hostId, [missing(2, new Date(T2.getTime() + 1000))]))).toBe(true);
  });

  it("two concurrent passes over the same evidence cannot make each other persistent", async () => {
    for (let vmid = 10; vmid < 30; vmid++) {
      const [a, b] = await Promise.all([
        database.db.transaction((tx) => recordDriftPass(tx, hostId, [missing(vmid, T1)])),
        database.db.transaction((tx) => recordDriftPass(tx, hostId, [missing(vmid, T1)])),
      ]);
      expect([persistent(a, vmid), persistent(b, vmid)]).not.toContain(true);
    }
  });

  it("an observation taken before the server's last status change does not count", async () => {
    expect(persistent(await recordDriftPass(database.db, hostId, [missing(40, T1)]), 40)).toBe(false);
    // The server changed status at T1 (say, it was started again): T1's observation is history.
    expect(persistent(await recordDriftPass(database.db, hostId, [missing(40, T2, T1)]), 40)).toBe(false);
    expect(persistent(await recordDriftPass(database.db, hostId, [missing(40, new Date(T2.getTime() + 5000), T1)]), 40)).toBe(true);
  });
});
