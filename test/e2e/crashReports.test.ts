import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, serverStatus, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { killSimServers, waitFor } from "../support/processes";

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
    c.startAgent();
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
    await rm(knob);
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
});
