import { readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { api, createServer, enroll, type Api } from "../support/api";
import { waitStatus } from "../support/lifecycle";
import { killSimServers, startAgentProcess, startControlPlaneProcess, tempDir, waitFor, type ControlPlaneProc, type Proc } from "../support/processes";

type Run = { slot: string; status: string; late: boolean; missedBefore: number; operationId: string | null; reason: string | null };

const ENV = { ZLH_SCHEDULE_TICK_MS: "500", ZLH_SCHEDULE_MIN_INTERVAL_MS: "1000", ZLH_SCHEDULE_TOLERANCE_MS: "2000", ZLH_LEASE_TTL_MS: "3000" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Schedules through two control-plane processes and a real agent: each slot
 * runs exactly once, slots missed while every control plane was down follow
 * their policy, and a countdown restart warns in game, then restarts once.
 */
describe("schedules", () => {
  let url: string;
  let sql: postgres.Sql;
  let a: ControlPlaneProc;
  let b: ControlPlaneProc;
  let agent: Proc;
  let simRoot: string;
  let call: Api;
  let server: { id: string; vmid: number };

  beforeAll(async () => {
    url = await testDatabase();
    sql = postgres(url, { max: 2, onnotice: () => {} });
    a = await startControlPlaneProcess(url, ENV);
    b = await startControlPlaneProcess(url, ENV);
    call = api(a.url);
    const host = await enroll(call, "schedules-host");
    simRoot = await tempDir("sim");
    agent = startAgentProcess({ controlUrl: a.url, token: host.agentToken, simRoot, stateDir: await tempDir("state") });
    server = await createServer(call);
    await waitStatus(call, server.id, "running", 40_000);
  }, 90_000);
  afterAll(async () => {
    await agent?.stop();
    await a?.stop();
    await b?.stop();
    if (simRoot) await killSimServers(simRoot);
    await sql?.end();
  });

  /** The slots of a schedule this control plane took, from its log ("scheduled slot taken"). */
  const slotsTaken = (plane: ControlPlaneProc, scheduleId: string) =>
    plane.output
      .filter((line) => line.includes("scheduled slot taken"))
      .map((line) => JSON.parse(line) as { scheduleId?: string; slot?: string })
      .filter((entry) => entry.scheduleId === scheduleId)
      .map((entry) => entry.slot!);
  const schedules = (path = "") => `/v1/servers/${server.id}/schedules${path}`;
  const runs = async (id: string) => ((await api(b.url)("GET", schedules(`/${id}/runs`))).body.items as Run[]).reverse();
  const create = async (body: Record<string, unknown>) => {
    const res = await api(b.url)("POST", schedules(), body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; nextRuns: string[] };
  };
  /** Nothing in flight on the server (reads aside): what a test leaves must not meet the next one's slots. */
  const idle = () =>
    waitFor(async () => (await sql`select 1 from operations where server_id = ${server.id} and status in ('queued', 'leased') and kind <> 'logs'`).length === 0, 30_000, "idle server");

  it("runs a schedule every 3 s for a minute: every slot once, consecutive, one operation each", async () => {
    await idle();
    const s = await create({ name: "every3", cron: "*/3 * * * * *", action: "command", command: "save-all" });
    await sleep(60_000);
    expect((await call("DELETE", schedules(`/${s.id}`))).status).toBe(200);
    // The last slot's command ends.
    await waitFor(async () => (await runs(s.id)).every((r) => r.status !== "started"), 20_000, "runs ended");
    const all = await runs(s.id);
    expect(all.length).toBeGreaterThanOrEqual(18);
    for (let i = 1; i < all.length; i++) expect(new Date(all[i]!.slot).getTime() - new Date(all[i - 1]!.slot).getTime()).toBe(3000);
    expect(all.every((r) => r.status === "succeeded" && !r.late && r.operationId !== null)).toBe(true);
    expect(new Set(all.map((r) => r.operationId)).size).toBe(all.length);
    const [ops] = await sql`select count(*)::int as n from operations where server_id = ${server.id} and kind = 'command' and params->>'command' = 'save-all'`;
    expect(ops!.n).toBe(all.length);
    const [started] = await sql`select count(*)::int as n from events where server_id = ${server.id} and type = 'schedule.run_started' and actor = 'schedule:every3'`;
    expect(started!.n).toBe(all.length);
    // Both control planes took slots (ticks are jittered, so a minute of them is shared), each slot by one of them.
    const [byA, byB] = [slotsTaken(a, s.id), slotsTaken(b, s.id)];
    expect(byA.length, "slots taken by the first control plane").toBeGreaterThan(0);
    expect(byB.length, "slots taken by the second control plane").toBeGreaterThan(0);
    expect([...byA, ...byB].sort()).toEqual(all.map((r) => r.slot).sort());
  }, 120_000);

  it("every control plane down across a slot: skip records it skipped, run_late runs it late", async () => {
    await idle();
    const skip = await create({ name: "skipper", cron: "*/20 * * * * *", action: "announce", message: "skip policy", missedPolicy: "skip" });
    const late = await create({ name: "latecomer", cron: "*/20 * * * * *", action: "announce", message: "late policy", missedPolicy: "run_late" });
    // Both ran a slot on time; then both control planes stop right after it.
    const first = await waitFor(async () => {
      const [x, y] = [await runs(skip.id), await runs(late.id)];
      return x.length > 0 && y.length > 0 && x[0]!.slot === y[0]!.slot ? x[0]!.slot : null;
    }, 30_000, "a first slot of both");
    await a.stop();
    await b.stop();
    const missed = new Date(new Date(first).getTime() + 20_000);
    // Down until the next slot is past its 2-s tolerance.
    await sleep(Math.max(0, missed.getTime() + 3500 - Date.now()));
    a = await startControlPlaneProcess(url, ENV, a.port);
    b = await startControlPlaneProcess(url, ENV, b.port);
    const judged = async (id: string) => waitFor(async () => (await runs(id)).find((r) => r.slot === missed.toISOString() && r.status !== "started") ?? null, 30_000, `slot ${missed.toISOString()}`);
    const skipped = await judged(skip.id);
    const ranLate = await judged(late.id);
    expect(skipped).toMatchObject({ status: "skipped", reason: "missed", late: false, operationId: null });
    expect(ranLate).toMatchObject({ status: "succeeded", late: true });
    const [lateEvent] = await sql`select actor from events where server_id = ${server.id} and type = 'schedule.run_late'`;
    expect(lateEvent!.actor).toBe("schedule:latecomer");
    for (const id of [skip.id, late.id]) expect((await call("DELETE", schedules(`/${id}`))).status).toBe(200);
    // Each slot of each schedule appears once.
    for (const id of [skip.id, late.id]) {
      const slots = (await runs(id)).map((r) => r.slot);
      expect(new Set(slots).size).toBe(slots.length);
    }
  }, 120_000);

  it("a countdown restart warns in game at 1 min and 10 s, in order, then restarts the server once", async () => {
    await idle();
    await waitStatus(call, server.id, "running", 30_000);
    // 70 s ahead: inside the 5-minute countdown, so of its warnings (5 min, 1 min, 10 s) the last two fall in it.
    const slot = new Date(Math.ceil((Date.now() + 70_000) / 1000) * 1000);
    const cron = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
    const s = await create({ name: "nightly-restart", cron, timeZone: "UTC", action: "restart" });
    expect(s.nextRuns[0]).toBe(slot.toISOString());
    const [before] = await sql`select count(*)::int as n from operations where server_id = ${server.id} and kind = 'restart'`;
    const log = join(simRoot, String(server.vmid), "rootfs/srv/minecraft/logs/latest.log");
    const said = ["[Rcon] The server restarts in 1 minute.", "[Rcon] The server restarts in 10 seconds."];
    // Each warning is said in game, in order, before the restart (the 5-min one was past when it was made).
    const text = await waitFor(async () => {
      const t = await readFile(log, "utf8").catch(() => "");
      return t.includes(said[1]!) ? t : null;
    }, 90_000, "the 10-s warning in the log");
    expect(text.indexOf(said[0]!), "the 1-min warning in the log").toBeGreaterThanOrEqual(0);
    expect(text.indexOf(said[0]!)).toBeLessThan(text.indexOf(said[1]!));
    expect(text).not.toContain("The server restarts in 5 minutes.");
    const run = await waitFor(async () => (await runs(s.id)).find((r) => r.status !== "started") ?? null, 30_000, "the restart's run ended");
    expect(run).toMatchObject({ slot: slot.toISOString(), status: "succeeded", late: false });
    const intents = await sql`select data, actor from events where server_id = ${server.id} and type = 'server.intent' and data->>'action' = 'restart'`;
    expect(intents).toHaveLength(1);
    expect(intents[0]!.actor).toBe("schedule:nightly-restart");
    await waitFor(async () => (await sql`select 1 from events where server_id = ${server.id} and type = 'server.running' and at > ${slot}`).length > 0, 40_000, "running again");
    const [after] = await sql`select count(*)::int as n from operations where server_id = ${server.id} and kind = 'restart'`;
    expect(after!.n - before!.n).toBe(1);
    const warnings = await sql`select params->>'command' as c from operations where server_id = ${server.id} and kind = 'command' and params->>'command' like 'say The server restarts%' order by created_at`;
    expect(warnings.map((w) => w.c)).toEqual(["say The server restarts in 1 minute.", "say The server restarts in 10 seconds."]);
  }, 180_000);
});
