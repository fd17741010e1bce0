import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverStatus } from "../support/api";
import { waitFor } from "../support/processes";
import { leaseNewServer, startProtocolPlane, type ProtocolPlane } from "../support/protocolPlane";
import { RawAgent } from "../support/rawAgent";

/** The progress message over a real websocket, from a hand-driven agent holding (or no longer holding) a lease. */
describe("operation progress", () => {
  let plane: ProtocolPlane;
  beforeAll(async () => {
    plane = await startProtocolPlane("progress-a", { ZLH_LEASE_TTL_MS: "400" });
  });
  afterAll(() => plane?.close());

  it("keeps the progress of the current lease only, records a phase once, and never lets progress change a status", async () => {
    const { call, sql } = plane;
    const a = await RawAgent.connect(plane.plane.url, plane.host.agentToken);
    await a.greet();
    const { server, op: first } = await leaseNewServer(plane, a);
    // Progress is never answered; frames are handled in order, so a refused frame's error marks it handled.
    const progress = async (op: { opId: string; token: string }, p: Record<string, unknown>) => {
      a.send({ type: "progress", opId: op.opId, token: op.token, ...p });
      a.sendRaw("not json");
      await a.next("error");
    };
    const shown = async () => (await call("GET", `/v1/servers/${server.id}`)).body;
    const progressEvents = async () => (await sql`select data from events where server_id = ${server.id} and type = 'server.progress' order by id`).map((r) => r.data);

    await progress(first, { phase: "downloading", done: 1, total: 3, bytesDone: 1000, bytesTotal: 9000 });
    await progress(first, { phase: "downloading", done: 2, total: 3, bytesDone: 5000, bytesTotal: 9000 });
    const during = await shown();
    expect(during.status).toBe("provisioning");
    expect(during.progress).toMatchObject({ phase: "downloading", done: 2, total: 3, bytesDone: 5000, bytesTotal: 9000 });
    expect(Number.isNaN(Date.parse(during.progress.at))).toBe(false);
    // Byte updates within a phase are not events; the phase change is, with the counts it began with.
    expect(await progressEvents()).toEqual([{ kind: "provision", phase: "downloading", done: 1, total: 3, bytesDone: 1000, bytesTotal: 9000 }]);

    // The lease lapses and is granted again.
    await waitFor(async () => (await sql`select status from operations where id = ${first.opId}`)[0]?.status === "queued", 5000, "expiry");
    let second: Awaited<ReturnType<RawAgent["lease"]>>[number] | undefined;
    await waitFor(async () => ([second] = (await a.lease()).filter((o) => o.opId === first.opId)).length > 0, 5000, "second grant");
    // The lapsed lease's report went with it; the old token's later report is dropped.
    expect((await shown()).progress).toBeNull();
    await progress(first, { phase: "waiting" });
    expect((await shown()).progress).toBeNull();
    expect(await progressEvents()).toHaveLength(1);

    await progress(second!, { phase: "starting" });
    expect((await shown()).progress).toMatchObject({ phase: "starting", done: null, bytesDone: null });
    expect((await progressEvents()).map((d) => d.phase)).toEqual(["downloading", "starting"]);
    expect(await serverStatus(call, server.id)).toBe("provisioning");

    // The operation ends: its progress goes with it.
    expect((await a.report(second!.opId, second!.token)).outcome).toBe("applied");
    const after = await shown();
    expect(after.status).toBe("running");
    expect(after.progress).toBeNull();
    a.close();
  });
});
