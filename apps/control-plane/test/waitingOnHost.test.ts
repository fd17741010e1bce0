import { describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

/**
 * A server whose work is queued but not taken says why on its lastError: its host's agent is disconnected, or
 * connected and not taking work. The operation is queued by hand, ten minutes old (no worker, no agent: nothing
 * else moves it), as the planner queues one.
 */
describe("a server waiting on its host", () => {
  it("says the host is disconnected, then that it is connected but not taking work, and nothing once no work waits", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "waiting-host");
    const { body: server } = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "waiting-1" });
    expect(server.lastError).toBeNull();
    const [op] = await t.sql`insert into operations (server_id, host_id, generation, kind, vmid, created_at)
      values (${server.id}, ${server.hostId}, ${server.generation}, 'provision', ${server.vmid}, now() - interval '10 minutes') returning id, created_at`;
    const since = new Date(op!.created_at).toISOString();

    const disconnected = (await t.api("GET", `/v1/servers/${server.id}`)).body;
    expect(disconnected).toMatchObject({ status: "pending", failureReason: null, stale: true });
    expect(disconnected.lastError).toEqual({
      code: "host_disconnected",
      message: expect.stringMatching(new RegExp(`^work has waited \\d+ s for host ${server.hostId}, whose agent is not connected \\(never connected\\)`)),
      url: null,
      at: since,
    });
    // The list says the same as the read.
    const listed = (await t.api("GET", "/v1/servers")).body.items.find((s: { id: string }) => s.id === server.id);
    expect(listed.lastError).toMatchObject({ code: "host_disconnected" });

    await t.sql`update hosts set session_id = gen_random_uuid(), last_heartbeat_at = now() where id = ${server.hostId}`;
    const idle = (await t.api("GET", `/v1/servers/${server.id}`)).body;
    expect(idle.stale).toBe(false);
    expect(idle.lastError).toEqual({
      code: "host_not_taking_work",
      message: expect.stringContaining(`for host ${server.hostId}, whose agent is connected but has not taken it`),
      url: null,
      at: since,
    });

    // Work waiting out a retry backoff is not waiting on the host.
    await t.sql`update operations set not_before = now() + interval '1 minute' where id = ${op!.id}`;
    expect((await t.api("GET", `/v1/servers/${server.id}`)).body.lastError).toBeNull();
    await t.sql`delete from operations where id = ${op!.id}`;
    expect((await t.api("GET", `/v1/servers/${server.id}`)).body.lastError).toBeNull();
  });
});
