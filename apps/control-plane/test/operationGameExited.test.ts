import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, insertOperation, lockServer, recordChange, type Database, type OperationRow, type ServerRow } from "@zlh/db";
import { onOperationFinished, onOperationLeased } from "../src/broker/effects";
import { converge } from "../src/lifecycle/converge";
import { seedHost, seedServer } from "../../../packages/db/test/support/seed";

const MISSING_MOD = " - Mod 'Needs New Loader' (needs-new-loader) 1.0.0 requires version 0.17.0 or later of fabricloader, but only the wrong version is present: 0.16.5!";
const evidence = {
  log: ["[main/ERROR]: Incompatible mods found!", MISSING_MOD],
  stderr: ["net.fabricmc.loader.impl.FormattedException: Some of your mods are incompatible with the game or each other!"],
  exit: { result: "exit-code", code: "exited", status: "1" },
};

/**
 * A provision, a change or a restore whose game ended before it answered
 * (the agent's `game_exited`, with the crash evidence it read) records the
 * crash, so the customer sees why (lastCrash, `server.crashed` with the
 * operation's kind as its source), and nothing more: the operation's own
 * failure or rollback decides the server's state, no heal is started and no
 * crash loop counted (docs/crash-reports.md).
 */
describe("an operation whose game ended before it answered", () => {
  let database: Database;
  let hostId: string;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    hostId = await seedHost(database.sql, "op-game-exited");
  });
  afterAll(() => database.close());

  /** The server's operation of `kind`, ended by the agent as `end` says, leased and finished as the broker does. */
  async function finish(s: ServerRow, kind: "provision" | "restore", end: { status: "failed" | "succeeded"; error?: string; result: unknown }) {
    const opId = await database.db.transaction(async (tx) => insertOperation(tx, (await lockServer(tx, s.id))!, kind));
    const [row] = await database.sql`update operations set status = ${end.status}, error = ${end.error ?? null}, result = ${JSON.stringify(end.result)}::jsonb,
      params = ${kind === "restore" ? JSON.stringify({ backupId: crypto.randomUUID() }) : null}::jsonb where id = ${opId!} returning *`;
    const op = { ...row, age_ms: 0 } as unknown as OperationRow;
    await database.db.transaction(async (tx) => {
      await onOperationLeased(tx, op);
      await onOperationFinished(tx, op, {});
      await converge(tx, s.id);
    });
    return op;
  }
  const server = async (id: string) =>
    (await database.sql`select status, failure_reason, generation, restart_count, crash_streak, heal_after, last_crash_at, last_crash_reason, last_crash_detail, change_status from servers where id = ${id}`)[0]!;
  const events = async (id: string, type: string) => (await database.sql`select data, operation_id from events where server_id = ${id} and type = ${type} order by id`).map((r) => ({ ...(r.data as Record<string, unknown>), operationId: r.operation_id }));
  /** A change of the server's memory, recorded as the API does: its provision is next. */
  const changeMemory = (s: ServerRow) =>
    recordChange(database.db, {
      serverId: s.id, callerId: "t", idempotencyKey: `k-${s.id}`, requestHash: "h", needsManifest: false, changes: { memoryMiB: { from: 1024, to: 2048 } },
      to: { type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB: 2048, cpuCores: 1, diskGiB: 10 },
    });
  const healJobs = async (id: string) => (await database.sql`select count(*)::int as n from graphile_worker.jobs where key = ${`heal:${id}`}`)[0]!.n as number;

  it("a first install: the server fails as before, the crash recorded with its evidence, no heal", async () => {
    const s = await seedServer(database, hostId, { status: "pending", desiredState: "running" });
    const op = await finish(s, "provision", { status: "failed", error: "game_exited: the game ended before it answered (mod_dependency: ...)", result: { crash: evidence } });

    const row = await server(s.id);
    expect(row).toMatchObject({ status: "failed", failure_reason: expect.stringMatching(/^game_exited: /), last_crash_reason: "game_exited", restart_count: 0, crash_streak: 0, heal_after: null });
    expect(row.last_crash_at).not.toBeNull();
    expect(row.last_crash_detail).toMatchObject({ cause: "mod_dependency", summary: expect.stringContaining("Incompatible mods found!"), repeated: 1, evidence });
    expect(await events(s.id, "server.crashed")).toEqual([
      expect.objectContaining({ source: "provision", reason: "game_exited", cause: "mod_dependency", vmid: s.vmid, evidence, operationId: op.id }),
    ]);
    expect(await events(s.id, "server.self_heal")).toEqual([]);
    expect(await healJobs(s.id)).toBe(0);
    const [{ live }] = await database.sql`select count(*)::int as live from operations where server_id = ${s.id} and status in ('queued', 'leased')`;
    expect(live).toBe(0);
  });

  it("a change: rolled back and running as before, the change's crash kept as the last crash through the restart", async () => {
    const s = await seedServer(database, hostId, { status: "running", desiredState: "running" });
    const changed = await changeMemory(s);
    const reason = "the game ended before it answered (mod_dependency: ...)";
    await finish(s, "provision", { status: "succeeded", result: { rolledBack: true, reason, version: "1.21.1", failedWith: "game_exited", crash: evidence } });

    const row = await server(s.id);
    expect(row).toMatchObject({ status: "running", change_status: "rolled_back", generation: changed!.generation, restart_count: 0, crash_streak: 0, heal_after: null });
    expect(row.last_crash_detail).toMatchObject({ cause: "mod_dependency", evidence });
    expect(await events(s.id, "server.crashed")).toEqual([expect.objectContaining({ source: "provision", change: true, rolledBack: true, cause: "mod_dependency", evidence })]);
    expect(await events(s.id, "server.running")).toHaveLength(1);
    expect(await events(s.id, "server.self_heal")).toEqual([]);
    expect(await healJobs(s.id)).toBe(0);
  });

  it("a change whose rollback failed too: the server fails, the crash recorded", async () => {
    const s = await seedServer(database, hostId, { status: "running", desiredState: "running" });
    await changeMemory(s);
    await finish(s, "provision", { status: "failed", error: "rollback_failed: the change failed (...), and so did the rollback: ...", result: { failedWith: "game_exited", crash: evidence } });
    expect(await server(s.id)).toMatchObject({ status: "failed", change_status: "failed", last_crash_reason: "game_exited", last_crash_detail: { cause: "mod_dependency" } });
    expect(await events(s.id, "server.crashed")).toEqual([expect.objectContaining({ source: "provision", change: true, rolledBack: false })]);
  });

  it("a restore: the restore fails as before, the crash recorded with source restore", async () => {
    const s = await seedServer(database, hostId, { status: "running", desiredState: "running" });
    await finish(s, "restore", { status: "failed", error: "game_exited: the game ended before it answered (mod_dependency: ...)", result: { crash: evidence } });
    expect(await server(s.id)).toMatchObject({ last_crash_reason: "game_exited", last_crash_detail: { cause: "mod_dependency", evidence }, crash_streak: 0 });
    expect(await events(s.id, "server.crashed")).toEqual([expect.objectContaining({ source: "restore", cause: "mod_dependency" })]);
    expect(await events(s.id, "server.restore_failed")).toHaveLength(1);
    expect(await healJobs(s.id)).toBe(0);
  });

  it("evidence outside the protocol's bounds is not kept: the crash is recorded without it", async () => {
    const s = await seedServer(database, hostId, { status: "pending", desiredState: "running" });
    const hostile = { log: ["x".repeat(100_000)], stderr: "not lines" };
    await finish(s, "provision", { status: "failed", error: "game_exited: the game ended before it answered (unknown)", result: { crash: hostile } });
    const row = await server(s.id);
    expect(row).toMatchObject({ status: "failed", last_crash_reason: "game_exited", last_crash_detail: { cause: "unknown" } });
    expect(row.last_crash_detail).not.toHaveProperty("evidence");
  });

  it("any other failed provision or rolled-back change records no crash", async () => {
    const s = await seedServer(database, hostId, { status: "pending", desiredState: "running" });
    await finish(s, "provision", { status: "failed", error: "not_ready: did not become ready", result: { crash: evidence } });
    expect(await server(s.id)).toMatchObject({ status: "failed", last_crash_at: null, last_crash_detail: null });
    expect(await events(s.id, "server.crashed")).toEqual([]);

    const changed = await seedServer(database, hostId, { status: "running", desiredState: "running" });
    await changeMemory(changed);
    await finish(changed, "provision", { status: "succeeded", result: { rolledBack: true, reason: "the change's files could not be fetched: 404", untouched: true } });
    expect(await server(changed.id)).toMatchObject({ status: "running", change_status: "rolled_back", last_crash_at: null });
    expect(await events(changed.id, "server.crashed")).toEqual([]);
  });
});
