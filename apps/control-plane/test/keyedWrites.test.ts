import { beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, pruneAll, pruneKeyedAnswers } from "@zlh/db";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/** start/stop/restart, console commands and schedule creates take an Idempotency-Key: a retry (the client resends its key) acts once. */
describe("keyed lifecycle, command and schedule writes", () => {
  let t: Plane;
  let n = 0;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_COMMAND_TIMEOUT_MS: "20000" }, { runWorker: false });
    await enrollHost(t.api, "keyed-host");
  });

  async function runningServer() {
    const body = serverBody(++n);
    const server = (await t.api("POST", "/v1/servers", body, { "idempotency-key": `keyed-${n}` })).body as { id: string };
    await t.sql`update servers set status = 'running', desired_state = 'running', manifest = '{}'::jsonb where id = ${server.id}`;
    return server;
  }
  const intents = async (serverId: string, action: string) =>
    (await t.sql`select count(*)::int as n from events where server_id = ${serverId} and type = 'server.intent' and data->>'action' = ${action}`)[0]!.n as number;

  it("restarts once for concurrent retries with one key, answers each with the first answer, and refuses the key for another request", async () => {
    const s = await runningServer();
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.api("POST", `/v1/servers/${s.id}/restart`, undefined, { "idempotency-key": "reboot-1" })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((a) => a.body.generation)).size).toBe(1);
    expect(await intents(s.id, "restart")).toBe(1);
    // A later retry is the first answer again, not a new generation.
    const later = await t.api("POST", `/v1/servers/${s.id}/restart`, undefined, { "idempotency-key": "reboot-1" });
    expect(later.body).toEqual(answers[0]!.body);
    expect((await t.sql`select jsonb_typeof(answer) as t from keyed_answers where idempotency_key = 'reboot-1'`)[0]!.t).toBe("object");
    expect(await intents(s.id, "restart")).toBe(1);
    // The key on another action, or another server, is another request: 422 and nothing written.
    const other = await runningServer();
    for (const [path, what] of [[`/v1/servers/${s.id}/stop`, "stop"], [`/v1/servers/${other.id}/restart`, "restart"]] as const) {
      const reused = await t.api("POST", path, undefined, { "idempotency-key": "reboot-1" });
      expect(reused.status).toBe(422);
      expect(reused.body).toEqual({ error: "idempotency_key_reused", message: expect.stringMatching(/already used/) });
      expect(await intents(path.includes(other.id) ? other.id : s.id, what)).toBe(0);
    }
    // Without a key each POST acts.
    await t.api("POST", `/v1/servers/${s.id}/restart`);
    await t.api("POST", `/v1/servers/${s.id}/restart`);
    expect(await intents(s.id, "restart")).toBe(3);
  });

  it("records no key for a refused write: a retry after the refusal is judged again", async () => {
    const s = await runningServer();
    await t.api("DELETE", `/v1/servers/${s.id}`);
    const refused = await t.api("POST", `/v1/servers/${s.id}/start`, undefined, { "idempotency-key": "start-after-delete" });
    expect(refused.status).toBe(409);
    expect((await t.sql`select count(*)::int as n from keyed_answers where idempotency_key = 'start-after-delete'`)[0]!.n).toBe(0);
    const unknown = await t.api("POST", `/v1/servers/00000000-0000-4000-8000-000000000000/start`, undefined, { "idempotency-key": "start-unknown" });
    expect(unknown.status).toBe(404);
    expect((await t.sql`select count(*)::int as n from keyed_answers where idempotency_key = 'start-unknown'`)[0]!.n).toBe(0);
  });

  it("runs a command once for concurrent retries with one key, each getting its reply", async () => {
    const s = await runningServer();
    const asked = Array.from({ length: 5 }, () => t.api("POST", `/v1/servers/${s.id}/commands`, { command: "give alice diamond 64" }, { "idempotency-key": "gift-1" }));
    // Stand in for the agent: the one command operation succeeds with RCON's reply.
    let ops: { id: string }[] = [];
    for (let i = 0; i < 200 && ops.length === 0; i++) {
      ops = (await t.sql`select id from operations where server_id = ${s.id} and kind = 'command'`) as unknown as { id: string }[];
      if (ops.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await t.sql`update operations set status = 'succeeded', result = '{"reply":"Gave 64 [Diamond] to alice"}'::jsonb where id = ${ops[0]!.id}`;
    const answers = await Promise.all(asked);
    expect(answers.map((a) => [a.status, a.body])).toEqual(Array(5).fill([200, { reply: "Gave 64 [Diamond] to alice" }]));
    expect((await t.sql`select count(*)::int as n from operations where server_id = ${s.id} and kind = 'command'`)[0]!.n).toBe(1);
    expect((await t.sql`select count(*)::int as n from events where server_id = ${s.id} and type = 'server.command'`)[0]!.n).toBe(1);
    // Another command with the key is another request.
    const reused = await t.api("POST", `/v1/servers/${s.id}/commands`, { command: "give bob diamond 64" }, { "idempotency-key": "gift-1" });
    expect(reused.status).toBe(422);
    expect((await t.sql`select count(*)::int as n from operations where server_id = ${s.id} and kind = 'command'`)[0]!.n).toBe(1);
  });

  it("creates one schedule for concurrent retries with one key, where a keyless retry gets 409 schedule_name_taken", async () => {
    const s = await runningServer();
    const body = { name: "nightly", cron: "0 4 * * *", action: "restart" };
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.api("POST", `/v1/servers/${s.id}/schedules`, body, { "idempotency-key": "sched-1" })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await t.sql`select count(*)::int as n from schedules where server_id = ${s.id}`)[0]!.n).toBe(1);
    const reused = await t.api("POST", `/v1/servers/${s.id}/schedules`, { ...body, cron: "0 5 * * *" }, { "idempotency-key": "sched-1" });
    expect(reused.status).toBe(422);
    const keyless = await t.api("POST", `/v1/servers/${s.id}/schedules`, body);
    expect(keyless.status).toBe(409);
    expect(keyless.body.error).toBe("schedule_name_taken");
  });

  it("forgets a key past the retention: the sweep deletes old answers and keeps new ones", async () => {
    const s = await runningServer();
    await t.api("POST", `/v1/servers/${s.id}/stop`, undefined, { "idempotency-key": "old-stop" });
    await t.api("POST", `/v1/servers/${s.id}/start`, undefined, { "idempotency-key": "new-start" });
    await t.sql`update keyed_answers set created_at = now() - interval '200 days' where idempotency_key = 'old-stop'`;
    const database = connectDatabase(t.databaseUrl, { max: 1 });
    try {
      expect(await pruneAll(database.db, pruneKeyedAnswers, 90 * 86_400_000)).toBeGreaterThanOrEqual(1);
    } finally {
      await database.close();
    }
    const left = (await t.sql`select idempotency_key from keyed_answers where idempotency_key in ('old-stop', 'new-start')`).map((r) => r.idempotency_key);
    expect(left).toEqual(["new-start"]);
    // The forgotten key acts again.
    await t.api("POST", `/v1/servers/${s.id}/stop`, undefined, { "idempotency-key": "old-stop" });
    expect(await intents(s.id, "stop")).toBe(2);
  });
});
