import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import { CRASH_DETAIL_MAX_BYTES } from "@zlh/domain";
import { applyAgentResult } from "../src/broker/applyResult";
import { grantLeases } from "../src/broker/grantLeases";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

const REFUSAL =
  "\tjava.lang.UnsupportedClassVersionError: net/fabricmc/loader/impl/launch/server/FabricServerLauncher has been compiled by a more recent version of the Java Runtime (class file version 65.0), this version of the Java Runtime only recognizes class file versions up to 61.0";

/**
 * A start whose game ended before it answered (the agent's `game_exited`,
 * with the crash evidence: docs/game-liveness.md) is a crash healed after
 * its backoff, recorded with why, not a failed server; any other failed
 * start still fails its server.
 */
describe("a start whose game ended before it answered", () => {
  let t: Plane;
  let database: Database;
  let hostId: string;
  let sessionId: string;

  /** A server wanted running, `starting`, its start leased to the host: the agent's result is next. */
  async function leasedStart(n: number) {
    const s = (await t.api("POST", "/v1/servers", serverBody(n), { "idempotency-key": `start-exited-${n}` })).body as { id: string; vmid: number };
    await t.sql`update operations set status = 'cancelled' where server_id = ${s.id} and status in ('queued', 'leased')`;
    await t.sql`update servers set status = 'starting', desired_state = 'running', host_id = ${hostId} where id = ${s.id}`;
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid) select id, host_id, generation, 'start', vmid from servers where id = ${s.id}`;
    const { ops } = await grantLeases(database.db, { hostId, sessionId, max: 10, ttlMs: 30_000, secretsKeys: t.config.secretsKeys });
    const op = ops.find((o) => o.serverId === s.id)!;
    return { s, op };
  }
  const events = async (serverId: string, type: string) =>
    (await t.sql`select data from events where server_id = ${serverId} and type = ${type} order by id`).map((r) => r.data as Record<string, unknown>);

  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 2 });
    hostId = (await enrollHost(t.api, "start-exited")).id;
    sessionId = crypto.randomUUID();
    await t.sql`update hosts set session_id = ${sessionId} where id = ${hostId}`;
  });
  afterAll(() => database.close());

  it("game_exited with evidence: the server stopped, the crash recorded with the cause and evidence, healed by a start", async () => {
    const { s, op } = await leasedStart(1);
    const crash = { stderr: ["Error: LinkageError occurred while loading main class net.fabricmc.loader.impl.launch.server.FabricServerLauncher", REFUSAL], exit: { result: "exit-code", code: "exited", status: "1" } };
    const verdict = await applyAgentResult(database.db, hostId, { opId: op.opId, token: op.token, outcome: "failed", retryable: false, error: { code: "game_exited", message: "the game ended before it answered (java_version: ...)" }, data: { crash } }, {});
    expect(verdict.verdict).toBe("applied");
    const [crashed] = await events(s.id, "server.crashed");
    expect(crashed).toMatchObject({ vmid: s.vmid, source: "start", reason: "game_exited", cause: "java_version", hint: expect.stringContaining("Java 21"), repeated: 1, evidence: crash });
    expect(await events(s.id, "server.self_heal")).toEqual([expect.objectContaining({ action: "start" })]);
    const shown = (await t.api("GET", `/v1/servers/${s.id}`)).body;
    expect(shown).toMatchObject({ lastCrash: { reason: "game_exited", cause: "java_version", evidence: crash } });
    expect(shown.status).not.toBe("failed");
    // The first crash of a streak heals at once: a new start is planned.
    const [next] = await t.sql`select kind from operations where server_id = ${s.id} and status = 'queued'`;
    expect(next?.kind).toBe("start");
  });

  it("any other failed start (not_ready) still fails the server, with no crash recorded", async () => {
    const { s, op } = await leasedStart(2);
    await applyAgentResult(database.db, hostId, { opId: op.opId, token: op.token, outcome: "failed", retryable: false, error: { code: "not_ready", message: "did not become ready" } }, {});
    expect((await t.api("GET", `/v1/servers/${s.id}`)).body).toMatchObject({ status: "failed", lastCrash: null });
    expect(await events(s.id, "server.crashed")).toEqual([]);
  });

  it("game_exited with evidence far past its budgets (an old or subverted agent): the result still applies, the crash stored cut to fit", async () => {
    const { s, op } = await leasedStart(3);
    const full = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? "\u0001" : "\ufffd").repeat(300));
    const crash = { log: [...full(39), "the last line"], stderr: [...full(19), REFUSAL], crashReport: { name: "crash-2026-12-02_10.15.42-server.txt", lines: full(60) } };
    const verdict = await applyAgentResult(database.db, hostId, { opId: op.opId, token: op.token, outcome: "failed", retryable: false, error: { code: "game_exited", message: "the game ended before it answered" }, data: { crash } }, {});
    expect(verdict.verdict).toBe("applied");
    const [row] = await t.sql`select octet_length(last_crash_detail::text) as bytes, last_crash_detail as detail from servers where id = ${s.id}`;
    expect(row!.bytes).toBeLessThanOrEqual(CRASH_DETAIL_MAX_BYTES);
    expect(row!.detail).toMatchObject({ cause: "java_version", evidence: { truncated: true, log: expect.arrayContaining(["the last line"]), stderr: expect.arrayContaining([REFUSAL]) } });
    expect(await events(s.id, "server.crashed")).toEqual([expect.objectContaining({ cause: "java_version", evidence: row!.detail.evidence })]);
  });
});
