import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REASON_MAX_CHARS } from "@zlh/domain";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, reportDestroyFailed, setLastError, transitionServer, type Database } from "../src/index";
import { seedHost, seedServer } from "./support/seed";

/** A reason that echoes a hostile upstream's megabyte file name, with an escape sequence and a NUL in it. */
const HUGE = `Paper build 132 has an unusable file name "\u001b[2J\u0000${"a".repeat(1_000_000)}".`;

describe("reasons are stored bounded, whoever words them", () => {
  let database: Database;
  let hostId: string;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    hostId = await seedHost(database.sql, "h");
  });
  afterAll(() => database.close());

  it("a failure reason: in servers.failure_reason and in the event's reason, cut with an ellipsis, escapes and NUL gone", async () => {
    const server = await seedServer(database, hostId, { status: "provisioning" });
    expect(await transitionServer(database.db, server.id, "failed", { failureReason: HUGE })).not.toBeNull();
    const [row] = await database.sql`select failure_reason from servers where id = ${server.id}`;
    const [event] = await database.sql`select data->>'reason' as reason from events where server_id = ${server.id} and type = 'server.status_changed'`;
    for (const stored of [row!.failure_reason as string, event!.reason as string]) {
      expect(stored).toHaveLength(REASON_MAX_CHARS);
      expect(stored.startsWith('Paper build 132 has an unusable file name "\ufffdaaa')).toBe(true);
      expect(stored.endsWith("a…")).toBe(true);
    }
  });

  it("a last error's message and url", async () => {
    const server = await seedServer(database, hostId);
    await setLastError(database.db, server.id, { code: "artifact_fetch", message: HUGE, url: `https://x/${"b".repeat(1_000_000)}` });
    const [row] = await database.sql`select last_error->>'message' as message, last_error->>'url' as url from servers where id = ${server.id}`;
    expect(row!.message).toHaveLength(REASON_MAX_CHARS);
    expect(row!.url).toHaveLength(REASON_MAX_CHARS);
  });

  it("a failed destroy's reason", async () => {
    const server = await seedServer(database, hostId, { status: "deleting" });
    const [op] = await database.sql`insert into operations (server_id, host_id, generation, kind, vmid) values (${server.id}, ${hostId}, 1, 'destroy', 5000) returning id`;
    await reportDestroyFailed(database.db, server.id, op!.id as string, HUGE);
    const [row] = await database.sql`select failure_reason from servers where id = ${server.id}`;
    const [event] = await database.sql`select data->>'reason' as reason from events where server_id = ${server.id} and type = 'server.destroy_failed'`;
    expect((row!.failure_reason as string).length).toBeLessThanOrEqual(REASON_MAX_CHARS + "destroy_failed: ".length);
    expect(event!.reason).toHaveLength(REASON_MAX_CHARS);
  });
});
