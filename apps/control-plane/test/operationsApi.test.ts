import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, apiClient, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

const READ_TOKEN = "read-token-0123456789abcdef";

/** GET /v1/operations/:id: what a restore or lifecycle answer names, followed by id. */
describe("GET /v1/operations/:id", () => {
  let t: Plane;
  let reader: ReturnType<typeof apiClient>;
  let n = 0;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_API_TOKENS: `${ADMIN_TOKEN}, dash:read=${READ_TOKEN}` }, { runWorker: false });
    reader = apiClient(t.plane.url, READ_TOKEN);
    await enrollHost(t.api, "ops-host");
  });

  async function runningServer() {
    const server = (await t.api("POST", "/v1/servers", serverBody(++n), { "idempotency-key": `ops-${n}` })).body as { id: string; hostId: string };
    await t.sql`update servers set status = 'running', desired_state = 'running', manifest = '{}'::jsonb where id = ${server.id}`;
    return server;
  }

  it("answers a restore's operation as queued, then as it ended, to a read token too", async () => {
    const s = await runningServer();
    const [b] = await t.sql`insert into backups (id, server_id, host_id, status, size_bytes, sha256, completed_at)
      values (gen_random_uuid(), ${s.id}, ${s.hostId}, 'completed', 10, 'ab', now()) returning id`;
    const restore = (await t.api("POST", `/v1/servers/${s.id}/backups/${b!.id}/restore`)).body as { id: string };
    const queued = await reader("GET", `/v1/operations/${restore.id}`);
    expect(queued.status).toBe(200);
    expect(queued.body).toEqual({
      id: restore.id,
      kind: "restore",
      status: "queued",
      serverId: s.id,
      hostId: s.hostId,
      generation: expect.any(Number),
      attempt: 0,
      maxAttempts: 3,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      leaseExpiresAt: null,
      error: null,
      result: null,
      resultOmitted: false,
    });
    // The agent's reason is hostile input of any length: it is cut to 2000 characters.
    await t.sql`update operations set status = 'failed', attempt = 3, error = ${"x".repeat(5000)}, result = '{"reason":"sha256 mismatch"}'::jsonb where id = ${restore.id}`;
    const failed = (await reader("GET", `/v1/operations/${restore.id}`)).body;
    expect(failed).toMatchObject({ status: "failed", attempt: 3, result: { reason: "sha256 mismatch" }, resultOmitted: false });
    expect(failed.error).toHaveLength(2000);
  });

  it("omits a result that is console output, too large, or not an object", async () => {
    const s = await runningServer();
    await t.api("POST", `/v1/servers/${s.id}/stop`);
    const [op] = await t.sql`select id from operations where server_id = ${s.id} and kind = 'stop'`;
    const cases: [string, string, boolean][] = [
      [JSON.stringify({ stopped: true }), "stop", false],
      [JSON.stringify({ log: "y".repeat(9000) }), "stop", true],
      [JSON.stringify(["a"]), "stop", true],
      [JSON.stringify({ reply: "There are 0 of a max of 20 players online" }), "command", true],
    ];
    for (const [result, kind, omitted] of cases) {
      await t.sql`update operations set status = 'succeeded', kind = ${kind}, result = ${result}::text::jsonb where id = ${op!.id}`;
      const got = (await t.api("GET", `/v1/operations/${op!.id}`)).body;
      expect(got, result.slice(0, 40)).toMatchObject({ kind, resultOmitted: omitted, result: omitted ? null : JSON.parse(result) });
    }
  });

  it("answers 404 operation_not_found for an unknown and for a malformed id", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "1"]) {
      const got = await t.api("GET", `/v1/operations/${id}`);
      expect(got.status).toBe(404);
      expect(got.body).toEqual({ error: "operation_not_found", message: `No operation with id ${JSON.stringify(id)} exists.` });
    }
    expect((await t.api("GET", `/v1/operations/${"a".repeat(65)}`)).status).toBe(400);
  });
});
