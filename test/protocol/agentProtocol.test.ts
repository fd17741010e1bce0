import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventoryDigest } from "@zlh/protocol";
import { TEST_SECRETS_KEY, testDatabase } from "@zlh/testing";
import { createLogger, loadConfig, startControlPlane, type ControlPlane } from "@zlh/control-plane";
import { api, createServer, enroll, serverStatus, type Api } from "../support/api";
import { ADMIN_TOKEN, waitFor } from "../support/processes";
import { RawAgent } from "../support/rawAgent";

const TTL = 400;

describe("agent protocol over a real websocket", () => {
  let plane: ControlPlane;
  let call: Api;
  let sql: postgres.Sql;
  let hostA: { id: string; agentToken: string };
  let hostB: { id: string; agentToken: string };

  beforeAll(async () => {
    const url = await testDatabase();
    sql = postgres(url, { max: 2, onnotice: () => {} });
    const config = loadConfig({ DATABASE_URL: url, PORT: "0", HOST: "127.0.0.1", ZLH_API_TOKENS: ADMIN_TOKEN, ZLH_SECRETS_KEY: TEST_SECRETS_KEY, ZLH_ARTIFACT_SOURCE: "offline", ZLH_LEASE_TTL_MS: String(TTL), ZLH_AGENT_TOKEN_GRACE_MS: "0", LOG_LEVEL: "silent" });
    plane = await startControlPlane(config, createLogger("silent", "test"));
    call = api(plane.url);
    hostA = await enroll(call, "proto-a");
    hostB = await enroll(call, "proto-b");
  });
  afterAll(async () => {
    await plane?.close();
    await sql?.end();
  });

  /** A server on `host`, with its provision operation queued. */
  async function queuedServerOn(hostId: string) {
    for (;;) {
      const s = await createServer(call);
      if (s.hostId === hostId) {
        await waitFor(async () => (await sql`select 1 from operations where server_id = ${s.id}`).length > 0, 10_000, "operation");
        return s;
      }
    }
  }

  it("refuses a wrong token before the upgrade", async () => {
    await expect(RawAgent.connect(plane.url, "zlha_wrong")).rejects.toThrow("HTTP 401");
  });

  it("answers malformed, unversioned and out-of-order frames with an error and stays up", async () => {
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    a.sendRaw("{not json");
    expect(await a.next("error")).toMatchObject({ code: "malformed" });
    a.sendRaw(JSON.stringify({ v: 99, type: "hello" }));
    expect(await a.next("error")).toMatchObject({ code: "unsupported_version" });
    a.send({ type: "heartbeat", held: [] });
    expect(await a.next("error")).toMatchObject({ code: "hello_required" });
    a.send({ type: "lease.request", max: 0 });
    expect(await a.next("error")).toMatchObject({ code: "malformed" });
    a.send({ type: "no.such.type" });
    expect(await a.next("error")).toMatchObject({ code: "malformed" });
    expect((await a.greet()).hostId).toBe(hostA.id);
    a.close();
  });

  it("applies the current result once, treats a resend as a duplicate, rejects an old token", async () => {
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    await a.greet();
    const server = await queuedServerOn(hostA.id);
    const [first] = (await a.lease()).filter((o) => o.serverId === server.id);
    expect(first?.kind).toBe("provision");
    expect(await serverStatus(call, server.id)).toBe("provisioning");

    // Let the lease lapse; the next grant carries a larger token.
    await waitFor(async () => (await sql`select status from operations where id = ${first!.opId}`)[0]?.status === "queued", 5000, "expiry");
    // It is granted again once its retry backoff has passed.
    let second: Awaited<ReturnType<RawAgent["lease"]>>[number] | undefined;
    await waitFor(async () => ([second] = (await a.lease()).filter((o) => o.opId === first!.opId)).length > 0, 5000, "second grant");
    expect(BigInt(second!.token)).toBeGreaterThan(BigInt(first!.token));

    // Reordered: the new holder reports first, then the old token's late result arrives.
    expect((await a.report(second!.opId, second!.token)).outcome).toBe("applied");
    expect((await a.report(first!.opId, first!.token)).outcome).toBe("rejected");
    expect((await a.report(second!.opId, second!.token)).outcome).toBe("duplicate");
    expect(await serverStatus(call, server.id)).toBe("running");
    const types = (await sql`select type from events where server_id = ${server.id} order by id`).map((r) => r.type);
    expect(types.filter((t) => t === "op.completed")).toHaveLength(1);
    expect(types.filter((t) => t === "op.result_rejected")).toHaveLength(1);
    expect(types.filter((t) => t === "server.running")).toHaveLength(1);
    a.close();
  });

  it("keeps the audit trail's own facts: result data from an agent cannot rewrite from/to/generation", async () => {
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    await a.greet();
    const server = await queuedServerOn(hostA.id);
    const [op] = (await a.lease()).filter((o) => o.serverId === server.id);
    const forged = { from: "failed", to: "deleted", generation: 999, reason: "forged" };
    expect((await a.report(op!.opId, op!.token, "succeeded", { data: forged })).outcome).toBe("applied");
    const [changed] = await sql`select data from events where server_id = ${server.id} and type = 'server.status_changed' order by id desc limit 1`;
    expect(changed!.data).toMatchObject({ from: "provisioning", to: "running", generation: 1 });
    const [running] = await sql`select data from events where server_id = ${server.id} and type = 'server.running'`;
    expect(running!.data).toEqual({ result: forged });

    // The destroy's result was spread into the deleted transition's event, after from/to.
    await call("DELETE", `/v1/servers/${server.id}`);
    let destroy: Awaited<ReturnType<RawAgent["lease"]>>[number] | undefined;
    await waitFor(async () => ([destroy] = (await a.lease()).filter((o) => o.serverId === server.id && o.kind === "destroy")).length > 0, 5000, "destroy grant");
    expect((await a.report(destroy!.opId, destroy!.token, "succeeded", { data: { ...forged, to: "running" } })).outcome).toBe("applied");
    const [deleted] = await sql`select data from events where server_id = ${server.id} and type = 'server.status_changed' order by id desc limit 1`;
    expect(deleted!.data).toMatchObject({ from: "deleting", to: "deleted", result: { ...forged, to: "running" } });
    a.close();
  });

  it("lets a host report only for its own operations", async () => {
    const b = await RawAgent.connect(plane.url, hostB.agentToken);
    await b.greet();
    const server = await queuedServerOn(hostB.id);
    const [op] = (await b.lease()).filter((o) => o.serverId === server.id);
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    await a.greet();
    expect((await a.report(op!.opId, op!.token, "failed")).outcome).toBe("rejected");
    expect((await sql`select status from operations where id = ${op!.opId}`)[0].status).toBe("leased");
    expect((await b.report(op!.opId, op!.token)).outcome).toBe("applied");
    a.close();
    b.close();
  });

  it("renews held leases on heartbeat and tells the agent which it lost", async () => {
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    await a.greet();
    const server = await queuedServerOn(hostA.id);
    const [op] = (await a.lease()).filter((o) => o.serverId === server.id);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, TTL / 3));
      a.send({ type: "heartbeat", held: [{ opId: op!.opId, token: op!.token }], inventory: [] });
      expect(await a.next("heartbeat.ack")).toMatchObject({ renewed: [op!.opId], lost: [] });
    }
    // Held for longer than a TTL thanks to renewals; a wrong token is not renewed.
    a.send({ type: "heartbeat", held: [{ opId: op!.opId, token: "1" }] });
    expect(await a.next("heartbeat.ack")).toMatchObject({ renewed: [], lost: [op!.opId] });
    expect((await a.report(op!.opId, op!.token)).outcome).toBe("applied");
    a.close();
  });

  it("a new connection supersedes the old session, whose later messages are refused", async () => {
    const old = await RawAgent.connect(plane.url, hostA.agentToken);
    await old.greet();
    const fresh = await RawAgent.connect(plane.url, hostA.agentToken);
    expect((await old.closed).code).toBe(4001);
    await fresh.greet();
    fresh.close();
  });

  it("a rotated token ends the live session and is refused afterwards", async () => {
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    await a.greet();
    const rotated = await call("POST", `/v1/hosts/${hostA.id}/rotate-token`);
    expect(rotated.status).toBe(200);
    expect((await a.closed).code).toBe(4001);
    await expect(RawAgent.connect(plane.url, hostA.agentToken)).rejects.toThrow("HTTP 401");
    hostA = { id: hostA.id, agentToken: rotated.body.agentToken };
    const again = await RawAgent.connect(plane.url, hostA.agentToken);
    await again.greet();
    again.close();
  });

  it("a token rotated while its agent is connecting does not survive the rotation", async () => {
    const { agentToken } = await enroll(call, "proto-rotating");
    const [{ id }] = await sql`select id from hosts where name = 'proto-rotating'`;
    let agent: RawAgent | undefined;
    // Hold the host row: the token is checked before the upgrade, then the
    // session's start waits on the row while the rotation commits.
    await sql.begin(async (tx) => {
      await tx`select 1 from hosts where id = ${id} for update`;
      agent = await RawAgent.connect(plane.url, agentToken);
      await waitFor(async () => (await sql`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%update hosts set session_id%'`).length > 0, 5000, "session start waiting");
      await tx`update hosts set agent_token_hash = ${"0".repeat(64)}, session_id = null where id = ${id}`;
    });
    expect(await agent!.closed).toMatchObject({ code: 4003 });
    expect((await sql`select session_id from hosts where id = ${id}`)[0]!.session_id).toBeNull();
  });

  it("answers every frame of a flood, in order, while its backlog pauses and resumes the socket", async () => {
    const a = await RawAgent.connect(plane.url, hostB.agentToken);
    await a.greet();
    // 2,000 heartbeats in one burst: each costs a query, so they pile up; all are still answered, in order.
    for (let i = 0; i < 2000; i++) a.send({ type: "heartbeat", held: [], inventory: [] });
    for (let i = 0; i < 2000; i++) await a.next("heartbeat.ack", 30_000);
    a.close();
  });

  it("takes an unchanged inventory's digest as fresh evidence without rewriting it, and asks for the list when the digest is not its own", async () => {
    const { agentToken } = await enroll(call, "proto-digest");
    const [{ id }] = await sql`select id from hosts where name = 'proto-digest'`;
    const a = await RawAgent.connect(plane.url, agentToken);
    const inventory = [{ vmid: 5901, state: "running" as const, serverId: null }];
    a.send({ type: "hello", agentVersion: "test", held: [], inventory });
    await a.next("welcome");
    const [before] = await sql`select inventory, inventory_digest, inventory_at from hosts where id = ${id}`;
    expect(before!.inventory_digest).toBe(inventoryDigest(inventory));
    await new Promise((r) => setTimeout(r, 20));
    a.send({ type: "heartbeat", held: [], inventoryDigest: inventoryDigest(inventory) });
    expect(await a.next("heartbeat.ack")).not.toHaveProperty("inventoryWanted");
    const [confirmed] = await sql`select inventory, inventory_at from hosts where id = ${id}`;
    expect(confirmed!.inventory).toEqual(before!.inventory);
    expect(confirmed!.inventory_at.getTime()).toBeGreaterThan(before!.inventory_at.getTime());

    // A digest of something else: not evidence; the control plane asks for the list.
    a.send({ type: "heartbeat", held: [], inventoryDigest: inventoryDigest([]) });
    expect(await a.next("heartbeat.ack")).toMatchObject({ inventoryWanted: true });
    const [unconfirmed] = await sql`select inventory_at from hosts where id = ${id}`;
    expect(unconfirmed!.inventory_at.getTime()).toBe(confirmed!.inventory_at.getTime());
    a.send({ type: "heartbeat", held: [], inventory: [] });
    expect(await a.next("heartbeat.ack")).not.toHaveProperty("inventoryWanted");
    const [after] = await sql`select inventory, inventory_digest from hosts where id = ${id}`;
    expect(after).toEqual({ inventory: [], inventory_digest: inventoryDigest([]) });

    // A VMID released after the last full list (its destroy's result came after it) is freed by the next
    // digest that confirms the list, not left for the next full one minutes later.
    const [{ vmid }] = await sql`update vmid_pool set state = 'releasing', host_id = ${id}
      where vmid = (select min(vmid) from vmid_pool where state = 'free') returning vmid`;
    a.send({ type: "heartbeat", held: [], inventoryDigest: inventoryDigest([]) });
    await a.next("heartbeat.ack");
    expect((await sql`select state from vmid_pool where vmid = ${vmid}`)[0]!.state).toBe("free");
    a.close();
  });

  it("fails the operation and the server after the bounded number of expired leases", async () => {
    const a = await RawAgent.connect(plane.url, hostA.agentToken);
    await a.greet();
    const server = await queuedServerOn(hostA.id);
    await sql`update operations set max_attempts = 3 where server_id = ${server.id}`;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const ops = await waitFor(async () => {
        const got = (await a.lease()).filter((o) => o.serverId === server.id);
        return got.length ? got : null;
      }, 5000, `lease ${attempt}`);
      expect(ops[0]!.attempt).toBe(attempt);
    }
    await waitFor(async () => (await serverStatus(call, server.id)) === "failed", 5000, "failed");
    const got = (await call("GET", `/v1/servers/${server.id}`)).body;
    expect(got.failureReason).toMatch(/^lease_expired/);
    a.close();
  });
});
