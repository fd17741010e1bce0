import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import { CRASH_DETAIL_MAX_BYTES } from "@zlh/domain";
import type { CrashEvidence, InventoryItem } from "@zlh/protocol";
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

  it("evidence at its worst (0xFF read as U+FFFD, raw control characters, emoji, every line full) is cut to fit: stored, and the host's other servers reconciled", async () => {
    const [hostile, healthy] = [await runningServer(4), await runningServer(5)];
    // What an agent from before the byte budgets sent for 0xFF-filled files, and a subverted one may: as many lines
    // and characters as the protocol allows, each costing 3 (U+FFFD), 4 per pair (emoji) or 6 (\u0001) bytes of JSON.
    const full = ["\ufffd".repeat(300), "\u0001".repeat(300), "\u{1F600}".repeat(150)];
    const lines = (n: number) => Array.from({ length: n }, (_, i) => full[i % 3]!);
    const evidence: CrashEvidence = {
      log: [...lines(39), "[10:00:01] [Server thread/ERROR]: the last line"],
      stderr: lines(20),
      crashReport: { name: "crash-2026-12-02_10.15.42-server.txt", lines: ["---- Minecraft Crash Report ----", ...lines(59)] },
      exit: { result: "exit-code", code: "exited", status: "1" },
      refused: lines(4),
    };
    for (let i = 0; i < 2; i++) {
      await heartbeat([
        { vmid: hostile.vmid, state: "running", serverId: hostile.id, game: "dead", crash: evidence },
        { vmid: healthy.vmid, state: "running", serverId: healthy.id, game: "dead" },
      ]);
      await pass({ hostId, force: true });
    }
    const [stored] = await t.sql`select octet_length(last_crash_detail::text) as bytes, last_crash_detail as detail from servers where id = ${hostile.id}`;
    expect(stored!.bytes).toBeLessThanOrEqual(CRASH_DETAIL_MAX_BYTES);
    const kept = (stored!.detail as { evidence: CrashEvidence }).evidence;
    expect(kept).toMatchObject({ truncated: true, exit: evidence.exit, crashReport: { name: evidence.crashReport!.name } });
    // A log keeps its tail, a crash report its head; the control characters are neutralised, not stored as escapes.
    expect(kept.log!.at(-1)).toBe(evidence.log!.at(-1));
    expect(kept.crashReport!.lines[0]).toBe("---- Minecraft Crash Report ----");
    expect(JSON.stringify(kept)).not.toContain("\\u0001");
    const [event] = await t.sql`select octet_length(data::text) as bytes, data from events where server_id = ${hostile.id} and type = 'server.crashed'`;
    expect(event!.bytes).toBeLessThanOrEqual(CRASH_DETAIL_MAX_BYTES);
    expect(event!.data).toMatchObject({ reason: "game_exited", evidence: kept });
    // The same pass healed the other server of the host: its crash recorded, its start planned.
    expect(await events(healthy.id, "server.crashed")).toEqual([expect.objectContaining({ reason: "game_exited" })]);
    const [op] = await t.sql`select kind from operations where server_id = ${healthy.id} and status = 'queued'`;
    expect(op?.kind).toBe("start");
  });
});
