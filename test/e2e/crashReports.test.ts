import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realJavaRefusal } from "@zlh/testing";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { killSimServers, simServerPids, waitFor } from "../support/processes";

/**
 * A crash says why, through the real agent and control plane
 * (docs/crash-reports.md): the stand-in server dies as vanilla does on an
 * exception in its tick loop (the error logged, a crash report written), the
 * agent reads that through the container boundary when it sees the container
 * stop, and the crash event and the server's lastCrash carry the cause and
 * the evidence.
 */
describe("crash reports with a real agent", () => {
  let c: E2eCluster;
  let call: Api;
  let sql: postgres.Sql;

  beforeAll(async () => {
    c = await startE2eCluster("crash-host", { ZLH_LEASE_TTL_MS: "1500", ZLH_RECONCILE_INTERVAL_MS: "300" });
    ({ call, sql } = c);
    // A ready timeout far longer than the test waits: a start whose game refused must be reported without it.
    c.startAgent({ extra: { ZLH_READY_TIMEOUT_MS: "120000" } });
  });
  afterAll(async () => {
    await c?.close();
    if (c) await killSimServers(c.simRoot);
  });

  it("a game crashed in its tick loop: the event and lastCrash carry the crash report, the log's last lines and the cause", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    const knob = join(c.simRoot, String(s.vmid), "rootfs/srv/minecraft/.sim-crash");
    const thrown = "java.lang.NullPointerException: Cannot invoke \"net.minecraft.world.entity.Entity.tick()\" because \"entity\" is null\n\tat net.minecraft.server.level.ServerLevel.tickNonPassenger(ServerLevel.java:760)";
    await writeFile(knob, `tick\n${thrown}\n`);
    const crashed = async () => (await sql`select data from events where server_id = ${s.id} and type = 'server.crashed' order by id`).map((r) => r.data);
    await waitFor(async () => (await crashed()).length > 0, 20_000, "server.crashed");
    const [event] = await crashed();
    expect(event).toMatchObject({ reason: "observed_stopped", cause: "game_crash", summary: "Description: Exception in server tick loop", repeated: 1 });
    expect(event.evidence.crashReport.name).toMatch(/^crash-\d{4}-\d{2}-\d{2}_\d{2}\.\d{2}\.\d{2}-server\.txt$/);
    expect(event.evidence.crashReport.lines).toEqual(expect.arrayContaining(["---- Minecraft Crash Report ----", "Description: Exception in server tick loop"]));
    expect(event.evidence.log.join("\n")).toContain("This crash report has been saved to: /srv/minecraft/./crash-reports/");
    expect(event.evidence.stderr).toEqual(expect.arrayContaining([expect.stringContaining("java.lang.NullPointerException")]));
    // Healed as any crash is, and the server shows why it last crashed.
    await waitFor(async () => (await serverStatus(call, s.id)) === "running" && (await answersPing(s)), 30_000, "running again");
    const shown = (await call("GET", `/v1/servers/${s.id}`)).body;
    expect(shown.lastCrash).toMatchObject({ reason: "observed_stopped", cause: "game_crash", summary: "Description: Exception in server tick loop", evidence: { crashReport: { name: event.evidence.crashReport.name } } });
  });

  /**
   * Regression: a healing start whose JVM refused at once waited out the whole
   * ready timeout and failed `not_ready` (retryable), with no crash recorded
   * and nothing of the refusal. Now the start fails `game_exited` as soon as
   * the game has ended, carrying the evidence: a crash with its cause, healed
   * after the backoff, and the crash loop says what keeps failing.
   */
  it("a game whose JVM refuses at start: the start fails game_exited at once, recorded as a crash with the refusal, and the loop names it", async () => {
    const s = await createServer(call);
    await waitStatus(call, s.id, "running");
    const rootfs = join(c.simRoot, String(s.vmid), "rootfs");
    // What the machine's real JDK 17 says of a class built for Java 21, not text written here.
    const { stderr: refusal } = await realJavaRefusal();
    await writeFile(join(rootfs, "srv/minecraft/.sim-crash"), `jvm\n${refusal}`);
    // The running game dies (as a kill would do it); the heal's start then meets the JVM's refusal.
    for (const pid of await simServerPids(rootfs)) process.kill(pid, "SIGKILL");
    const crashed = async () => (await sql`select data from events where server_id = ${s.id} and type = 'server.crashed' order by id`).map((r) => r.data);
    const refused = await waitFor(async () => (await crashed()).find((e) => e.reason === "game_exited"), 20_000, "a crash recorded by the failed start");
    expect(refused).toMatchObject({ source: "start", cause: "java_version", vmid: s.vmid });
    expect(refused.hint).toContain("needs Java 21 but runs on Java 17");
    expect(refused.evidence.stderr).toEqual(expect.arrayContaining([expect.stringContaining("has been compiled by a more recent version of the Java Runtime")]));
    const [failedStart] = await sql`select error from operations where server_id = ${s.id} and kind = 'start' and status = 'failed' order by created_at desc limit 1`;
    expect(failedStart!.error).toMatch(/^game_exited: the game ended before it answered \(java_version: /);
    const shown = (await call("GET", `/v1/servers/${s.id}`)).body;
    expect(shown.lastCrash).toMatchObject({ reason: "game_exited", cause: "java_version" });
    // Healed after its backoff, and refused again: the crash loop says what keeps failing.
    const loop = await waitFor(async () => (await sql`select data from events where server_id = ${s.id} and type = 'server.crash_loop' order by id`).map((r) => r.data)[0], 40_000, "server.crash_loop");
    expect(loop).toMatchObject({ reason: "game_exited", cause: "java_version", repeated: 2 });
    await rm(join(rootfs, "srv/minecraft/.sim-crash"));
  });
});
