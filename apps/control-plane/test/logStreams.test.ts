import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, insertTaskOperation, type Database } from "@zlh/db";
import { createLogger, startControlPlane, type ControlPlane } from "../src/index";
import { waitForOperation } from "../src/servers/waitForOperation";
import { waitFor } from "../../../test/support/processes";
import type { FakeLogAgent } from "./fakeLogAgent";
import { apiClient, type Api } from "./harness";
import { startLogFixture } from "./logFixture";
import { endReason, openStream, type OpenStream } from "./sseClient";

type Plane = Awaited<ReturnType<typeof startLogFixture>>["t"];

const ADMIN = "admin-token-0123456789";
const PANEL = "panel-token-0123456789";
const READER = "reader-token-0123456789";

/**
 * Console-log streams: one row per stream whatever its length, caps that
 * hold across control-plane processes, the panel scope, and an end when the
 * token is revoked (event streams too).
 */
describe("log streams and event streams", { timeout: 120_000 }, () => {
  let t: Plane;
  let other: ControlPlane;
  let database: Database;
  let agent: FakeLogAgent;
  let admin: Api;
  let serverA: string;
  let serverB: string;
  const streams: OpenStream[] = [];
  const logRows = async () => (await t.sql`select count(*)::int as n from operations where kind = 'logs'`)[0]!.n as number;
  const follow = async (serverId: string, token = PANEL, plane = t.plane.url, headers: Record<string, string> = {}) => {
    const s = await openStream(`${plane}/v1/servers/${serverId}/logs/stream?tail=5`, token, headers);
    streams.push(s);
    return s;
  };
  const closeAll = async () => {
    for (const s of streams.splice(0)) s.close();
    // Usually at once; a read the agent held when its stream ended goes when its answer arrives, and one whose
    // answer was lost (a loaded machine) when its lease runs out and the read is answered again (15 s TTL).
    await waitFor(async () => (await logRows()) === 0, 40_000, `every stream's row removed (rows when the wait began: ${JSON.stringify(await t.sql`select status, params from operations where kind = 'logs'`)})`);
  };

  beforeAll(async () => {
    ({ t, admin, agent, serverA, serverB } = await startLogFixture(
      ADMIN,
      {
        ZLH_API_TOKENS: `ops:admin=${ADMIN},panel:panel=${PANEL},grafana:read=${READER}`,
        ZLH_LOG_STREAMS_PER_SERVER: "2",
        ZLH_LOG_STREAMS_PER_CLIENT: "3",
        ZLH_EVENT_STREAM_POLL_MS: "50",
        ZLH_STREAM_TOKEN_RECHECK_MS: "200",
      },
      "logs",
    ));
    // A second control-plane process on the same database: caps are the database's, not a process's.
    other = await startControlPlane({ ...t.config, port: 0 }, createLogger("silent", "test"), { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 4 });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await agent?.stop();
    await other?.close();
    await database?.close();
  });

  it("follows a log with one operation row, read after read, and removes it when the client goes", async () => {
    const s = await follow(serverA);
    expect(s.status).toBe(200);
    const from = agent.reads;
    await s.until(() => agent.reads >= from + 5);
    await s.until((text) => text.includes(`data: line ${from + 4}`));
    expect(await logRows()).toBe(1);
    await closeAll();
  });

  it("keeps no row for a one-off read of the last lines", async () => {
    const res = await apiClient(t.plane.url, PANEL)("GET", `/v1/servers/${serverA}/logs?tail=5`);
    expect(res.status).toBe(200);
    expect(res.body.lines).toHaveLength(1);
    expect(await logRows()).toBe(0);
  });

  it("caps streams per server and per client, across two control-plane processes opening at once", async () => {
    const planes = [t.plane.url, other.url];
    const onA = await Promise.all(Array.from({ length: 6 }, (_, i) => follow(serverA, PANEL, planes[i % 2])));
    expect(onA.filter((s) => s.status === 200)).toHaveLength(2);
    for (const refused of onA.filter((s) => s.status !== 200)) {
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: "too_many_streams", message: expect.stringContaining("at most 2") });
    }
    // The client has 2 open; one more anywhere is its third, the fourth is over its cap.
    expect((await follow(serverB, PANEL, other.url)).status).toBe(200);
    const fourth = await follow(serverB, PANEL);
    expect(fourth.status).toBe(429);
    expect(fourth.body.message).toContain("at most 3");
    // Another client has caps of its own; the server's cap still counts every client.
    expect((await follow(serverB, ADMIN)).status).toBe(200);
    expect((await follow(serverB, ADMIN)).status).toBe(429);
    expect(await logRows()).toBe(4);
    await closeAll();
    expect((await follow(serverA)).status).toBe(200);
    await closeAll();
  });

  it("refuses the console log to a read token (it is the panel's), and writes nothing", async () => {
    const s = await follow(serverA, READER);
    expect(s.status).toBe(403);
    expect(s.body).toEqual({ error: "forbidden", message: expect.stringContaining("needs panel") });
    expect((await apiClient(t.plane.url, READER)("GET", `/v1/servers/${serverA}/logs`)).status).toBe(403);
    expect(await logRows()).toBe(0);
  });

  it("ends open log and event streams, with a final event saying why, once their token is revoked", async () => {
    const created = await admin("POST", "/v1/api-tokens", { client: "viewer", scope: "panel" });
    expect(created.status).toBe(201);
    const logs = await follow(serverA, created.body.token);
    const events = await openStream(`${other.url}/v1/events/stream`, created.body.token);
    streams.push(events);
    expect([logs.status, events.status]).toEqual([200, 200]);
    await logs.until((text) => text.includes("data: line"));
    // A token that stays valid keeps its stream going.
    const kept = await follow(serverB, PANEL);
    expect((await admin("DELETE", `/v1/api-tokens/${created.body.id}`)).status).toBe(200);
    const [logText, eventText] = await Promise.all([logs.ended, events.ended]);
    expect(endReason(logText)).toBe("token_revoked");
    expect(endReason(eventText)).toBe("token_revoked");
    const before = agent.reads;
    await kept.until(() => agent.reads >= before + 3);
    expect(endReason(kept.text())).toBeNull();
    await closeAll();
  });

  it("passes a log line's bytes on as data only: a carriage return in it cannot start a field of its own", async () => {
    agent.answer = (n) => ({ lines: [`evil ${n}\rid: 999\revent: end\r\ndata: {}`], offset: n * 10 });
    try {
      const s = await follow(serverA);
      const text = await s.until((x) => x.includes("evil"));
      const lines = text.split(/\r\n|\r|\n/);
      expect(lines.some((l) => l.startsWith("id: 999") || l.startsWith("event: end"))).toBe(false);
      expect(lines).toContain("data: id: 999");
      await closeAll();
    } finally {
      agent.answer = (n) => ({ lines: [`line ${n}`], offset: n * 10 });
    }
  });

  it("ends a stream whose host answers with something that is not a log read", async () => {
    // The first read (the tail) is answered well, the next (from an offset) is not.
    agent.answer = (n, want) => (want.offset !== undefined ? { lines: "not a list", offset: -1 } : { lines: [`line ${n}`], offset: n * 10 });
    try {
      const s = await follow(serverA);
      expect(s.status).toBe(200);
      expect(endReason(await s.ended)).toBe("read_failed");
      await closeAll();
    } finally {
      agent.answer = (n) => ({ lines: [`line ${n}`], offset: n * 10 });
    }
  });

  it("cuts off a stream whose client does not read, instead of buffering for it without bound", async () => {
    const big = "x".repeat(100 * 1024);
    agent.answer = (n) => ({ lines: Array.from({ length: 10 }, () => big), offset: n * 10 });
    const socket = connect({ host: "127.0.0.1", port: Number(new URL(t.plane.url).port) });
    try {
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.pause(); // reads nothing, ever
      socket.write(`GET /v1/servers/${serverA}/logs/stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${PANEL}\r\n\r\n`);
      await waitFor(async () => (await logRows()) === 1, 10_000, "the stream open");
      await waitFor(async () => (await logRows()) === 0, 20_000, "the stream cut off and its row removed");
    } finally {
      socket.destroy();
      agent.answer = (n) => ({ lines: [`line ${n}`], offset: n * 10 });
    }
  });

  it("waits for an operation's result with a backoff, not a read every 25 ms", async () => {
    // A command nobody answers (the fake agent answers log reads only), waited on for 2 s.
    const opId = (await insertTaskOperation(database.db, serverB, "command", crypto.randomUUID(), { command: "list" }, 1))!;
    let reads = 0;
    const counted = new Proxy(database.db, {
      get: (target, prop, receiver) =>
        prop === "execute" ? (...args: unknown[]) => (reads++, (target.execute as (...a: unknown[]) => unknown)(...args)) : Reflect.get(target, prop, receiver),
    });
    expect(await waitForOperation(counted, opId, 2000)).toBeNull();
    expect(reads).toBeGreaterThan(2);
    expect(reads).toBeLessThan(25);
    await t.sql`update operations set status = 'cancelled', lease_session_id = null, lease_expires_at = null where id = ${opId}`;
  });
});
