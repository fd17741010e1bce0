import { describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

describe("graceful shutdown", () => {
  it("finishes a request in flight when close() starts, then closes its keep-alive connection instead of waiting out the keep-alive timeout", async () => {
    const { plane, sql, api } = await startTestPlane();
    await enrollHost(api, "shutdown-host");

    // Hold the servers table so that a create is mid-flight (waiting on the lock) when close() starts.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = sql.begin(async (tx) => {
      await tx`lock table servers in exclusive mode`;
      locked();
      await released;
    });
    await isLocked;
    const create = api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "shutdown-1" });
    for (let i = 0; ; i++) {
      const [w] = await sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and application_name = 'zlh-control-plane'`;
      if (w!.n > 0) break;
      if (i > 200) throw new Error("the create never waited on the lock");
      await new Promise((r) => setTimeout(r, 20));
    }

    const closed = plane.close().then(() => "closed" as const);
    release();
    await holder;
    expect((await create).status).toBe(202);
    // Without sweeping idle connections, close() would wait out Fastify's 72 s keep-alive timeout.
    const hung = new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000).unref());
    expect(await Promise.race([closed, hung])).toBe("closed");
  });
});
