import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Api } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";

/**
 * Regression: with a reconcile interval much shorter than the heartbeat
 * interval (here 1 s against 5 s), passes read an inventory the agent sent
 * before the container existed, counted it twice as "persistent", and failed
 * a healthy server with container_missing a second after it was running.
 */
describe("reconciliation on evidence older than the server's state", () => {
  let c: E2eCluster;
  let call: Api;

  beforeAll(async () => {
    c = await startE2eCluster("stale-host", { ZLH_LEASE_TTL_MS: "15000", ZLH_RECONCILE_INTERVAL_MS: "1000" });
    call = c.call;
    c.startAgent();
  });
  afterAll(() => c?.close());

  it("leaves a server that just reached running alone until an inventory taken after it says otherwise", async () => {
    const servers = await Promise.all([1, 2, 3].map(() => createServer(call)));
    for (const s of servers) await waitStatus(call, s.id, "running");
    // Several reconciliation passes, and at least one fresh heartbeat (every TTL/3 = 5 s).
    await new Promise((r) => setTimeout(r, 7000));
    for (const s of servers) {
      const got = (await call("GET", `/v1/servers/${s.id}`)).body;
      expect({ status: got.status, failureReason: got.failureReason }).toEqual({ status: "running", failureReason: null });
      expect(await answersPing(s)).toBe(true);
    }
    expect((await call("GET", "/v1/drift")).body.items).toEqual([]);
  });
});
