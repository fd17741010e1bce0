import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRETS_KEY, testDatabase } from "@zlh/testing";
import { createLogger, loadConfig, startControlPlane, type ControlPlane } from "@zlh/control-plane";
import { api, enroll, type Api } from "../support/api";
import { ADMIN_TOKEN, waitFor } from "../support/processes";
import { RawAgent } from "../support/rawAgent";

describe("agent token rotation with a grace period", () => {
  let plane: ControlPlane;
  let call: Api;
  let sql: postgres.Sql;

  beforeAll(async () => {
    const url = await testDatabase();
    sql = postgres(url, { max: 2, onnotice: () => {} });
    // The default grace (an hour): the test ends it by moving its end to now, which the expiry sweep (every TTL/5) acts on.
    const config = loadConfig({ DATABASE_URL: url, PORT: "0", HOST: "127.0.0.1", ZLH_API_TOKENS: ADMIN_TOKEN, ZLH_SECRETS_KEY: TEST_SECRETS_KEY, ZLH_ARTIFACT_SOURCE: "offline", ZLH_LEASE_TTL_MS: "500", LOG_LEVEL: "silent" });
    plane = await startControlPlane(config, createLogger("silent", "test"));
    call = api(plane.url);
  });
  afterAll(async () => {
    await plane?.close();
    await sql?.end();
  });

  it("keeps the old token working during the grace, stored hashed, then refuses it and closes its session", async () => {
    const host = await enroll(call, "grace-a");
    const [{ id }] = await sql`select id from hosts where name = 'grace-a'`;
    const before = await RawAgent.connect(plane.url, host.agentToken);
    await before.greet();
    const rotated = await call("POST", `/v1/hosts/${id}/rotate-token`);
    expect(rotated.status).toBe(200);
    const newToken = rotated.body.agentToken as string;
    expect(newToken).not.toBe(host.agentToken);
    expect(Date.parse(rotated.body.previousTokenExpiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
    const [row] = await sql`select agent_token_hash, previous_agent_token_hash, session_id from hosts where id = ${id}`;
    expect(JSON.stringify(row)).not.toContain(host.agentToken);
    expect(JSON.stringify(row)).not.toContain(newToken);
    expect(row!.previous_agent_token_hash).toMatch(/^[0-9a-f]{64}$/);
    // The live session was not cut by the rotation.
    expect(row!.session_id).not.toBeNull();

    // During the grace an agent still holding the old token connects (superseding the first session, as any new one does).
    const during = await RawAgent.connect(plane.url, host.agentToken);
    await during.greet();
    expect((await before.closed).code).toBe(4001);

    await sql`update hosts set previous_agent_token_expires_at = now() where id = ${id}`;
    expect(await during.closed).toEqual({ code: 4003, reason: "the agent token was rotated and its grace period ended" });
    await expect(RawAgent.connect(plane.url, host.agentToken)).rejects.toThrow("HTTP 401");
    const [cleared] = await sql`select previous_agent_token_hash from hosts where id = ${id}`;
    expect(cleared!.previous_agent_token_hash).toBeNull();
    const events = await sql`select type, data from events where host_id = ${id} and type in ('host.token_rotated', 'host.previous_token_expired') order by id`;
    expect(events.map((e) => e.type)).toEqual(["host.token_rotated", "host.previous_token_expired"]);
    expect(events[0]!.data.previousTokenExpiresAt).not.toBeNull();

    const after = await RawAgent.connect(plane.url, newToken);
    await after.greet();
    after.close();
  });

  it("leaves a session on the new token open when the old token's grace ends", async () => {
    const host = await enroll(call, "grace-b");
    const [{ id }] = await sql`select id from hosts where name = 'grace-b'`;
    const rotated = await call("POST", `/v1/hosts/${id}/rotate-token`);
    const current = await RawAgent.connect(plane.url, rotated.body.agentToken);
    await current.greet();
    const [{ session_id: sessionId }] = await sql`select session_id from hosts where id = ${id}`;
    await sql`update hosts set previous_agent_token_expires_at = now() where id = ${id}`;
    await waitFor(async () => (await sql`select 1 from events where host_id = ${id} and type = 'host.previous_token_expired'`).length > 0, 10_000, "grace ended");
    await expect(RawAgent.connect(plane.url, host.agentToken)).rejects.toThrow("HTTP 401");
    // A frame round trip after the notification went out: the session answers, and is still the host's.
    await current.greet();
    expect((await sql`select session_id from hosts where id = ${id}`)[0]!.session_id).toBe(sessionId);
    current.close();
  });
});
