import { describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

/**
 * Dispatch off the job queue's critical path: once this process
 * has resolved a request, a create of the same request stores the manifest
 * and plans the provision in its own transaction, and enqueues no job.
 */
describe("a create whose manifest is already resolved", () => {
  it("plans its provision in the create's transaction; a new request still goes through resolution", async () => {
    const t = await startTestPlane();
    await enrollHost(t.api, "dispatch-host");
    const provisionJob = (id: string) => t.sql`
      select 1 from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
      where k.identifier = 'server.provision' and j.payload->>'serverId' = ${id}`;
    /** Whether the manifest was stored in the create's own transaction (events carry their transaction's id). */
    const sameTransaction = async (id: string) =>
      (await t.sql`select count(distinct xid::text)::int as n from events where server_id = ${id} and type in ('server.requested', 'server.manifest_resolved')`)[0]!.n === 1;
    const planned = async (id: string) =>
      (await t.sql`select s.manifest is not null as manifest, s.rcon_password_enc is not null as secret,
        (select count(*)::int from operations o where o.server_id = s.id and o.kind = 'provision' and o.status = 'queued') as ops
        from servers s where s.id = ${id}`)[0];

    // The first of its kind: resolved by the provision job.
    const first = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "dispatch-1" });
    expect(first.status).toBe(202);
    for (let i = 0; i < 200 && !(await planned(first.body.id))!.ops; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await planned(first.body.id)).toEqual({ manifest: true, secret: true, ops: 1 });

    // The same request again: planned by the time the 202 arrives, with no job.
    const second = await t.api("POST", "/v1/servers", serverBody(2), { "idempotency-key": "dispatch-2" });
    expect(second.status).toBe(202);
    expect(await planned(second.body.id)).toEqual({ manifest: true, secret: true, ops: 1 });
    expect(await provisionJob(second.body.id)).toHaveLength(0);
    const hashOf = async (id: string) => (await t.sql`select data->>'manifestHash' as hash from events where server_id = ${id} and type = 'server.manifest_resolved'`)[0]!.hash;
    expect(await hashOf(second.body.id)).toBe(await hashOf(first.body.id));
    expect(await sameTransaction(second.body.id)).toBe(true);
    expect(await sameTransaction(first.body.id)).toBe(false);

    // Another request (a pinned loader): not in the cache, so it is enqueued for the job to resolve.
    const other = await t.api("POST", "/v1/servers", serverBody(3, { loaderVersion: "0.16.5" }), { "idempotency-key": "dispatch-3" });
    expect(other.status).toBe(202);
    for (let i = 0; i < 200 && !(await planned(other.body.id))!.ops; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await planned(other.body.id))!.manifest).toBe(true);
    expect(await sameTransaction(other.body.id)).toBe(false);
  });
});
