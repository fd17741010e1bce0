import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { applyResultIfCurrent, connectDatabase, expireLeases, type Database } from "../src/index";
import { seedHost, seedServer } from "./support/seed";

/**
 * A lease that expires says why, where a panel looks: the event's `error`, the server's `last_error` while the
 * operation is retried (cleared once it ends), the operation's error once it is out of attempts.
 */
describe("an expired lease says why", () => {
  let database: Database;
  let hostId: string;
  let serverId: string;
  let vmid: number;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    hostId = await seedHost(database.sql, "h");
    ({ id: serverId, vmid } = await seedServer(database, hostId, { status: "provisioning" }));
  });
  afterAll(() => database.close());

  /** A provision leased 40 s ago whose lease has just run out. */
  async function expiredLease(attempt: number, maxAttempts: number, token: number): Promise<string> {
    const [{ id }] = await database.sql`insert into operations (server_id, host_id, generation, kind, vmid, status, lease_token, lease_session_id, lease_expires_at, attempt, max_attempts, updated_at)
      values (${serverId}, ${hostId}, ${token}, 'provision', ${vmid}, 'leased', ${token}, gen_random_uuid(), now() - interval '1 second', ${attempt}, ${maxAttempts}, now() - interval '40 seconds') returning id`;
    return id as string;
  }

  const lastError = async () => (await database.sql`select last_error from servers where id = ${serverId}`)[0]!.last_error;

  it("requeued: the event and the server's last_error name the host, how long it held the lease and the attempt", async () => {
    const id = await expiredLease(1, 3, 1);
    expect((await expireLeases(database.db)).map((o) => o.status)).toEqual(["queued"]);
    const reason = `lease_expired: host ${hostId} sent no result within 40 s of taking the lease (attempt 1 of 3, retried)`;
    const [event] = await database.sql`select type, data from events where operation_id = ${id}`;
    expect(event).toEqual({ type: "op.lease_expired", data: { kind: "provision", token: "1", attempt: 1, maxAttempts: 3, hostId, heldMs: expect.any(Number), error: reason } });
    expect(event!.data.heldMs).toBeGreaterThanOrEqual(40_000);
    expect(await lastError()).toEqual({ code: "lease_expired", message: reason, url: null, at: expect.any(String) });

    // The retry's next lease succeeds: the work is no longer failing, so the server stops saying it is.
    await database.sql`update operations set status = 'leased', lease_token = 11, attempt = 2, lease_session_id = gen_random_uuid(), lease_expires_at = now() + interval '1 minute', not_before = null where id = ${id}`;
    await database.db.transaction(async (tx) => {
      expect((await applyResultIfCurrent(tx, hostId, { opId: id, token: "11", outcome: "succeeded", data: {} })).verdict).toBe("applied");
    });
    expect(await lastError()).toBeNull();
  });

  it("out of attempts: the operation's error and op.failed say so, and the server's last_error is cleared for its failureReason", async () => {
    const retried = await expiredLease(1, 3, 2);
    await expireLeases(database.db);
    expect(await lastError()).toMatchObject({ code: "lease_expired" });
    await database.sql`delete from operations where id = ${retried}`;

    const id = await expiredLease(3, 3, 3);
    expect((await expireLeases(database.db)).map((o) => [o.status, o.error])).toEqual([
      ["failed", `lease_expired: host ${hostId} sent no result within 40 s of taking the lease (attempt 3 of 3, none left)`],
    ]);
    const [event] = await database.sql`select type, data->>'error' as error from events where operation_id = ${id}`;
    expect(event).toEqual({ type: "op.failed", error: expect.stringMatching(/^lease_expired: host .* \(attempt 3 of 3, none left\)$/) });
    expect(await lastError()).toBeNull();
  });
});
