import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import type { InventoryItem } from "@zlh/protocol";
import { reconcilePass, type PassDeps } from "../src/reconcile/pass";
import { agentHeartbeat, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * A dead game in a running container is a crash (docs/game-liveness.md):
 * seen twice, it is recorded with its reason, healed by a `start`, and an
 * OOM kill is shown as out_of_memory with a hint wherever the last crash is.
 */
describe("a dead game in a running container", () => {
  let t: Plane;
  let database: Database;
  let deps: PassDeps;
  let hostId: string;

  const heartbeat = (inventory: InventoryItem[]) => agentHeartbeat(t.sql, hostId, inventory);
  async function runningServer(n: number) {
    const created = (await t.api("POST", "/v1/servers", serverBody(n), { "idempotency-key": `game-crash-${n}` })).body;
    await t.sql`update servers set status = 'running', desired_state = 'running', status_changed_at = now() - interval '1 minute' where id = ${created.id}`;
    await t.sql`update operations set status = 'cancelled' where server_id = ${created.id} and status in ('queued', 'leased')`;
    return created as { id: string; vmid: number };
  }
  // A pass that fails for a host logs it and goes on (reconcile/pass.ts): here that is a failure, with its log line on stderr.
  const pass = async (opts?: { hostId: string; force: true }) => expect(await reconcilePass(deps, opts)).toMatchObject({ failed: 0 });
  const events = async (serverId: string, type: string) =>
    (await t.sql`select data from events where server_id = ${serverId} and type = ${type} order by id`).map((r) => r.data as Record<string, unknown>);

  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 4 });
    deps = { db: database.db, log: pino({ level: "error" }, pino.destination(2)), leaseTtlMs: 60_000, proxmox: null, schedule: { recheckMs: 300_000, clockMarginMs: 0 } };
    hostId = (await enrollHost(t.api, "game-crash")).id;
  });
  afterAll(() => database.close());

  it("an OOM-killed game: crash recorded as out_of_memory with the hint, a start planned, the API's lastCrash says why", async () => {
    const s = await runningServer(1);
    await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "alive" }]);
    await pass();
    // First seen dead (the exit record not read yet), then OOM-killed: the second observation acts, with its reason.
    await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "dead" }]);
    await pass();
    expect(await events(s.id, "server.crashed")).toEqual([]);
    await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "oom_killed" }]);
    await pass();
    const [crash] = await events(s.id, "server.crashed");
    expect(crash).toMatchObject({ vmid: s.vmid, source: "agent", reason: "out_of_memory", hint: expect.stringMatching(/raise the server's memoryMiB/), restartCount: 1 });
    expect(await events(s.id, "server.self_heal")).toEqual([expect.objectContaining({ action: "start" })]);
    const [op] = await t.sql`select kind from operations where server_id = ${s.id} and status = 'queued'`;
    expect(op?.kind).toBe("start");
    const shown = (await t.api("GET", `/v1/servers/${s.id}`)).body;
    expect(shown.lastCrash).toEqual({
      at: shown.lastCrashAt,
      reason: "out_of_memory",
      hint: expect.stringMatching(/raise the server's memoryMiB/),
      cause: "out_of_memory",
      summary: null,
      repeated: 1,
      evidence: null,
    });
  });

  it("a game that died otherwise: game_exited, no hint; a live game is no crash", async () => {
    const s = await runningServer(2);
    await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "alive" }]);
    await pass();
    await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "alive" }]);
    await pass({ hostId, force: true });
    expect(await events(s.id, "server.crashed")).toEqual([]);
    expect((await t.api("GET", `/v1/servers/${s.id}`)).body.lastCrash).toBeNull();
    for (let i = 0; i < 2; i++) {
      await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "dead" }]);
      await pass({ hostId, force: true });
    }
    expect(await events(s.id, "server.crashed")).toEqual([expect.objectContaining({ reason: "game_exited" })]);
    expect((await t.api("GET", `/v1/servers/${s.id}`)).body.lastCrash).toMatchObject({ reason: "game_exited", hint: null });
  });

  it("carries the agent's evidence into the crash: the cause recognised, its hint, and a crash loop that says what keeps failing", async () => {
    const s = await runningServer(3);
    const evidence = {
      log: ["[10:00:00] [Server thread/INFO]: Stopping server"],
      stderr: [
        "Error: LinkageError occurred while loading main class net.fabricmc.loader.impl.launch.server.FabricServerLauncher",
        "\tjava.lang.UnsupportedClassVersionError: net/fabricmc/loader/impl/launch/server/FabricServerLauncher has been compiled by a more recent version of the Java Runtime (class file version 65.0), this version of the Java Runtime only recognizes class file versions up to 61.0",
      ],
      exit: { result: "exit-code", code: "exited", status: "1" },
    };
    for (let n = 1; n <= 3; n++) {
      if (n > 1) {
        // Healed: its start ran (cancelled here) and the server is running again, until the game dies the same way.
        await t.sql`update operations set status = 'cancelled' where server_id = ${s.id} and status in ('queued', 'leased')`;
        await t.sql`update servers set status = 'running', status_changed_at = now() where id = ${s.id}`;
      }
      for (let i = 0; i < 2; i++) {
        await heartbeat([{ vmid: s.vmid, state: "running", serverId: s.id, game: "dead", crash: evidence }]);
        await pass({ hostId, force: true });
      }
    }
    const crashed = await events(s.id, "server.crashed");
    expect(crashed.map((e) => [e.cause, e.repeated])).toEqual([["java_version", 1], ["java_version", 2], ["java_version", 3]]);
    expect(crashed[0]).toMatchObject({ reason: "game_exited", hint: expect.stringContaining("needs Java 21 but runs on Java 17"), evidence });
    const [loop] = await events(s.id, "server.crash_loop");
    expect(loop).toMatchObject({ cause: "java_version", repeated: 3, summary: expect.stringContaining("class file version 65.0") });
    const shown = (await t.api("GET", `/v1/servers/${s.id}`)).body;
    expect(shown.lastCrash).toMatchObject({ reason: "game_exited", cause: "java_version", repeated: 3, evidence });
    expect(shown.crashLooping).toBe(true);
  });
});
